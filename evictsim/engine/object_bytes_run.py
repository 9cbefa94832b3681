"""``memory-accounting object-bytes``: libCacheSim's capacity rule, for comparing the exact research
policies with published results. A cache of ``maxmemory`` bytes holds objects whose trace sizes sum
to at most that (no key bytes, no overhead, no baseline); every GET or SET is a lookup (a miss is
inserted when it fits, after evictions), a DEL removes. No TTLs, no clocks: one compiled pass per
sample interval of the trace (``evictsim.policies.exact.object_bytes``), so the time series has the
hit ratio over time.
"""
from __future__ import annotations

import time

import numpy as np

from evictsim.config import RedisConfig
from evictsim.errors import UserInputError
from evictsim.results import Result
from evictsim.traces.base import RequestChunk, Trace


def run_object_bytes(trace: Trace, cfg: RedisConfig, *, seed: int, start_time: float) -> Result:
    from evictsim.policies.exact import EXACT_POLICIES
    from evictsim.policies.exact import object_bytes as ob
    name = cfg.maxmemory_policy
    if name.startswith("volatile-"):
        raise UserInputError(f"{name} evicts only keys with a TTL, and object-bytes accounting has no TTLs "
                             "(libCacheSim's rule: trace sizes only), so no key could ever be evicted; "
                             f"expected an exact policy ({', '.join(EXACT_POLICIES)}) or memory-accounting "
                             "redis", key="maxmemory-policy")
    if name not in EXACT_POLICIES:
        raise UserInputError(f"object-bytes accounting is for the exact policies; expected one of "
                             f"{', '.join(EXACT_POLICIES)}, got {name!r}", key="maxmemory-policy")
    if cfg.maxmemory <= 0:
        raise UserInputError("object-bytes accounting needs a cache size: expected maxmemory > 0",
                             key="maxmemory")
    t0 = time.perf_counter()
    requests = RequestChunk.concat([c.normalized() for c in trace.chunks()])
    load_s = time.perf_counter() - t0
    spec = EXACT_POLICIES[name]
    n_keys = max(requests.max_key + 1, 1)
    state = spec.new_state(n_keys, spec.resolve(dict(cfg.policy_params), cache_bytes=cfg.maxmemory))
    cache = ob.new_cache(n_keys, cfg.maxmemory)
    keys = np.ascontiguousarray(requests.key, dtype=np.int64)
    sizes = np.ascontiguousarray(requests.size, dtype=np.int64)
    nxt = (ob.next_access_of(requests) if spec.needs_next_access
           else np.full(len(requests), ob.NO_NEXT_ACCESS, np.int64))
    outcome = np.empty(len(requests), np.int8)
    last = float(requests.time[-1]) if len(requests) else 0.0
    edges = np.arange(cfg.sample_interval, last + cfg.sample_interval, cfg.sample_interval)
    ends = list(np.searchsorted(requests.time, edges, side="left")) + [len(requests)]
    rows = [(0.0, 0, 0, 0, 0, 0, 0)]
    lo = 0
    t1 = time.perf_counter()
    for i, hi in enumerate(ends):            # one pass per sample interval: the hit ratio over time
        if hi > lo:
            ob.serve_chunk(state, cache, keys[lo:hi], sizes[lo:hi], requests.op[lo:hi], nxt[lo:hi],
                           np.int64(lo), outcome[lo:hi])
            lo = int(hi)
        c = cache.counters
        rows.append(((i + 1) * cfg.sample_interval, int(c[ob.HITS]), int(c[ob.MISSES]), int(c[ob.BYTE_HITS]),
                     int(c[ob.BYTE_MISSES]), int(c[ob.EVICTIONS]), int(c[ob.USED])))
    simulate_s = time.perf_counter() - t1
    cols = list(zip(*rows))
    hits, misses = rows[-1][1], rows[-1][2]
    byte_total = rows[-1][3] + rows[-1][4]
    series = {"time": np.asarray(cols[0], np.float64), "keyspace_hits": np.asarray(cols[1], np.int64),
              "keyspace_misses": np.asarray(cols[2], np.int64), "evicted_keys": np.asarray(cols[5], np.int64),
              "used_bytes": np.asarray(cols[6], np.int64)}
    summary = {"memory_accounting": "object-bytes", "requests": int(len(requests)),
               "lookups": hits + misses, "keyspace_hits": hits, "keyspace_misses": misses,
               "hit_ratio": hits / (hits + misses) if hits + misses else None,
               "byte_hit_ratio": rows[-1][3] / byte_total if byte_total else None,
               "evicted_keys": rows[-1][5], "used_bytes": rows[-1][6], "maxmemory": cfg.maxmemory,
               "maxmemory_policy": name, "seed": seed, "start_time": start_time,
               "trace": {"name": getattr(trace, "name", "")}, "config": cfg.to_mapping(),
               "timing": {"load_s": round(load_s, 6), "simulate_s": round(simulate_s, 6)}, "warnings": []}
    return Result(summary=summary, timeseries=series, outcomes=None, extras={"object_outcomes": outcome})
