"""activedefrag over the jemalloc model: a random half deleted leaves every slab about half full;
with activedefrag the cycle moves regions out of the slabs below their bin's average, emptied slabs
are released, allocator_active falls and the hits are reported; with it off (the default) the knobs
change nothing and no defrag column appears. (How far it gets: README, allocator section.)"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import evictsim
from evictsim.traces.base import OP_DEL, OP_GET, OP_SET, ArrayTrace, RequestChunk

N = 20_000
RUN = {"policy": "allkeys-lru", "protocol": "plain", "sample_interval": 1.0, "allocator_model": "jemalloc"}
KNOBS = {"active_defrag_ignore_bytes": "1mb", "active_defrag_threshold_lower": 10}


@pytest.fixture(scope="module")
def trace() -> ArrayTrace:
    rng = np.random.default_rng(9)
    gone = rng.permutation(N)[: N // 2]
    t = np.concatenate([np.linspace(0, 2, N), np.linspace(3, 4, len(gone)), np.arange(5, 20, 0.25)])
    op = np.concatenate([np.full(N, OP_SET), np.full(len(gone), OP_DEL), np.full(60, OP_GET)])
    key = np.concatenate([np.arange(N), gone, gone[:60]])
    size = np.concatenate([np.full(N, 100), np.zeros(len(gone) + 60, int)])
    chunk = RequestChunk(t, op.astype(np.uint8), key.astype(np.int32), np.full(len(t), 12, np.uint16),
                         size.astype(np.int32), np.zeros(len(t), np.int64))
    return ArrayTrace(chunk, fill="explicit")


def test_activedefrag_releases_sparse_slabs_and_reports_its_work(trace):
    off = evictsim.simulate(trace, **RUN)
    on = evictsim.simulate(trace, activedefrag=True, **KNOBS, **RUN)
    a, b = off.timeseries, on.timeseries
    deleted = a["time"] == 5.0
    assert a["allocator_frag_ratio"][deleted][0] > 1.5            # fragmented: the cycle's trigger
    assert np.array_equal(a["used_memory"], b["used_memory"])     # defrag moves, never frees data
    end_off, end_on = a["allocator_active"][-1], b["allocator_active"][-1]
    print(f"\nallocator_active at the end: off {end_off}, on {end_on}; frag ratio "
          f"{a['allocator_frag_ratio'][-1]} -> {b['allocator_frag_ratio'][-1]}; hits "
          f"{b['active_defrag_hits'][-1]}, misses {b['active_defrag_misses'][-1]}, key hits "
          f"{b['active_defrag_key_hits'][-1]}, time {b['total_active_defrag_time'][-1]} ms")
    assert end_on <= end_off - 4096                               # whole slabs released
    assert b["allocator_frag_ratio"][-1] < a["allocator_frag_ratio"][-1]
    assert b["active_defrag_hits"][-1] > 0 and b["active_defrag_key_hits"][-1] > 0
    assert b["active_defrag_misses"][-1] > 0
    assert b["active_defrag_running"].max() > 0
    assert b["total_active_defrag_time"][-1] > 0
    assert np.all(np.diff(b["active_defrag_hits"]) >= 0)
    # the regions moved are the live keys': allocated bytes are the same in both runs
    assert a["allocator_allocated"][-1] == b["allocator_allocated"][-1]


def test_activedefrag_off_changes_nothing_whatever_its_knobs(trace):
    plain = evictsim.simulate(trace, **RUN)
    knobs = evictsim.simulate(trace, activedefrag=False, active_defrag_cycle_max=75, **KNOBS, **RUN)
    assert list(plain.timeseries) == list(knobs.timeseries)
    assert "active_defrag_hits" not in plain.timeseries
    for name in plain.timeseries:
        assert np.array_equal(plain.timeseries[name], knobs.timeseries[name], equal_nan=True), name


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "evictsim", *args], capture_output=True, text=True)


@pytest.mark.parametrize("setting", ["activedefrag=yes", "active-defrag-cycle-max=100",
                                     "active-defrag-threshold-lower=-1", "active-defrag-ignore-bytes=lots"])
def test_bad_defrag_settings_are_one_line_and_exit_2(tmp_path, setting):
    path = tmp_path / "t.csv"
    path.write_text("time,op,key,size,ttl\n0.0,SET,a,10,\n")
    done = _cli("simulate", "--trace", str(path), "--no-plots", "--out", str(tmp_path / "run"),
                "--set", setting)        # activedefrag=yes: with allocator-model none
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and setting.split("=")[0] in lines[0], lines
