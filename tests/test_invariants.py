"""Invariants of every run, checked on hypothesis-generated workloads under every policy and mode.

* after the eviction step, used_memory <= maxmemory unless eviction failed (noeviction, nothing
  volatile left) or ran out of its time budget; the command then adds at most its own bytes
  (key + value + TTL entry) plus a bucket-table doubling;
* an expired key is never a hit (checked against a shadow of every accepted write's expire time);
* hits + misses = GETs, and outcome codes add up to the counters;
* used_memory = overhead + Σ key bytes + tables, and the dicts hold exactly the resident keys
  (``ServerModel.check_invariants`` runs at the end of every simulation and raises otherwise).
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

import evictsim
from evictsim.policies import POLICIES

# the Redis family: the ones the oracle models
REDIS_POLICIES = tuple(n for n, s in POLICIES.items() if s.family == "redis-pool")
from evictsim.engine.evict import EVICT_FAIL, EVICT_RUNNING
from conftest import make_chunk

BASE = 977_024


def _run(chunk, policy, maxmemory, mode):
    return evictsim.simulate(chunk, maxmemory=maxmemory, policy=policy, record_outcomes=True,
                             record_memory=True, seed=3, config={"expiry-mode": mode})


def _max_command_bytes(chunk, i):
    # key sds + value (raw: robj + sds header + value + 1, rounded) + 2 dictEntries, generously rounded
    return 64 + 2 * 32 + int(chunk.size[i]) * 5 // 4 + 64


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), policy=st.sampled_from(REDIS_POLICIES),
       mode=st.sampled_from(["redis", "lazy", "exact"]), budget=st.integers(20_000, 400_000),
       ttl_frac=st.floats(0, 1), p_set=st.floats(0, 0.5), p_del=st.floats(0, 0.2))
def test_memory_bound_and_counts(seed, policy, mode, budget, ttl_frac, p_set, p_del):
    chunk = make_chunk(3000, 400, seed=seed, ttl_frac=ttl_frac, p_set=p_set, p_del=p_del,
                       ttl_ms=(5, 1500), rate=3000)
    maxmemory = BASE + 200_000 + budget
    res = _run(chunk, policy, maxmemory, mode)
    mem = res.extras["memory"]
    s = res.summary
    ok = (mem[:, 2] != EVICT_FAIL) & (mem[:, 2] != EVICT_RUNNING)
    if policy != "noeviction":
        assert np.all(mem[ok, 0] <= maxmemory)
    for i in np.nonzero(mem[:, 1] > mem[:, 0])[0]:
        grew = mem[i, 1] - mem[i, 0]
        assert grew <= _max_command_bytes(chunk, i) + 8 * 2048 + 5 * 24_720 + 23_544, (i, grew)
    # counts add up
    codes = res.outcomes
    gets = np.isin(codes, [0, 1, 2, 3, 4, 11, 12])
    assert s["gets"] == gets.sum() == (chunk.op == 0).sum()
    assert s["get_hits"] == (codes == 1).sum()
    assert s["keyspace_hits"] + s["keyspace_misses"] == s["gets"]
    assert s["rejected_writes"] == np.isin(codes, [3, 4, 7]).sum()
    assert s["expired_keys"] == s["expired_keys_lazy"] + s["expired_keys_active"]
    assert s["expired_keys_lazy"] == np.isin(codes, [2, 4, 9, 12]).sum() + _stale_overwrites(res, chunk)
    if policy == "noeviction":
        assert s["evicted_keys"] == 0
    if mode == "exact":
        assert s["stale_keys"] == 0 and s["expired_keys_lazy"] == 0


def _stale_overwrites(res, chunk) -> int:
    """SETs over a stale key also count a lazy expiry (MECHANICS §4), invisible in the outcome code:
    counted independently from a shadow of every accepted write's expire time (an overwrite, code 6,
    of a key whose last write set a TTL that has passed)."""
    t_ms = (1_700_000_000 * 1_000_000 + np.rint(chunk.time * 1e6).astype(np.int64)) // 1000
    expire_at: dict[int, int | None] = {}
    stale = 0
    for i, code in enumerate(res.outcomes):
        k = int(chunk.key[i])
        if code == 6:
            when = expire_at.get(k)
            stale += when is not None and t_ms[i] > when
        if code in (0, 2, 5, 6):
            expire_at[k] = int(t_ms[i] + chunk.ttl_ms[i]) if chunk.ttl_ms[i] > 0 else None
        elif code in (8, 9):
            expire_at.pop(k, None)
    return stale


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), policy=st.sampled_from(REDIS_POLICIES),
       mode=st.sampled_from(["redis", "lazy", "exact"]))
def test_an_expired_key_is_never_a_hit(seed, policy, mode):
    chunk = make_chunk(4000, 300, seed=seed, ttl_frac=0.7, p_set=0.2, p_del=0.05, ttl_ms=(1, 400),
                       rate=4000)
    res = _run(chunk, policy, BASE + 400_000, mode)
    # the engine's clock: absolute µs from the API's default start time, then whole ms
    t_ms = (1_700_000_000 * 1_000_000 + np.rint(chunk.time * 1e6).astype(np.int64)) // 1000
    expire_at: dict[int, int | None] = {}
    for i, code in enumerate(res.outcomes):
        k = int(chunk.key[i])
        if code == 1:
            when = expire_at.get(k)
            assert when is None or t_ms[i] <= when, (i, k, t_ms[i], when)
        if code in (0, 2, 5, 6):          # a write was accepted: new expire time (or none)
            expire_at[k] = int(t_ms[i] + chunk.ttl_ms[i]) if chunk.ttl_ms[i] > 0 else None
        elif code in (8, 9):
            expire_at.pop(k, None)


def test_stale_memory_orders_the_expiry_modes():
    """Lazy-only keeps the most expired keys in memory, the active cycle fewer, exact none."""
    chunk = make_chunk(60_000, 5_000, seed=7, ttl_frac=0.9, ttl_ms=(100, 2000), rate=6000)
    stale = {}
    for mode in ("lazy", "redis", "exact"):
        res = evictsim.simulate(chunk, policy="noeviction", config={"expiry-mode": mode},
                                sample_interval=0.5)
        stale[mode] = res.timeseries["stale_keys"][1:].mean()
    assert stale["exact"] == 0 < stale["redis"] < stale["lazy"]
