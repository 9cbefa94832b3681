"""Plots across configurations: hit ratio against maxmemory per policy (a miss-ratio curve, with the
target, each policy's answer and the no-limit ceiling marked) and a policy comparison at each size.

Both plot the figure the report answers with: the steady-state hit ratio (after the warm-up), or the
whole-run one for runs written before evictsim measured a steady state.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evictsim.report.data import Configuration, ExperimentResults
from evictsim.report.layout import line_style
from evictsim.report.registry import PLOTS
from evictsim.report.steady import STEADY, answer_metric, ceiling, figure
from evictsim.report.style import MIB, ci_label, legend, new_figure, percent_axis, ratio_limits, save


def _value(config: Configuration, metric: str) -> tuple[float, float]:
    """Mean and CI half-width of an ``aggregate.csv`` metric (NaN, 0 where missing)."""
    mean = config.aggregate.get(f"{metric}_mean", "")
    half = config.aggregate.get(f"{metric}_ci95", "")
    return (float(mean) if mean else np.nan), (float(half) if half else 0.0)


def curves(results: ExperimentResults) -> dict[str, list[Configuration]]:
    """Configurations that differ only in maxmemory, keyed by their legend label, sorted by size."""
    out: dict[str, list[Configuration]] = {}
    for config in results.configurations:
        out.setdefault(line_style(results, config).label or config.policy, []).append(config)
    return {label: sorted(cs, key=lambda c: c.maxmemory) for label, cs in out.items()}


def _metric_name(results: ExperimentResults) -> tuple[str, str]:
    metric = answer_metric(results)
    return metric, ("steady-state hit ratio (%)" if metric == STEADY else "hit ratio, whole run (%)")


@PLOTS.register("hit_ratio_vs_maxmemory")
def hit_ratio_vs_maxmemory(results: ExperimentResults, out_dir: Path) -> list[Path]:
    from evictsim.report.capacity import capacity_answers
    metric, ylabel = _metric_name(results)
    fig, axes = new_figure(1, width=6.4, height=4.2)
    ax = axes[0][0]
    values: list[float] = []
    for label, configs in curves(results).items():
        style = line_style(results, configs[0])
        sized = [c for c in configs if c.maxmemory > 0]
        x = [c.maxmemory / MIB for c in sized]
        y, err = zip(*(figure(results, c, metric) for c in sized)) if sized else ((), ())
        values += [v for v in y if np.isfinite(v)]
        ax.errorbar(x, y, yerr=err, color=style.colour, linestyle=style.linestyle, marker="o",
                    markersize=4, capsize=3, linewidth=1.3, label=label)
    steady_ceiling, _ = ceiling(results)
    if steady_ceiling is not None:
        ax.axhline(steady_ceiling, color="#555555", linestyle="-.", linewidth=0.9,
                   label=f"no-limit ceiling {steady_ceiling:.1%}")
        values.append(steady_ceiling)
    target = results.meta.get("report", {}).get("target-hit-ratio")
    if target:
        ax.axhline(target, color="black", linestyle=":", linewidth=0.9, label=f"target {target:.0%}")
        values.append(target)
        from evictsim.report.capacity import _bisected
        _mark_answers(ax, results, target, _bisected(results, target, capacity_answers(results, target))[0])
    ax.set_xlabel("maxmemory (MiB)")
    ax.set_xlim(left=0)
    ratio_limits(ax, min(values, default=np.nan), max(values, default=np.nan))
    ax.grid(alpha=0.3)
    percent_axis(ax, ylabel)
    legend(ax)
    ax.set_title(f"{results.name}: hit ratio against maxmemory ({ci_label(results)})", fontsize="medium")
    return save(fig, out_dir, "hit_ratio_vs_maxmemory")


def _mark_answers(ax, results: ExperimentResults, target: float, answers) -> None:
    """A dotted drop line and the size in MiB where each policy's curve crosses the target."""
    from evictsim.report.capacity import mib_text
    labels = {label: configs for label, configs in curves(results).items()}
    for i, answer in enumerate(answers):
        if answer.needed is None or answer.label not in labels:
            continue
        style = line_style(results, labels[answer.label][0])
        x = answer.needed / MIB
        ax.plot([x], [target], marker="D", color=style.colour, markersize=6, zorder=5)
        ax.axvline(x, color=style.colour, linestyle=":", linewidth=0.9)
        # along the drop line, at the foot of the axes: neighbouring answers never overprint each other
        ax.annotate(f"{mib_text(answer.needed)} MiB", xy=(x, 0.03), xycoords=("data", "axes fraction"),
                    rotation=90, ha="right" if i % 2 == 0 else "left", va="bottom", fontsize="small",
                    color=style.colour)     # alternate sides: close answers stay apart


@PLOTS.register("policy_comparison")
def policy_comparison(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """Grouped bars: one group per maxmemory, one bar per policy (and variant) in its colour, each
    labelled with its value."""
    metric, ylabel = _metric_name(results)
    lines = curves(results)
    sizes = results.sizes
    fig, axes = new_figure(1, width=min(12.0, max(6.4, 1.5 * len(sizes) * max(1, len(lines)) ** 0.5)), height=4.4)
    ax = axes[0][0]
    width = 0.8 / max(1, len(lines))
    values: list[float] = []
    bars = []
    for i, (label, configs) in enumerate(lines.items()):
        style = line_style(results, configs[0])
        by_size = {c.maxmemory: figure(results, c, metric) for c in configs}
        xs = [j + (i - (len(lines) - 1) / 2) * width for j, s in enumerate(sizes) if s in by_size]
        ys = [by_size[s][0] for s in sizes if s in by_size]
        errs = [by_size[s][1] for s in sizes if s in by_size]
        values += [v for v in ys if np.isfinite(v)]
        bars.append(ax.bar(xs, ys, width=width * 0.95, yerr=errs, capsize=2, color=style.colour,
                           hatch=None if style.linestyle == "-" else "//", edgecolor="white", label=label))
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([("no limit" if s == 0 else f"{s / MIB:g} MiB") for s in sizes])
    ax.set_xlabel("maxmemory")
    low = min(values, default=np.nan)
    ratio_limits(ax, low, max(values, default=np.nan))
    ax.set_ylim(top=min(1.0, ax.get_ylim()[1] + 0.04 * (ax.get_ylim()[1] - ax.get_ylim()[0])))
    for group in bars:
        ax.bar_label(group, labels=[f"{100 * b.get_height():.1f}" for b in group], fontsize=7, padding=2,
                     rotation=90 if len(lines) * len(sizes) > 16 else 0)
    ax.grid(alpha=0.3, axis="y")
    percent_axis(ax, ylabel)
    legend(ax)
    ax.set_title(f"{results.name}: policies compared at each size ({ci_label(results)})", fontsize="medium")
    return save(fig, out_dir, "policy_comparison")
