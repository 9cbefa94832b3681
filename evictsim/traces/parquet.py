"""Parquet traces (``.parquet``): the request columns with key names, for exchange with pandas,
DuckDB or Spark.

Columns: ``time`` (float64 s), ``op`` (``GET``/``SET``/``DEL``, dictionary-encoded), ``key``
(string), ``size`` (int32), ``ttl_ms`` (int64, 0 = none), ``vtype`` (uint8, optional). It holds
everything a trace carries; the fill semantics go in the file's metadata (``evictsim.fill``).
Read in record batches, so memory stays per batch plus per distinct key.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from evictsim.atomic import atomic_path
from evictsim.errors import UserInputError
from evictsim.traces import TRACE_FORMATS
from evictsim.traces.filetrace import FileTrace
from evictsim.traces.base import (FILL_LOOK_ASIDE, MAX_KEY_BYTES, MAX_TTL_MS, MAX_VALUE_BYTES, OP_NAMES,
                                  RequestChunk)
from evictsim.traces.keymap import KeyMapper
from evictsim.traces.names import key_names
from evictsim.traces.writing import as_trace

REQUIRED = ("time", "op", "key", "size", "ttl_ms")


@dataclass
class ParquetTrace(FileTrace):
    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            self.file = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise UserInputError(f"expected a Parquet file ({str(exc).splitlines()[0]})",
                                 source=str(self.path)) from None
        missing = [c for c in REQUIRED if c not in self.file.schema_arrow.names]
        if missing:
            raise UserInputError(f"expected the columns {', '.join(REQUIRED)} (and optional vtype); "
                                 f"missing {', '.join(missing)}", source=str(self.path))
        meta = self.file.schema_arrow.metadata or {}
        self.fill = self.fill or meta.get(b"evictsim.fill", FILL_LOOK_ASIDE.encode()).decode()

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        mapper = self.start_pass()
        columns = list(REQUIRED) + (["vtype"] if "vtype" in self.file.schema_arrow.names else [])
        row, prev = 0, 0.0
        for batch in self._batches(chunk_size, columns):
            chunk = self._convert(batch, mapper, row, prev)
            row += batch.num_rows
            if len(chunk):
                prev = float(chunk.time[-1])
                yield chunk
        self.n_keys_hint = len(mapper)

    def _batches(self, chunk_size: int, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """Record batches; a damaged page or a column of the wrong type is a user error."""
        batches = self.file.iter_batches(batch_size=chunk_size, columns=columns)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowException, OSError) as exc:
                raise UserInputError(f"cannot read the Parquet data ({str(exc).splitlines()[0]})",
                                     source=str(self.path)) from None
            yield batch

    def _cast(self, batch: pa.RecordBatch, name: str, to: pa.DataType) -> pa.Array:
        try:
            return pc.cast(batch.column(name), to)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise UserInputError(f"expected a column of {to}, got {batch.schema.field(name).type}",
                                 source=str(self.path), key=name) from None

    def _column(self, batch: pa.RecordBatch, name: str, to: pa.DataType, null) -> np.ndarray:
        return self._cast(batch, name, to).fill_null(null).to_numpy()

    def _keys(self, batch: pa.RecordBatch) -> pa.Array:
        return self._cast(batch, "key", pa.string())

    def _convert(self, batch: pa.RecordBatch, mapper: KeyMapper, row: int, prev: float) -> RequestChunk:
        op = np.full(batch.num_rows, 255, np.uint8)
        ops = pc.cast(batch.column("op"), pa.string())
        for code, name in enumerate(OP_NAMES):
            op[pc.equal(ops, name).to_numpy(zero_copy_only=False)] = code
        time = self._column(batch, "time", pa.float64(), np.nan)
        size = self._column(batch, "size", pa.int64(), -1)
        ttl = self._column(batch, "ttl_ms", pa.int64(), -1)
        keys = self._keys(batch)
        finite = np.isfinite(time) & (time >= 0)
        running = np.maximum.accumulate(np.concatenate([[prev], np.where(finite, time, prev)]))[:-1]
        rows = np.arange(row + 1, row + 1 + batch.num_rows)  # 1-based row numbers for messages
        key_bytes = pc.binary_length(keys).fill_null(0).to_numpy(zero_copy_only=False)
        keep = self.errors.check_all(rows, [
            (op == 255, "op", "GET, SET or DEL", ops),
            (~finite, "time", "a finite number of seconds >= 0", time),
            (time < running, "time", "non-decreasing seconds", time),
            ((size < 0) | (size > MAX_VALUE_BYTES), "size",
             "a size in 0..536870912 (512 MiB, Redis's proto-max-bulk-len)", size),
            ((ttl < 0) | (ttl > MAX_TTL_MS), "ttl_ms", f"milliseconds in 0..{MAX_TTL_MS}", ttl),
            (pc.is_null(keys).to_numpy(zero_copy_only=False), "key", "a key", keys),
            (key_bytes > MAX_KEY_BYTES, "key", f"a key of at most {MAX_KEY_BYTES} bytes", keys)])
        idx = None if keep.all() else pa.array(np.flatnonzero(keep))
        if idx is not None:
            op, time, size, ttl, keys = op[keep], time[keep], size[keep], ttl[keep], keys.take(idx)
        ids, key_len = mapper.map_arrow(keys)
        vtype = None
        if "vtype" in batch.schema.names:
            vtype = pc.cast(batch.column("vtype"), pa.uint8()).fill_null(0).to_numpy()
            vtype = vtype if idx is None else vtype[keep]
        return RequestChunk(time=time, op=op, key=ids, key_len=key_len, size=size.astype(np.int32),
                            ttl_ms=ttl, vtype=vtype)


def write(trace_or_chunks, path: Path, **_) -> list[str]:
    """Write a trace as Parquet (zstd-compressed); it holds everything, drops nothing."""
    trace = as_trace(trace_or_chunks)
    schema = pa.schema([("time", pa.float64()), ("op", pa.dictionary(pa.int8(), pa.string())),
                        ("key", pa.string()), ("size", pa.int32()), ("ttl_ms", pa.int64()),
                        ("vtype", pa.uint8())], metadata={"evictsim.fill": trace.fill})
    ops = pa.array(OP_NAMES, pa.string())
    with atomic_path(path) as tmp:
        with pq.ParquetWriter(str(tmp), schema, compression="zstd") as writer:
            for chunk in trace.chunks():
                vtype = chunk.vtype if chunk.vtype is not None else np.zeros(len(chunk), np.uint8)
                op = pa.DictionaryArray.from_arrays(pa.array(chunk.op.astype(np.int8)), ops)
                writer.write_table(pa.table({
                    "time": chunk.time, "op": op, "key": key_names(trace, chunk), "size": chunk.size,
                    "ttl_ms": chunk.ttl_ms, "vtype": vtype}, schema=schema))
    return []


class ParquetFormat:
    """Registry entry for ``.parquet`` files."""

    name = "parquet"

    def matches(self, path: Path) -> bool:
        return path.name.lower().endswith(".parquet")

    def open(self, path: Path, **options) -> ParquetTrace:
        return ParquetTrace(Path(path), **options)

    write = staticmethod(write)


TRACE_FORMATS.add("parquet", ParquetFormat())
