"""Round trips (hypothesis): requests → write → read gives the same requests, for every format, over
the requests that format can hold (whole seconds for Twitter and oracleGeneral, no GET sizes in
MONITOR, ...)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evictsim.traces import open_trace, write_trace
from evictsim.traces.base import (FILL_EXPLICIT, FILL_LOOK_ASIDE, OP_DEL, OP_GET, OP_SET, VT_INT,
                                  VT_SHARED_INT, VT_STRING, RequestChunk)
from evictsim.traces.keymap import KeyMapper
from evictsim.traces.names import ListNamer

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
KEY_CHARS = st.characters(min_codepoint=32, max_codepoint=126)  # printable ASCII, incl. , " \


@dataclass
class Case:
    """Requests as plain rows plus the trace object a writer takes."""

    names: list[str]
    chunk: RequestChunk
    fill: str = FILL_LOOK_ASIDE
    name: str = "case"

    def __post_init__(self):
        self.n_keys_hint = self.chunk.max_key + 1
        self.key_namer = ListNamer(self.names)

    def chunks(self, chunk_size=1 << 20):
        for s in range(0, len(self.chunk), chunk_size):
            yield self.chunk.slice(s, min(len(self.chunk), s + chunk_size))


@st.composite
def cases(draw, *, whole_seconds=False, ops=(OP_GET, OP_SET, OP_DEL), ttl_unit=1, get_sizes=True,
          vtypes=False, fill=FILL_LOOK_ASIDE, key_len=None):
    n = draw(st.integers(1, 60))
    pool = draw(st.lists(st.text(KEY_CHARS, min_size=1, max_size=12), min_size=1, max_size=12, unique=True))
    keys = [draw(st.sampled_from(pool)) for _ in range(n)]
    mapper = KeyMapper()
    ids, lens = mapper.map_list(keys)
    step = st.integers(0, 3) if whole_seconds else st.integers(0, 3_000_000)
    t = np.cumsum([draw(step) for _ in range(n)]).astype(np.float64)
    time = t if whole_seconds else t / 1e6
    op = np.asarray([draw(st.sampled_from(ops)) for _ in range(n)], np.uint8)
    vt = np.asarray([draw(st.sampled_from((VT_STRING, VT_INT, VT_SHARED_INT))) if vtypes else VT_STRING
                     for _ in range(n)], np.uint8)
    size = np.asarray([draw(st.integers(1, 5000)) for _ in range(n)], np.int32)
    size = np.where(vt == VT_SHARED_INT, size % 4 + 1, np.where(vt == VT_INT, size % 14 + 5, size))
    ttl = np.asarray([draw(st.sampled_from([0, draw(st.integers(1, 10**7))])) for _ in range(n)], np.int64)
    ttl = ttl // ttl_unit * ttl_unit
    if not get_sizes:  # formats that show no value for a GET or DEL
        size = np.where(op == OP_SET, size, 0)
        ttl = np.where(op == OP_SET, ttl, 0)
    size = np.where(op == OP_DEL, 0, size).astype(np.int32)
    ttl = np.where(op == OP_DEL, 0, ttl)
    vt = np.where(op == OP_SET, vt, VT_STRING).astype(np.uint8)
    key_lens = lens if key_len is None else np.full(n, key_len, np.uint16)
    chunk = RequestChunk(time=time, op=op, key=ids, key_len=key_lens, size=size, ttl_ms=ttl,
                         vtype=vt if vtypes else None)
    return Case(mapper.names, chunk, fill)


def _read_back(path, **options):
    trace = open_trace(path, cache=False, **options)
    chunks = list(trace.chunks(7))  # a small chunk size also exercises chunking
    return trace, RequestChunk.concat(chunks)


def _assert_same(case, trace, got, *, names=True, vtype=False):
    want = case.chunk
    for col in ("time", "op", "key", "key_len", "size", "ttl_ms"):
        assert np.array_equal(getattr(got, col), getattr(want, col)), col
    if names:
        assert trace.key_namer.names_for(got.key).to_pylist() == [case.names[i] for i in want.key]
    if vtype:
        assert np.array_equal(got.normalized().vtype, want.normalized().vtype)
    assert trace.fill == case.fill


@SETTINGS
@given(case=cases())
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.zst"])
def test_native(tmp_path, case, suffix):
    path = tmp_path / f"t{suffix}"
    assert write_trace(case, path) == []
    trace, got = _read_back(path)
    _assert_same(case, trace, got)


@SETTINGS
@given(case=cases(vtypes=True))
def test_columns(tmp_path, case):
    path = tmp_path / "t.evtrace"
    assert write_trace(case, path) == []
    trace, got = _read_back(path)
    _assert_same(case, trace, got, vtype=True)


@SETTINGS
@given(case=cases(vtypes=True, fill=FILL_EXPLICIT))
def test_parquet(tmp_path, case):
    path = tmp_path / "t.parquet"
    assert write_trace(case, path) == []
    trace, got = _read_back(path)
    _assert_same(case, trace, got, vtype=True)


@SETTINGS
@given(case=cases(whole_seconds=True, ttl_unit=1000, fill=FILL_EXPLICIT))
def test_twitter(tmp_path, case):
    path = tmp_path / "t.twr"
    assert write_trace(case, path) == []
    trace, got = _read_back(path)
    got.time = got.time + case.chunk.time[0]  # Twitter times count from the first request
    _assert_same(case, trace, got)


@SETTINGS
@given(case=cases(whole_seconds=True, ops=(OP_GET,), ttl_unit=10**9, key_len=16))
@pytest.mark.parametrize("suffix", [".oracleGeneral.bin", ".oracleGeneral.zst"])
def test_oracle_general(tmp_path, case, suffix):
    path = tmp_path / f"t{suffix}"
    assert write_trace(case, path) == ["key names and key lengths"]
    trace, got = _read_back(path)
    got.time = got.time + case.chunk.time[0]
    _assert_same(case, trace, got, names=False)


@SETTINGS
@given(case=cases(get_sizes=False, vtypes=True, fill=FILL_EXPLICIT))
def test_monitor(tmp_path, case):
    path = tmp_path / "t.monitor.gz"
    assert write_trace(case, path) == []
    trace, got = _read_back(path)
    _assert_same(case, trace, got, vtype=True)


def test_what_a_format_cannot_hold_is_reported(tmp_path):
    chunk = RequestChunk(time=np.array([0.5, 1.25]), op=np.array([OP_GET, OP_DEL], np.uint8),
                         key=np.array([0, 0], np.int32), key_len=np.array([3, 3], np.uint16),
                         size=np.array([10, 0], np.int32), ttl_ms=np.array([1500, 0], np.int64))
    case = Case(["abc"], chunk)
    dropped = write_trace(case, tmp_path / "x.oracleGeneral.bin")
    assert {"DEL requests", "TTLs", "sub-second times", "key names and key lengths"} <= set(dropped)
    dropped = write_trace(case, tmp_path / "x.twr")
    assert any("sub-second" in d for d in dropped) and any("millisecond TTLs" in d for d in dropped)


@pytest.mark.parametrize("workload,params", [
    ("zipf", {"ttl": {"dist": "uniform", "min": 1, "max": 90}, "ttl-fraction": 0.5, "set-fraction": 0.1,
              "del-fraction": 0.05}),
    ("namespaces", {}),
    ("ycsb", {"workload": "F"}),
])
@pytest.mark.parametrize("target", ["t.csv.gz", "t.evtrace", "t.parquet", "t.monitor.zst"])
def test_generated_workload_round_trip(tmp_path, workload, params, target):
    from evictsim.workloads import build_workload
    explicit = target.startswith("t.monitor")
    fill = {"fill": "explicit"} if explicit else {}
    trace = build_workload(workload, {"requests": 3000, **params, **fill}, seed=3)
    want = RequestChunk.concat(list(trace.chunks()))
    dropped = write_trace(trace, tmp_path / target)
    got_trace, got = _read_back(tmp_path / target)
    same = ("time", "op", "key", "key_len") + (() if explicit else ("size", "ttl_ms"))
    for col in same:
        assert np.array_equal(getattr(got, col), getattr(want, col)), col
    if explicit:  # MONITOR shows sizes and TTLs of SETs only, and says so
        sets = want.op == OP_SET
        assert np.array_equal(got.size[sets], want.size[sets])
        assert np.array_equal(got.ttl_ms[sets], want.ttl_ms[sets])
        assert (dropped == [] if not (want.op == OP_GET).any() else any("GET sizes" in d for d in dropped))
    assert (got_trace.key_namer.names_for(got.key[:500]).to_pylist()
            == trace.key_namer.names_for(want.key[:500]).to_pylist())
