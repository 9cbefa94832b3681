"""MONITOR reader: the real capture in tests/data recovers the reference trace's first 10 seconds."""
from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest

from evictsim.errors import UserInputError
from evictsim.traces import open_trace
from evictsim.traces.base import OP_DEL, OP_GET, OP_SET, VT_INT, VT_SHARED_INT, VT_STRING, RequestChunk
from evictsim.traces.monitor_parse import parse_line, request_rows, value_type

DATA = Path(__file__).parent / "data" / "reference"
CAPTURE = DATA / "monitor" / "zipf_ttl_10s.monitor.log.gz"


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EVICTSIM_CACHE_DIR", str(tmp_path / "cache"))


def _reference_rows(n: int):
    """The first ``n`` rows of zipf_ttl.csv.gz, parsed independently with Arrow's plain reader."""
    with gzip.open(DATA / "traces" / "zipf_ttl.csv.gz") as fh:
        table = pacsv.read_csv(fh)
    table = table.slice(0, n)
    ttl = table.column("ttl").to_numpy(zero_copy_only=False)
    return (table.column("key").to_pylist(), table.column("size").to_numpy(),
            np.rint(np.nan_to_num(ttl) * 1000).astype(np.int64))


def test_capture_recovers_reference_gets_and_fill_sets():
    trace = open_trace(CAPTURE)
    assert trace.fill == "explicit"
    chunks = list(trace.chunks(50_000))
    c = RequestChunk.concat(chunks)
    names = np.asarray(trace.key_namer.names_for(c.key).to_pylist(), dtype=object)
    gets, sets = np.flatnonzero(c.op == OP_GET), np.flatnonzero(c.op == OP_SET)
    assert (len(gets), len(sets)) == (200_185, 38_965)
    keys, sizes, ttls = _reference_rows(len(gets))
    assert list(names[gets]) == keys                       # the GETs, in order
    # each fill SET follows the GET it fills, with that row's size and TTL
    owner = np.searchsorted(gets, sets) - 1
    assert (gets[owner] == sets - 1).all()
    assert list(names[sets]) == [keys[i] for i in owner]
    assert (c.size[sets] == sizes[owner]).all()
    assert (c.ttl_ms[sets] == ttls[owner]).all()
    assert (np.diff(c.time) >= 0).all() and 9.0 < c.time[-1] < 11.0
    assert (c.vtype == VT_STRING).all()
    skipped = trace.skipped()
    assert skipped["skipped_commands"] == {"DBSIZE": 239_150, "EVALSHA": 200_185, "INFO": 11}


def test_second_open_reads_the_cache_with_the_same_requests():
    first = RequestChunk.concat(list(open_trace(CAPTURE).chunks()))
    again = open_trace(CAPTURE)
    assert again._column is not None  # served from the column cache
    second = RequestChunk.concat(list(again.chunks()))
    for col in ("time", "op", "key", "key_len", "size", "ttl_ms", "vtype"):
        assert np.array_equal(getattr(first, col), getattr(second, col)), col
    assert again.skipped()["skipped_commands"]["DBSIZE"] == 239_150


def test_escaped_arguments_and_lua_lines():
    p = parse_line(rb'1700000000.000001 [0 lua] "SET" "a\"b c" "x\\y\n\xff" "PX" "1500"')
    assert p.args == ["SET", 'a"b c', "x\\y\n\xff", "PX", "1500"] and p.client == "0 lua"
    rows, skipped = [], Counter()
    assert request_rows(p, (1700000000, 0), rows, skipped)
    assert rows == [(pytest.approx(1e-6), OP_SET, 'a"b c', 5, 1500, VT_STRING)]


@pytest.mark.parametrize("line,expected", [
    (b'1.5 [0 1.2.3.4:5] "MGET" "a" "b"', [(OP_GET, "a"), (OP_GET, "b")]),
    (b'1.5 [0 1.2.3.4:5] "DEL" "a" "b"', [(OP_DEL, "a"), (OP_DEL, "b")]),
    (b'1.5 [0 1.2.3.4:5] "UNLINK" "a"', [(OP_DEL, "a")]),
    (b'1.5 [0 1.2.3.4:5] "SETEX" "a" "10" "v"', [(OP_SET, "a")]),
    (b'1.5 [0 1.2.3.4:5] "MSET" "a" "1" "b" "2"', [(OP_SET, "a"), (OP_SET, "b")]),
    (b'1.5 [0 1.2.3.4:5] "DBSIZE"', []),
    (b'1.5 [0 1.2.3.4:5] "EVALSHA" "abc" "1" "k"', []),
    (b'1.5 [0 1.2.3.4:5] "HSET" "h" "f" "v"', []),
])
def test_command_table(line, expected):
    rows, skipped = [], Counter()
    request_rows(parse_line(line), (1, 0), rows, skipped)
    assert [(r[1], r[2]) for r in rows] == expected
    assert sum(skipped.values()) == (0 if expected else 1)


def test_setex_ttl_and_integer_values():
    rows, skipped = [], Counter()
    request_rows(parse_line(b'1.5 [0 c] "SETEX" "a" "10" "42"'), (1, 0), rows, skipped)
    request_rows(parse_line(b'1.5 [0 c] "SET" "b" "123456" "EX" "2"'), (1, 0), rows, skipped)
    assert [(r[4], r[5]) for r in rows] == [(10_000, VT_SHARED_INT), (2000, VT_INT)]


@pytest.mark.parametrize("text,vt", [("0", VT_SHARED_INT), ("9999", VT_SHARED_INT), ("10000", VT_INT),
                                     ("-1", VT_INT), ("007", VT_STRING), ("1.0", VT_STRING),
                                     ("9223372036854775807", VT_INT), ("9223372036854775808", VT_STRING),
                                     ("", VT_STRING), ("+1", VT_STRING), (" 1", VT_STRING)])
def test_value_type_follows_string2ll(text, vt):
    assert value_type(text) == vt


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "cap.monitor"
    path.write_text('OK\n1.000001 [0 c] "GET" "a"\nnot a monitor line\n')
    with pytest.raises(UserInputError, match=r"cap\.monitor:3: expected a MONITOR line"):
        list(open_trace(path, cache=False).chunks())
    trace = open_trace(path, on_error="skip", cache=False)
    assert sum(len(c) for c in trace.chunks()) == 1
    assert trace.errors.skipped == 1


MIXED = (
    'OK\n'
    '1700000000.000001 [0 127.0.0.1:1] "PING"\n'
    '1700000000.000010 [0 127.0.0.1:1] "set" "k1" "12" "EX" "5"\n'
    '1700000000.000020 [1 unix:/tmp/r.sock] "MSET" "a" "xx" "b" "yyy"\r\n'
    '1700000000.000030 [0 lua] "GET" "we\\"ird\\\\key"\n'
    '1700000000.000040 [0 127.0.0.1:1] "EVALSHA" "abc" "1" "k1"\n'
    '1700000000.000050 [0 127.0.0.1:1] "mget" "k1" "a" "zz"\n'
    '1700000001.000000 [0 127.0.0.1:1] "UNLINK" "a" "b"\n'
    '1700000001.500000 [0 127.0.0.1:1] "SET" "bin\\xff\\x00" "v\\n" "PX" "250"\n'
    '1700000002.000000 [0 127.0.0.1:1] "EXPIRE" "k1" "10"\n'
    '1700000002.000001 [0 127.0.0.1:1] "SET" "k2" "v" "WHATEVER"\n'
)


def test_fast_and_slow_paths_agree(tmp_path, monkeypatch):
    path = tmp_path / "mixed.monitor"
    path.write_bytes(MIXED.encode())
    fast = open_trace(path, cache=False)
    a = RequestChunk.concat(list(fast.chunks()))
    from evictsim.traces.monitor import MonitorTrace
    monkeypatch.setattr(MonitorTrace, "_fast_block", lambda self, *args: False)
    slow = open_trace(path, cache=False)
    b = RequestChunk.concat(list(slow.chunks()))
    for col in ("time", "op", "key", "key_len", "size", "ttl_ms", "vtype"):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert fast.skipped_commands == slow.skipped_commands == Counter(
        {"PING": 1, "EVALSHA": 1, "EXPIRE": 1, "SET (rejected: syntax error)": 1})
    names = fast.key_namer.names_for(a.key).to_pylist()
    assert names == ["k1", "a", "b", 'we"ird\\key', "k1", "a", "zz", "a", "b", "bin\xff\x00"]
    assert list(a.op) == [OP_SET, OP_SET, OP_SET, OP_GET, OP_GET, OP_GET, OP_GET, OP_DEL, OP_DEL, OP_SET]
    assert a.key_len[-1] == 5 and a.size[-1] == 2 and a.ttl_ms[-1] == 250 and a.ttl_ms[0] == 5000
    assert a.vtype[0] == VT_SHARED_INT and a.time[0] == pytest.approx(9e-6) and a.time[-1] == 1.499999
