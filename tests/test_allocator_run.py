"""``allocator-model jemalloc`` in a whole run: the jemalloc model behind the core's allocator hook.

One small generated trace (SETs, DELs, overwrites that change size class, TTLs, evictions at a
limit, tables that grow and shrink) is simulated with the model off and on (one kernel
specialisation for the model's bundle). With the model on: used_memory and every other column are
unchanged (it is the sum of usable sizes either way); the allocator columns come after them; the
allocation sequence the run made, replayed through the pure-Python twin, gives the same handles and,
at every cron sample, the run's allocator_allocated / active / resident and RSS columns; and the
end-of-run invariant (``ServerModel.check_invariants``: the model's live regions hold exactly the key
and table bytes) held, or the run would have raised.
"""
from __future__ import annotations

import numpy as np
import pytest

import evictsim
from evictsim.config import RedisConfig
from evictsim.errors import UserInputError
from evictsim.keyspace.allocator import model as jemalloc_model
from evictsim.keyspace.allocator.drain import LOG_ALLOC, LOG_FREE, LOG_N
from evictsim.keyspace.allocator.twin import TwinAllocator
from evictsim.metrics.registry import ALLOCATOR_COLUMNS, TIMESERIES_COLUMNS
from evictsim.traces.base import ArrayTrace, RequestChunk

N_REQUESTS = 40_000
RECORD = 12 * N_REQUESTS


def _trace() -> ArrayTrace:
    rng = np.random.default_rng(11)
    key = rng.integers(0, 4000, N_REQUESTS).astype(np.int32)
    op = rng.choice(np.array([0, 1, 2], np.uint8), N_REQUESTS, p=[0.55, 0.38, 0.07])
    size = np.where(rng.random(N_REQUESTS) < 0.5, rng.integers(10, 60, N_REQUESTS),
                    rng.integers(100, 3000, N_REQUESTS)).astype(np.int32)
    ttl = np.where(rng.random(N_REQUESTS) < 0.2, rng.integers(200, 4000, N_REQUESTS), 0).astype(np.int64)
    time = np.sort(rng.random(N_REQUESTS) * 20.0)
    time[N_REQUESTS // 2:] += 15.0       # an idle gap from ~10 s to ~25 s: decay with no traffic
    chunk = RequestChunk(time, op, key, np.full(N_REQUESTS, 16, np.uint16), size, ttl)
    return ArrayTrace(chunk, fill="look-aside")


CONFIG = {"maxmemory": "1500kb", "policy": "allkeys-lru", "sample_interval": 0.5}


@pytest.fixture(scope="module")
def runs():
    trace = _trace()
    made = []
    original = jemalloc_model.new_jemalloc_model

    def recording(cfg, capacity):
        made.append(original(cfg, capacity, record=RECORD))
        return made[-1]

    off = evictsim.simulate(trace, **CONFIG)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jemalloc_model, "new_jemalloc_model", recording)
        on = evictsim.simulate(trace, allocator_model="jemalloc", **CONFIG)
    assert len(made) == 1
    return off, on, made[0]


def test_used_memory_and_every_column_are_unchanged_with_the_model_on(runs):
    off, on, _ = runs
    assert off.summary["evicted_keys"] > 0 and off.summary["expired_keys"] > 0
    for name in TIMESERIES_COLUMNS:
        assert np.array_equal(off.timeseries[name], on.timeseries[name], equal_nan=True), name
    assert on.summary["used_memory"] == off.summary["used_memory"]


def test_the_allocator_columns_come_after_the_others_only_with_the_model_on(runs):
    off, on, _ = runs
    assert list(off.timeseries) == list(TIMESERIES_COLUMNS)
    assert list(on.timeseries) == list(TIMESERIES_COLUMNS) + list(ALLOCATOR_COLUMNS)
    ts = on.timeseries
    assert np.all(ts["allocator_allocated"] <= ts["allocator_active"])
    assert np.all(ts["allocator_active"] <= ts["allocator_resident"])
    assert np.all(ts["allocator_resident"] < ts["used_memory_rss"])


def test_the_runs_allocation_sequence_through_the_twin_gives_its_columns(runs):
    """Replay the logged calls (allocations with the handle the run got, frees, cron ticks) through
    the Python twin: same handle for every allocation, and at each cron tick the twin's statistics;
    each time-series row shows the model's last cron sample (RSS is cron-sampled)."""
    _, on, model = runs
    arena = model.arena
    n = int(arena.clock[LOG_N])
    assert 0 < n < RECORD, "the log must hold the whole run"
    cfg = RedisConfig()
    twin = TwinAllocator(16, base_allocated=cfg.allocator_base_allocated,
                         base_active=cfg.allocator_base_active, base_resident=cfg.allocator_base_resident)
    ticks, samples = [], []
    for op, argument, handle in arena.log[:n].tolist():
        if op == LOG_ALLOC:
            assert twin.alloc(argument) == handle
        elif op == LOG_FREE:
            twin.free(handle)
        else:
            twin.advance(argument)
            ticks.append(argument)
            samples.append(twin.stats())
    # a row at T > 0 shows the tick before T: the sampler's event for T was scheduled one interval
    # earlier than the cron's, and SimPy runs events of equal time in the order they were scheduled
    start_us = round(on.summary["start_time"] * 1e6)
    times = start_us + np.rint(on.timeseries["time"] * 1e6).astype(np.int64)
    rows = np.maximum(np.searchsorted(ticks, times, side="left") - 1, 0)
    expected = np.array(samples)[rows]
    ts = on.timeseries
    assert np.array_equal(ts["allocator_allocated"], expected[:, 0])
    assert np.array_equal(ts["allocator_active"], expected[:, 1])
    assert np.array_equal(ts["allocator_resident"], expected[:, 2])
    assert np.array_equal(ts["used_memory_rss"], expected[:, 2] + cfg.process_baseline_rss)


def test_rss_falls_during_the_idle_gap_as_the_background_thread_purges(runs):
    """Traffic stops at ~10 s and resumes at 25 s; the keys with a TTL expire early in the gap, and
    then nothing is freed: allocator_active stays flat while RSS falls, because the background
    thread purges the dirty pages of the emptied slabs (the cron keeps the model's clock going)."""
    _, on, _ = runs
    ts = on.timeseries
    at = {t: int(np.searchsorted(ts["time"], t)) for t in (14.0, 24.5)}
    assert ts["used_memory"][at[14.0]] == ts["used_memory"][at[24.5]]
    assert ts["allocator_active"][at[14.0]] == ts["allocator_active"][at[24.5]]
    assert ts["used_memory_rss"][at[24.5]] < ts["used_memory_rss"][at[14.0]]


def test_a_bad_allocator_model_is_a_user_error_naming_the_setting():
    with pytest.raises(UserInputError, match="allocator-model: expected one of none, jemalloc, got 'tcmalloc'"):
        RedisConfig.from_mapping({"allocator-model": "tcmalloc"})


def test_a_run_folder_keeps_the_columns_and_info_and_plots_show_them(runs, tmp_path):
    from evictsim.report.run_plots import plot_run
    from evictsim.results import load_result

    _, on, _ = runs
    on.write(tmp_path)
    back = load_result(tmp_path)
    assert list(back.timeseries) == list(on.timeseries)
    for name in ALLOCATOR_COLUMNS:
        assert np.allclose(back.timeseries[name], on.timeseries[name]), name
    row = int(np.searchsorted(on.timeseries["time"], 10.0))
    info = back.info(at=10.0, section="memory")
    assert f"used_memory_rss:{on.timeseries['used_memory_rss'][row]}\r\n" in info
    assert f"allocator_active:{on.timeseries['allocator_active'][row]}\r\n" in info
    assert {p.name for p in plot_run(tmp_path)} == {"memory.png", "hit_ratio.png", "fragmentation.png"}
