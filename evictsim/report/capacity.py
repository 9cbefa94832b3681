"""The answer to a capacity question: how much maxmemory does each policy need for a target hit ratio?

From ``aggregate.csv``: along each policy's curve of mean hit ratio against maxmemory, the first size
whose mean reaches the target, linearly interpolated from the size below it (hit ratio rises with
memory between two measured sizes; the interpolation is an estimate, and the line says which sizes
bracket it).
"""
from __future__ import annotations

from dataclasses import dataclass

from evictsim.report.data import ExperimentResults
from evictsim.report.size_plots import _value, curves
from evictsim.report.style import MIB


@dataclass(frozen=True)
class CapacityAnswer:
    label: str
    needed: float | None        # bytes; None when the target is not reached at any measured size
    best_ratio: float
    largest: int

    def text(self, target: float, first: bool) -> str:
        if self.needed is None:
            return (f"{self.label} does not reach {target:.0%} within {mib_text(self.largest)} MiB "
                    f"(best {self.best_ratio:.1%})")
        verb = "reaches {t} hit ratio at" if first else "needs"
        return f"{self.label} {verb.format(t=f'{target:.0%}')} {mib_text(self.needed)} MiB"


def mib_text(size: float) -> str:
    """``22`` for 22.4 MiB, ``1.4`` for small sizes: as many digits as a capacity answer needs."""
    mib = size / MIB
    return f"{mib:.0f}" if mib >= 10 else f"{mib:.1f}" if mib >= 1 else f"{mib:.2f}"


def capacity_answers(results: ExperimentResults, target: float) -> list[CapacityAnswer]:
    out = []
    for label, configs in curves(results).items():
        points = [(c.maxmemory, _value(c, "hit_ratio")[0]) for c in configs if c.maxmemory > 0]
        if len(points) < 2:
            continue
        out.append(_crossing(label, points, target))
    return sorted(out, key=lambda a: (a.needed is None, a.needed or 0, -a.best_ratio))


def _crossing(label: str, points: list[tuple[int, float]], target: float) -> CapacityAnswer:
    best = max(r for _, r in points)
    for i, (size, ratio) in enumerate(points):
        if ratio >= target:
            if i == 0:
                return CapacityAnswer(label, float(size), best, points[-1][0])
            lo_size, lo_ratio = points[i - 1]
            frac = (target - lo_ratio) / (ratio - lo_ratio) if ratio > lo_ratio else 1.0
            return CapacityAnswer(label, lo_size + frac * (size - lo_size), best, points[-1][0])
    return CapacityAnswer(label, None, best, points[-1][0])


def answer_line(results: ExperimentResults, target: float) -> str | None:
    """``allkeys-lfu reaches 95% hit ratio at 22 MiB; allkeys-lru needs 26 MiB`` (None when the
    experiment does not sweep maxmemory)."""
    answers = capacity_answers(results, target)
    if not answers:
        return None
    parts = [a.text(target, first=(i == 0)) for i, a in enumerate(answers)]
    sizes = ", ".join(mib_text(s) for s in results.sizes if s)
    if all(a.needed is None for a in answers):
        return "; ".join(parts) + f" (sizes run: {sizes} MiB)."
    return "; ".join(parts) + f" (linear interpolation between the sizes run: {sizes} MiB)."
