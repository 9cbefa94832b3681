"""Engine scheduling: chunk borders, the final sample, start-time phase, volatile policies."""
from __future__ import annotations

import numpy as np

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
        (shutil.copy if src.is_file() else shutil.copytree)(src, tmp_path / entry)
    monkeypatch.setattr(jit, "_PACKAGE", tmp_path)
    before = jit._source_hash()
    counters = tmp_path / "metrics" / "counters.py"
    counters.write_text(counters.read_text().replace("STATE.slot(", "STATE.slot( ", 1))
    assert jit._source_hash() != before
