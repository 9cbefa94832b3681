"""Twitter and oracleGeneral specifics, format detection, SHARDS sampling, trace stats."""
from __future__ import annotations

import heapq
import json
from pathlib import Path

import numpy as np
import pytest

from evictsim.cli import main
from evictsim.errors import UserInputError
from evictsim.traces import detect_format, open_trace, write_trace
from evictsim.traces.base import OP_DEL, OP_GET, OP_SET, VT_INT, VT_STRING, RequestChunk
from evictsim.traces.oracle_general import RECORD
from evictsim.traces.sample import SampledTrace
from evictsim.traces.stats import trace_stats, zipf_alpha
from evictsim.workloads import build_workload

DATA = Path(__file__).parent / "data" / "reference" / "traces"


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EVICTSIM_CACHE_DIR", str(tmp_path / "cache"))


def _all(trace) -> RequestChunk:
    return RequestChunk.concat(list(trace.chunks()))


TWITTER = """\
100,k1,20,300,7,get,0
100,k1,20,300,7,set,60
101,k2,25,5,7,incr,0
101,k1,20,300,7,gets,0
102,k3,10,40,8,add,0
102,k3,10,41,8,replace,0
102,k3,10,42,8,cas,0
103,k3,10,50,8,append,0
103,k3,10,45,8,prepend,0
103,k2,25,4,8,decr,0
104,k3,10,45,8,delete,0
"""


def test_twitter_operations_and_columns(tmp_path):
    path = tmp_path / "cluster.twr"
    path.write_text(TWITTER)
    trace = open_trace(path)
    c = _all(trace)
    assert trace.fill == "explicit"
    G, S, D = OP_GET, OP_SET, OP_DEL
    assert list(c.op) == [G, S, S, G, S, S, S, S, S, S, D]
    assert list(c.time) == [0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4]
    assert list(c.key) == [0, 0, 1, 0, 2, 2, 2, 2, 2, 1, 2]
    assert list(c.key_len) == [20, 20, 25, 20, 10, 10, 10, 10, 10, 25, 10]   # the key size column
    assert c.ttl_ms[1] == 60_000 and c.size[-1] == 0
    assert list(np.flatnonzero(c.vtype == VT_INT)) == [2, 9] and c.vtype[0] == VT_STRING


def test_twitter_detected_by_first_line(tmp_path):
    path = tmp_path / "cluster52.0"
    path.write_text(TWITTER)
    assert detect_format(path) == "twitter"


@pytest.mark.parametrize("line,message", [
    ("105,k1,20,300,7,fetch,0", "op: expected one of get"),
    ("105,k1,x,300,7,get,0", "key_size: expected a key length"),
    ("99,k1,20,300,7,get,0", "timestamp: expected non-decreasing"),
    ("105,k1,20,300,7,get", "expected 7 columns"),
])
def test_twitter_bad_line(tmp_path, line, message):
    path = tmp_path / "t.twr"
    path.write_text(TWITTER + line + "\n")
    with pytest.raises(UserInputError, match=rf"t\.twr:12: .*{message}"):
        _all(open_trace(path, cache=False))
    trace = open_trace(path, cache=False, on_error="skip")
    assert len(_all(trace)) == 11 and trace.errors.skipped == 1


def _brute_next(keys: np.ndarray) -> np.ndarray:
    out = np.full(len(keys), -1)
    for i in range(len(keys)):
        later = np.flatnonzero(keys[i + 1:] == keys[i])
        out[i] = i + 1 + later[0] if len(later) else -1
    return out


def test_oracle_next_access_vtime(tmp_path, monkeypatch):
    import evictsim.traces.oracle_general as og
    monkeypatch.setattr(og, "BLOCK_RECORDS", 64)  # the backward pass crosses blocks
    trace = build_workload("zipf", {"requests": 500, "keys": 40, "rate": 10}, seed=4)
    write_trace(trace, tmp_path / "z.oracleGeneral.bin")
    rec = np.fromfile(tmp_path / "z.oracleGeneral.bin", dtype=RECORD)
    assert np.array_equal(rec["next"], _brute_next(rec["obj_id"]))
    assert np.array_equal(rec["obj_id"], _all(trace).key)


def test_oracle_trailing_bytes_and_zero_sizes(tmp_path):
    rec = np.zeros(3, RECORD)
    rec["obj_id"], rec["size"], rec["time"] = [5, 6, 5], [10, 0, 10], [7, 8, 9]
    path = tmp_path / "t.oracleGeneral"
    path.write_bytes(rec.tobytes() + b"\x01\x02")
    with pytest.raises(UserInputError, match=r"t\.oracleGeneral:4: expected 24-byte records"):
        _all(open_trace(path, cache=False))
    trace = open_trace(path, cache=False, on_error="skip")
    c = _all(trace)
    assert list(c.key) == [0, 0] and list(c.time) == [0, 2] and trace.errors.skipped == 2


def test_libcachesim_reads_our_oracle_file_and_agrees_on_belady(tmp_path):
    lcs = pytest.importorskip("libcachesim")
    trace = build_workload("zipf", {"requests": 20000, "keys": 2000, "rate": 100, "value-size": 100}, seed=3)
    path = tmp_path / "z.oracleGeneral.bin"
    write_trace(trace, path)
    keys = _all(trace).key
    nxt = _brute_next_fast(keys)
    capacity, cache, heap, misses = 100, {}, [], 0
    for i, k in enumerate(keys):  # Belady with unit sizes: evict the farthest next use
        if k not in cache:
            misses += 1
            while len(cache) >= capacity:
                far, victim = heapq.heappop(heap)
                if cache.get(victim) == -far:
                    del cache[victim]
        cache[k] = nxt[i]
        heapq.heappush(heap, (-nxt[i], k))
    reader = lcs.TraceReader(str(path), lcs.TraceType.ORACLE_GENERAL_TRACE)
    ratio, _ = lcs.Belady(cache_size=capacity * 100).process_trace(reader)
    assert ratio == pytest.approx(misses / len(keys))


def _brute_next_fast(keys):
    nxt, last = np.full(len(keys), 1 << 40), {}
    for i in range(len(keys) - 1, -1, -1):
        nxt[i] = last.get(int(keys[i]), 1 << 40)
        last[int(keys[i])] = i
    return nxt


def test_sampling_keeps_whole_keys_at_the_rate():
    trace = open_trace(DATA / "zipf.csv.gz")
    full = _all(trace)
    sample = SampledTrace(trace, 0.1)
    got = _all(sample)
    kept = sample._mapper.originals                        # source ids of the kept keys
    in_sample = np.isin(full.key, kept)
    assert in_sample.sum() == len(got)                     # every request of a kept key is kept
    assert np.array_equal(kept[got.key], full.key[in_sample])   # in order
    assert (sample.key_namer.names_for(got.key[:100]).to_pylist()
            == trace.key_namer.names_for(full.key[in_sample][:100]).to_pylist())
    assert 0.08 < len(kept) / (full.max_key + 1) < 0.12    # about the rate of the keys
    assert np.array_equal(np.unique(got.key), np.arange(got.max_key + 1))


def test_stats_match_the_manifest():
    manifest = json.loads((DATA / "manifest.json").read_text())["zipf_ttl"]
    stats = trace_stats(open_trace(DATA / "zipf_ttl.csv.gz"))
    assert stats["requests"] == manifest["requests"]
    assert stats["distinct_keys"] == manifest["distinct_keys"]
    assert stats["ops"]["GET"] == manifest["ops"]["GET"]
    keys = stats["distinct_keys"]
    assert round(stats["keys_with_ttl_fraction"] * keys) == manifest["distinct_keys_with_ttl"]
    assert round(stats["value_size_keys"]["mean"] * keys) == manifest["sum_value_bytes_distinct"]
    assert abs(stats["zipf_alpha"] - manifest["params"]["alpha"]) < 0.05
    # every key costs at least its key and value bytes
    assert stats["working_set_bytes"] > manifest["sum_value_bytes_distinct"] + 13 * manifest["distinct_keys"]


def test_stack_distance_of_a_cyclic_trace():
    keys = np.tile(np.arange(50), 40)
    chunk = RequestChunk(time=np.arange(len(keys), dtype=float), op=np.zeros(len(keys), np.uint8),
                         key=keys.astype(np.int32), key_len=np.full(len(keys), 4, np.uint16),
                         size=np.full(len(keys), 10, np.int32), ttl_ms=np.zeros(len(keys), np.int64))
    from evictsim.traces.base import ArrayTrace
    stats = trace_stats(ArrayTrace(chunk), reuse_sample=1.0)
    # a cycle over 50 keys: every reuse sees 49 other keys, every reuse time is 50
    assert stats["stack_distance_keys"]["p50_upper"] == 64 and stats["stack_distance_keys"]["p99_upper"] == 64
    assert stats["reuse_time_requests"]["count"] == len(keys) - 50
    assert stats["reuse_time_requests"]["p50_upper"] == 64


def test_zipf_alpha_estimate_on_pure_power_law():
    counts = np.floor(1e7 * np.arange(1, 20001) ** -0.8)
    assert abs(zipf_alpha(counts) - 0.8) < 0.01


def test_cli_convert_sample_stats_json(tmp_path, capsys):
    out = tmp_path / "z.oracleGeneral.zst"
    assert main(["trace", "convert", str(DATA / "zipf.csv.gz"), str(out)]) == 0
    assert "dropped: key names and key lengths" in capsys.readouterr().err
    assert main(["trace", "sample", str(out), str(tmp_path / "s.csv"), "--rate", "0.2"]) == 0
    assert main(["trace", "stats", "--json", str(tmp_path / "s.csv")]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert 0.15 * 86_190 < stats["distinct_keys"] < 0.25 * 86_190
    with pytest.raises(SystemExit) as exc:
        main(["trace", "sample", str(out), str(tmp_path / "s2.csv"), "--rate", "1.5"])
    assert exc.value.code == 2


@pytest.mark.parametrize("name,text,bad_line", [
    ("t.csv", "time,op,key,size,ttl\n0.1,GET,a,1,\n0.2,GET,a,x,\n0.3,GET,b,1,\n", 3),
    ("t.twr", "1,a,1,10,0,get,0\n2,a,1,10,0,got,0\n3,b,1,10,0,get,0\n", 2),
    ("t.monitor", '1.000001 [0 c] "GET" "a"\n1.000002 [0 c] GET a\n1.000003 [0 c] "GET" "b"\n', 2),
])
def test_cli_bad_line_in_every_text_format(tmp_path, capsys, name, text, bad_line):
    path = tmp_path / name
    path.write_text(text)
    assert main(["trace", "convert", str(path), str(tmp_path / "out.evtrace")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"evictsim: error: {path}:{bad_line}: ") and "expected" in err
    assert main(["trace", "convert", "--on-error", "skip", str(path), str(tmp_path / "out.evtrace")]) == 0
    assert "skipped 1 bad line" in capsys.readouterr().err
    assert len(open_trace(tmp_path / "out.evtrace")) == 2


def test_parquet_bad_rows_and_missing_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.table({"time": [0.0, 1.0, 2.0], "op": ["GET", "PUT", "SET"], "key": ["a", "b", "a"],
                      "size": [1, 2, 3], "ttl_ms": [0, 0, 5]})
    pq.write_table(table, tmp_path / "t.parquet")
    with pytest.raises(UserInputError, match=r"t\.parquet:2: op: expected GET, SET or DEL, got 'PUT'"):
        _all(open_trace(tmp_path / "t.parquet", cache=False))
    trace = open_trace(tmp_path / "t.parquet", on_error="skip", cache=False)
    assert list(_all(trace).op) == [OP_GET, OP_SET] and trace.skipped_lines == 1
    pq.write_table(table.drop_columns(["ttl_ms"]), tmp_path / "u.parquet")
    with pytest.raises(UserInputError, match="missing ttl_ms"):
        open_trace(tmp_path / "u.parquet")
