"""The parse cache: the first full read of a text trace also writes its binary columns, so the next
run of the same file skips parsing (a plain column read is ~10x faster than the CSV parse).

Where: ``$EVICTSIM_CACHE_DIR`` or ``~/.cache/evictsim/traces``, never beside the user's file. Which:
one folder per (absolute path, size, mtime, format, reader options); a changed file misses the cache.
``EVICTSIM_TRACE_CACHE=off`` or ``open_trace(..., cache=False)`` turns it off. A pass that stops early
writes nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Iterator

import numpy as np

from evictsim.traces.base import RequestChunk
from evictsim.traces.columns import ColumnTrace, ColumnWriter


def cache_root() -> Path:
    env = os.environ.get("EVICTSIM_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "evictsim" / "traces"


def cache_enabled() -> bool:
    return os.environ.get("EVICTSIM_TRACE_CACHE", "on").lower() not in ("off", "0", "no", "false")


def cache_folder(path: Path, fmt: str, options: dict) -> Path:
    st = path.stat()
    ident = json.dumps([str(path.resolve()), st.st_size, st.st_mtime_ns, fmt,
                        sorted((k, str(v)) for k, v in options.items())])
    digest = hashlib.sha256(ident.encode()).hexdigest()[:20]
    return cache_root() / f"{path.name.split('.')[0]}-{digest}.evtrace"


class CachingTrace:
    """Wraps a parsing reader; its first complete pass also writes the column cache."""

    def __init__(self, source, folder: Path):
        self.source = source
        self.folder = folder
        self.name = source.name
        self.fill = source.fill

    @property
    def n_keys_hint(self) -> int | None:
        return self.source.n_keys_hint

    def __getattr__(self, attr):  # key_namer, errors, skipped counters of the reader
        return getattr(self.source, attr)

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        if (self.folder / "meta.json").exists():
            yield from ColumnTrace(self.folder, fill=self.fill, name=self.name).chunks(chunk_size)
            return
        tmp = self.folder.with_name(f".{self.folder.name}.{os.getpid()}.tmp")
        try:
            writer = ColumnWriter(tmp)
        except OSError:  # read-only cache location: just parse
            yield from self.source.chunks(chunk_size)
            return
        complete = False
        try:
            n_keys = 0
            for chunk in self.source.chunks(chunk_size):
                writer.append(chunk)
                n_keys = max(n_keys, chunk.max_key + 1)
                yield chunk
            complete = True
        finally:
            if complete:
                self._commit(writer, tmp, n_keys)
            else:
                writer.abort()

    def _commit(self, writer: ColumnWriter, tmp: Path, n_keys: int) -> None:
        namer = getattr(self.source, "key_namer", None)
        names = namer.names_for(np.arange(n_keys)) if namer is not None and n_keys else None
        errors = getattr(self.source, "errors", None)
        meta = {"name": self.name, "fill": self.source.fill, "n_keys": n_keys,
                "skipped": errors.skipped if errors else 0,
                "skipped_examples": errors.examples if errors else [],
                "extra": getattr(self.source, "cache_extra", lambda: {})()}
        try:
            writer.close(meta, names)
            tmp.rename(self.folder)
        except OSError:  # another process committed the same cache first, or the disk is full
            shutil.rmtree(tmp, ignore_errors=True)
