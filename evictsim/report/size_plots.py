"""Plots across configurations, from ``aggregate.csv``: hit ratio against maxmemory per policy (a
miss-ratio curve with 95% CI bars) and a policy comparison at each size."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evictsim.report.data import Configuration, ExperimentResults
from evictsim.report.layout import line_style
from evictsim.report.registry import PLOTS
from evictsim.report.style import MIB, legend, new_figure, percent_axis, save


def _value(config: Configuration, metric: str) -> tuple[float, float]:
    mean = config.aggregate.get(f"{metric}_mean", "")
    half = config.aggregate.get(f"{metric}_ci95", "")
    return (float(mean) if mean else np.nan), (float(half) if half else 0.0)


def curves(results: ExperimentResults) -> dict[str, list[Configuration]]:
    """Configurations that differ only in maxmemory, keyed by their legend label, sorted by size."""
    out: dict[str, list[Configuration]] = {}
    for config in results.configurations:
        out.setdefault(line_style(results, config).label or config.policy, []).append(config)
    return {label: sorted(cs, key=lambda c: c.maxmemory) for label, cs in out.items()}


@PLOTS.register("hit_ratio_vs_maxmemory")
def hit_ratio_vs_maxmemory(results: ExperimentResults, out_dir: Path) -> list[Path]:
    fig, axes = new_figure(1, width=6.4, height=4.2)
    ax = axes[0][0]
    for label, configs in curves(results).items():
        style = line_style(results, configs[0])
        x = [c.maxmemory / MIB for c in configs]
        y, err = zip(*(_value(c, "hit_ratio") for c in configs))
        ax.errorbar(x, y, yerr=err, color=style.colour, linestyle=style.linestyle, marker="o",
                    markersize=4, capsize=3, linewidth=1.3, label=label)
    target = results.meta.get("report", {}).get("target-hit-ratio")
    if target:
        ax.axhline(target, color="black", linestyle=":", linewidth=0.9, label=f"target {target:.0%}")
    ax.set_xlabel("maxmemory (MiB)")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    percent_axis(ax, "hit ratio (%)")
    legend(ax, loc="lower right")
    ax.set_title(f"{results.name}: hit ratio against maxmemory (mean, 95% CI)", fontsize="medium")
    return save(fig, out_dir, "hit_ratio_vs_maxmemory")


@PLOTS.register("policy_comparison")
def policy_comparison(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """Grouped bars: one group per maxmemory, one bar per policy (and variant) in its colour."""
    lines = curves(results)
    sizes = results.sizes
    fig, axes = new_figure(1, width=max(6.4, 1.2 * len(sizes) * max(1, len(lines)) ** 0.5), height=4.2)
    ax = axes[0][0]
    width = 0.8 / max(1, len(lines))
    for i, (label, configs) in enumerate(lines.items()):
        style = line_style(results, configs[0])
        by_size = {c.maxmemory: _value(c, "hit_ratio") for c in configs}
        xs = [j + (i - (len(lines) - 1) / 2) * width for j, s in enumerate(sizes) if s in by_size]
        ys = [by_size[s][0] for s in sizes if s in by_size]
        errs = [by_size[s][1] for s in sizes if s in by_size]
        ax.bar(xs, ys, width=width * 0.95, yerr=errs, capsize=2, color=style.colour,
               hatch=None if style.linestyle == "-" else "//", edgecolor="white", label=label)
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([("no limit" if s == 0 else f"{s / MIB:g} MiB") for s in sizes])
    ax.set_xlabel("maxmemory")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3, axis="y")
    percent_axis(ax, "hit ratio (%)")
    legend(ax, loc="lower right")
    ax.set_title(f"{results.name}: policies compared at each size (mean, 95% CI)", fontsize="medium")
    return save(fig, out_dir, "policy_comparison")
