"""Miniature simulation (Waldspurger et al., ATC'17): the real simulator on the SHARDS sample.

Every policy the simulator runs (Redis's sampled pool, random, volatile scopes, and any exact policy
registered in :data:`evictsim.policies.POLICIES`) gets its curve this way: one small
:func:`evictsim.simulate` per size on the same sampled sub-trace, with maxmemory and the fixed parts
of ``used_memory`` scaled by the rate (:func:`evictsim.mrc.overhead.scaled_config`). The instances
are small (``rate ×`` the keys and requests), so a loop over sizes costs about ``points × rate``
full simulations plus a fixed cost per instance (its SimPy cron ticks over the trace's duration).

Ratios follow SHARDS's adjustment: the sample's misses (and missed bytes) are divided by ``rate ×``
the full trace's GETs (GET bytes), not by the sample's own GETs, whose count swings with whichever
hot keys hashed into the sample while their misses (one cold miss each) hardly move.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from evictsim.config import RedisConfig
from evictsim.mrc.overhead import key_footprint, scaled_config
from evictsim.mrc.sampling import TraceSample
from evictsim.traces.base import OP_GET

HIT = 1     # outcome code of a GET hit (evictsim.results.Result)


@dataclass
class PointCounts:
    """What one miniature instance counted, before scaling to the full trace."""

    maxmemory: int
    scaled_maxmemory: int
    gets: int
    misses: int
    missed_bytes: int
    evicted_keys: int
    seconds: float


def run_minisim(sample: TraceSample, cfg: RedisConfig, sizes: list[int], *, seed: int,
                start_time: float | None, protocol: str = "script") -> list[PointCounts]:
    """One scaled simulation per size on ``sample``; returns the raw counts of each."""
    import evictsim

    chunk = sample.trace.requests
    footprint = key_footprint(chunk, cfg)
    is_get = chunk.op == OP_GET
    get_size = chunk.size.astype(np.int64)
    few_readings = _few_readings(cfg, chunk)
    points = []
    for maxmemory in sizes:
        scaled = (cfg.replace(maxmemory=0) if maxmemory == 0 else
                  scaled_config(cfg, maxmemory, sample.key_fraction, footprint, sample.sampled_keys))
        scaled = scaled.replace(sample_interval=few_readings)
        t0 = time.perf_counter()
        result = evictsim.simulate(sample.trace, config=scaled, seed=seed, start_time=start_time,
                                   record_outcomes=True, protocol=protocol)
        missed = is_get & (result.outcomes != HIT)
        points.append(PointCounts(maxmemory=maxmemory, scaled_maxmemory=scaled.maxmemory,
                                  gets=int(is_get.sum()), misses=int(missed.sum()),
                                  missed_bytes=int(get_size[missed].sum()),
                                  evicted_keys=int(result.summary["evicted_keys"]),
                                  seconds=time.perf_counter() - t0))
    return points


def _few_readings(cfg: RedisConfig, chunk) -> float:
    """A ``sample-interval`` giving four time-series readings, the last one just after the last
    request. The curve needs only the final counters; a reading a second (the default) costs a
    third of a small instance's fixed time. Readings change nothing but what ``expiry-mode exact``
    deletes at them (it deletes due keys before each request as well)."""
    if not len(chunk) or cfg.expiry_mode == "exact":
        return cfg.sample_interval
    return max(cfg.sample_interval, (float(chunk.time[-1]) + 1e-3) / 4)
