"""``mrc.png``: hit ratio against maxmemory from a curve folder's ``mrc.csv`` + ``summary.json``,
with the no-limit ceiling and each target hit ratio (and the size that reaches it) marked."""
from __future__ import annotations

from pathlib import Path

from evictsim.mrc.curve import read_curve


def plot_curve(out_dir: str | Path) -> Path:
    """Draw ``mrc.png`` into ``out_dir`` from the files there."""
    import matplotlib.pyplot as plt

    from evictsim import atomic
    from evictsim.report.style import MIB, new_figure, percent_axis, policy_colour

    out = Path(out_dir)
    curve = read_curve(out)
    summary = curve.summary
    policy = summary.get("maxmemory_policy", "")
    limited = curve.maxmemory > 0
    fig, axes = new_figure(1, width=7.0, height=4.2)
    ax = axes[0][0]
    ax.plot(curve.maxmemory[limited] / MIB, curve.hit_ratio[limited], marker="o", markersize=3,
            color=policy_colour(policy), linewidth=1.4,
            label=f"{policy} ({summary.get('method')}, sample rate {summary.get('sample_rate', 1):.3g})")
    ceiling = summary.get("no_limit_hit_ratio")
    if ceiling is not None:
        ax.axhline(ceiling, color="black", linestyle="--", linewidth=0.9,
                   label=f"no limit: {100 * ceiling:.2f}%")
    for target in summary.get("targets", []):
        ax.axhline(target["hit_ratio"], color="grey", linestyle=":", linewidth=0.9)
        if target["maxmemory"] is not None:
            ax.axvline(target["maxmemory"] / MIB, color="grey", linestyle=":", linewidth=0.9)
            ax.annotate(f"{100 * target['hit_ratio']:.1f}% at {target['maxmemory'] / MIB:.1f} MiB",
                        (target["maxmemory"] / MIB, target["hit_ratio"]), textcoords="offset points",
                        xytext=(4, -12), fontsize="small")
    ax.set_xlabel("maxmemory (MiB, Redis used_memory)")
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    percent_axis(ax, "hit ratio (%)")
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title(f"miss-ratio curve: {summary.get('trace_name', '')}", fontsize="medium")
    fig.tight_layout()
    path = out / "mrc.png"
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def plot_curves(path: Path, curves: dict, gaps: list[dict]) -> Path:
    """Every curve (label → :class:`MissRatioCurve`) on one plot, each policy in its fixed colour,
    marker and line style; with ``gaps`` (rows of :mod:`evictsim.mrc.compare`), a second panel
    below: each policy's hit ratio minus Belady's, in percentage points, at the same sizes."""
    import matplotlib.pyplot as plt

    from evictsim import atomic
    from evictsim.report.style import MIB, percent_axis, ratio_limits, tight_layout_outside_legends

    panels = 2 if gaps else 1
    fig, axes = plt.subplots(panels, 1, figsize=(8.0, 4.2 + 3.4 * (panels - 1)), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [5, 4][:panels]})
    ax, values, ceilings = axes[0][0], [], []
    for label, curve in curves.items():
        policy = curve.summary.get("maxmemory_policy", label)
        limited = curve.maxmemory > 0
        values += list(curve.hit_ratio[limited])
        ax.plot(curve.maxmemory[limited] / MIB, curve.hit_ratio[limited], **_style(policy, label))
        if curve.summary.get("no_limit_hit_ratio") is not None:
            ceilings.append(float(curve.summary["no_limit_hit_ratio"]))
    if ceilings:
        ax.axhline(max(ceilings), color="black", linestyle="-.", linewidth=0.8,
                   label=f"no limit (cold misses only): {100 * max(ceilings):.1f}%")
        values.append(max(ceilings))
    ratio_limits(ax, min(values, default=float("nan")), max(values, default=float("nan")))
    percent_axis(ax, "hit ratio (% of GETs)")
    methods = sorted({str(c.summary.get("method")) for c in curves.values()})
    ax.set_title(f"hit ratio against maxmemory ({', '.join(methods)}"
                 f"{' simulation at each size' if methods == ['full'] else ''})", fontsize="medium")
    if gaps:
        _gap_panel(axes[1][0], curves, gaps)
    bottom = axes[-1][0]
    bottom.set_xlabel("maxmemory (MiB, as Redis counts used_memory)")
    bottom.set_xlim(left=0)
    for row in axes:
        row[0].grid(alpha=0.3)
    ax.legend(fontsize="small", framealpha=0.9, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)
    tight_layout_outside_legends(fig)
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return path


def _style(policy: str, label: str) -> dict:
    from evictsim.report.style import policy_colour, policy_linestyle, policy_marker
    # filled markers with a thin dark edge: the light colours of the research policies stay visible
    return {"color": policy_colour(policy), "marker": policy_marker(policy), "markersize": 5.5,
            "linestyle": policy_linestyle(policy), "linewidth": 1.6, "label": label,
            "markeredgecolor": "#333333", "markeredgewidth": 0.6}


def _gap_panel(ax, curves: dict, gaps: list[dict]) -> None:
    from evictsim.mrc.compare import REFERENCE
    from evictsim.report.style import MIB
    for label, curve in curves.items():
        rows = [g for g in gaps if g["curve"] == label]
        if label == REFERENCE or not rows:
            continue
        policy = curve.summary.get("maxmemory_policy", label)
        style = _style(policy, label) | {"label": None}
        ax.plot([g["maxmemory"] / MIB for g in rows], [g["gap_pp"] for g in rows], **style)
    ax.axhline(0, color=_style(REFERENCE, REFERENCE)["color"], linewidth=1.0)
    ax.set_ylabel(f"hit ratio − {REFERENCE} (pp)")
