"""The binary column format: a folder ``NAME.evtrace/`` of ``.npy`` columns with dense key ids.

One ``.npy`` file per :class:`RequestChunk` column (``time.npy``, ``op.npy``, ``key.npy``, ...), a
``meta.json`` (requests, distinct keys, fill, how many bad lines the original parse skipped) and,
when the source knew them, the key strings in ``key_names.arrow``. Reading is a plain file read per
column and chunk (no parsing, no key mapping), which is why parsed traces are cached in this format
(:mod:`evictsim.traces.cache`). Columns are written streaming: the ``.npy`` header is written last,
at a fixed size, once the length is known.
"""
from __future__ import annotations

import json
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa

from evictsim.atomic import write_json
from evictsim.errors import UserInputError
from evictsim.traces import TRACE_FORMATS
from evictsim.traces.base import FILL_LOOK_ASIDE, RequestChunk
from evictsim.traces.names import ListNamer
from evictsim.traces.writing import as_trace

SUFFIX = ".evtrace"
MARK = "evictsim-columns"
DTYPES = {"time": "<f8", "op": "|u1", "key": "<i4", "key_len": "<u2", "size": "<i4", "ttl_ms": "<i8",
          "vtype": "|u1"}
_HEADER_BYTES = 128


def _npy_header(dtype: str, n: int) -> bytes:
    text = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': ({n},), }}"
    body = text.ljust(_HEADER_BYTES - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode("latin1")


class ColumnWriter:
    """Appends chunks to the column files of a folder; ``close()`` writes headers and meta.json."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.n = 0
        self.has_vtype = False
        self.files = {c: open(folder / f"{c}.npy", "wb") for c in DTYPES}
        for fh in self.files.values():
            fh.write(b"\0" * _HEADER_BYTES)

    def append(self, chunk: RequestChunk) -> None:
        for column, dtype in DTYPES.items():
            values = getattr(chunk, column)
            if column == "vtype":
                self.has_vtype |= values is not None
                values = np.zeros(len(chunk), np.uint8) if values is None else values
            self.files[column].write(np.ascontiguousarray(values, dtype=dtype).tobytes())
        self.n += len(chunk)

    def close(self, meta: dict, names: pa.Array | None = None) -> None:
        for column, fh in self.files.items():
            fh.seek(0)
            fh.write(_npy_header(DTYPES[column], self.n))
            fh.close()
        if not self.has_vtype:
            (self.folder / "vtype.npy").unlink()
        if names is not None:
            with pa.OSFile(str(self.folder / "key_names.arrow"), "wb") as sink:
                with pa.ipc.new_file(sink, pa.schema([("key", pa.string())])) as writer:
                    writer.write_table(pa.table({"key": names}))
        write_json(self.folder / "meta.json", {**meta, "format": MARK, "version": 1, "requests": self.n,
                                               "columns": sorted(c for c in DTYPES if
                                                                 (self.folder / f"{c}.npy").exists())})

    def abort(self) -> None:
        for fh in self.files.values():
            fh.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as exc:
        raise UserInputError(f"not an evictsim column trace ({exc})", source=str(folder)) from None
    if meta.get("format") != MARK:
        raise UserInputError(f"not an evictsim column trace (meta.json format is not {MARK})",
                             source=str(folder))
    return meta


@dataclass
class ColumnTrace:
    """A trace stored as ``.npy`` columns; each chunk is one read per column."""

    path: Path
    fill: str | None = None
    name: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.meta = read_meta(self.path)
        self.fill = self.fill or self.meta.get("fill", FILL_LOOK_ASIDE)
        self.name = self.name or self.meta.get("name") or self.path.name.split(".")[0]
        self.n_keys_hint: int | None = self.meta.get("n_keys")
        self.skipped_lines = int(self.meta.get("skipped", 0))
        names_file = self.path / "key_names.arrow"
        if names_file.exists():
            with pa.memory_map(str(names_file)) as source:
                table = pa.ipc.open_file(source).read_all()
            self.key_namer = ListNamer(table.column("key").to_pylist())

    def __len__(self) -> int:
        return int(self.meta["requests"])

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        n = len(self)
        columns = [c for c in DTYPES if c in self.meta["columns"]]
        files = {c: open(self.path / f"{c}.npy", "rb") for c in columns}
        try:
            for start in range(0, n, chunk_size):
                count = min(chunk_size, n - start)
                cols = {}
                for column, fh in files.items():
                    dtype = np.dtype(DTYPES[column])
                    fh.seek(_HEADER_BYTES + start * dtype.itemsize)
                    cols[column] = np.fromfile(fh, dtype=dtype, count=count)
                yield RequestChunk(**{c: cols.get(c) for c in DTYPES})
        finally:
            for fh in files.values():
                fh.close()


def write(trace_or_chunks, path: Path, *, extra_meta: dict | None = None, **_) -> list[str]:
    """Write any trace as a column folder (replacing ``path``); it holds everything, drops nothing."""
    trace = as_trace(trace_or_chunks)
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    writer = ColumnWriter(tmp)
    n_keys = 0
    try:
        for chunk in trace.chunks():
            writer.append(chunk)
            n_keys = max(n_keys, chunk.max_key + 1)
        namer = getattr(trace, "key_namer", None)
        names = namer.names_for(np.arange(n_keys)) if namer is not None and n_keys else None
        writer.close({"name": trace.name, "fill": trace.fill, "n_keys": n_keys, **(extra_meta or {})},
                     names)
    except BaseException:
        writer.abort()
        raise
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return []


class ColumnFormat:
    """Registry entry for ``NAME.evtrace/`` folders."""

    name = "columns"

    def matches(self, path: Path) -> bool:
        return path.name.endswith(SUFFIX) or (path.is_dir() and (path / "meta.json").exists())

    def open(self, path: Path, **options) -> ColumnTrace:
        options.pop("on_error", None)  # nothing to parse, nothing to skip
        return ColumnTrace(Path(path), **options)

    write = staticmethod(write)


TRACE_FORMATS.add("columns", ColumnFormat())
