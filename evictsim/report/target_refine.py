"""The experiment's capacity answer sharpened by bisection: between the two swept sizes that bracket
the target on each curve, full simulations of the curve's first replication halve the bracket until
it is within a tolerance (``evictsim capacity --experiment DIR``).

The search runs simulations, so it is never part of drawing a report: it writes
``target_search.json`` into the experiment folder, and the report (:mod:`evictsim.report.capacity`)
reads that file, when its target matches, instead of interpolating.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evictsim import atomic
from evictsim.report.data import ExperimentResults, load_experiment_results

SEARCH_FILE = "target_search.json"


def stored_search(results: ExperimentResults, target: float) -> dict[str, Any] | None:
    """``target_search.json`` when it answers this target (else None)."""
    path = results.out_dir / SEARCH_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if abs(float(data.get("target", -1)) - target) < 1e-12 else None


def refine_experiment(out_dir: str | Path, *, target: float | None = None, tolerance: float = 0.01,
                      on_point: Callable[[str, int, dict], None] | None = None) -> dict[str, Any]:
    """Bisect every curve's bracket; write and return ``target_search.json``'s content."""
    from evictsim.report.capacity import capacity_answers
    from evictsim.report.size_plots import curves
    from evictsim.report.steady import figure
    from evictsim.target_search import bisect_between

    results = load_experiment_results(out_dir)
    target = float(results.meta.get("report", {}).get("target-hit-ratio", 0.95) if target is None else target)
    found: dict[str, Any] = {}
    answers = {a.label: a for a in capacity_answers(results, target)}
    for label, configs in curves(results).items():
        points = [(c, figure(results, c, "steady_hit_ratio")[0]) for c in configs if c.maxmemory > 0]
        above = [(c, r) for c, r in points if r >= target]
        if label not in answers or not above:
            found[label] = {"maxmemory": None, "hit_ratio": None, "points": []}
            continue
        hi_config, hi_ratio = above[0]
        below = [c for c, r in points if r < target and c.maxmemory < hi_config.maxmemory]
        lo = below[-1].maxmemory if below else int(results.meta.get("redis", {}).get("baseline-memory", 977_024))
        evaluate = _evaluator(results, hi_config.run_ids[0], label, on_point)
        tried: list = []
        size, ratio = bisect_between(evaluate, target, lo, hi_config.maxmemory, hi_ratio, tolerance, tried)
        found[label] = {"maxmemory": size, "hit_ratio": ratio, "points": tried}
    content = {"target": target, "tolerance": tolerance, "answers": found}
    atomic.write_json(Path(out_dir) / SEARCH_FILE, content)
    return content


def _evaluator(results: ExperimentResults, run_id: str, label: str, on_point):
    """Simulate the run ``run_id`` again (its workload, seed and Redis settings) at other sizes."""
    import evictsim
    from evictsim.experiments.workload import WorkloadSpec
    spec = json.loads((results.out_dir / "runs" / run_id / "run.json").read_text())
    mapping = dict(spec["workload"])
    if "trace" in mapping:
        workload = WorkloadSpec(trace=mapping["trace"], format=mapping.get("format"))
    else:
        workload = WorkloadSpec(generator=mapping.pop("generator"), params=mapping)
    trace = workload.build(spec["seed"])

    from evictsim.report.steady import warmup_of
    warmup = warmup_of(results)

    def evaluate(size: int) -> dict:
        summary = evictsim.simulate(trace, config={**spec["redis"], "maxmemory": size}, seed=spec["seed"],
                                    warmup=warmup).summary
        if on_point:
            on_point(label, size, summary)
        return summary
    return evaluate
