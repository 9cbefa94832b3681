"""Native CSV reader: equal to an independent line-by-line oracle; bad lines named by file:line
(exit 2 from the CLI) or skipped and counted with --on-error skip; the parse cache."""
from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from evictsim.cli import main
from evictsim.errors import UserInputError
from evictsim.traces import open_trace
from evictsim.traces.base import OP_DEL, OP_GET, OP_SET, RequestChunk

DATA = Path(__file__).parent / "data" / "reference" / "traces"
OPS = {"GET": OP_GET, "SET": OP_SET, "DEL": OP_DEL}


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EVICTSIM_CACHE_DIR", str(tmp_path / "cache"))


def _oracle(path: Path, limit: int | None = None):
    """Python's csv module, one line at a time, dense ids by first appearance."""
    ids: dict[str, int] = {}
    rows = []
    with gzip.open(path, "rt") as fh:
        reader = csv.reader(fh)
        next(reader)
        for i, (t, op, key, size, ttl) in enumerate(reader):
            if limit is not None and i >= limit:
                break
            rows.append((float(t), OPS[op], ids.setdefault(key, len(ids)), len(key.encode()), int(size),
                         round(float(ttl or 0) * 1000)))
    return [np.asarray(col) for col in zip(*rows)]


def test_reference_trace_matches_line_by_line_oracle():
    trace = open_trace(DATA / "zipf_ttl.csv.gz", cache=False)
    got = RequestChunk.concat(list(trace.chunks(300_000)))
    want = _oracle(DATA / "zipf_ttl.csv.gz")
    for col, expected in zip(("time", "op", "key", "key_len", "size", "ttl_ms"), want):
        assert np.array_equal(getattr(got, col), expected), col
    assert trace.n_keys_hint == got.max_key + 1 == 93_371


def test_small_blocks_give_the_same_stream_and_line_numbers(tmp_path):
    small = open_trace(DATA / "zipf.csv.gz", cache=False, block_size=1 << 16)
    a = RequestChunk.concat(list(small.chunks()))
    b = RequestChunk.concat(list(open_trace(DATA / "zipf.csv.gz", cache=False).chunks()))
    assert np.array_equal(a.key, b.key) and np.array_equal(a.time, b.time)
    lines = ["time,op,key,size,ttl"] + [f"{i / 1000:.3f},GET,k{i % 97},10," for i in range(5000)]
    lines[4320] = "9.999,GET,k1,ten,"
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserInputError, match=r"t\.csv:4321: size: expected"):
        list(open_trace(path, cache=False, block_size=1 << 10).chunks())


GOOD = "time,op,key,size,ttl\n0.1,GET,a,10,\n0.2,SET,b,20,1.5\n"


@pytest.mark.parametrize("bad_line,where", [
    ("0.3,GET,c,10", "expected 5 columns"),
    ("0.3,GET,c,10,,9", "expected 5 columns"),
    ("zz,GET,c,10,", "time: expected a number of seconds"),
    ("0.3,PUT,c,10,", "op: expected GET, SET, DEL, FLUSHALL, FLUSHALL SYNC, FLUSHALL ASYNC or MEMORY PURGE"),
    ("0.3,GET,c,-1,", "size: expected a non-negative integer"),
    ("0.3,GET,c,1.5,", "size: expected a non-negative integer"),
    ("0.3,GET,c,3000000000,", "size: expected a size of at most 512 MiB"),
    ("0.3,GET,c,10,-2", "ttl: expected finite seconds >= 0"),
    ("0.3,GET,,10,", "key: expected a non-empty key"),
    ("0.05,GET,c,10,", "time: expected non-decreasing seconds"),
    ("", "expected"),
])
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_bad_line_is_named_and_can_be_skipped(tmp_path, bad_line, where, suffix, capsys):
    text = GOOD + bad_line + "\n0.4,DEL,a,0,\n"
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv.gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    with pytest.raises(UserInputError) as err:
        list(open_trace(path, cache=False).chunks())
    assert str(err.value).startswith(f"{path}:4: ") and where in str(err.value)
    assert main(["trace", "stats", str(path), "--no-cache"]) == 2
    assert f"{path}:4: " in capsys.readouterr().err
    trace = open_trace(path, on_error="skip", cache=False)
    got = RequestChunk.concat(list(trace.chunks()))
    assert list(got.op) == [OP_GET, OP_SET, OP_DEL] and trace.errors.skipped == 1
    assert main(["trace", "stats", str(path), "--on-error", "skip", "--no-cache"]) == 0
    assert "skipped 1 bad line" in capsys.readouterr().err


def test_bad_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("when,op,key,size,ttl\n0.1,GET,a,1,\n")
    with pytest.raises(UserInputError, match=r"t\.csv:1: expected the header time,op,key,size,ttl"):
        list(open_trace(path).chunks())


def test_parse_cache_is_written_by_a_full_pass_and_then_used(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(GOOD)
    first = open_trace(path)
    assert first._column is None
    it = first.chunks(1)
    next(it)
    it.close()  # a pass that stops early writes nothing
    assert open_trace(path)._column is None
    a = RequestChunk.concat(list(open_trace(path).chunks()))
    cached = open_trace(path)
    assert cached._column is not None
    b = RequestChunk.concat(list(cached.chunks()))
    assert np.array_equal(a.key, b.key) and np.array_equal(a.ttl_ms, b.ttl_ms)
    assert cached.key_namer.names_for(b.key).to_pylist() == ["a", "b"]
    path.write_text(GOOD + "0.3,GET,c,1,\n")  # a changed file misses the cache
    fresh = open_trace(path)
    assert fresh._column is None and sum(map(len, fresh.chunks())) == 3


def test_fill_override(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(GOOD)
    assert open_trace(path).fill == "look-aside"
    assert open_trace(path, fill="explicit").fill == "explicit"
    with pytest.raises(UserInputError, match="fill: expected one of"):
        open_trace(path, fill="sideways")


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(UserInputError, match="no such trace file"):
        open_trace(tmp_path / "missing.csv")
    odd = tmp_path / "trace.dat"
    odd.write_bytes(b"\x00\x01binary")
    with pytest.raises(UserInputError, match="prefix it as FORMAT:PATH"):
        open_trace(odd)


def test_skipped_lines_survive_the_cache(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(GOOD + "0.3,GET,c,x,\n")
    first = open_trace(path, on_error="skip")
    assert sum(map(len, first.chunks())) == 2 and first.skipped_lines == 1
    again = open_trace(path, on_error="skip")
    assert again._column is not None
    assert sum(map(len, again.chunks())) == 2 and again.skipped_lines == 1
    assert "size: expected" in again.skipped()["examples"][0]


def test_concurrent_first_reads_share_one_valid_cache(tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    path = tmp_path / "t.csv"
    path.write_text("time,op,key,size,ttl\n" + "".join(f"{i / 100:.2f},GET,k{i % 7},5,\n" for i in range(500)))

    def read(_):
        return RequestChunk.concat(list(open_trace(path).chunks(64))).key

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(read, range(4)))
    assert all(np.array_equal(r, results[0]) for r in results)
    cached = open_trace(path)
    assert cached._column is not None and np.array_equal(read(0), results[0])
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.endswith(".tmp")]
