"""``trace stats``: what a trace contains, in one streaming pass with memory per distinct key.

Requests, duration, rate, distinct keys, op mix; value-size and TTL distributions (over requests and
over distinct keys); the working set in bytes under the Redis memory model (each key at its last
seen size, ``evictsim.keyspace.memory.key_bytes_array``: no maxmemory, jemalloc quantum 16); a Zipf
alpha estimate; reuse time and sampled stack distance (:mod:`evictsim.traces.reuse`); the exact-LRU
hit ratio at fractions of the working set in Redis key bytes (:mod:`evictsim.mrc.trace_curve`).

Zipf alpha: least squares slope of log(count) on log(rank) over ranks 1..min(1000, keys/10) of the
keys sorted by request count (the head, where counts are large enough that sampling noise and the
tail's order-statistics bias stay small); reported negated, so Zipf(0.99) gives ~0.99.
"""
from __future__ import annotations

import numpy as np

from evictsim.traces.base import ALL_OP_NAMES, OP_NAMES, OP_SET, keyed_only
from evictsim.traces.reuse import ReuseStats

QUANTILES = (0.0, 0.5, 0.9, 0.99, 1.0)


def zipf_alpha(counts: np.ndarray, top: int = 1000) -> float | None:
    """Least-squares Zipf exponent of the rank-frequency head of ``counts`` (None if too few keys)."""
    counts = np.sort(np.asarray(counts)[np.asarray(counts) > 0])[::-1]
    n = min(top, len(counts) // 10)
    if n < 10:
        return None
    ranks = np.arange(1, n + 1, dtype=np.float64)
    slope = np.polyfit(np.log(ranks), np.log(counts[:n].astype(np.float64)), 1)[0]
    return float(-slope)


class _PerKey:
    """Growable per-key columns: request count, last size, key length, last TTL, value type."""

    def __init__(self) -> None:
        self.count = np.zeros(0, np.int64)
        self.size = np.zeros(0, np.int64)
        self.key_len = np.zeros(0, np.int64)
        self.ttl = np.zeros(0, np.int64)
        self.vtype = np.zeros(0, np.uint8)

    def grow(self, n: int) -> None:
        if n > len(self.count):
            extra = max(n, 2 * len(self.count)) - len(self.count)
            for name in ("count", "size", "key_len", "ttl", "vtype"):
                arr = getattr(self, name)
                setattr(self, name, np.concatenate([arr, np.zeros(extra, arr.dtype)]))


def _pct(values: np.ndarray) -> dict:
    if not len(values):
        return {}
    qs = np.quantile(values, QUANTILES)
    return {"min": float(qs[0]), "p50": float(qs[1]), "p90": float(qs[2]), "p99": float(qs[3]),
            "max": float(qs[4]), "mean": float(np.mean(values))}


class _Reservoir:
    """A bounded uniform sample of request values (for percentiles over requests)."""

    def __init__(self, cap: int = 1 << 20, seed: int = 0):
        self.cap, self.rng, self.values, self.seen = cap, np.random.default_rng(seed), [], 0

    def add(self, values: np.ndarray) -> None:
        self.seen += len(values)
        keep = max(1, int(self.cap * len(values) / max(self.seen, 1)))
        self.values.append(values if len(values) <= keep else self.rng.choice(values, keep, replace=False))

    def array(self) -> np.ndarray:
        return np.concatenate(self.values) if self.values else np.zeros(0)


def trace_stats(trace, *, reuse_sample: float = 0.1, chunk_size: int = 1 << 20) -> dict:
    per = _PerKey()
    reuse = ReuseStats(reuse_sample)
    from evictsim.mrc.trace_curve import LruByteCurve   # the LRU curve in Redis bytes (SHARDS sample)
    lru_bytes = LruByteCurve(reuse_sample, trace.fill)
    sizes, ttls = _Reservoir(seed=1), _Reservoir(seed=2)
    ops = np.zeros(len(ALL_OP_NAMES), np.int64)
    n, first, last = 0, None, 0.0
    for chunk in trace.chunks(chunk_size):
        if not len(chunk):
            continue
        first = float(chunk.time[0]) if first is None else first
        last = float(chunk.time[-1])
        n += len(chunk)
        ops += np.bincount(chunk.op, minlength=len(ALL_OP_NAMES))[: len(ALL_OP_NAMES)]
        chunk = keyed_only(chunk)               # server commands (FLUSHALL, ...) have no key
        per.grow(chunk.max_key + 1)
        np.add.at(per.count, chunk.key, 1)
        carries_value = chunk.size > 0
        idx = chunk.key[carries_value]
        per.size[idx] = chunk.size[carries_value]
        per.ttl[idx] = chunk.ttl_ms[carries_value]
        per.key_len[chunk.key] = chunk.key_len
        if chunk.vtype is not None:
            sets = chunk.op == OP_SET
            per.vtype[chunk.key[sets]] = chunk.vtype[sets]
        sizes.add(chunk.size[carries_value])
        ttls.add(chunk.ttl_ms[chunk.ttl_ms > 0])
        reuse.add(chunk.key)
        lru_bytes.add(chunk)
    report = _report(trace, n, first or 0.0, last, ops, per, sizes, ttls, reuse)
    report["lru_hit_ratio_by_key_bytes"] = lru_bytes.summary(report["working_set_bytes"])
    return report


def _report(trace, n, first, last, ops, per, sizes, ttls, reuse) -> dict:
    used = per.count > 0
    duration = last - first
    has_ttl = per.ttl[used] > 0
    key_sizes = per.size[used]
    return {
        "name": trace.name, "fill": trace.fill, "requests": int(n),
        "duration_s": duration, "rate_per_s": n / duration if duration > 0 else None,
        "distinct_keys": int(used.sum()),
        "ops": {name: int(ops[i]) for i, name in enumerate(ALL_OP_NAMES)  # server commands when present
                if i < len(OP_NAMES) or ops[i]},
        "value_size_requests": _pct(sizes.array()),
        "value_size_keys": _pct(key_sizes),
        "key_len": _pct(per.key_len[used]),
        "ttl_ms_requests": _pct(ttls.array()),
        "keys_with_ttl_fraction": float(has_ttl.mean()) if used.any() else 0.0,
        "working_set_bytes": _working_set(per, used),
        "zipf_alpha": zipf_alpha(per.count[used]),
        **reuse.summary(),
    }


def _working_set(per: _PerKey, used: np.ndarray) -> int:
    from evictsim.keyspace.memory import key_bytes_array
    return int(key_bytes_array(per.key_len[used], per.size[used], per.ttl[used] > 0, per.vtype[used]).sum())


def format_stats(stats: dict) -> str:
    """The human form of :func:`trace_stats`: one ``name: value`` line per figure."""
    from evictsim.units import format_bytes
    lines = []
    for key, value in stats.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
        elif key == "working_set_bytes":
            value = f"{value} ({format_bytes(value)})"
        else:
            value = _fmt(value)
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
