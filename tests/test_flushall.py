"""FLUSHALL [SYNC|ASYNC] and MEMORY PURGE as trace operations, in whole simulated runs.

Small hand-built traces (a few thousand keys), simulated with allkeys-lru and no maxmemory (the
policy never acts; the kernel specialisations test_allocator_run already compiles), plain protocol,
explicit fill (a GET miss allocates nothing). The expected values come from the configuration's
documented parameters (baseline, client buffers, one latency histogram per command name) and from
the same trace without the server command, never from the run under test.
"""
from __future__ import annotations

import numpy as np
import pytest

import evictsim
from evictsim.config import RedisConfig
from evictsim.traces.base import (
    NO_KEY,
    OP_DEL,
    OP_FLUSHALL,
    OP_FLUSHALL_ASYNC,
    OP_FLUSHALL_SYNC,
    OP_GET,
    OP_MEMORY_PURGE,
    OP_SET,
    ArrayTrace,
    RequestChunk,
)

N = 3000
CFG = RedisConfig()
RUN = {"policy": "allkeys-lru", "protocol": "plain", "sample_interval": 0.5}


def _trace(rows) -> ArrayTrace:
    t, op, key, size, ttl = (np.array(c) for c in zip(*rows))
    chunk = RequestChunk(t.astype(float), op.astype(np.uint8), key.astype(np.int32),
                         np.where(key >= 0, 12, 0).astype(np.uint16), size.astype(np.int32),
                         ttl.astype(np.int64))
    return ArrayTrace(chunk, fill="explicit")


def _fill(t0, t1, keys, seed=3):
    rng = np.random.default_rng(seed)
    times = np.linspace(t0, t1, len(keys))
    sizes = rng.integers(10, 600, len(keys))
    ttls = np.where(rng.random(len(keys)) < 0.3, 60_000, 0)
    return [(t, OP_SET, k, s, ttl) for t, k, s, ttl in zip(times, keys, sizes, ttls)]


def _gets(t0, t1, step):
    return [(t, OP_GET, 0, 0, 0) for t in np.arange(t0, t1, step)]


def _row(result, t):
    ts = result.timeseries
    i = int(np.flatnonzero(np.isclose(ts["time"], t))[0])
    return {name: ts[name][i] for name in ts}


def _flush_trace(op_first=OP_FLUSHALL, op_second=OP_FLUSHALL_SYNC):
    return _trace(_fill(0.0, 1.5, range(N)) + [(2.0, op_first, NO_KEY, 0, 0)]
                  + _fill(3.0, 3.5, range(N // 3), seed=4) + [(4.0, op_second, NO_KEY, 0, 0)]
                  + _gets(4.5, 6.0, 0.5))


@pytest.mark.parametrize("model", ["none", "jemalloc"])
def test_flushall_leaves_the_empty_server_with_the_commands_histograms(model):
    result = evictsim.simulate(_flush_trace(), allocator_model=model, **RUN)
    empty = CFG.baseline_memory + CFG.client_buffer_growth + 2 * CFG.latency_histogram_bytes  # SET, FLUSHALL
    loaded, flushed, flushed_again = _row(result, 1.5 + 0.5), _row(result, 2.5), _row(result, 4.5)
    assert loaded["keys"] == N and loaded["expires"] > 0
    for row in (flushed, flushed_again):
        assert row["keys"] == 0 and row["expires"] == 0 and row["avg_ttl"] == 0
        assert row["overhead_hashtable_main"] == 0 and row["overhead_hashtable_expires"] == 0
        assert row["used_memory"] == empty
    assert _row(result, 3.5 + 0.5)["keys"] == N // 3            # the keyspace works after a flush
    assert result.summary["keys"] == 0
    assert result.summary["evicted_keys"] == 0 and result.summary["expired_keys"] == 0


def test_the_allocator_model_changes_no_used_memory_and_keeps_pinned_slabs_after_a_flush():
    off = evictsim.simulate(_flush_trace(), allocator_model="none", **RUN)
    on = evictsim.simulate(_flush_trace(), allocator_model="jemalloc", **RUN)
    assert np.array_equal(off.timeseries["used_memory"], on.timeseries["used_memory"])
    loaded, flushed = _row(on, 2.0), _row(on, 3.0)
    assert flushed["allocator_allocated"] < loaded["allocator_allocated"]
    assert flushed["allocator_active"] < loaded["allocator_active"]
    # the thread cache still holds regions of the freed classes: their slabs stay active
    assert flushed["allocator_active"] > CFG.allocator_base_active + 100 * 4096


def _purge_traces():
    """Fill, DEL everything in insertion order (whole slabs empty: dirty pages), a quiet stretch
    of GETs long enough for the background thread to purge them all; with a MEMORY PURGE half a
    second after the deletes, or a GET there instead (a miss: explicit fill allocates nothing)."""
    fill = [(0.0, OP_GET, 0, 0, 0)] + _fill(0.0, 1.5, range(N))     # GET's histogram in both from t = 0
    dels = [(2.0, OP_DEL, k, 0, 0) for k in range(N)]
    tail = _gets(3.0, 25.0, 0.5)
    purge, get = [(2.5, OP_MEMORY_PURGE, NO_KEY, 0, 0)], [(2.5, OP_GET, 0, 0, 0)]   # the same stream of
    return _trace(fill + dels + purge + tail), _trace(fill + dels + get + tail)    # requests either way


def test_memory_purge_returns_every_dirty_page_at_once():
    with_purge, without = (evictsim.simulate(t, allocator_model="jemalloc", **RUN) for t in _purge_traces())
    a, b = with_purge.timeseries, without.timeseries
    before = a["time"] <= 2.5
    for name in ("used_memory_rss", "allocator_active", "allocator_resident"):
        assert np.array_equal(a[name][before], b[name][before]), name
    after, settled = _row(with_purge, 3.0), _row(without, 25.0)
    assert _row(without, 3.0)["used_memory_rss"] > after["used_memory_rss"] + 100 * 4096   # dirty pages
    assert after["allocator_active"] == _row(without, 3.0)["allocator_active"]           # only RSS moves
    # what the background thread reaches after dirty_decay_ms, the purge reaches at once
    assert after["used_memory_rss"] == settled["used_memory_rss"]
    assert after["allocator_resident"] == settled["allocator_resident"]
    assert np.all(a["used_memory_rss"][a["time"] >= 3.0] == after["used_memory_rss"])


def test_memory_purge_without_the_allocator_model_only_allocates_its_histogram():
    with_purge, without = (evictsim.simulate(t, allocator_model="none", **RUN) for t in _purge_traces())
    a, b = with_purge.timeseries, without.timeseries
    moved = ("gets", "keyspace_misses", "hit_ratio_interval", "used_memory", "used_memory_peak",
             "used_memory_overhead", "used_memory_dataset")
    for name in a:
        if name not in moved:
            assert np.array_equal(a[name], b[name], equal_nan=True), name
    later = a["time"] >= 3.0
    assert np.array_equal(a["used_memory"][~later], b["used_memory"][~later])
    assert np.all(a["used_memory"][later] - b["used_memory"][later] == CFG.latency_histogram_bytes)
    assert np.all(b["gets"][later] - a["gets"][later] == 1)


def test_flushall_async_leaves_the_bytes_to_the_lazyfree_thread():
    slow = {"lazyfree_bytes_per_s": 1e6, "allocator_model": "jemalloc", **RUN}   # ~1.3 MB: ~1.3 s

    def trace(op):
        return _trace(_fill(0.0, 1.5, range(N)) + [(2.0, op, NO_KEY, 0, 0)] + _gets(2.5, 6.0, 0.5))

    sync = evictsim.simulate(trace(OP_FLUSHALL_SYNC), **slow)
    lazy = evictsim.simulate(trace(OP_FLUSHALL_ASYNC), **slow)
    default = evictsim.simulate(trace(OP_FLUSHALL), lazyfree_lazy_user_flush=True, **slow)
    for name in lazy.timeseries:                  # lazyfree-lazy-user-flush makes FLUSHALL async
        assert np.array_equal(lazy.timeseries[name], default.timeseries[name], equal_nan=True), name
    s, a = _row(sync, 2.5), _row(lazy, 2.5)
    assert a["keys"] == 0 and a["used_memory"] > s["used_memory"] + 500_000   # still being freed
    assert s["used_memory"] < _row(lazy, 3.0)["used_memory"] < a["used_memory"]   # ... at 1 MB/s
    assert _row(lazy, 5.0)["used_memory"] == _row(sync, 5.0)["used_memory"]    # all freed
    assert a["used_memory_rss"] > s["used_memory_rss"]                         # no purge
    assert sync.summary["lazyfreed_objects"] == 0 and lazy.summary["lazyfreed_objects"] == N
