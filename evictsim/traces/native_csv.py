"""The native trace format: CSV ``time,op,key,size,ttl`` (``.csv``, ``.csv.gz``, ``.csv.zst``).

``time`` seconds from trace start (float, non-decreasing); ``op`` GET/SET/DEL, or a server command
with an empty key (``FLUSHALL``, ``FLUSHALL SYNC``, ``FLUSHALL ASYNC``, ``MEMORY PURGE``); ``size`` value bytes;
``ttl`` seconds with millisecond precision, empty or 0 = no TTL. Look-aside semantics: a GET that
misses is filled by the simulator with a SET of ``size`` bytes (``PX ttl``).

Read block by block with Arrow's multi-threaded CSV parser (decompression runs ahead in its own
thread), never a Python loop over lines; a bad value is reported as ``file:line: column: expected``.
Written with times in whole microseconds and TTLs in whole milliseconds, as the reference traces are.
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
from evictsim.traces.base import (ALL_OP_NAMES, FILL_EXPLICIT, FILL_LOOK_ASIDE, FIRST_SERVER_OP,
                                  MAX_KEY_BYTES, MAX_TTL_MS, MAX_VALUE_BYTES, NO_KEY, RequestChunk)
from evictsim.traces.csvblocks import CsvLayout, int64, parse_block
from evictsim.traces.filetrace import FileTrace
from evictsim.traces.keymap import KeyMapper
from evictsim.traces.names import row_names
from evictsim.traces.textio import line_blocks, open_binary
from evictsim.traces.writing import as_trace

COLUMNS = ("time", "op", "key", "size", "ttl")
HEADER = ",".join(COLUMNS)
_OPS = {name: code for code, name in enumerate(ALL_OP_NAMES)}
_EXPECTED_OPS = ", ".join(ALL_OP_NAMES[:-1]) + " or " + ALL_OP_NAMES[-1]
LAYOUT = CsvLayout(
    columns=COLUMNS,
    types={"time": pa.float64(), "op": pa.string(), "key": pa.string(), "size": pa.int64(),
           "ttl": pa.float64()},
    expected={"time": "a number of seconds", "size": "a non-negative integer",
              "ttl": "seconds or empty"},
    checks={"time": float, "size": int64, "ttl": float})


@dataclass
class NativeCsvTrace(FileTrace):
    fill: str = FILL_LOOK_ASIDE
    block_size: int = 8 << 20

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        mapper = self.start_pass()
        prev_time = 0.0
        for block, first_line in line_blocks(self.path, self.block_size):
            if first_line == 1:
                block, first_line = self._strip_header(block), 2
            table, lines = parse_block(block, first_line, LAYOUT, self.errors)
            chunk, prev_time = self._convert(table, lines, mapper, prev_time)
            for start in range(0, len(chunk), chunk_size):
                yield chunk.slice(start, min(len(chunk), start + chunk_size))
        self.n_keys_hint = len(mapper)

    def _strip_header(self, block: bytes) -> bytes:
        end = block.find(b"\n")
        header = block[:end].decode("utf-8", "replace").strip().replace('"', "")
        if header != HEADER:
            self.errors.mode = "raise"
            self.errors.bad(1, f"expected the header {HEADER}, got {header[:80]!r}")
        return block[end + 1:]

    def _convert(self, table: pa.Table, lines: np.ndarray, mapper: KeyMapper,
                 prev_time: float) -> tuple[RequestChunk, float]:
        ops = table.column("op").combine_chunks()
        op_codes = np.full(table.num_rows, 255, dtype=np.uint8)
        for name, code in _OPS.items():
            op_codes[pc.equal(ops, name).to_numpy(zero_copy_only=False)] = code
        time = _numpy(table, "time", np.nan)
        size = _numpy(table, "size", -1)
        ttl = _numpy(table, "ttl", 0.0)
        keys = table.column("key").combine_chunks()
        with np.errstate(over="ignore", invalid="ignore"):   # 1e308 s: refused below, not warned about
            ttl_ms = np.rint(np.nan_to_num(ttl, nan=-1.0, posinf=-1.0, neginf=-1.0) * 1000.0)
        key_bytes = pc.binary_length(keys).to_numpy(zero_copy_only=False)
        server = (op_codes >= FIRST_SERVER_OP) & (op_codes != 255)
        keep = self.errors.check_all(lines, [
            (op_codes == 255, "op", _EXPECTED_OPS, ops),
            (server & (key_bytes != 0), "key", "an empty key (a server command has none)", keys),
            (~(np.isfinite(time) & (time >= 0)), "time", "a finite number of seconds >= 0",
             table.column("time")),
            (size < 0, "size", "a non-negative integer", table.column("size")),
            (size > MAX_VALUE_BYTES, "size", "a size of at most 512 MiB (Redis's proto-max-bulk-len)",
             table.column("size")),
            (~(ttl_ms >= 0) | (ttl_ms > MAX_TTL_MS), "ttl", "finite seconds >= 0 or empty",
             table.column("ttl")),
            ((ttl > 0) & (ttl_ms == 0), "ttl", ("a TTL of at least 0.001 s (Redis TTLs are whole "
                                                 "milliseconds >= 1) or empty"), table.column("ttl")),
            ((key_bytes == 0) & ~server, "key", "a non-empty key", keys),
            (key_bytes > MAX_KEY_BYTES, "key", f"a key of at most {MAX_KEY_BYTES} bytes", keys)])
        if not keep.all():
            idx = np.flatnonzero(keep)
            time, op_codes, size, ttl_ms, lines = time[idx], op_codes[idx], size[idx], ttl_ms[idx], lines[idx]
            keys = keys.take(pa.array(idx))
        running_max = np.maximum.accumulate(np.concatenate([[prev_time], time]))[:-1]
        back = time < running_max
        if back.any():  # a time that goes backwards cannot enter a sorted stream
            idx = np.flatnonzero(self.errors.check(back, lines, "time", "non-decreasing seconds", time))
            time, op_codes, size, ttl_ms = time[idx], op_codes[idx], size[idx], ttl_ms[idx]
            keys = keys.take(pa.array(idx))
        ids, key_len = _map_keys(mapper, keys, op_codes)
        chunk = RequestChunk(time=time, op=op_codes, key=ids, key_len=key_len,
                             size=size.astype(np.int32), ttl_ms=ttl_ms.astype(np.int64))
        return chunk, float(time[-1]) if len(time) else prev_time


def _map_keys(mapper: KeyMapper, keys: pa.Array, op_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense ids and byte lengths of the keyed rows; NO_KEY and 0 for server commands."""
    server = op_codes >= FIRST_SERVER_OP
    if not server.any():
        return mapper.map_arrow(keys)
    keyed = np.flatnonzero(~server)
    ids = np.full(len(op_codes), NO_KEY, np.int32)
    key_len = np.zeros(len(op_codes), np.uint16)
    ids[keyed], key_len[keyed] = mapper.map_arrow(keys.take(pa.array(keyed)))
    return ids, key_len


def _numpy(table: pa.Table, column: str, null_as) -> np.ndarray:
    col = table.column(column)
    if col.null_count:
        col = col.fill_null(null_as)
    return col.to_numpy()


def fixed_decimals(values_in_units: np.ndarray, decimals: int) -> pa.Array:
    """Integers in 10**-decimals units as decimal strings (``1234567, 6`` → ``"1.234567"``)."""
    scale = 10 ** decimals
    ints = np.asarray(values_in_units, dtype=np.int64)
    whole = pc.cast(pa.array(ints // scale), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(ints % scale), pa.string()), width=decimals, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


def chunk_table(chunk: RequestChunk, keys: pa.Array) -> pa.Table:
    micros = np.rint(chunk.time * 1e6).astype(np.int64)
    ttl = fixed_decimals(chunk.ttl_ms, 3)
    ttl = pc.if_else(pa.array(chunk.ttl_ms > 0), ttl, pa.scalar(None, pa.string()))  # null: unquoted empty
    ops = pa.array(np.asarray(ALL_OP_NAMES, dtype=object)[chunk.op], type=pa.string())
    return pa.table({"time": fixed_decimals(micros, 6), "op": ops, "key": keys,
                     "size": pa.array(chunk.size.astype(np.int64)), "ttl": ttl})


def write(trace_or_chunks, path: Path, **_) -> list[str]:
    """Write a trace as native CSV; returns what the format could not hold."""
    trace = as_trace(trace_or_chunks)
    dropped: set[str] = set()
    if trace.fill == FILL_EXPLICIT:
        dropped.add("explicit fill (native traces are look-aside: open with fill=explicit to replay)")
    with atomic_path(path) as tmp, open_binary(tmp, "wb", named=path) as fh:
        fh.write((HEADER + "\n").encode())
        for chunk in trace.chunks():
            if chunk.vtype is not None and chunk.vtype.any():
                dropped.add("value types (integer values are written as strings)")
            keys = row_names(trace, chunk)
            needs_quotes = pc.any(pc.match_substring_regex(keys, r'[,"\r\n]')).as_py()
            opts = pacsv.WriteOptions(include_header=False,
                                      quoting_style="needed" if needs_quotes else "none")
            pacsv.write_csv(chunk_table(chunk, keys), fh, opts)
    return sorted(dropped)


class NativeCsvFormat:
    """Registry entry: which files are native CSV, and how to open and write them."""

    name = "native"
    suffixes = (".csv", ".csv.gz", ".csv.zst")
    holds = ("time_us", "op", "key_name", "size", "ttl_ms")

    def matches(self, path: Path) -> bool:
        return path.name.lower().endswith(self.suffixes)

    def open(self, path: Path, **options) -> NativeCsvTrace:
        return NativeCsvTrace(Path(path), **options)

    write = staticmethod(write)


TRACE_FORMATS.add("native", NativeCsvFormat())
