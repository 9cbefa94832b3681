"""Acceptance (issue 10, MRC accuracy): miniature-simulation curves against full simulations at
10 sizes, on Zipf, shifting-hot-set and scan traces, with and without TTLs, for allkeys-lru,
allkeys-lfu and volatile-ttl: mean absolute error <= 0.3 pp and worst <= 1 pp of hit ratio.

The curves are sampled at rate 0.5 (about 20k of 40k keys), so the miniature instances really are
half-size servers with scaled fixed memory; ``method="full"`` runs ``evictsim.simulate`` on the whole
trace at each size: the reference is the simulator itself, independent of the sampling and scaling.
"""
from __future__ import annotations

import numpy as np
import pytest

import evictsim
from evictsim.traces.base import ArrayTrace, RequestChunk
from evictsim.workloads import build_workload

SHAPES = {"zipf": ("zipf", {}), "shifting": ("shifting", {"period": 5}),
          "scan": ("scan", {"scan-every": 4, "scan-length": 4000, "scan-share": 0.3, "cold-keys": 20000})}
TTL = {"ttl": {"dist": "uniform", "min": 5, "max": 30}}
CASES = [(shape, policy, False) for shape in SHAPES for policy in ("allkeys-lru", "allkeys-lfu")]
CASES += [(shape, "volatile-ttl", True) for shape in SHAPES] + [("zipf", "allkeys-lru", True)]


def workload_trace(shape: str, ttl: bool) -> ArrayTrace:
    name, extra = SHAPES[shape]
    params = {"keys": 40000, "requests": 200000, "rate": 5000, "alpha": 0.9, **extra, **(TTL if ttl else {})}
    return ArrayTrace(RequestChunk.concat(list(build_workload(name, params, seed=11).chunks())))


@pytest.mark.parametrize("shape,policy,ttl", CASES, ids=[f"{s}-{p}-{'ttl' if t else 'nottl'}" for s, p, t in CASES])
def test_minisim_curve_matches_full_simulations(shape, policy, ttl):
    trace = workload_trace(shape, ttl)
    full = evictsim.mrc(trace, policy, points=10, method="full")
    mini = evictsim.mrc(trace, policy, sizes=list(full.maxmemory), method="minisim", sample_rate=0.5)
    assert mini.summary["sampled_keys"] < 0.55 * full.summary["trace_keys"]
    assert all(row["method"] == "minisim" and row["scaled_maxmemory"] < row["maxmemory"] for row in mini.rows)
    assert full.hit_ratio[0] < full.hit_ratio[-1] - 0.2        # the sizes span a real curve
    error_pp = 100 * np.abs(mini.hit_ratio - full.hit_ratio)
    assert error_pp.mean() <= 0.3, error_pp
    assert error_pp.max() <= 1.0, error_pp
