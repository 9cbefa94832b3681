"""The no-limit ceiling against a plain-Python dict model of an unlimited Redis, and against the
simulator itself run with no maxmemory (the ceiling is what that run reaches)."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import evictsim
from evictsim.metrics.ceiling import CeilingTracker
from evictsim.traces.base import RequestChunk
from tests.conftest import make_chunk


def dict_ceiling(requests, look_aside: bool):
    """An unlimited cache as a dict key → expire ms (None = no TTL); first references counted apart."""
    held: dict[int, int | None] = {}
    referenced: set[int] = set()
    gets = hits = cold = expired = absent = 0
    for t_us, op, key, ttl in requests:
        now_ms = t_us // 1000
        first = key not in referenced
        referenced.add(key)
        if op == 0:
            gets += 1
            if key in held and (held[key] is None or now_ms <= held[key]):
                hits += 1
                continue
            if first:
                cold += 1
            elif key in held:
                expired += 1
            else:
                absent += 1
            held.pop(key, None)
            if look_aside:
                held[key] = now_ms + ttl if ttl > 0 else None
        elif op == 1:
            held[key] = now_ms + ttl if ttl > 0 else None
        else:
            held.pop(key, None)
    return gets, hits, cold, expired, absent


request = st.tuples(st.integers(0, 2), st.integers(0, 30), st.sampled_from([0, 0, 1, 5, 40]),
                    st.integers(0, 3000))


@settings(max_examples=150, deadline=None)
@given(st.lists(request, min_size=1, max_size=300), st.booleans(), st.integers(1, 4))
def test_ceiling_tracker_matches_a_dict_model(ops, look_aside, n_chunks):
    gaps = np.array([gap for *_, gap in ops], np.int64)
    t_us = 1_000_000_000 + np.cumsum(gaps * 7)          # µs steps of 0..21 ms: TTLs of 1-40 ms bite
    op = np.array([o for o, *_ in ops], np.uint8)
    key = np.array([k for _, k, *_ in ops], np.int32)
    ttl = np.array([t for _, _, t, _ in ops], np.int64)
    n = len(ops)
    chunk = RequestChunk(time=(t_us - t_us[0]) / 1e6, op=op, key=key, key_len=np.full(n, 8, np.uint16),
                         size=np.full(n, 10, np.int32), ttl_ms=ttl)
    tracker = CeilingTracker(start_us=int(t_us[0]), bucket_s=0.05, look_aside=look_aside)
    bounds = np.linspace(0, n, n_chunks + 1).astype(int)
    for lo, hi in itertools.pairwise(bounds):
        tracker.feed(chunk.slice(lo, hi).normalized(), t_us[lo:hi])
    gets, hits, cold, expired, absent = dict_ceiling(zip(t_us.tolist(), op.tolist(), key.tolist(),
                                                         ttl.tolist()), look_aside)
    fields = tracker.fields()
    assert fields["cold_misses"] == cold
    assert fields["ceiling_expired_misses"] == expired
    assert fields["ceiling_absent_misses"] == absent
    assert fields["ceiling_hit_ratio"] == (hits / gets if gets else None)
    g, h, c = tracker.cumulative_at(np.array([1e9]))
    assert (int(g[0]), int(h[0]), int(c[0])) == (gets, hits, cold)


def test_bucket_merging_keeps_the_totals(monkeypatch):
    from evictsim.metrics import ceiling
    monkeypatch.setattr(ceiling, "MAX_BUCKETS", 8)
    chunk = make_chunk(5_000, 300, seed=3, rate=100.0, p_set=0.1, p_del=0.05, ttl_frac=0.3).normalized()
    start = 10**15
    t_us = start + np.rint(chunk.time * 1e6).astype(np.int64)
    merged = ceiling.CeilingTracker(start, 1.0)
    merged.feed(chunk, t_us)
    assert len(merged.gets) <= 8 and merged.bucket_us > 1_000_000
    expected = dict_ceiling(zip(t_us.tolist(), chunk.op.tolist(), chunk.key.tolist(), chunk.ttl_ms.tolist()),
                            True)
    assert merged.fields()["cold_misses"] == expected[2]
    assert int(merged.gets.sum()) == expected[0] and int(merged.hits.sum()) == expected[1]


def test_ceiling_is_what_an_unlimited_server_reaches():
    chunk = make_chunk(40_000, 3_000, seed=5, p_set=0.1, p_del=0.05, ttl_frac=0.5)
    unlimited = evictsim.simulate(chunk, maxmemory=0, policy="noeviction")
    s = unlimited.summary
    assert s["ceiling_hit_ratio"] == s["hit_ratio"]
    assert s["steady_ceiling_hit_ratio"] is not None
    limited = evictsim.simulate(chunk, maxmemory="1500kb", policy="allkeys-lru").summary
    assert limited["evicted_keys"] > 0
    assert limited["ceiling_hit_ratio"] == s["hit_ratio"]
    assert limited["hit_ratio"] < limited["ceiling_hit_ratio"]
    assert limited["steady_hit_ratio"] <= limited["steady_ceiling_hit_ratio"]
    assert limited["warmup_reason"] == "cache full"
