"""The native trace format: CSV ``time,op,key,size,ttl`` (``.csv``, ``.csv.gz``, ``.csv.zst``).

``time`` seconds from trace start (float, non-decreasing); ``op`` GET/SET/DEL; ``size`` value bytes;
``ttl`` seconds with millisecond precision, empty or 0 = no TTL. Look-aside semantics: a GET that
misses is filled by the simulator with a SET of ``size`` bytes (``PX ttl``).

Read with Arrow's multi-threaded CSV parser, in blocks, never a Python loop over lines; a bad value
is reported as ``file:line: column: expected ...``.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evictsim.errors import UserInputError
from evictsim.traces import TRACE_FORMATS
from evictsim.traces.base import FILL_LOOK_ASIDE, OP_DEL, OP_GET, OP_SET, RequestChunk
from evictsim.traces.keymap import KeyMapper

COLUMNS = ("time", "op", "key", "size", "ttl")
_OPS = {"GET": OP_GET, "SET": OP_SET, "DEL": OP_DEL}


def _open_binary(path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        import zstandard
        return zstandard.open(path, "rb")
    return open(path, "rb")


@dataclass
class NativeCsvTrace:
    path: Path
    fill: str = FILL_LOOK_ASIDE
    name: str = ""
    n_keys_hint: int | None = None
    block_size: int = 16 << 20

    def __post_init__(self) -> None:
        self.name = self.name or self.path.name.split(".")[0]
        self.key_names: list[str] = []

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        mapper = KeyMapper()
        first_line = 2  # line 1 is the header
        prev_time = 0.0
        convert = pacsv.ConvertOptions(column_types={"time": pa.string(), "op": pa.string(),
                                                     "key": pa.string(), "size": pa.string(),
                                                     "ttl": pa.string()},
                                       strings_can_be_null=False)
        try:
            fh = _open_binary(self.path)
            reader = pacsv.open_csv(fh, read_options=pacsv.ReadOptions(block_size=self.block_size),
                                    parse_options=pacsv.ParseOptions(newlines_in_values=False),
                                    convert_options=convert)
        except (pa.ArrowInvalid, OSError) as exc:
            raise UserInputError(f"not a native trace ({_first_line(exc)}); expected the header "
                                 f"time,op,key,size,ttl", source=str(self.path)) from None
        if tuple(reader.schema.names) != COLUMNS:
            raise UserInputError(f"expected the header time,op,key,size,ttl, got {','.join(reader.schema.names)}",
                                 source=str(self.path), line=1)
        with fh:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except pa.ArrowInvalid as exc:
                    raise UserInputError(f"malformed CSV ({_first_line(exc)}); expected 5 columns "
                                         f"time,op,key,size,ttl", source=str(self.path)) from None
                chunk, prev_time = self._convert(batch, mapper, first_line, prev_time)
                first_line += batch.num_rows
                for start in range(0, len(chunk), chunk_size):
                    yield chunk.slice(start, min(len(chunk), start + chunk_size))
        self.key_names = mapper.names
        self.n_keys_hint = len(mapper)

    def _convert(self, batch: pa.RecordBatch, mapper: KeyMapper, first_line: int,
                 prev_time: float) -> tuple[RequestChunk, float]:
        cols = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
        time = self._numeric(cols["time"], pa.float64(), "time", first_line, "a number of seconds")
        size = self._numeric(cols["size"], pa.int64(), "size", first_line, "a non-negative integer")
        ttl_col = pc.if_else(pc.equal(cols["ttl"], ""), "0", cols["ttl"])
        ttl = self._numeric(ttl_col, pa.float64(), "ttl", first_line, "seconds or empty")
        op_codes = np.full(batch.num_rows, 255, dtype=np.uint8)
        ops = cols["op"]
        for name, code in _OPS.items():
            op_codes[pc.equal(ops, name).to_numpy(zero_copy_only=False)] = code
        self._check(op_codes == 255, first_line, "op", "GET, SET or DEL", ops)
        self._check(size < 0, first_line, "size", "a non-negative integer", cols["size"])
        self._check(ttl < 0, first_line, "ttl", "seconds >= 0 or empty", cols["ttl"])
        self._check(pc.equal(cols["key"], "").to_numpy(zero_copy_only=False), first_line, "key",
                    "a non-empty key", cols["key"])
        back = np.diff(time, prepend=prev_time) < 0
        self._check(back, first_line, "time", "non-decreasing seconds", cols["time"])
        keys, key_len = mapper.map_arrow(cols["key"])
        chunk = RequestChunk(time=time, op=op_codes, key=keys, key_len=key_len,
                             size=size.astype(np.int32), ttl_ms=np.rint(ttl * 1000.0).astype(np.int64))
        return chunk, float(time[-1]) if len(time) else prev_time

    def _numeric(self, col: pa.Array, typ: pa.DataType, name: str, first_line: int, expected: str):
        try:
            return pc.cast(col, typ).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            bad = np.ones(len(col), dtype=bool)
            for i, v in enumerate(col.to_pylist()):
                try:
                    float(v) if typ == pa.float64() else int(v)
                    bad[i] = False
                except (TypeError, ValueError):
                    break
            self._check(bad, first_line, name, expected, col)
            raise  # unreachable: _check raised

    def _check(self, bad: np.ndarray, first_line: int, column: str, expected: str, values) -> None:
        if bad.any():
            i = int(np.argmax(bad))
            raise UserInputError(f"expected {expected}, got {values[i].as_py()!r}", source=str(self.path),
                                 line=first_line + i, key=column)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class NativeCsvFormat:
    """Registry entry: which files are native CSV, and how to open them."""

    name = "native"
    suffixes = (".csv", ".csv.gz", ".csv.zst")

    def matches(self, path: Path) -> bool:
        return path.name.lower().endswith(self.suffixes)

    def open(self, path: Path, **options) -> NativeCsvTrace:
        return NativeCsvTrace(Path(path), **options)


TRACE_FORMATS.add("native", NativeCsvFormat())
