"""Twitter's production cache traces (Yang et al., OSDI'20; github.com/twitter/cache-trace).

One request a line, no header: ``timestamp,anonymized key,key size,value size,client id,operation,TTL``
with ``timestamp`` in whole seconds, ``TTL`` in seconds (0 = none). The traces record what clients
sent to a look-aside cache, SETs after misses included, so they are ``explicit`` fill.

Operations: ``get``/``gets`` → GET; ``set``/``add``/``replace``/``cas``/``append``/``prepend``/
``incr``/``decr`` → SET (each of these leaves the key resident with the recorded value size, which is
all the memory model needs; ``incr``/``decr`` values are integers, so they carry ``VT_INT``); ``delete``
→ DEL. The key size column (the real key's length), not the anonymized key's, is the key length.
Requests within one second keep their order and share the second's timestamp.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evictsim.atomic import atomic_path
from evictsim.traces import TRACE_FORMATS
from evictsim.traces.base import (FILL_EXPLICIT, MAX_KEY_BYTES, MAX_TTL_MS, MAX_VALUE_BYTES, OP_DEL,
                                  OP_GET, OP_SET, VT_INT, VT_STRING, RequestChunk)
from evictsim.traces.csvblocks import CsvLayout, int64, parse_block
from evictsim.traces.filetrace import FileTrace
from evictsim.traces.keymap import KeyMapper
from evictsim.traces.names import key_names
from evictsim.traces.textio import head_bytes, line_blocks, open_binary, strip_compression
from evictsim.traces.writing import as_trace

COLUMNS = ("timestamp", "key", "key_size", "value_size", "client", "op", "ttl")
OPS = {"get": OP_GET, "gets": OP_GET, "set": OP_SET, "add": OP_SET, "replace": OP_SET, "cas": OP_SET,
       "append": OP_SET, "prepend": OP_SET, "incr": OP_SET, "decr": OP_SET, "delete": OP_DEL}
INTEGER_OPS = ("incr", "decr")
LAYOUT = CsvLayout(
    columns=COLUMNS,
    types={"timestamp": pa.int64(), "key": pa.string(), "key_size": pa.int64(),
           "value_size": pa.int64(), "client": pa.string(), "op": pa.string(), "ttl": pa.int64()},
    expected={"timestamp": "whole seconds", "key_size": "a key length in bytes",
              "value_size": "a value size in bytes", "ttl": "whole seconds"},
    checks={"timestamp": int64, "key_size": int64, "value_size": int64, "ttl": int64})


@dataclass
class TwitterTrace(FileTrace):
    fill: str = FILL_EXPLICIT

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        mapper = self.start_pass()
        state = {"t0": None, "prev": 0}
        for block, first_line in line_blocks(self.path):
            table, lines = parse_block(block, first_line, LAYOUT, self.errors)
            chunk = self._convert(table, lines, mapper, state)
            for start in range(0, len(chunk), chunk_size):
                yield chunk.slice(start, min(len(chunk), start + chunk_size))
        self.n_keys_hint = len(mapper)

    def _convert(self, table: pa.Table, lines: np.ndarray, mapper: KeyMapper, state: dict) -> RequestChunk:
        ops = pc.utf8_lower(table.column("op").combine_chunks())
        op_codes = np.full(table.num_rows, 255, dtype=np.uint8)
        for name, code in OPS.items():
            op_codes[pc.equal(ops, name).to_numpy(zero_copy_only=False)] = code
        cols = {c: table.column(c).fill_null(-1).to_numpy() for c in ("timestamp", "key_size",
                                                                        "value_size", "ttl")}
        keys = table.column("key").combine_chunks()
        keep = self.errors.check_all(lines, [
            (op_codes == 255, "op", f"one of {', '.join(OPS)}", ops),
            *[(cols[c] < 0, c, LAYOUT.expected[c], table.column(c))
              for c in ("timestamp", "key_size", "value_size", "ttl")],
            (cols["key_size"] > MAX_KEY_BYTES, "key_size", f"a key length <= {MAX_KEY_BYTES}",
             table.column("key_size")),
            (cols["value_size"] > MAX_VALUE_BYTES, "value_size",
             "a size of at most 512 MiB (Redis's proto-max-bulk-len)", table.column("value_size")),
            (cols["ttl"] > MAX_TTL_MS // 1000, "ttl", f"a TTL of at most {MAX_TTL_MS // 1000} seconds",
             table.column("ttl"))])
        if state["t0"] is None and keep.any():
            state["t0"] = int(cols["timestamp"][np.argmax(keep)])
        kept_times = np.where(keep, cols["timestamp"], 0)
        running = np.maximum.accumulate(np.concatenate([[state["prev"]], kept_times]))
        keep &= self.errors.check(keep & (cols["timestamp"] < running[:-1]), lines, "timestamp",
                                  "non-decreasing seconds", table.column("timestamp"))
        idx = np.flatnonzero(keep)
        if len(idx) < table.num_rows:
            cols = {c: v[idx] for c, v in cols.items()}
            op_codes, keys, ops = op_codes[idx], keys.take(pa.array(idx)), ops.take(pa.array(idx))
        if len(idx):
            state["prev"] = int(cols["timestamp"][-1])
        ids, _ = mapper.map_arrow(keys)
        integer = np.zeros(len(op_codes), dtype=bool)
        for name in INTEGER_OPS:
            integer |= pc.equal(ops, name).to_numpy(zero_copy_only=False)
        return RequestChunk(
            time=(cols["timestamp"] - (state["t0"] or 0)).astype(np.float64), op=op_codes, key=ids,
            key_len=cols["key_size"].astype(np.uint16),
            size=np.where(op_codes == OP_DEL, 0, cols["value_size"]).astype(np.int32),
            ttl_ms=cols["ttl"].astype(np.int64) * 1000,
            vtype=np.where(integer, VT_INT, VT_STRING).astype(np.uint8) if integer.any() else None)


def write(trace_or_chunks, path: Path, **_) -> list[str]:
    """Write as a Twitter trace: whole-second times, whole-second TTLs (rounded up), client 0."""
    trace = as_trace(trace_or_chunks)
    dropped: set[str] = set()
    names = {OP_GET: "get", OP_SET: "set", OP_DEL: "delete"}
    with atomic_path(path) as tmp, open_binary(tmp, "wb", named=path) as fh:
        for chunk in trace.chunks():
            seconds = np.floor(chunk.time).astype(np.int64)
            if (seconds != chunk.time).any():
                dropped.add("sub-second times (truncated to whole seconds)")
            ttl_s = -(-chunk.ttl_ms // 1000)
            if (ttl_s * 1000 != chunk.ttl_ms).any():
                dropped.add("millisecond TTLs (rounded up to whole seconds)")
            ops = np.asarray([names[i] for i in range(3)], dtype=object)[chunk.op]
            keys = key_names(trace, chunk)
            table = pa.table({"timestamp": pa.array(seconds), "key": keys,
                              "key_size": pa.array(chunk.key_len.astype(np.int64)),
                              "value_size": pa.array(chunk.size.astype(np.int64)),
                              "client": pa.array(np.zeros(len(chunk), np.int64)),
                              "op": pa.array(ops, type=pa.string()), "ttl": pa.array(ttl_s)})
            quote = pc.any(pc.match_substring_regex(keys, r'[,"\r\n]')).as_py()
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False,
                                                          quoting_style="needed" if quote else "none"))
    if trace.fill != FILL_EXPLICIT:
        dropped.add("look-aside fill (Twitter traces are explicit: open with fill=look-aside to replay)")
    return sorted(dropped)


def _looks_like_twitter(head: bytes) -> bool:
    line = head.split(b"\n", 1)[0].decode("utf-8", "replace").split(",")
    return (len(line) == 7 and line[0].isdigit() and line[2].isdigit() and line[3].isdigit()
            and line[5].lower() in OPS)


class TwitterFormat:
    """Registry entry: ``.twr``/``.twitter`` files, or any file whose first line has the 7 fields."""

    name = "twitter"

    def matches(self, path: Path) -> bool:
        base = strip_compression(path.name.lower())
        if base.endswith((".twr", ".twitter")):
            return True
        if base.endswith((".csv", ".log", ".monitor", ".bin")) or path.is_dir():
            return False
        return _looks_like_twitter(head_bytes(path, 1024))

    def open(self, path: Path, **options) -> TwitterTrace:
        return TwitterTrace(Path(path), **options)

    write = staticmethod(write)


TRACE_FORMATS.add("twitter", TwitterFormat())
