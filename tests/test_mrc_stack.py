"""SHARDS's byte stack distances against an independent LRU stack in bytes (a Python list, most
recent first), and, where LRU is a stack algorithm (fixed sizes, no DEL, no TTL), against an LRU
cache simulated directly at several capacities."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evictsim
from evictsim.keyspace.memory import expire_entry_bytes, key_bytes
from evictsim.mrc.stack import COLD, NOT_A_GET, stack_distances
from evictsim.traces.base import OP_DEL, OP_GET, OP_SET, ArrayTrace, RequestChunk
from evictsim.workloads import build_workload

QUANTUM = 16


def oracle_distances(chunk: RequestChunk, fill: bool = True) -> list[int]:
    """Mattson's stack as a list: distance = bytes of the keys above + the key's own bytes."""
    stack: list[int] = []           # key ids, most recent first
    nbytes: dict[int, int] = {}
    expires: dict[int, int] = {}
    out = []
    for t, op, k, klen, size, ttl in zip(chunk.time, chunk.op, chunk.key, chunk.key_len, chunk.size,
                                         chunk.ttl_ms):
        now = int(np.rint(t * 1e6)) // 1000
        for key in [key for key in stack if key in expires and expires[key] < now]:
            stack.remove(key)
            del expires[key]
        k = int(k)
        if op == OP_DEL:
            out.append(NOT_A_GET)
            if k in stack:
                stack.remove(k)
                expires.pop(k, None)
            continue
        if op == OP_GET:
            if k in stack:
                i = stack.index(k)
                out.append(sum(nbytes[key] for key in stack[:i]) + nbytes[k])
                stack.insert(0, stack.pop(i))
                continue
            out.append(COLD)
            if not fill:
                continue
        else:
            out.append(NOT_A_GET)
            if k in stack:
                stack.remove(k)
        nbytes[k] = int(key_bytes(int(klen), int(size), 0, QUANTUM, False))
        expires.pop(k, None)
        if ttl > 0:
            nbytes[k] += int(expire_entry_bytes(QUANTUM))
            expires[k] = now + int(ttl)
        stack.insert(0, k)
    return out


requests = st.lists(st.tuples(st.sampled_from([OP_GET, OP_GET, OP_GET, OP_SET, OP_DEL]),
                              st.integers(0, 12), st.integers(1, 300), st.sampled_from([0, 0, 5, 40]),
                              st.integers(0, 20)), min_size=1, max_size=120)


def chunk_of(rows) -> RequestChunk:
    ops, keys, sizes, ttls, gaps = (np.array(col) for col in zip(*rows))
    _, dense = np.unique(keys, return_inverse=True)   # any order is fine for the oracle comparison
    return RequestChunk(time=np.cumsum(gaps) / 1000.0, op=ops.astype(np.uint8), key=dense.astype(np.int32),
                        key_len=(5 + dense % 7).astype(np.uint16), size=sizes.astype(np.int32),
                        ttl_ms=ttls.astype(np.int64))


@settings(max_examples=150, deadline=None)
@given(requests, st.booleans())
def test_byte_stack_distances_equal_an_explicit_lru_stack(rows, fill):
    chunk = chunk_of(rows)
    assert list(stack_distances(chunk, quantum=QUANTUM, shared_ok=False, fill=fill)) == oracle_distances(chunk, fill)


def test_distances_on_a_generated_ttl_trace_equal_the_explicit_stack():
    params = {"keys": 300, "requests": 3000, "rate": 1000, "ttl": {"dist": "uniform", "min": 0.2, "max": 1},
              "ttl-fraction": 0.5, "set-fraction": 0.1, "del-fraction": 0.05}
    chunk = RequestChunk.concat(list(build_workload("zipf", params, seed=5).chunks()))
    got = stack_distances(chunk, quantum=QUANTUM, shared_ok=False)
    assert (got == COLD).sum() > 300          # expiries and DELs end reuses, not only first accesses
    assert list(got) == oracle_distances(chunk)


def lru_cache_hits(chunk: RequestChunk, capacity: int) -> int:
    """An LRU cache of ``capacity`` key bytes, simulated directly (evict from the tail while over)."""
    cache: OrderedDict[int, int] = OrderedDict()
    used = hits = 0
    for k, klen, size in zip(chunk.key, chunk.key_len, chunk.size):
        k = int(k)
        if k in cache:
            hits += 1
            cache.move_to_end(k)
            continue
        cache[k] = int(key_bytes(int(klen), int(size), 0, QUANTUM, False))
        used += cache[k]
        while used > capacity:
            used -= cache.popitem(last=False)[1]
    return hits


def test_shards_at_rate_one_equals_an_lru_cache_simulated_at_each_size():
    chunk = RequestChunk.concat(list(build_workload("zipf", {"keys": 2000, "requests": 30000}, seed=2).chunks()))
    distances = stack_distances(chunk, quantum=QUANTUM, shared_ok=False)
    for capacity in (20_000, 60_000, 150_000, 400_000):
        assert int(((distances != COLD) & (distances <= capacity)).sum()) == lru_cache_hits(chunk, capacity)


def test_the_shards_curve_at_rate_one_counts_the_stack_hits_at_each_sizes_room():
    from evictsim.api import resolve_config
    from evictsim.mrc.overhead import key_footprint, key_room
    chunk = RequestChunk.concat(list(build_workload("zipf", {"keys": 2000, "requests": 30000}, seed=2).chunks()))
    curve = evictsim.mrc(ArrayTrace(chunk), "allkeys-lru", points=10, method="shards", sample_rate=1.0)
    cfg = resolve_config(policy="allkeys-lru", maxmemory=1)
    footprint = key_footprint(chunk, cfg)
    oracle = np.array(oracle_distances(chunk))
    for row in curve.rows:
        room = key_room(row["maxmemory"], cfg, footprint, chunk.max_key + 1)
        hits = int(((oracle != COLD) & (oracle <= room) & (chunk.op == OP_GET)).sum())
        assert row["hit_ratio"] == pytest.approx(hits / len(chunk), abs=1e-12)
    assert curve.summary["sample_rate"] == 1.0 and len(curve.rows) == 10


def test_trace_stats_prints_the_lru_curve_in_key_bytes_at_rate_one_as_an_lru_cache_does():
    from evictsim.mrc.trace_curve import FRACTIONS
    from evictsim.traces.stats import format_stats, trace_stats
    chunk = RequestChunk.concat(list(build_workload("zipf", {"keys": 2000, "requests": 30000}, seed=4).chunks()))
    stats = trace_stats(ArrayTrace(chunk), reuse_sample=1.0)
    curve = stats["lru_hit_ratio_by_key_bytes"]
    ratios = [v for k, v in curve.items() if k != "sample_rate"]
    assert len(ratios) == len(FRACTIONS)
    for share, ratio in zip(FRACTIONS, ratios):
        capacity = int(share * stats["working_set_bytes"])
        assert ratio == pytest.approx(lru_cache_hits(chunk, capacity) / len(chunk), abs=1e-9)
    assert "lru_hit_ratio_by_key_bytes: sample_rate=1" in format_stats(stats)


def test_the_trace_stats_curve_halves_its_rate_to_stay_bounded(monkeypatch):
    import evictsim.mrc.trace_curve as trace_curve
    monkeypatch.setattr(trace_curve, "MAX_HELD", 5000)
    chunk = RequestChunk.concat(list(build_workload("zipf", {"keys": 2000, "requests": 30000}, seed=4).chunks()))
    curve = trace_curve.LruByteCurve(1.0)
    for start in range(0, len(chunk), 4000):
        curve.add(chunk.slice(start, min(len(chunk), start + 4000)))
    assert curve.held <= 5000 and curve.rate < 1 and np.log2(curve.rate) == round(np.log2(curve.rate))
    assert all((trace_curve.hash_uniform(part.key, trace_curve.SALT) < curve.rate).all() for part in curve.kept)
    assert sum(len(p) for p in curve.kept) == int((trace_curve.hash_uniform(chunk.key, trace_curve.SALT) < curve.rate).sum())
