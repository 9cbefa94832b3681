"""FLUSHALL / MEMORY PURGE rows in the trace formats that carry them (native CSV, MONITOR), the
errors a bad row gives (one line, exit 2), and the lazyfree-lazy-user-flush setting's bad value."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from evictsim.traces import open_trace
from evictsim.traces.base import (
    NO_KEY,
    OP_DEL,
    OP_FLUSHALL,
    OP_FLUSHALL_ASYNC,
    OP_FLUSHALL_SYNC,
    OP_GET,
    OP_MEMORY_PURGE,
    OP_SET,
    RequestChunk,
)
from evictsim.traces.stats import trace_stats

CSV = """time,op,key,size,ttl
0.0,SET,a,10,
0.1,FLUSHALL,,0,
0.2,SET,b,20,
0.3,FLUSHALL SYNC,,0,
0.4,FLUSHALL ASYNC,,0,
0.5,MEMORY PURGE,,0,
0.6,GET,a,10,
"""
OPS = [OP_SET, OP_FLUSHALL, OP_SET, OP_FLUSHALL_SYNC, OP_FLUSHALL_ASYNC, OP_MEMORY_PURGE, OP_GET]


def _read(path) -> RequestChunk:
    return RequestChunk.concat(list(open_trace(path).chunks()))


def test_native_csv_reads_server_commands_without_a_key(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    chunk = _read(path)
    assert chunk.op.tolist() == OPS
    assert chunk.key.tolist() == [0, NO_KEY, 1, NO_KEY, NO_KEY, NO_KEY, 0]
    assert chunk.key_len.tolist() == [1, 0, 1, 0, 0, 0, 1]
    stats = trace_stats(open_trace(path))
    assert stats["distinct_keys"] == 2
    assert stats["ops"] == {"GET": 1, "SET": 2, "DEL": 0, "FLUSHALL": 1, "FLUSHALL SYNC": 1,
                            "FLUSHALL ASYNC": 1, "MEMORY PURGE": 1}


def test_native_csv_and_monitor_write_them_back(tmp_path):
    from evictsim.traces import write_trace
    source = tmp_path / "t.csv"
    source.write_text(CSV)
    for name in ("back.csv", "back.monitor"):
        write_trace(open_trace(source), tmp_path / name)
        again = _read(tmp_path / name)
        assert again.op.tolist() == OPS, name
        assert np.array_equal(again.key_len, _read(source).key_len), name


def test_monitor_reads_flushall_and_memory_purge(tmp_path):
    path = tmp_path / "cap.monitor"
    path.write_text('1700000000.000000 [0 127.0.0.1:1] "SET" "k" "v"\n'
                    '1700000000.100000 [0 127.0.0.1:1] "FLUSHALL"\n'
                    '1700000000.200000 [0 127.0.0.1:1] "flushall" "async"\n'
                    '1700000000.300000 [0 127.0.0.1:1] "MEMORY" "USAGE" "k"\n'
                    '1700000000.400000 [0 127.0.0.1:1] "MEMORY" "PURGE"\n'
                    '1700000000.500000 [0 127.0.0.1:1] "FLUSHALL" "LATER"\n'
                    '1700000000.600000 [0 127.0.0.1:1] "DEL" "k"\n')
    trace = open_trace(path)
    chunk = RequestChunk.concat(list(trace.chunks()))
    assert chunk.op.tolist() == [OP_SET, OP_FLUSHALL, OP_FLUSHALL_ASYNC, OP_MEMORY_PURGE, OP_DEL]
    assert chunk.key.tolist() == [0, NO_KEY, NO_KEY, NO_KEY, 0]
    skipped = trace.skipped()
    assert skipped["skipped_commands"]["MEMORY"] == 1          # MEMORY USAGE: not a request
    assert skipped["rejected_commands"]["count"] == 1


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "evictsim", *args], capture_output=True, text=True)


def test_a_bad_op_name_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time,op,key,size,ttl\n0.0,SET,a,10,\n0.1,FLUSH,,0,\n")
    done = _cli("simulate", "--trace", str(path), "--no-plots", "--out", str(tmp_path / "run"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.csv:3" in lines[0] and "FLUSHALL" in lines[0] and "MEMORY PURGE" in lines[0]
    path.write_text("time,op,key,size,ttl\n0.1,FLUSHALL,a,0,\n")
    done = _cli("simulate", "--trace", str(path), "--no-plots", "--out", str(tmp_path / "run2"))
    assert done.returncode == 2 and "empty key" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_lazyfree_lazy_user_flush_refuses_a_bad_value(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    done = _cli("simulate", "--trace", str(path), "--no-plots", "--out", str(tmp_path / "run"), "--set", "lazyfree-lazy-user-flush=maybe")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "lazyfree-lazy-user-flush" in lines[0]
