"""How an experiment's configurations map onto figures: one panel per maxmemory, one colour per
policy (or per variant when a single policy is swept), one line style per other swept value."""
from __future__ import annotations

from dataclasses import dataclass

from evictsim.report.data import Configuration, ExperimentResults
from evictsim.report.style import LINESTYLES, VARIANT_COLOURS, MIB, policy_colour
from evictsim.units import format_bytes

MAX_PANELS = 6


@dataclass(frozen=True)
class LineStyle:
    colour: str
    linestyle: str
    label: str


def size_label(maxmemory: int) -> str:
    return "no limit" if maxmemory == 0 else f"maxmemory {format_bytes(maxmemory)}"


def panels(results: ExperimentResults) -> list[tuple[str, list[Configuration]]]:
    """(title, configurations) per panel: by maxmemory when it varies (up to MAX_PANELS sizes)."""
    sizes = results.sizes
    if len(sizes) <= 1 or len(sizes) > MAX_PANELS:
        title = size_label(sizes[0]) if len(sizes) == 1 else ""
        return [(title, results.configurations)]
    return [(size_label(s), [c for c in results.configurations if c.maxmemory == s]) for s in sizes]


def line_style(results: ExperimentResults, config: Configuration, *, with_size: bool = False) -> LineStyle:
    variants = results.variant_axes
    variant_labels = list(dict.fromkeys(c.variant(variants) for c in results.configurations))
    variant = config.variant(variants)
    v_index = variant_labels.index(variant) if variant in variant_labels else 0
    several_policies = len(results.policies) > 1
    if several_policies or not variants:
        colour = policy_colour(config.policy)
        linestyle = LINESTYLES[v_index % len(LINESTYLES)]
    else:
        colour = VARIANT_COLOURS[v_index % len(VARIANT_COLOURS)]
        linestyle = "-"
    parts = [config.policy] if several_policies or not variants else []
    if variant:
        parts.append(variant)
    if with_size and len(results.sizes) > 1:
        parts.append(f"{config.maxmemory / MIB:g} MiB")
    return LineStyle(colour, linestyle, ", ".join(parts))
