"""Plots over simulated time, one panel per maxmemory: hit ratio, memory, evictions/expirations and
stale memory. Each line is a configuration's mean over replications; the band is its 95% CI."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evictsim.report.data import ExperimentResults, mean_band
from evictsim.report.layout import line_style, panels
from evictsim.report.registry import PLOTS
from evictsim.report.style import MIB, legend, new_figure, panel_grid, percent_axis, ratio_limits, save


def _series(results: ExperimentResults, run_ids: list[str], column: str, *, rate: bool = False):
    """(time, value) per replication; ``rate`` turns a cumulative counter into events per second."""
    out = []
    for run_id in run_ids:
        ts = results.timeseries(run_id)
        t, v = ts["time"], ts[column].astype(float)
        if rate:
            dt = np.diff(t, prepend=0.0)
            dv = np.diff(v, prepend=0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(dt > 0, dv / dt, np.nan)
        out.append((t, v))
    return out


def _draw_lines(ax, results, configs, column, *, scale=1.0, rate=False, band=True) -> float:
    """One mean line (and CI band) per configuration; returns the lowest value drawn."""
    lowest = np.inf
    for config in configs:
        style = line_style(results, config)
        t, mean, half = mean_band(_series(results, config.run_ids, column, rate=rate))
        ax.plot(t, mean / scale, color=style.colour, linestyle=style.linestyle, linewidth=1.3,
                label=style.label)
        if band and half is not None:
            ax.fill_between(t, (mean - half) / scale, (mean + half) / scale, color=style.colour,
                            alpha=0.18, linewidth=0)
        if np.isfinite(mean).any():
            lowest = min(lowest, float(np.nanmin(mean)) / scale)
    return lowest


@PLOTS.register("hit_ratio_over_time")
def hit_ratio_over_time(results: ExperimentResults, out_dir: Path) -> list[Path]:
    groups = panels(results)
    fig, axes = panel_grid(len(groups))
    lowest = min(_draw_lines(ax, results, configs, "hit_ratio_interval") for ax, (_, configs) in zip(axes, groups))
    for ax, (title, _) in zip(axes, groups):
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("simulated time (s)")
        ratio_limits(ax, lowest)
        ax.grid(alpha=0.3)
        percent_axis(ax, "hit ratio per interval (%)")
    legend(axes[-1], loc="lower right")
    fig.suptitle(f"{results.name}: hit ratio over time (mean, 95% CI over replications)", fontsize="medium")
    return save(fig, out_dir, "hit_ratio_over_time")


@PLOTS.register("memory_over_time")
def memory_over_time(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """used_memory against maxmemory; the shaded band under each line is memory held by stale
    (expired but not yet deleted) keys."""
    groups = panels(results)
    fig, axes = panel_grid(len(groups), sharey=False)   # each panel scaled to its own maxmemory
    for ax, (title, configs) in zip(axes, groups):
        for config in configs:
            style = line_style(results, config)
            t, used, _ = mean_band(_series(results, config.run_ids, "used_memory"))
            _, stale, _ = mean_band(_series(results, config.run_ids, "stale_bytes"))
            ax.plot(t, used / MIB, color=style.colour, linestyle=style.linestyle, linewidth=1.3,
                    label=style.label)
            ax.fill_between(t, (used - stale) / MIB, used / MIB, color=style.colour, alpha=0.25,
                            linewidth=0)
        for size in sorted({c.maxmemory for c in configs if c.maxmemory}):
            ax.axhline(size / MIB, color="black", linestyle="--", linewidth=0.9)
        _time_panel(ax, title, "used_memory (MiB)")
    legend(axes[-1], loc="lower right")
    fig.suptitle(f"{results.name}: used_memory (line), stale bytes (band), maxmemory (dashed)",
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
            _draw_lines(ax, results, configs, column, rate=True)
            ax.set_ylabel(f"{what} (keys/s)")
            ax.set_title(f"{what}, {title}" if title else what, fontsize="medium")
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        axes[row][0].tick_params(labelbottom=True)
    for ax in axes[-1]:
        ax.set_xlabel("simulated time (s)")
    legend(axes[0][0], loc="upper right")
    fig.suptitle(f"{results.name}: evictions and expirations per second", fontsize="medium")
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
    legend(axes[-1], loc="upper left")
    fig.suptitle(f"{results.name}: memory held by expired, not yet deleted keys", fontsize="medium")
    return save(fig, out_dir, "stale_memory_over_time")
