"""The compiled kernel against its pure-Python oracle (``evictsim.oracle``), request by request.

Both run the same Redis 7.0 mechanics on the same seeded inputs and draw the same random numbers
in the same order, so every outcome code, the used_memory after each eviction step and after each
command, each eviction result and every summary counter must be identical. Workloads: seeded small
ones (≤ 60 keys, keys expiring mid-trace, maxmemory forcing evictions) under all 8 policies and
the 3 expiry modes, larger ones (20k requests, 2k keys), configuration knobs, and hypothesis-
generated ones. The tests at the end each show, with a minimal input, a place where the kernel once
departed from Redis 7.0 (MECHANICS.md) until the oracle caught it; kernel and oracle now both follow
Redis there. Plug-in policies (pure-Python twins) are checked in ``tests/test_oracle_plugin.py``.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import evictsim
from evictsim.api import DEFAULT_START_TIME, resolve_config
from evictsim.keyspace.rng import PyRng
from evictsim.oracle import run_oracle
from evictsim.oracle.dict import RedisDict, dict_add, dict_get_some_keys
from evictsim.oracle.evict import EVPOOL_SIZE, eviction_pool_insert
from evictsim.oracle.memory import main_entry_bytes, size_class
from evictsim.policies import POLICIES
from evictsim.traces.base import ArrayTrace, RequestChunk
from conftest import make_chunk

# Redis 7.0's maxmemory-policy values (redis.conf), in its order. The oracle models the registry's
# redis-pool family, which must be exactly these (checked below); plug-ins bring twins
# (tests/test_oracle_plugin.py)
REDIS_7_POLICIES = ("noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
                    "volatile-lfu", "volatile-random", "volatile-ttl")
REDIS_POLICIES = tuple(n for n in REDIS_7_POLICIES
                       if n in POLICIES and POLICIES.get(n).family == "redis-pool")

BASE = 977_024 + 23_544 + 5 * 24_720 + 336    # baseline + client buffers + 5 latency histograms + argv
MODES = ("redis", "lazy", "exact")
COUNTERS = ("requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys",
            "expired_keys", "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory",
            "used_memory_peak", "keys", "expires", "stale_keys", "stale_bytes", "sets", "dels", "fills",
            "expired_stale_perc", "expired_time_cap_reached_count", "lazyfree_pending_objects",
            "lazyfreed_objects", "lazyfree_pending_bytes")


def distinct_expiry_times(chunk: RequestChunk, start_time: float = DEFAULT_START_TIME) -> RequestChunk:
    """Nudge TTLs so no two writes share an absolute expire ms. Only the ``exact`` mode needs it:
    it deletes keys due at the same ms in an order neither Redis nor MECHANICS defines (the oracle
    takes key-id order, the kernel its heap's), and the order moves incremental-rehash steps."""
    start_us = int(round(start_time * 1e6))
    now_ms = (start_us + np.rint(chunk.time * 1e6).astype(np.int64)) // 1000
    ttl = chunk.ttl_ms.astype(np.int64).copy()
    skip: dict[int, int] = {}          # taken expire ms -> a later candidate (path-compressed)
    for i in np.nonzero(ttl > 0)[0]:
        when, path = int(now_ms[i] + ttl[i]), []
        while when in skip:
            path.append(when)
            when = skip[when]
        for taken in path:
            skip[taken] = when + 1
        skip[when] = when + 1
        ttl[i] = when - now_ms[i]
    return RequestChunk(chunk.time, chunk.op, chunk.key, chunk.key_len, chunk.size, ttl, chunk.vtype)


def assert_same_run(chunk: RequestChunk, policy: str, maxmemory: int, mode: str, *, seed: int = 7,
                    fill: str = "look-aside", protocol: str = "script", **config) -> dict:
    """Run kernel and oracle; fail at the first request whose outcome or memory differs."""
    if mode == "exact":
        chunk = distinct_expiry_times(chunk)
    cfg = resolve_config(maxmemory, policy, {"expiry-mode": mode, **config})
    res = evictsim.simulate(ArrayTrace(chunk, fill=fill), config=cfg, seed=seed, record_outcomes=True,
                            record_memory=True, protocol=protocol, start_time=DEFAULT_START_TIME)
    outcomes, counters, memory = run_oracle(chunk, cfg, seed=seed, start_time=DEFAULT_START_TIME,
                                            fill=fill, protocol=protocol)
    memory = np.asarray(memory, dtype=np.int64).reshape(-1, 3)
    kernel_memory = res.extras["memory"]
    differs = (res.outcomes != outcomes) | (kernel_memory != memory).any(axis=1)
    if differs.any():
        i = int(np.argmax(differs))
        pytest.fail(f"request {i} (op {chunk.op[i]}, key {chunk.key[i]}): kernel outcome "
                    f"{res.outcomes[i]}, memory {kernel_memory[i].tolist()}; oracle {outcomes[i]}, "
                    f"{memory[i].tolist()}")
    assert {k: res.summary[k] for k in COUNTERS} == {k: counters[k] for k in COUNTERS}
    return res.summary


def workload(n, n_keys, seed, **kw) -> RequestChunk:
    defaults = dict(p_set=0.2, p_del=0.05, ttl_frac=0.5, ttl_ms=(2, 1500), rate=3000.0, size=(1, 3000))
    return make_chunk(n, n_keys, seed=seed, **{**defaults, **kw})


# --- the same run, request by request ---------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", REDIS_POLICIES)
def test_small_workloads_match(policy, mode):
    seed = REDIS_POLICIES.index(policy) * 3 + MODES.index(mode)
    summary = assert_same_run(workload(3000, 60, seed), policy, BASE + 60_000, mode, seed=seed)
    assert summary["evicted_keys"] + summary["rejected_writes"] > 0     # the limit really bites
    if mode != "lazy" and not POLICIES.get(policy).needs_ttl:  # (volatile: TTL keys are evicted first)
        assert summary["expired_keys"] > 0                             # keys expire mid-trace


@pytest.mark.parametrize("policy,mode", [("allkeys-lru", "redis"), ("allkeys-lfu", "lazy"),
                                         ("volatile-ttl", "redis"), ("allkeys-random", "exact"),
                                         ("volatile-lru", "redis")])
def test_larger_workloads_match(policy, mode):
    chunk = workload(20_000, 2_000, 11, rate=20_000.0, size=(1, 400), ttl_ms=(5, 800))
    summary = assert_same_run(chunk, policy, BASE + 150_000, mode, seed=3)
    assert summary["evicted_keys"] > 1000


@pytest.mark.parametrize("policy", REDIS_POLICIES)
def test_idle_gaps_match(policy):
    # Sparse traffic: the client jumps over idle cron windows, so at the instant it wakes it runs
    # *before* that instant's cron tick (its wake-up was scheduled first): the LRU clock, the slow
    # expire cycle and the rehash step all come after the window's first requests.
    chunk = workload(600, 40, 21, rate=8.0, ttl_ms=(50, 5000), p_del=0.1)
    assert_same_run(chunk, policy, BASE + 30_000, "redis", seed=2)


def _chunk(times, ops, keys, ttls, size=20, key_len=6):
    n = len(times)
    ops = np.array(ops, np.uint8)
    sizes = np.where(ops == 2, 0, size).astype(np.int32)
    return RequestChunk(time=np.array(times, np.float64), op=ops, key=np.array(keys, np.int32),
                        key_len=np.full(n, key_len, np.uint16), size=sizes, ttl_ms=np.array(ttls, np.int64))


@pytest.mark.parametrize("times", [[0.0] * 6, [0.0, 0.3, 0.5, 1.0, 1.0, 2.0]])
def test_requests_on_sample_and_tick_boundaries_match(times):
    # requests exactly at t=0 and on sample/cron times: the final reading must follow them
    chunk = _chunk(times, [1, 0, 1, 2, 0, 1], [0, 0, 1, 0, 2, 3], [0, 0, 500, 0, 0, 0])
    summary = assert_same_run(chunk, "allkeys-lru", 0, "redis")
    assert summary["requests"] == len(times)


def test_client_runs_before_the_cron_tick_it_jumped_to():
    # Found by searching for inputs where running cron first at equal times changes the result
    # (here: one more eviction, one fewer active expiry). The kernel, like SimPy, runs the client first.
    chunk = _chunk([0.8092674604496156, 1.0952734326256595, 1.1, 1.2169201996444112, 1.33646094834236, 2.4,
                    2.740419132544472], [2, 1, 1, 0, 2, 1, 0], [0, 1, 0, 2, 2, 0, 2],
                   [0, 63, 1226, 566, 0, 837, 1241])
    summary = assert_same_run(chunk, "allkeys-lru", 1_124_468 + 320, "redis", seed=54)  # + the EVALSHA argv
    assert summary["evicted_keys"] == 3 and summary["expired_keys_active"] == 0


def test_expire_cycle_walks_chains_by_next_pointer_across_a_rehash_step():
    # Found by searching for inputs where the cycle walking a snapshot of each chain (instead of
    # following de->next after each delete, whose rehash step can move the rest of the chain into
    # table 1) changes the result: expired_stale_perc is 6.742075 with a snapshot, 6.61956 following
    # the pointers as Redis does.
    chunk = _chunk([0.0337, 0.1286, 0.1337, 0.1535, 0.1726, 0.233, 0.2767, 0.2772, 0.2785, 0.2852, 0.3282,
                    0.3452],
                   [1, 0, 2, 1, 2, 0, 1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 2, 3, 1, 2, 4, 5, 1, 0],
                   [0, 53, 0, 0, 0, 104, 341, 162, 106, 0, 258, 128])
    summary = assert_same_run(chunk, "noeviction", 0, "redis", seed=653)
    assert summary["expired_stale_perc"] == pytest.approx(6.61956)


@pytest.mark.parametrize("config", [
    {"maxmemory-eviction-tenacity": 0},                                  # budget gone at 16 keys
    {"evict-key-cost-us": 60.0},                                         # the eviction time proc runs
    {"lazyfree-lazy-eviction": True, "maxmemory-samples": 1},
    {"maxmemory-samples": 64, "hz": 1},
    {"hz": 100, "active-expire-effort": 10, "expire-key-cost-us": 300.0},   # cycles hit their limit
    {"lfu-log-factor": 0, "lfu-decay-time": 0},
    {"jemalloc-quantum": 8, "latency-tracking": False},
    {"batch-interval": 0.0001, "sample-interval": 0.25},
    {"connected-clients": 5000},                                         # dynamic hz: 10 -> 40
    {"info-after-baseline": False},
    {"cluster-enabled": True, "jemalloc-quantum": 8},                    # +16 B slot metadata a key
])
@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-lfu", "allkeys-random"])
def test_config_knobs_match(policy, config):
    chunk = workload(2000, 60, 5, ttl_ms=(1, 600), rate=5000.0)
    assert_same_run(chunk, policy, BASE + 40_000, "redis", seed=1, **config)


def test_integer_values_explicit_fill_and_plain_protocol_match():
    chunk = workload(3000, 50, 8, p_set=0.4)
    chunk.vtype = np.random.default_rng(8).integers(0, 3, len(chunk)).astype(np.uint8)
    for policy in ("allkeys-lfu", "volatile-ttl", "noeviction"):
        assert_same_run(chunk, policy, BASE + 8_000, "redis", fill="explicit", protocol="plain")
        assert_same_run(chunk, policy, 0, "lazy")


LAZY_ALL = {"lazyfree-lazy-eviction": True, "lazyfree-lazy-expire": True, "lazyfree-lazy-server-del": True,
            "lazyfree-lazy-user-del": True}


@pytest.mark.parametrize("lazy", [LAZY_ALL, {"lazyfree-lazy-user-del": True}, {"lazyfree-lazy-eviction": True}])
@pytest.mark.parametrize("policy,mode", [("allkeys-lru", "redis"), ("volatile-ttl", "exact"),
                                         ("allkeys-random", "lazy"), ("noeviction", "redis")])
def test_aggregate_values_with_lazy_freeing_match(policy, mode, lazy):
    # aggregates (vtype 3) of up to 40 KB: those over 64 elements of 64 B go to the lazyfree thread,
    # drained slowly enough (20 MB/s) that eviction overshoots and waits for it
    chunk = workload(3000, 60, 13, size=(1, 40_000), ttl_ms=(5, 600), p_del=0.15)
    chunk.vtype = np.where(np.random.default_rng(13).random(len(chunk)) < 0.5, 3, 0).astype(np.uint8)
    summary = assert_same_run(chunk, policy, BASE + 400_000, mode, seed=4, lazyfree_bytes_per_s=2e7, **lazy)
    if POLICIES.get(policy).evicts or set(lazy) != {"lazyfree-lazy-eviction"}:   # (noeviction never evicts)
        assert summary["lazyfreed_objects"] + summary["lazyfree_pending_objects"] > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), n=st.integers(1, 1500), n_keys=st.integers(1, 60),
       policy=st.sampled_from(REDIS_POLICIES), mode=st.sampled_from(MODES),
       budget=st.sampled_from([0, 500, 5_000, 40_000, 10**6]), p_set=st.floats(0, 0.6),
       p_del=st.floats(0, 0.3), ttl_frac=st.floats(0, 1), ttl_lo=st.integers(1, 50),
       ttl_hi=st.integers(50, 5000), rate=st.sampled_from([5.0, 50.0, 2000.0, 50_000.0]),
       samples=st.integers(1, 16), hz=st.sampled_from([1, 10, 100]), tenacity=st.integers(0, 100))
def test_generated_workloads_match(seed, n, n_keys, policy, mode, budget, p_set, p_del, ttl_frac, ttl_lo,
                                   ttl_hi, rate, samples, hz, tenacity):
    chunk = workload(n, n_keys, seed, p_set=p_set, p_del=p_del, ttl_frac=ttl_frac, ttl_ms=(ttl_lo, ttl_hi),
                     rate=rate)
    assert_same_run(chunk, policy, BASE + budget, mode, seed=seed % 97, maxmemory_samples=samples, hz=hz,
                    maxmemory_eviction_tenacity=tenacity)


# --- the oracle's own pieces against MECHANICS ------------------------------------------------

def test_the_redis_family_is_redis_7_policies():
    # the oracle models Redis's policies from their registry entries (scope, rank, evicts): the
    # redis-pool family must hold exactly Redis 7.0's eight (allkeys-ttl, say, is not one)
    family = sorted(n for n, s in POLICIES.items() if s.family == "redis-pool")
    assert family == sorted(REDIS_7_POLICIES)


def test_size_classes_are_jemalloc_bins():
    bins = [8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896,
            1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336]
    assert sorted({size_class(n) for n in range(1, 14337)}) == bins       # §10.1, quantum 16
    assert [main_entry_bytes(12, v, 0, 16, True) for v in (10, 44, 45, 100, 1000)] == [
        32 + 16 + 32, 32 + 16 + 64, 32 + 16 + 16 + 64, 32 + 16 + 16 + 112, 32 + 16 + 16 + 1024]


def test_pool_ties_go_left_and_a_full_pool_drops_its_worst():
    pool = [None] * EVPOOL_SIZE
    for key, score in [(1, 5), (2, 5), (3, 9), (4, 1)]:
        eviction_pool_insert(pool, key, score)
    assert [slot[0] for slot in pool if slot] == [4, 2, 1, 3]   # among equal scores, newest on the left
    for key in range(10, 23):
        eviction_pool_insert(pool, key, 7)
    assert all(pool) and pool[-1] == (3, 9) and pool[0] != (4, 1)   # full: slot 0 (score 1) dropped
    eviction_pool_insert(pool, 99, 0)
    assert all(slot[0] != 99 for slot in pool)                  # worse than everything: dropped


def test_get_some_keys_returns_members_and_at_most_count():
    d = RedisDict(hash_seed=12345)
    for k in range(300):
        dict_add(d, k, lambda more, ratio: True)
    rng = PyRng(1)
    for count in (1, 5, 16):
        got = dict_get_some_keys(d, count, rng)
        assert 0 < len(got) <= count and set(got) <= set(range(300))


# --- places where the kernel once departed from Redis 7.0 (found by the oracle, now fixed) -----

def test_rehash_steps_per_command_follow_redis():
    # 5 SETs grow the main dict 4 -> 8 buckets (rehashing starts); then DELs of a missing key.
    # Redis: each DEL's dictUnlink moves one bucket, so the old 32-B table is freed by the 4th DEL
    # (well before the next cron tick). The kernel's DELs of a missing key once did nothing, leaving
    # used_memory 32 B higher.
    chunk = _chunk(0.001 * np.arange(1, 11), [1] * 5 + [2] * 5, [0, 1, 2, 3, 4] + [5] * 5, [0] * 10)
    assert_same_run(chunk, "noeviction", 0, "lazy")


def test_activerehashing_off_leaves_rehash_to_commands():
    # 5 SETs start a 4 -> 8 rehash; with activerehashing no, nothing moves until commands run, so at
    # the 1-s reading both tables (12 buckets) are still allocated.
    chunk = _chunk(0.001 * np.arange(1, 6), [1] * 5, [0, 1, 2, 3, 4], [0] * 5)
    on = evictsim.simulate(chunk, seed=1, config={"activerehashing": True})
    off = evictsim.simulate(chunk, seed=1, config={"activerehashing": False})
    assert off.summary["used_memory"] == on.summary["used_memory"] + 8 * 4


def test_eviction_time_proc_finishes_while_idle():
    # 3000 small keys, then (2 s later, so they are the LRU victims) one 600 KB SET and a GET of it.
    # The GET's eviction step needs > 1,088 victims, more than one 500-µs budget, so it returns
    # EVICT_RUNNING with the eviction time proc armed. No request follows. In Redis the proc keeps
    # running (0-ms timer) and drains memory within milliseconds: at the reading 1 s later,
    # used_memory <= maxmemory. The kernel once ran the proc only before a request, so it stayed over.
    n = 3000
    times = list(0.001 + 0.0002 * np.arange(n)) + [2.0, 2.001]
    chunk = _chunk(times, [1] * (n + 1) + [0], list(range(n + 1)) + [n], [0] * (n + 2), size=100)
    chunk.size[n] = 600_000
    maxmemory = BASE + 700_000
    res = evictsim.simulate(chunk, maxmemory=maxmemory, policy="allkeys-lru", seed=1, record_memory=True,
                            record_outcomes=True)
    assert res.outcomes[-1] == 1 and res.extras["memory"][-1, 2] == 1    # a hit; EVICT_RUNNING
    assert res.summary["used_memory"] <= maxmemory
    assert_same_run(chunk, "allkeys-lru", maxmemory, "redis", seed=1)    # the oracle runs it on too


def _lazyfree_chunk():
    # SET k0, DEL k0 (allocates every latency histogram), SET k1 = a 100 KB aggregate, DEL k1
    # (deferred to the lazyfree thread), SET k2: all within the first client batch
    return RequestChunk(time=0.0001 * np.arange(1, 6), op=np.array([1, 2, 1, 2, 1], np.uint8),
                        key=np.array([0, 0, 1, 1, 2], np.int32), key_len=np.full(5, 6, np.uint16),
                        size=np.array([10, 0, 100_000, 0, 10], np.int32), ttl_ms=np.zeros(5, np.int64),
                        vtype=np.array([0, 0, 3, 0, 0], np.uint8))


def test_noeviction_does_not_wait_for_lazy_frees():
    # maxmemory sits 10 KB below used_memory before the last SET, with ~80 KB of the aggregate
    # still queued. Redis: noeviction -> EVICT_FAIL at once -> the SET is refused (7). The kernel
    # once waited its 500 µs budget for the lazyfree thread (20 KB more freed at 40 MB/s), got under
    # maxmemory and accepted the SET (5).
    chunk = _lazyfree_chunk()
    cfg = dict(lazyfree_lazy_user_del=True, lazyfree_bytes_per_s=4e7)
    probe = evictsim.simulate(chunk, seed=1, record_memory=True, **cfg)
    maxmemory = int(probe.extras["memory"][4, 0]) - 10_000
    summary = assert_same_run(chunk, "noeviction", maxmemory, "lazy", seed=1, **cfg)
    assert summary["rejected_writes"] == 1


def test_lazyfree_thread_starts_when_a_value_is_queued():
    # The 100 KB aggregate is queued at 0.4 ms; at 1 MB/s the thread has freed ~100 B by the SET at
    # 0.5 ms. The kernel once counted from the last cron tick (t=0) and had freed ~500 B.
    chunk = _lazyfree_chunk()
    assert_same_run(chunk, "noeviction", 0, "lazy", seed=1, lazyfree_lazy_user_del=True,
                    lazyfree_bytes_per_s=1e6)


def test_belady_through_the_redis_core_reads_the_future_as_the_oracle_does():
    # the core is handed each request's next access (engine/future.py), as the oracle computes it;
    # (beladysize drains never-again keys through the overflow hook, which the oracle lacks yet)
    summary = assert_same_run(workload(3000, 60, 5), "belady", BASE + 60_000, "redis", seed=5)
    assert summary["evicted_keys"] > 100


def test_next_accesses_across_chunk_borders_equal_the_oracles():
    from evictsim.engine.future import next_accesses
    from evictsim.engine.router import SingleRoute
    from evictsim.oracle.driver import next_access_vtimes
    chunk = workload(5000, 300, 9)
    (future,) = next_accesses(ArrayTrace(chunk), SingleRoute(), [True], chunk_size=777)
    assert future.tolist() == next_access_vtimes(chunk.key)


def test_clock_bits_set_through_the_config_change_the_run_as_they_change_the_twin():
    chunk = workload(3000, 60, 6, p_set=0.1)
    one = assert_same_run(chunk, "clock", BASE + 60_000, "redis", seed=6)                       # clock-bits 1
    three = assert_same_run(chunk, "clock", BASE + 60_000, "redis", seed=6, **{"clock-bits": 3})
    assert one["evicted_keys"] > 100
    assert one["keyspace_hits"] != three["keyspace_hits"]
