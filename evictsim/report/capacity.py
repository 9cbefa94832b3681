"""The answer to a capacity question: how much maxmemory does each policy need for a target hit ratio?

Along each policy's curve of mean **steady-state** hit ratio (after the warm-up, see
:mod:`evictsim.steady_state`) against maxmemory, the first size whose mean reaches the target, linearly
interpolated from the size below it (hit ratio rises with memory between two measured sizes; the
interpolation is an estimate, and the line says which sizes bracket it, and how to bisect for it with
``evictsim capacity``). The line states the no-limit ceiling, and says plainly when the target is above
it: then no maxmemory reaches it on this trace.
"""
from __future__ import annotations

from dataclasses import dataclass

from evictsim.preflight import short_pct, target_warning
from evictsim.report.data import ExperimentResults
from evictsim.report.size_plots import curves
from evictsim.report.steady import STEADY, answer_metric, ceiling, figure
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
    metric = answer_metric(results)
    out = []
    for label, configs in curves(results).items():
        points = [(c.maxmemory, figure(results, c, metric)[0]) for c in configs if c.maxmemory > 0]
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
    """``allkeys-lfu reaches 95% steady-state hit ratio at 22 MiB; allkeys-lru needs 26 MiB (...). The
    no-limit ceiling is 98.7% ...`` (None when the experiment does not sweep maxmemory)."""
    answers = capacity_answers(results, target)
    if not answers:
        return None
    steady_ceiling, whole_ceiling = ceiling(results)
    out_of_reach = target_warning(target, steady_ceiling, whole_ceiling)
    if out_of_reach:
        return out_of_reach + "."
    what = "steady-state hit ratio" if answer_metric(results) == STEADY else "hit ratio (whole run)"
    answers, how = _bisected(results, target, answers)
    parts = [a.text(target, first=(i == 0)).replace("hit ratio", what, 1) for i, a in enumerate(answers)]
    sizes = ", ".join(mib_text(s) for s in results.sizes if s)
    if how is None:
        how = ("sizes run" if all(a.needed is None for a in answers)
               else "linear interpolation between the sizes run")
    where = f"{how}: {sizes} MiB" if "{sizes}" not in how else how.format(sizes=f"{sizes} MiB")
    return "; ".join(parts) + f" ({where}). " + ceiling_sentence(steady_ceiling, whole_ceiling)


def _bisected(results: ExperimentResults, target: float, answers: list[CapacityAnswer]):
    """The answers with bisection's sizes where ``evictsim capacity --experiment`` stored them."""
    from dataclasses import replace

    from evictsim.report.target_refine import stored_search
    stored = stored_search(results, target)
    if not stored:
        return answers, None
    found = stored.get("answers", {})
    out = [replace(a, needed=float(found[a.label]["maxmemory"]))
           if found.get(a.label, {}).get("maxmemory") else a for a in answers]
    out.sort(key=lambda a: (a.needed is None, a.needed or 0, -a.best_ratio))
    runs = sum(len(v.get("points", [])) for v in found.values())
    return out, (f"bisection between the sizes run ({{sizes}}) with {runs} more full simulations, to within "
                 f"{100 * float(stored.get('tolerance', 0.01)):g}%")


def ceiling_sentence(steady: float | None, whole: float | None) -> str:
    """What unlimited memory gives on this trace: the bound every answer is read against."""
    if steady is None:
        return ""
    whole_text = "" if whole is None else f" ({short_pct(whole)} over the whole run, first references included)"
    return f"The no-limit ceiling is {short_pct(steady)} after the warm-up{whole_text}."
