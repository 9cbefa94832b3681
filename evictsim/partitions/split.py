"""The split optimizer: how to divide a total memory budget between partitions.

Each partition's hit curve (hits against maxmemory) is measured with a grid of full simulations of
its own sub-trace (a grid point is exactly what that instance would do), or estimated by
:func:`evictsim.mrc` (``curves="mrc"``: faster on big traces, predictions then approximate).
A dynamic programme over the grid then picks the
maxmemory per partition that maximises total hits, or hits weighted per partition, with the sizes
summing to at most the budget. The chosen split is verified by a full partitioned run and reported
beside an even split, random splits, and one shared instance holding the whole budget.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evictsim.partitions.routing import SubTrace, split_trace
from evictsim.partitions.rules import PartitionPlan
from evictsim.partitions.run import run_partitions


@dataclass
class HitCurve:
    """One partition's hits at each grid size (``sizes[i]`` bytes of maxmemory)."""

    name: str
    sizes: np.ndarray
    hits: np.ndarray
    gets: int


@dataclass
class SplitReport:
    total: int
    objective: str
    curves: list[HitCurve]
    chosen: dict[str, int]
    predicted_hits: float
    predicted_hit_ratio: float | None
    verified: dict[str, Any]
    compared: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "objective": self.objective, "chosen": self.chosen,
                "predicted_hits": self.predicted_hits, "predicted_hit_ratio": self.predicted_hit_ratio,
                "verified": self.verified, "compared": self.compared,
                "curves": {c.name: {"maxmemory": c.sizes.tolist(), "hits": c.hits.tolist(), "gets": c.gets}
                           for c in self.curves}}


def grid_sizes(total: int, partitions: int, points: int, floor: int) -> np.ndarray:
    """Sizes ``floor + k·δ`` for k = 0..steps, with ``steps`` = ``points`` rounded up to a multiple of
    the partition count (so the even split is on the grid) and δ = (total − partitions·floor)/steps.
    ``floor`` is an empty instance's baseline memory: below it an instance holds nothing, so the grid
    spends no points there, and any choice of k's summing to ``steps`` spends exactly the budget."""
    steps = partitions * math.ceil(points / partitions)
    usable = total - partitions * floor
    if usable <= 0:
        from evictsim.errors import UserInputError
        raise UserInputError(f"a budget of {total} B does not cover {partitions} empty instances of "
                             f"{floor} B (baseline-memory) each", source="--total")
    return np.array([floor + usable * k // steps for k in range(steps + 1)], np.int64)


def hit_curves(plan: PartitionPlan, subs: list[SubTrace], sizes: np.ndarray, *, seed: int,
               start_time: float | None, method: str = "grid") -> list[HitCurve]:
    """Each partition's hits at every grid size: ``grid`` simulates it alone at each size (exact);
    ``mrc`` asks :func:`evictsim.mrc` (SHARDS or miniature simulations: faster on big traces)."""
    if method == "mrc":
        return [_mrc_curve(part, sub, sizes, seed, start_time) for part, sub in zip(plan.partitions, subs)]
    from evictsim.api import DEFAULT_START_TIME
    from evictsim.engine.simulation import run_simulation
    start = DEFAULT_START_TIME if start_time is None else start_time
    curves = []
    for part, sub in zip(plan.partitions, subs):
        hits, gets = [], 0
        for size in sizes:
            res = run_simulation(sub, part.config.replace(maxmemory=int(size)), seed=seed, start_time=start)
            hits.append(res.summary["keyspace_hits"])
            gets = res.summary["gets"]
        curves.append(HitCurve(part.name, sizes.copy(), np.asarray(hits, np.int64), gets))
    return curves


def _mrc_curve(part, sub: SubTrace, sizes: np.ndarray, seed: int, start_time) -> HitCurve:
    import evictsim.mrc
    gets = sum(int((c.op == 0).sum()) for c in sub.chunks())
    curve = evictsim.mrc(sub, config=part.config, sizes=[int(s) for s in sizes], seed=seed,
                         start_time=start_time)
    ratio = np.interp(sizes, curve.maxmemory, curve.hit_ratio)
    return HitCurve(part.name, sizes.copy(), np.rint(ratio * gets).astype(np.int64), gets)


def allocate(curves: list[HitCurve], weights: list[float]) -> list[int]:
    """Grid index per partition maximising Σ weight·hits with Σ index ≤ the number of steps (index k
    is ``floor + k·δ`` bytes). Exact dynamic programme over the grid, O(P·G²)."""
    steps = len(curves[0].sizes) - 1
    best = np.full(steps + 1, -np.inf)          # best[u]: the best value with u steps handed out
    best[0] = 0.0
    picks = []
    for curve, weight in zip(curves, weights):
        value = weight * curve.hits.astype(np.float64)
        new = np.full(steps + 1, -np.inf)
        pick = np.full(steps + 1, -1)
        for used in np.flatnonzero(best > -np.inf):
            for k in range(steps - used + 1):
                if best[used] + value[k] > new[used + k]:
                    new[used + k], pick[used + k] = best[used] + value[k], k
        picks.append(pick)
        best = new
    used = int(np.argmax(best))
    ks = []
    for pick in reversed(picks):
        ks.append(int(pick[used]))
        used -= ks[-1]
    return ks[::-1]


def _score(summary: dict, plan: PartitionPlan, objective: str) -> float:
    if objective == "hits":
        return float(summary["keyspace_hits"])
    return float(sum(p.weight * summary["partitions"][p.name]["keyspace_hits"] for p in plan.partitions))


def _evaluate(trace, plan: PartitionPlan, subs, sizes: dict[str, int], objective: str, seed: int,
              start_time) -> dict[str, Any]:
    res = run_partitions(trace, plan.with_maxmemory(sizes), seed=seed, start_time=start_time, subtraces=subs)
    return {"maxmemory": sizes, "keyspace_hits": res.summary["keyspace_hits"], "gets": res.summary["gets"],
            "hit_ratio": res.summary["hit_ratio"], "score": _score(res.summary, plan, objective),
            "result": res}


def optimize_split(trace, plan: PartitionPlan, total: int, *, objective: str = "hits", seed: int = 0,
                   start_time: float | None = None, points: int = 32, random_splits: int = 20,
                   shared: bool = True, curves: str = "grid") -> SplitReport:
    """Curves, allocation, verification, and the comparisons (see the module docstring)."""
    subs = split_trace(trace, plan)
    floor = max(p.config.baseline_memory for p in plan.partitions)
    sizes = grid_sizes(total, len(plan.partitions), points, floor)
    measured = hit_curves(plan, subs, sizes, seed=seed, start_time=start_time, method=curves)
    weights = [1.0 if objective == "hits" else p.weight for p in plan.partitions]
    picks = allocate(measured, weights)
    chosen = {c.name: int(c.sizes[k]) for c, k in zip(measured, picks)}
    predicted = float(sum(c.hits[k] for c, k in zip(measured, picks)))
    gets = sum(c.gets for c in measured)
    verified = _evaluate(trace, plan, subs, chosen, objective, seed, start_time)
    even = {p.name: total // len(plan.partitions) for p in plan.partitions}
    compared = {"even": _evaluate(trace, plan, subs, even, objective, seed, start_time)}
    rng = np.random.default_rng(seed)
    for i in range(random_splits):
        shares = rng.dirichlet(np.ones(len(plan.partitions)))
        split = {p.name: int(total * s) for p, s in zip(plan.partitions, shares)}
        compared[f"random{i}"] = _evaluate(trace, plan, subs, split, objective, seed, start_time)
    if shared:
        compared["shared"] = _shared(trace, plan, total, seed, start_time)
    report = SplitReport(total, objective, measured, chosen, predicted,
                         predicted / gets if gets else None, verified, compared)
    return report


def _shared(trace, plan: PartitionPlan, total: int, seed: int, start_time) -> dict[str, Any]:
    """One instance with the whole budget and the first partition's settings."""
    import evictsim
    res = evictsim.simulate(trace, config=plan.partitions[0].config.replace(maxmemory=total), seed=seed,
                            start_time=start_time)
    s = res.summary
    return {"maxmemory": {"shared": total}, "keyspace_hits": s["keyspace_hits"], "gets": s["gets"],
            "hit_ratio": s["hit_ratio"], "score": float(s["keyspace_hits"]),
            "policy": s["maxmemory_policy"]}
