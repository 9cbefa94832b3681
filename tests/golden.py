"""Recorded outcomes of the simulator itself, so a refactor that must not change results is checked
byte for byte: per-request outcome codes, every summary counter and every ``timeseries.csv`` byte.

Cases: every reference run of ``tests/data/reference`` plus generated shapes that exercise what the
reference traces do not (explicit SET/DEL traffic, expiry modes, lazyfree of aggregate values, the
eviction time proc, random and TTL ranks under OOM pressure, the plain protocol). Recorded with
``python tests/golden.py --record`` from a known-good commit; ``tests/test_golden.py`` compares.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np

import evictsim
from evictsim.results import timeseries_to_csv
from evictsim.traces.base import ArrayTrace, RequestChunk
from evictsim.workloads import build_workload

HERE = Path(__file__).parent
GOLDEN = HERE / "data" / "golden"
REF = HERE / "data" / "reference"
RUNS = json.loads((REF / "redis-7.0.15" / "runs.json").read_text())
START_TIMES = json.loads((REF / "redis-7.0.15" / "start_times.json").read_text())
REF_CONFIG = {"maxmemory-samples": 5, "hz": 10, "lfu-log-factor": 10, "lfu-decay-time": 1}
KEEP_OUTCOMES = ("zipf__allkeys-lru__mm25", "zipf_ttl__volatile-ttl__mm50", "gen_shifting_lfu_sets_dels")
# summary fields that measure the host, not the simulation
VOLATILE = ("timing", "elapsed", "simulate_s", "wall")


def _reference(run: str):
    info = RUNS[run]
    trace = REF / "traces" / f"{info['trace']}.csv.gz"
    return evictsim.simulate(str(trace), maxmemory=info["maxmemory"], policy=info["policy"],
                             start_time=START_TIMES[run], record_outcomes=True, config=REF_CONFIG)


def _generated(workload: str, params: dict, seed: int = 3) -> ArrayTrace:
    trace = build_workload(workload, params, seed)
    return ArrayTrace(RequestChunk.concat(list(trace.chunks())), fill=trace.fill)


def _aggregates(seed: int = 5) -> ArrayTrace:
    """SETs of big aggregate values (vtype 3) with DELs and overwrites: the lazyfree queue at work."""
    rng = np.random.default_rng(seed)
    n = 60_000
    key = rng.integers(0, 3000, n).astype(np.int32)
    op = rng.choice(np.array([0, 1, 2], np.uint8), n, p=[0.5, 0.4, 0.1])
    size = rng.integers(100, 40_000, n).astype(np.int32)
    vtype = np.where(rng.random(n) < 0.5, 3, 0).astype(np.uint8)
    ttl = np.where(rng.random(n) < 0.3, rng.integers(50, 3000, n), 0).astype(np.int64)
    chunk = RequestChunk(np.sort(rng.random(n) * 20.0), op, key, np.full(n, 12, np.uint16), size, ttl,
                         vtype)
    return ArrayTrace(chunk, fill="explicit")


def _cases():
    for run in sorted(RUNS):
        yield run, lambda run=run: _reference(run)
    shifting = {"keys": 20000, "period": 5, "requests": 300000, "rate": 20000, "set-fraction": 0.05,
                "del-fraction": 0.02}
    scan = {"keys": 20000, "scan-every": 4, "scan-length": 8000, "requests": 300000, "rate": 20000,
            "set-fraction": 0.1, "del-fraction": 0.03, "ttl": {"dist": "uniform", "min": 1, "max": 8}}
    heavy_ttl = {"keys": 20000, "requests": 300000, "rate": 20000, "ttl": {"dist": "uniform", "min": 1,
                                                                          "max": 6}}
    yield "gen_shifting_lfu_sets_dels", lambda: evictsim.simulate(
        _generated("shifting", shifting), maxmemory="3mb", policy="allkeys-lfu", record_outcomes=True)
    yield "gen_scan_volatile_lru_oom", lambda: evictsim.simulate(
        _generated("scan", scan), maxmemory="2mb", policy="volatile-lru", record_outcomes=True)
    yield "gen_scan_allkeys_lru_samples10", lambda: evictsim.simulate(
        _generated("scan", scan), maxmemory="3mb", policy="allkeys-lru", record_outcomes=True,
        maxmemory_samples=10, protocol="plain")
    for mode in ("lazy", "exact"):
        yield f"gen_ttl_{mode}_volatile_random", lambda mode=mode: evictsim.simulate(
            _generated("zipf", heavy_ttl), maxmemory="3mb", policy="volatile-random",
            record_outcomes=True, expiry_mode=mode)
    yield "gen_ttl_redis_volatile_ttl_tenacity1", lambda: evictsim.simulate(
        _generated("zipf", heavy_ttl), maxmemory="2500kb", policy="volatile-ttl", record_outcomes=True,
        maxmemory_eviction_tenacity=1, evict_key_cost_us=20.0)
    yield "gen_ttl_allkeys_random_norehash", lambda: evictsim.simulate(
        _generated("zipf", heavy_ttl), maxmemory="3mb", policy="allkeys-random", record_outcomes=True,
        activerehashing="no", hz=1)
    yield "gen_aggregates_lazyfree", lambda: evictsim.simulate(
        _aggregates(), maxmemory="8mb", policy="allkeys-lru", record_outcomes=True,
        lazyfree_lazy_eviction="yes", lazyfree_lazy_user_del="yes", lazyfree_lazy_server_del="yes",
        lazyfree_lazy_expire="yes")
    yield "gen_aggregates_noeviction", lambda: evictsim.simulate(
        _aggregates(), maxmemory="8mb", policy="noeviction", record_outcomes=True,
        lazyfree_lazy_user_del="yes")


CASES = dict(_cases())


def _counters(summary: dict) -> dict:
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not any(w in k for w in VOLATILE)}
        return value
    return clean(summary)


# the time-series columns when the goldens were recorded (columns added since are not a change)
RECORDED_COLUMNS = (
    "time", "requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys",
    "expired_keys", "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory",
    "used_memory_peak", "keys", "expires", "stale_keys", "stale_bytes", "hit_ratio_interval")


def fingerprint(result) -> dict:
    """What must not move: outcome bytes, summary counters, time-series CSV bytes."""
    csv = timeseries_to_csv({c: result.timeseries[c] for c in RECORDED_COLUMNS})
    return {"outcomes_sha256": hashlib.sha256(result.outcomes.tobytes()).hexdigest(),
            "requests": int(len(result.outcomes)),
            "summary": _counters(result.summary),
            "timeseries_sha256": hashlib.sha256(csv.encode()).hexdigest()}


def load_golden(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text())


def load_golden_outcomes(name: str) -> np.ndarray:
    with gzip.open(GOLDEN / f"{name}.outcomes.npy.gz", "rb") as fh:
        return np.load(io.BytesIO(fh.read()))


def record() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        result = make()
        (GOLDEN / f"{name}.json").write_text(json.dumps(fingerprint(result), indent=1, sort_keys=True))
        if name in KEEP_OUTCOMES:
            buf = io.BytesIO()
            np.save(buf, result.outcomes)
            with gzip.GzipFile(GOLDEN / f"{name}.outcomes.npy.gz", "wb", mtime=0) as fh:
                fh.write(buf.getvalue())
        print(name, len(result.outcomes), result.summary["hit_ratio"])


if __name__ == "__main__":
    if "--record" in sys.argv:
        record()
