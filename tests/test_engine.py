"""Engine scheduling: chunk borders, the final sample, start-time phase, volatile policies, the event
loop's readings and call limit."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

import evictsim
from evictsim.traces.base import ArrayTrace, RequestChunk
from conftest import make_chunk


class ChunkedTrace(ArrayTrace):
    """The same requests delivered in small chunks (as a streaming reader would)."""

    def __init__(self, requests, size):
        super().__init__(requests)
        self.size = size

    def chunks(self, chunk_size=1 << 20):
        yield from super().chunks(self.size)


def test_chunk_borders_do_not_change_anything():
    chunk = make_chunk(30_000, 3_000, seed=5, p_set=0.1, p_del=0.05, ttl_frac=0.5)
    whole = evictsim.simulate(chunk, maxmemory=1_500_000, policy="allkeys-lfu", record_outcomes=True)
    parts = evictsim.simulate(ChunkedTrace(chunk, 777), maxmemory=1_500_000, policy="allkeys-lfu",
                              record_outcomes=True)
    assert np.array_equal(whole.outcomes, parts.outcomes)
    whole.summary.pop("timing"), parts.summary.pop("timing")
    assert whole.summary == parts.summary


def test_requests_at_time_zero_reach_the_last_sample():
    n = 100
    chunk = RequestChunk(np.zeros(n), np.zeros(n, np.uint8), np.arange(n, dtype=np.int32),
                         np.full(n, 5, np.uint16), np.full(n, 10, np.int32), np.zeros(n, np.int64))
    res = evictsim.simulate(chunk)
    assert res.summary["gets"] == n and res.summary["keys"] == n
    assert res.timeseries["gets"][0] == 0 and res.timeseries["gets"][-1] == n


def test_volatile_policy_without_volatile_keys_refuses_writes():
    chunk = make_chunk(5_000, 2_000, seed=2, ttl_frac=0.0)
    res = evictsim.simulate(chunk, maxmemory=1_200_000, policy="volatile-lru", record_outcomes=True)
    assert res.summary["evicted_keys"] == 0
    assert res.summary["rejected_writes"] > 0 == res.summary["evicted_keys"]
    assert res.summary["used_memory"] <= 1_200_000 + 20_000
    assert "volatile-lru can only evict keys with a TTL" in res.summary["warnings"][0]


def test_lfu_decay_follows_the_wall_clock_minute():
    """Same trace, same seed; only where in the minute it starts differs → LFU decay differs."""
    chunk = make_chunk(150_000, 20_000, seed=9, rate=1000)        # 150 s: crosses minute boundaries
    a = evictsim.simulate(chunk, maxmemory=2_500_000, policy="allkeys-lfu", start_time=1_700_000_000.0,
                          record_outcomes=True)
    b = evictsim.simulate(chunk, maxmemory=2_500_000, policy="allkeys-lfu", start_time=1_700_000_030.0,
                          record_outcomes=True)
    assert not np.array_equal(a.outcomes, b.outcomes)


def test_more_memory_never_hurts_much_and_random_is_worse_than_lru():
    chunk = make_chunk(60_000, 6_000, seed=4, rate=5000)
    hr = {}
    for policy in ("allkeys-lru", "allkeys-random"):
        for mm in (1_500_000, 3_000_000):
            hr[policy, mm] = evictsim.simulate(chunk, maxmemory=mm, policy=policy).hit_ratio
    assert hr["allkeys-lru", 3_000_000] > hr["allkeys-lru", 1_500_000]
    assert hr["allkeys-lru", 1_500_000] > hr["allkeys-random", 1_500_000]


def test_compiled_cache_follows_every_kernel_source(tmp_path, monkeypatch):
    """Editing a module whose constants the kernels bake in (counter slots) must not reuse old code."""
    import shutil
    from evictsim import jit
    for entry in jit._KERNEL_SOURCES:
        src = jit._PACKAGE / entry
        (tmp_path / entry).parent.mkdir(parents=True, exist_ok=True)
        if src.is_file():
            shutil.copy(src, tmp_path / entry)
        else:      # not __pycache__: another pytest worker may be writing it meanwhile
            shutil.copytree(src, tmp_path / entry, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(jit, "_PACKAGE", tmp_path)
    before = jit._source_hash()
    counters = tmp_path / "metrics" / "counters.py"
    counters.write_text(counters.read_text().replace("STATE.slot(", "STATE.slot( ", 1))
    assert jit._source_hash() != before


def _gapped(chunk, every, gap):
    """Idle gaps of ``gap`` seconds every ``every`` requests: the cron jumps, decays, shrinks."""
    t = chunk.time + (np.arange(len(chunk)) // every) * gap
    return RequestChunk(t, chunk.op, chunk.key, chunk.key_len, chunk.size, chunk.ttl_ms, chunk.vtype)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), gap=st.sampled_from([0.0, 0.35, 7.3]),
       interval=st.sampled_from([1.0, 0.1, 0.05]), policy=st.sampled_from(["allkeys-lru", "volatile-ttl"]))
def test_readings_in_the_event_loop_equal_readings_taken_from_python(seed, gap, interval, policy):
    """The event loop takes each reading itself, except when per-namespace rows are kept: then it
    returns to Python at every reading. Both must give the same rows, and the same run."""
    chunk = _gapped(make_chunk(6_000, 900, seed=seed, p_set=0.2, p_del=0.05, ttl_frac=0.5, ttl_ms=(20, 3000),
                               rate=1500), 400, gap)
    kw = dict(maxmemory=400_000, policy=policy, sample_interval=interval, record_outcomes=True, seed=seed)
    in_loop = evictsim.simulate(chunk, **kw)
    from_python = evictsim.simulate(chunk, namespaces=True, **kw)
    assert np.array_equal(in_loop.outcomes, from_python.outcomes)
    assert set(in_loop.timeseries) == set(from_python.timeseries)
    for name, column in in_loop.timeseries.items():
        np.testing.assert_array_equal(column, from_python.timeseries[name], err_msg=name)


def test_a_call_limit_on_the_event_loop_changes_nothing(monkeypatch):
    """With the jemalloc model, one event-loop call serves at most LOOP_REQUESTS_WITH_QUEUE requests
    (the model's queue is sized per call); a window split across calls must serve as one."""
    from evictsim.engine import server
    chunk = _gapped(make_chunk(8_000, 1_000, seed=2, p_set=0.3, ttl_frac=0.3, rate=4000), 1500, 12.0)
    kw = dict(maxmemory=600_000, policy="allkeys-lru", allocator_model="jemalloc", record_outcomes=True)
    whole = evictsim.simulate(chunk, **kw)
    monkeypatch.setattr(server, "LOOP_REQUESTS_WITH_QUEUE", 37)
    split = evictsim.simulate(chunk, **kw)
    assert np.array_equal(whole.outcomes, split.outcomes)
    for name, column in whole.timeseries.items():
        np.testing.assert_array_equal(column, split.timeseries[name], err_msg=name)
