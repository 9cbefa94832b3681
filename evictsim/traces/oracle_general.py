"""libCacheSim's ``oracleGeneral`` binary trace (``.oracleGeneral``, ``.oracleGeneral.bin``, ``.zst``).

Little-endian packed records of 24 bytes: ``uint32 timestamp`` (s), ``uint64 obj_id``, ``uint32
obj_size``, ``int64 next_access_vtime`` (index of the next request to the same object, -1 if none;
libCacheSim's ``oracleGeneralBin.h``). The format has no operation, TTL or key name: every record
is a GET in a look-aside cache, and the key length is an option (``key_len``, default 16 bytes).
Records of size 0 are skipped (and counted), as libCacheSim's own reader skips them.

Written the same way, so a trace can be replayed in evictsim and in libCacheSim; ``next_access_vtime``
is computed by a backward pass over the written file, with memory per distinct key, not per request.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import ClassVar
from pathlib import Path
from typing import Iterator

import numpy as np

from evictsim.atomic import atomic_path
from evictsim.errors import UserInputError
from evictsim.traces import TRACE_FORMATS
from evictsim.traces.badlines import BadLines
from evictsim.traces.filetrace import FileTrace
from evictsim.traces.base import FILL_LOOK_ASIDE, MAX_VALUE_BYTES, OP_DEL, OP_GET, RequestChunk
from evictsim.traces.keymap import IntKeyMapper
from evictsim.traces.textio import open_binary, strip_compression
from evictsim.traces.writing import as_trace

RECORD = np.dtype([("time", "<u4"), ("obj_id", "<u8"), ("size", "<u4"), ("next", "<i8")])
assert RECORD.itemsize == 24
BLOCK_RECORDS = 1 << 20


@dataclass
class OracleGeneralTrace(FileTrace):
    fill: str = FILL_LOOK_ASIDE
    key_len: int = 16
    has_key_names: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= int(self.key_len) <= 65535:
            raise UserInputError(f"expected a key length in 1..65535, got {self.key_len!r}", key="key_len")

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        mapper = IntKeyMapper()
        self.errors = BadLines(str(self.path), self.on_error)
        t0, latest = None, 0
        for first, records in self._records():
            numbers = np.arange(first, first + len(records), dtype=np.int64)  # 1-based record numbers
            keep = records["size"] > 0
            records, numbers = records[keep], numbers[keep]
            if not len(records):
                continue
            if t0 is None:
                t0 = latest = int(records["time"][0])
            records, numbers, latest = self._checked(records, numbers, latest)
            if not len(records):
                continue
            time = records["time"].astype(np.float64) - t0
            n = len(records)
            chunk = RequestChunk(time=time, op=np.full(n, OP_GET, np.uint8),
                                 key=mapper.map(records["obj_id"]),
                                 key_len=np.full(n, self.key_len, np.uint16),
                                 size=records["size"].astype(np.int32),
                                 ttl_ms=np.zeros(n, np.int64))
            for start in range(0, n, chunk_size):
                yield chunk.slice(start, min(n, start + chunk_size))
        self.n_keys_hint = len(mapper)

    def _checked(self, records: np.ndarray, numbers: np.ndarray,
                 latest: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Drop (or stop at) records whose time goes backwards or whose size Redis would refuse.
        Random bytes read as this format fail here at once instead of spanning 4e9 seconds."""
        times = records["time"].astype(np.int64)
        sizes = records["size"]
        big = sizes > MAX_VALUE_BYTES
        keep = self.errors.check(big, numbers, "obj_size", "a size of at most 512 MiB (Redis's "
                                 "proto-max-bulk-len)", sizes)
        running = np.maximum.accumulate(np.concatenate([[latest], np.where(keep, times, latest)]))[:-1]
        keep &= self.errors.check(keep & (times < running), numbers, "timestamp",
                                  "non-decreasing seconds", times)
        if not keep.all():
            records, numbers, times = records[keep], numbers[keep], times[keep]
        return records, numbers, int(times.max()) if len(times) else latest

    def _records(self) -> Iterator[tuple[int, np.ndarray]]:
        """(number of the first record, records) per block; a cut or unreadable file is a user error."""
        index = 0
        try:
            with open_binary(self.path) as fh:
                while True:
                    data = fh.read(BLOCK_RECORDS * RECORD.itemsize)
                    whole = len(data) // RECORD.itemsize * RECORD.itemsize
                    if whole:
                        records = np.frombuffer(data[:whole], dtype=RECORD)
                        self.errors.skipped += int((records["size"] == 0).sum())
                        yield index + 1, records
                        index += len(records)
                    if whole < len(data):
                        self.errors.bad(index + 1, f"expected 24-byte records, the file ends with "
                                                   f"{len(data) - whole} extra bytes (record {index + 1})")
                    if len(data) < BLOCK_RECORDS * RECORD.itemsize:
                        return
        except (OSError, EOFError) as exc:
            raise UserInputError(f"cannot read the file ({exc})", source=str(self.path)) from None


def _backfill_next(path: Path, n: int, n_keys: int) -> None:
    """Set ``next`` of every record of the raw file ``path`` by walking it backwards."""
    last_seen = np.full(max(n_keys, 1), -1, dtype=np.int64)
    with open(path, "r+b") as fh:
        for end in range(n, 0, -BLOCK_RECORDS):
            start = max(0, end - BLOCK_RECORDS)
            fh.seek(start * RECORD.itemsize)
            rec = np.frombuffer(fh.read((end - start) * RECORD.itemsize), dtype=RECORD).copy()
            keys = rec["obj_id"].astype(np.int64)
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            nxt = np.empty(len(rec), np.int64)
            same_as_next = np.append(sorted_keys[1:] == sorted_keys[:-1], False)
            nxt[order[:-1]] = np.where(same_as_next[:-1], start + order[1:], last_seen[sorted_keys[:-1]])
            nxt[order[-1]] = last_seen[sorted_keys[-1]]
            first_of_group = np.insert(sorted_keys[1:] != sorted_keys[:-1], 0, True)
            last_seen[sorted_keys[first_of_group]] = start + order[first_of_group]
            rec["next"] = nxt
            fh.seek(start * RECORD.itemsize)
            fh.write(rec.tobytes())


def write(trace_or_chunks, path: Path, **_) -> list[str]:
    """Write as oracleGeneral; object ids are the dense key ids. Returns what the format dropped."""
    trace = as_trace(trace_or_chunks)
    dropped = {"key names and key lengths"}
    if trace.fill != FILL_LOOK_ASIDE:
        dropped.add("explicit fill (oracleGeneral replays as look-aside GETs)")
    n, n_keys = 0, 0
    with atomic_path(path) as tmp:
        raw = tmp.with_name(tmp.name + ".raw")
        try:
            with open(raw, "wb") as fh:
                for chunk in trace.chunks():
                    if chunk.ttl_ms.any():
                        dropped.add("TTLs")
                    keep = chunk.op != OP_DEL
                    if not keep.all():
                        dropped.add("DEL requests")
                    if (chunk.op[keep] != OP_GET).any():
                        dropped.add("operations (SETs written as plain requests)")
                    if (np.floor(chunk.time) != chunk.time).any():
                        dropped.add("sub-second times")
                    size = chunk.size[keep]
                    if (size <= 0).any():
                        dropped.add("zero sizes (written as 1 byte)")
                    rec = np.zeros(int(keep.sum()), dtype=RECORD)
                    rec["time"] = np.floor(chunk.time[keep]).astype(np.uint32)
                    rec["obj_id"] = chunk.key[keep].astype(np.uint64)
                    rec["size"] = np.maximum(size, 1)
                    fh.write(rec.tobytes())
                    n += len(rec)
                    n_keys = max(n_keys, chunk.max_key + 1)
            _backfill_next(raw, n, n_keys)
            if strip_compression(path.name) == path.name:
                os.replace(raw, tmp)
            else:
                with open(raw, "rb") as src, open_binary(tmp, "wb", named=path) as dst:
                    shutil.copyfileobj(src, dst, 16 << 20)
        finally:
            raw.unlink(missing_ok=True)
    return sorted(dropped)


class OracleGeneralFormat:
    """Registry entry: names containing ``oracleGeneral`` (any compression)."""

    name = "oracle-general"

    def matches(self, path: Path) -> bool:
        return "oraclegeneral" in path.name.lower()

    def open(self, path: Path, **options) -> OracleGeneralTrace:
        return OracleGeneralTrace(Path(path), **options)

    write = staticmethod(write)


TRACE_FORMATS.add("oracle-general", OracleGeneralFormat())
