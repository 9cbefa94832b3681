"""Plots over simulated time, one panel per maxmemory: hit ratio, memory, evictions/expirations and
stale memory. Each line is a configuration's mean over replications; the band is its 95% CI."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evictsim.report.data import ExperimentResults, mean_band
from evictsim.report.layout import line_style, panels
from evictsim.report.registry import PLOTS
from evictsim.report.style import (MIB, ci_label, legend, new_figure, panel_grid, percent_axis,
                                   ratio_limits, save)

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


def identical_groups(lines: list[tuple]) -> list[tuple]:
    """Lines whose series coincide drawn once: ``(style, t, mean, half, label)`` with the label saying
    how many configurations it stands for (else six lines in the legend, one visible on the plot)."""
    groups: list[list[tuple]] = []
    for line in lines:
        style, t, mean = line[0], line[1], line[2]
        for group in groups:
            t0, m0 = group[0][1], group[0][2]
            # "identical" = indistinguishable on the plot: within 0.1% of the line's scale
            scale = float(np.nanmax(np.abs(m0))) if np.isfinite(m0).any() else 0.0
            if len(t0) == len(t) and np.allclose(m0, mean, rtol=0, atol=1e-3 * scale, equal_nan=True):
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


def _draw_lines(ax, results, configs, column, *, scale=1.0, rate=False, band=True) -> tuple[float, float]:
    """One mean line (and CI band) per configuration, identical ones once; returns the lowest and
    highest values drawn."""
    lowest, highest = np.inf, -np.inf
    lines = []
    for config in configs:
        t, mean, half = mean_band(_series(results, config.run_ids, column, rate=rate))
        lines.append((line_style(results, config), t, mean, half))
    for style, t, mean, half, label in identical_groups(lines):
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
    drawn = [_draw_lines(ax, results, configs, "hit_ratio_interval") for ax, (_, configs) in zip(axes, groups)]
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
    """Two rows per maxmemory: used_memory against maxmemory (top), and below it the part of it held
    by stale keys (expired, not yet deleted): at the limit every policy's line sits on maxmemory, and
    the stale band is where they differ."""
    groups = panels(results)
    fig, grid = new_figure(len(groups), rows=2, width=5.0, height=3.0, sharey=False)
    for col, (title, configs) in enumerate(groups):
        top, bottom = grid[0][col], grid[1][col]
        stales = []
        lines = []
        for config in configs:
            t, used, _ = mean_band(_series(results, config.run_ids, "used_memory"))
            _, stale, _ = mean_band(_series(results, config.run_ids, "stale_bytes"))
            lines.append((line_style(results, config), t, np.concatenate([used, stale]), None))
        for style, t, both, _, label in identical_groups(lines):
            used, stale = both[:len(t)], both[len(t):]
            top.plot(t, used / MIB, color=style.colour, linestyle=style.linestyle, linewidth=1.3, label=label)
            top.fill_between(t, (used - stale) / MIB, used / MIB, color=style.colour, alpha=0.25, linewidth=0)
            stales.append((style, t, stale))
        for size in sorted({c.maxmemory for c in configs if c.maxmemory}):
            top.axhline(size / MIB, color="black", linestyle="--", linewidth=0.9)
        _time_panel(top, title, "used_memory (MiB)")
        peak = max((float(np.nanmax(v)) for _, _, v in stales if np.isfinite(v).any()), default=0.0)
        unit, scale = ("MiB", MIB) if peak >= MIB else ("KiB", 1024)     # 8 KiB, not 0.008 MiB
        for style, t, stale in stales:
            bottom.fill_between(t, 0, stale / scale, color=style.colour, alpha=0.15, linewidth=0)
            bottom.plot(t, stale / scale, color=style.colour, linestyle=style.linestyle, linewidth=1.2)
        _time_panel(bottom, "stale part of it" + (f", {title}" if title else ""), f"stale memory ({unit})")
        for ax in (top, bottom):
            ax.tick_params(labelbottom=True, labelleft=True)
    legend(grid[0][-1])
    fig.suptitle(f"{results.name}: used_memory (line, band = stale part), maxmemory (dashed); stale memory below",
                 fontsize="medium")
    return save(fig, out_dir, "memory_over_time")


@PLOTS.register("evictions_over_time")
def evictions_over_time(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """One row per maxmemory: evictions per second (left), expirations per second (right)."""
    groups = panels(results)
    fig, axes = new_figure(2, rows=len(groups), width=5.0, height=2.8, sharey=False)
    for row, (title, configs) in enumerate(groups):
        for col, (column, what) in enumerate((("evicted_keys", "evictions"), ("expired_keys", "expirations"))):
            ax = axes[row][col]
            _, highest = _draw_lines(ax, results, configs, column, rate=True)
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
        _draw_lines(ax, results, configs, "stale_bytes", scale=MIB)
        _time_panel(ax, title, "stale memory (MiB)")
    legend(axes[-1])
    fig.suptitle(f"{results.name}: memory held by expired, not yet deleted keys ({ci_label(results)})",
                 fontsize="medium")
    return save(fig, out_dir, "stale_memory_over_time")
