"""One look for every plot: the Agg backend, a fixed colour per policy, units on every axis.

A policy keeps its colour in every figure of every experiment (allkeys-lru is always blue), so plots
can be compared side by side. Sizes are shown in MiB, ratios in %, time in s.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: never needs a display, works in workers and CI
import matplotlib.pyplot as plt

matplotlib.rcParams["svg.hashsalt"] = "evictsim"   # stable SVG ids: same data, same file

MIB = 1024 * 1024
FORMATS = ("png", "svg")

POLICY_COLOURS = {
    "allkeys-lru": "#1f77b4", "allkeys-lfu": "#d62728", "allkeys-random": "#7f7f7f",
    "volatile-lru": "#17becf", "volatile-lfu": "#ff7f0e", "volatile-random": "#bcbd22",
    "volatile-ttl": "#2ca02c", "noeviction": "#000000",
    "lru": "#aec7e8", "lfu": "#ff9896", "fifo": "#c49c94", "clock": "#c5b0d5", "arc": "#9467bd",
    "twoq": "#8c564b", "2q": "#8c564b", "slru": "#e7ba52", "s3fifo": "#e377c2", "s3-fifo": "#e377c2",
    "sieve": "#98df8a", "wtinylfu": "#637939", "belady": "#393b79", "beladysize": "#7b4173",
}
# A marker per policy, so lines that lie on each other (and readers who do not tell colours apart)
# can still be told apart; and a line style per kind: Redis's sampled policies solid, the exact
# research policies dashed, the offline ones (they read the future) dotted.
POLICY_MARKERS = {
    "allkeys-lru": "o", "allkeys-lfu": "s", "allkeys-random": "^", "volatile-lru": "o",
    "volatile-lfu": "s", "volatile-random": "^", "volatile-ttl": "D", "noeviction": "x",
    "lru": "v", "lfu": "<", "fifo": ">", "clock": "p", "arc": "h", "twoq": "8", "2q": "8",
    "slru": "d", "s3fifo": "P", "s3-fifo": "P", "sieve": "X", "wtinylfu": "*", "belady": "D",
    "beladysize": "H",
}
OFFLINE_POLICIES = ("belady", "beladysize")
# For experiments that vary something other than the policy (expiry mode, traffic): a second palette.
VARIANT_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                   "#17becf", "#bcbd22", "#7f7f7f")
LINESTYLES = ("-", "--", ":", "-.")
_FALLBACK = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354")


def policy_colour(policy: str) -> str:
    """The colour of ``policy``; unknown names get a stable colour from a hash of the name."""
    if policy in POLICY_COLOURS:
        return POLICY_COLOURS[policy]
    digest = int(hashlib.sha1(policy.encode()).hexdigest(), 16)
    return _FALLBACK[digest % len(_FALLBACK)]


def policy_marker(policy: str) -> str:
    return POLICY_MARKERS.get(policy, "o")


def policy_linestyle(policy: str) -> str:
    """Solid for Redis's own policies, dashed for exact research policies, dotted for offline ones."""
    if policy in OFFLINE_POLICIES:
        return ":"
    redis_policy = policy == "noeviction" or policy.startswith(("allkeys-", "volatile-"))
    return "-" if redis_policy or policy not in POLICY_MARKERS else "--"


def new_figure(n_panels: int = 1, *, rows: int = 1, width: float = 5.2, height: float = 3.6,
               sharey: bool = True):
    """A figure of ``rows`` × ``n_panels`` axes, returned as a 2-D list [row][panel]."""
    fig, axes = plt.subplots(rows, n_panels, figsize=(max(6.4, width * n_panels), height * rows),
                             squeeze=False, sharey="row" if sharey else False, sharex=True)
    return fig, [list(row) for row in axes]


def panel_grid(n_panels: int, *, max_cols: int = 3, width: float = 5.0, height: float = 3.4,
               sharey: bool = True):
    """``n_panels`` axes in rows of at most ``max_cols``; unused cells hidden."""
    cols = max(1, min(max_cols, n_panels))
    rows = -(-n_panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(6.4, width * cols), height * rows), squeeze=False,
                             sharey=sharey, sharex=True)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    for ax in flat[:n_panels]:
        ax.tick_params(labelleft=True, labelbottom=True)   # every panel readable on its own
    return fig, flat[:n_panels]


def ratio_limits(ax, lowest: float, highest: float = 1.0) -> None:
    """Hit-ratio axis zoomed to the data: a margin of a tenth of the range around [lowest, highest]
    (never below 0 or above 100%), so close policies stay apart instead of sharing a 0-100 axis."""
    import math
    if not math.isfinite(lowest):
        ax.set_ylim(0, 1.01)
        return
    highest = highest if math.isfinite(highest) else 1.0
    span = max(highest - lowest, 0.02)
    ax.set_ylim(max(0.0, lowest - 0.1 * span), min(1.005, highest + 0.1 * span))


def save(fig, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` atomically; close the figure; return the paths."""
    from evictsim import atomic
    out_dir.mkdir(parents=True, exist_ok=True)
    tight_layout_outside_legends(fig)
    paths = []
    for fmt in FORMATS:
        path = out_dir / f"{name}.{fmt}"
        with atomic.atomic_path(path) as tmp:
            # fixed metadata so the same data gives the same file
            meta = {"Date": None} if fmt == "svg" else {"Software": None}
            fig.savefig(tmp, format=fmt, dpi=110, metadata=meta, bbox_inches="tight")   # outside legends
        paths.append(path)
    plt.close(fig)
    return paths


def percent_axis(ax, label: str = "hit ratio (%)") -> None:
    """Ticks in %, with a decimal when the axis is zoomed to a few points."""
    ax.set_ylabel(label)
    low, high = ax.get_ylim()
    digits = 1 if high - low < 0.1 else 0
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v * 100:.{digits}f}"))


def mib(values):
    return values / MIB


def legend(ax, **kw) -> None:
    """The legend to the right of the axes, outside the data (``save`` keeps it in the image)."""
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        kw.pop("loc", None)
        ax.legend(fontsize="small", framealpha=0.85, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0.0, **kw)


def tight_layout_outside_legends(fig) -> None:
    """Lay the axes out ignoring the legends beside them (the axes keep their size), then let the
    legends count again so ``bbox_inches="tight"`` grows the image to hold them."""
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    for box in legends:
        box.set_in_layout(False)
    fig.tight_layout()
    for box in legends:
        box.set_in_layout(True)


def ci_label(results) -> str:
    """``mean, 95% CI`` with two replications or more; ``one run each`` otherwise (no interval)."""
    n = int(results.meta.get("replications", 1))
    return "mean, 95% CI" if n >= 2 else "one run each"
