"""Plots over simulated time, one panel per maxmemory: hit ratio, memory, evictions/expirations and
stale memory. Each line is a configuration's mean over replications; the band is its 95% CI."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evictsim.report.data import ExperimentResults, mean_band
from evictsim.report.layout import line_style, panels
from evictsim.report.registry import PLOTS
from evictsim.report.style import (
    MIB,
    ci_label,
    legend,
    new_figure,
    panel_grid,
    percent_axis,
    ratio_limits,
    save,
)

PARTIAL_SHARE = 0.9     # a last interval with fewer requests than this share of the typical one is partial


def full_rows(ts) -> int:
    """Rows to plot: all but a last interval the trace ended inside (its rates and ratios cover only
    part of a sample interval, so drawn as a full one it looks like a drop at the end)."""
    requests = np.asarray(ts["requests"], np.float64)
    if len(requests) < 4:
        return len(requests)
    per_interval = np.diff(requests)
    typical = float(np.median(per_interval[:-1]))
    return len(requests) - 1 if typical > 0 and per_interval[-1] < PARTIAL_SHARE * typical else len(requests)


def _series(results: ExperimentResults, run_ids: list[str], column: str, *, rate: bool = False):
    """(time, value) per replication; ``rate`` turns a cumulative counter into events per second."""
    out = []
    for run_id in run_ids:
        ts = results.timeseries(run_id)
        n = full_rows(ts)
        t, v = ts["time"][:n], ts[column][:n].astype(float)
        if rate:
            dt = np.diff(t, prepend=0.0)
            dv = np.diff(v, prepend=0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(dt > 0, dv / dt, np.nan)
        out.append((t, v))
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Indistinguishable on a plot: within 0.1% of the line's own scale."""
    scale = float(np.nanmax(np.abs(a))) if np.isfinite(a).any() else 0.0
    return len(a) == len(b) and bool(np.allclose(a, b, rtol=0, atol=1e-3 * scale, equal_nan=True))


def identical_groups(lines: list[tuple], merge: bool = True) -> list[tuple]:
    """Lines whose series coincide drawn once: ``(style, t, mean, half, label)`` with the label saying
    which configurations it stands for (else six lines in the legend, one visible on the plot).
    ``mean`` may be a tuple of series (all must coincide). Only with ``merge`` (one panel: a legend
    shared by several panels must mean the same lines in each)."""
    groups: list[list[tuple]] = []
    for line in lines:
        parts = line[2] if isinstance(line[2], tuple) else (line[2],)
        for group in groups if merge else ():
            first = group[0][2] if isinstance(group[0][2], tuple) else (group[0][2],)
            if len(group[0][1]) == len(line[1]) and all(_same(a, b) for a, b in zip(first, parts)):
                group.append(line)
                break
        else:
            groups.append([line])
    out = []
    for group in groups:
        style, t, mean, half = group[0][:4]
        others = [g[0].label for g in group[1:]]
        label = style.label if not others else (
            f"{style.label} = {others[0]}" if len(others) == 1 else
            f"{style.label} and {len(others)} more, identical")
        out.append((style, t, mean, half if len(group) == 1 else None, label))
    return out


def _draw_lines(ax, results, configs, column, *, scale=1.0, rate=False, band=True,
                merge: bool = False) -> tuple[float, float]:
    """One mean line (and CI band) per configuration, identical ones once; returns the lowest and
    highest values drawn."""
    lowest, highest = np.inf, -np.inf
    lines = []
    for config in configs:
        t, mean, half = mean_band(_series(results, config.run_ids, column, rate=rate))
        lines.append((line_style(results, config), t, mean, half))
    for style, t, mean, half, label in identical_groups(lines, merge):
        ax.plot(t, mean / scale, color=style.colour, linestyle=style.linestyle, linewidth=1.3, label=label)
        if band and half is not None:
            ax.fill_between(t, (mean - half) / scale, (mean + half) / scale, color=style.colour,
                            alpha=0.18, linewidth=0)
        if np.isfinite(mean).any():
            lowest = min(lowest, float(np.nanmin(mean)) / scale)
            highest = max(highest, float(np.nanmax(mean)) / scale)
    return lowest, highest


@PLOTS.register("hit_ratio_over_time")
def hit_ratio_over_time(results: ExperimentResults, out_dir: Path) -> list[Path]:
    groups = panels(results)
    fig, axes = panel_grid(len(groups))
    drawn = [_draw_lines(ax, results, configs, "hit_ratio_interval", merge=len(groups) == 1)
             for ax, (_, configs) in zip(axes, groups)]
    lowest, highest = min(d[0] for d in drawn), max(d[1] for d in drawn)
    for ax, (title, configs) in zip(axes, groups):
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("simulated time (s)")
        ratio_limits(ax, lowest, highest)
        _mark_warmup(ax, results, configs)
        ax.grid(alpha=0.3)
        percent_axis(ax, "hit ratio per interval (%)")
    legend(axes[-1])
    fig.suptitle(f"{results.name}: hit ratio over time ({ci_label(results)} over replications; "
                 f"dotted: end of warm-up)", fontsize="medium")
    return save(fig, out_dir, "hit_ratio_over_time")


def _mark_warmup(ax, results: ExperimentResults, configs) -> None:
    """A dotted vertical line where the configurations' steady state starts (the latest of them)."""
    from evictsim.report.steady import run_figures
    ends = [run_figures(results, r).get("warmup_s") for c in configs for r in c.run_ids]
    ends = [e for e in ends if e is not None]
    if ends:
        ax.axvline(max(ends), color="#444444", linestyle=":", linewidth=0.9)


@PLOTS.register("memory_over_time")
def memory_over_time(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """Per maxmemory, used_memory against maxmemory and, below it when any key expired, the part of it
    held by stale keys (expired, not yet deleted): at the limit every policy's line sits on
    maxmemory, and the stale band is where they differ. At most three sizes a row."""
    import matplotlib.pyplot as plt
    groups = panels(results)
    sized = len(groups) == 1 and len(results.sizes) > 1      # all sizes in one panel: say which line is which
    drawn = [(title, configs, _memory_lines(results, configs, merge=len(groups) == 1, with_size=sized))
             for title, configs in groups]
    any_stale = any(np.nanmax(stale, initial=0) > 0 for _, _, lines in drawn for *_, stale, _ in lines)
    per_size = 2 if any_stale else 1
    cols = min(3, len(groups))
    size_rows = -(-len(groups) // cols)
    fig, grid = plt.subplots(per_size * size_rows, cols, figsize=(max(6.4, 5.0 * cols), 3.0 * per_size * size_rows),
                             squeeze=False)
    for ax in grid.flat:
        ax.set_visible(False)
    for i, (title, configs, lines) in enumerate(drawn):
        row, col = per_size * (i // cols), i % cols
        top = grid[row][col]
        top.set_visible(True)
        for style, t, used, stale, label in lines:
            top.plot(t, used / MIB, color=style.colour, linestyle=style.linestyle, linewidth=1.3, label=label)
            top.fill_between(t, (used - stale) / MIB, used / MIB, color=style.colour, alpha=0.25, linewidth=0)
        for size in sorted({c.maxmemory for c in configs if c.maxmemory}):
            top.axhline(size / MIB, color="black", linestyle="--", linewidth=0.9)
        _time_panel(top, title, "used_memory (MiB)")
        top.tick_params(labelbottom=True, labelleft=True)
        if any_stale:
            _stale_row(grid[row + 1][col], lines, title)
    legend(grid[0][cols - 1])
    below = "; stale memory below" if any_stale else "; no key expired, so no stale memory"
    fig.suptitle(f"{results.name}: used_memory (line, band = stale part), maxmemory (dashed){below}",
                 fontsize="medium")
    return save(fig, out_dir, "memory_over_time")


def _memory_lines(results: ExperimentResults, configs, merge: bool, with_size: bool = False) -> list[tuple]:
    """(style, t, used, stale, label) per configuration, identical ones merged when ``merge``."""
    lines = []
    for config in configs:
        t, used, _ = mean_band(_series(results, config.run_ids, "used_memory"))
        _, stale, _ = mean_band(_series(results, config.run_ids, "stale_bytes"))
        lines.append((line_style(results, config, with_size=with_size), t, (used, stale), None))
    return [(style, t, both[0], both[1], label)
            for style, t, both, _, label in identical_groups(lines, merge)]


def _stale_row(ax, lines, title: str) -> None:
    ax.set_visible(True)
    peak = max((float(np.nanmax(stale)) for *_, stale, _ in lines if np.isfinite(stale).any()), default=0.0)
    unit, scale = ("MiB", MIB) if peak >= MIB else ("KiB", 1024)     # 8 KiB, not 0.008 MiB
    for style, t, _, stale, _ in lines:
        ax.fill_between(t, 0, stale / scale, color=style.colour, alpha=0.15, linewidth=0)
        ax.plot(t, stale / scale, color=style.colour, linestyle=style.linestyle, linewidth=1.2)
    _time_panel(ax, "stale part of it" + (f", {title}" if title else ""), f"stale memory ({unit})")
    ax.tick_params(labelbottom=True, labelleft=True)


@PLOTS.register("evictions_over_time")
def evictions_over_time(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """One row per maxmemory: evictions per second (left), expirations per second (right)."""
    groups = panels(results)
    fig, axes = new_figure(2, rows=len(groups), width=5.0, height=2.8, sharey=False)
    for row, (title, configs) in enumerate(groups):
        for col, (column, what) in enumerate((("evicted_keys", "evictions"), ("expired_keys", "expirations"))):
            ax = axes[row][col]
            _, highest = _draw_lines(ax, results, configs, column, rate=True, merge=len(groups) == 1)
            if not highest > 0:
                ax.text(0.5, 0.5, f"no {what}", transform=ax.transAxes, ha="center", va="center", color="#666666")
            ax.set_ylabel(f"{what} (keys/s)")
            ax.set_title(f"{what}, {title}" if title else what, fontsize="medium")
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        for ax in axes[row]:
            ax.tick_params(labelbottom=True)      # every panel readable on its own
            ax.set_xlabel("simulated time (s)")
    legend(axes[0][-1])
    fig.suptitle(f"{results.name}: evictions and expirations per second ({ci_label(results)})",
                 fontsize="medium")
    return save(fig, out_dir, "evictions_over_time")


def _time_panel(ax, title: str, ylabel: str) -> None:
    """The frame every per-size panel of a quantity over time shares: title, axes from zero, grid."""
    ax.set_title(title, fontsize="medium")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.set_ylabel(ylabel)


@PLOTS.register("stale_memory_over_time", default=False)
def stale_memory_over_time(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """Memory held by keys whose TTL has passed but that Redis has not deleted yet."""
    groups = panels(results)
    fig, axes = panel_grid(len(groups))
    for ax, (title, configs) in zip(axes, groups):
        _draw_lines(ax, results, configs, "stale_bytes", scale=MIB, merge=len(groups) == 1)
        _time_panel(ax, title, "stale memory (MiB)")
    legend(axes[-1])
    fig.suptitle(f"{results.name}: memory held by expired, not yet deleted keys ({ci_label(results)})",
                 fontsize="medium")
    return save(fig, out_dir, "stale_memory_over_time")
