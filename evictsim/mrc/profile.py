"""``evictsim.mrc(trace, policy=..., sizes=...)``: a miss-ratio curve in Redis bytes.

One pass reads the trace and keeps a SHARDS sample (:mod:`evictsim.mrc.sampling`); the curve is then
either SHARDS stack distances for exact LRU (:mod:`evictsim.mrc.shards`) or one miniature simulation
per size for every other policy (:mod:`evictsim.mrc.minisim`); ``method="full"`` simulates the whole
trace at each size (the reference the other two are tested against). Ratios are over GETs, as the
simulator's ``hit_ratio``; the no-limit ceiling is exact (the full trace's cold GETs).
"""
from __future__ import annotations

import time
from typing import Any, Iterable, Mapping

from evictsim.config import RedisConfig
from evictsim.errors import UserInputError
from evictsim.mrc.choose import Choice, choose
from evictsim.mrc.curve import MissRatioCurve
from evictsim.mrc.overhead import fixed_bytes, key_footprint
from evictsim.mrc.sampling import TraceSample, check_rate, sample_trace
from evictsim.mrc.sizes import check_points, grid, parse_sizes
from evictsim.traces.base import FILL_LOOK_ASIDE

DEFAULT_POINTS = 20


def mrc(trace: Any, policy: str | None = None, *, sizes: str | Iterable | None = None,
        points: int | None = None, method: str = "auto", sample_rate: float | None = None,
        sample_size: int | None = None, seed: int = 0, start_time: float | None = None,
        config: Mapping[str, Any] | RedisConfig | None = None, protocol: str = "script",
        targets: Iterable[float] = (), **redis_config: Any) -> MissRatioCurve:
    """The hit/miss ratio of ``policy`` on ``trace`` at each maxmemory in ``sizes`` (or an even
    grid of ``points`` sizes up to the trace's footprint). ``sample_rate`` / ``sample_size`` fix
    the SHARDS sample (rate, or number of keys); by default ``method="auto"`` chooses
    (:mod:`evictsim.mrc.choose`). ``targets``: hit ratios whose smallest size the summary reports.
    """
    from evictsim.api import resolve_config, resolve_trace

    wall0 = time.perf_counter()
    cfg = resolve_config(None, policy, config, **redis_config)
    given = None if sizes is None else parse_sizes(sizes)
    if given is not None and points is not None:
        raise UserInputError("give either sizes or points, not both", source="--points")
    n_points = len(given) if given is not None else check_points(points or DEFAULT_POINTS)
    if sample_rate is not None and sample_size is not None:
        raise UserInputError("give either a sample rate or a sample size, not both", source="--sample-size")
    if sample_rate is not None:
        check_rate(sample_rate)
    targets = [_check_target(t) for t in targets]
    choice = choose(method, cfg.maxmemory_policy, n_points, rate=sample_rate, size=sample_size)
    sample = sample_trace(resolve_trace(trace), rate=choice.rate, size=choice.size,
                          max_rate=choice.max_rate, seed=seed)
    if sample.gets == 0:
        raise UserInputError("the trace has no GET requests: no hit ratio to profile", source="--trace")
    footprint = key_footprint(sample.trace.requests, cfg)
    full_footprint = footprint.total_bytes / sample.key_fraction if sample.sampled_keys else 0.0
    size_list = given if given is not None else grid(n_points, fixed_bytes(cfg), full_footprint)
    rows = _rows(choice, sample, cfg, size_list, seed=seed, start_time=start_time, protocol=protocol)
    curve = MissRatioCurve(rows=rows)
    curve.summary = _summary(curve, choice, sample, cfg, full_footprint, targets,
                             seconds=time.perf_counter() - wall0)
    return curve


def _check_target(value: Any) -> float:
    try:
        target = float(value)
    except (TypeError, ValueError):
        target = float("nan")
    if not 0 < target < 1:
        raise UserInputError(f"expected a hit ratio in (0, 1), got {value!r}", source="--target")
    return target


def _rows(choice: Choice, sample: TraceSample, cfg: RedisConfig, sizes: list[int], *, seed: int,
          start_time: float | None, protocol: str) -> list[dict[str, Any]]:
    """One row per size: counts from the chosen method, scaled to the full trace."""
    if choice.method == "shards":
        from evictsim.mrc.shards import shards_counts
        t0 = time.perf_counter()
        counts = shards_counts(sample, cfg, sizes)
        each = (time.perf_counter() - t0) / max(1, len(sizes))
        scaled = [int(round(m * sample.key_fraction)) for m in sizes]
        seconds = [each] * len(sizes)
    else:
        from evictsim.mrc.minisim import run_minisim
        points = run_minisim(sample, cfg, sizes, seed=seed, start_time=start_time, protocol=protocol)
        counts = [(p.misses, p.missed_bytes) for p in points]
        scaled = [p.scaled_maxmemory for p in points]
        seconds = [p.seconds for p in points]
    scale = _Scale(sample)
    rows = []
    for maxmemory, (misses, missed_bytes), small, secs in zip(sizes, counts, scaled, seconds):
        miss_ratio, byte_miss = scale.ratios(misses, missed_bytes)
        rows.append({"maxmemory": int(maxmemory), "hit_ratio": 1.0 - miss_ratio, "miss_ratio": miss_ratio,
                     "byte_hit_ratio": 1.0 - byte_miss, "method": choice.method,
                     "sample_rate": sample.rate, "scaled_maxmemory": small,
                     "sampled_keys": sample.sampled_keys, "seconds": round(secs, 6)})
    return rows


class _Scale:
    """Sample counts → full-trace ratios. The no-limit misses (first use, DEL, TTL passed) are
    known exactly for the full trace; only the misses the limit adds are scaled up from the sample,
    by the fraction of keys it holds (SHARDS's adjustment: over the full trace's GETs)."""

    def __init__(self, sample: TraceSample):
        from evictsim.mrc.stack import ColdGets
        in_sample = ColdGets(fill=sample.fill == FILL_LOOK_ASIDE)
        in_sample.add(sample.trace.requests)
        self.sample, self.cold = sample, in_sample

    def ratios(self, misses: int, missed_bytes: int) -> tuple[float, float]:
        s, k = self.sample, self.sample.key_fraction
        est = s.cold_gets + max(0, misses - self.cold.gets) / k
        est_bytes = s.cold_get_bytes + max(0, missed_bytes - self.cold.bytes) / k
        return min(1.0, est / s.gets), (min(1.0, est_bytes / s.get_bytes) if s.get_bytes else 0.0)


def _summary(curve: MissRatioCurve, choice: Choice, sample: TraceSample, cfg: RedisConfig,
             full_footprint: float, targets: list[float], *, seconds: float) -> dict[str, Any]:
    return {
        "method": choice.method, "method_reason": choice.reason,
        "maxmemory_policy": cfg.maxmemory_policy, "points": len(curve.rows),
        "sample_rate": sample.rate, "sample_key_fraction": sample.key_fraction,
        "sampled_keys": sample.sampled_keys, "sampled_requests": sample.sampled_requests,
        "trace_keys": sample.keys, "trace_requests": sample.requests, "trace_gets": sample.gets,
        "any_ttl": sample.any_ttl, "fill": sample.fill,
        "footprint_bytes": int(full_footprint), "fixed_bytes": fixed_bytes(cfg),
        "no_limit_hit_ratio": 1.0 - sample.cold_gets / sample.gets,
        "targets": [{"hit_ratio": t, "maxmemory": curve.size_for(t)} for t in targets],
        "config": cfg.to_mapping(), "seconds": round(seconds, 6),
        "warnings": _warnings(cfg, sample),
    }


def _warnings(cfg: RedisConfig, sample: TraceSample) -> list[str]:
    from evictsim.policies import POLICIES
    spec = POLICIES.get(cfg.maxmemory_policy, key="maxmemory-policy")
    out = []
    if getattr(spec, "needs_ttl", False) and not sample.any_ttl:
        out.append(f"{cfg.maxmemory_policy} can only evict keys with a TTL and no request sets one: "
                   "writes are refused once memory is full at every size")
    if sample.sampled_keys < 2000 and sample.rate < 1:
        out.append(f"the sample holds only {sample.sampled_keys} keys: expect errors of a point or more "
                   "(raise --sample-rate or lower --points)")
    return out
