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
from evictsim.traces.base import FILL_LOOK_ASIDE, OP_NAMES, RequestChunk
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
            raise UserInputError(f"not a Parquet file ({exc})", source=str(self.path)) from None
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
        for batch in self.file.iter_batches(batch_size=chunk_size, columns=columns):
            chunk = self._convert(batch, mapper, row, prev)
            row += batch.num_rows
            if len(chunk):
                prev = float(chunk.time[-1])
                yield chunk
        self.n_keys_hint = len(mapper)

    def _convert(self, batch: pa.RecordBatch, mapper: KeyMapper, row: int, prev: float) -> RequestChunk:
        op = np.full(batch.num_rows, 255, np.uint8)
        ops = pc.cast(batch.column("op"), pa.string())
        for code, name in enumerate(OP_NAMES):
            op[pc.equal(ops, name).to_numpy(zero_copy_only=False)] = code
        time = pc.cast(batch.column("time"), pa.float64()).fill_null(np.nan).to_numpy()
        size = pc.cast(batch.column("size"), pa.int64()).fill_null(-1).to_numpy()
        ttl = pc.cast(batch.column("ttl_ms"), pa.int64()).fill_null(-1).to_numpy()
        keys = pc.cast(batch.column("key"), pa.string())
        running = np.maximum.accumulate(np.concatenate([[prev], np.nan_to_num(time, nan=prev)]))[:-1]
        rows = np.arange(row + 1, row + 1 + batch.num_rows)  # 1-based row numbers for messages
        keep = self.errors.check_all(rows, [
            (op == 255, "op", "GET, SET or DEL", ops),
            (~(time >= running), "time", "non-decreasing seconds", time),
            ((size < 0) | (size > 2**31 - 1), "size", "a size in 0..2^31-1", size),
            (ttl < 0, "ttl_ms", "milliseconds >= 0", ttl),
            (pc.is_null(keys).to_numpy(zero_copy_only=False), "key", "a key", keys)])
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
