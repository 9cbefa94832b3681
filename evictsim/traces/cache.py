"""The parse cache: the first full read of a text trace also writes its binary columns, so the next
run of the same file skips parsing (a plain column read is ~10x faster than the CSV parse).

Where: ``$EVICTSIM_CACHE_DIR`` or ``~/.cache/evictsim/traces``, never beside the user's file. Which:
one folder per (absolute path, size, mtime, format, reader options); a changed file misses the cache.
``EVICTSIM_TRACE_CACHE=off`` or ``open_trace(..., cache=False)`` turns it off. A pass that stops early
writes nothing; a process killed during its first pass leaves its temp folder, which the next first
pass in that cache removes (:func:`remove_stale_temps`).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
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


STALE_AFTER_S = 10 * 60      # a temp folder this old, of a dead process, is a killed first parse
_swept: set[Path] = set()    # cache folders already swept by this process


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's live process
        return True
    return True


def remove_stale_temps(root: Path, *, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove ``.NAME.PID.TID.tmp`` folders of processes that are gone and that nobody touched for
    ``older_than_s`` (both: a pid can be reused, and a cache shared over NFS sees other hosts' pids)."""
    removed = []
    now = time.time()
    try:
        candidates = list(root.glob(".*.tmp"))
    except OSError:
        return removed
    for folder in candidates:
        parts = folder.name.split(".")
        try:
            pid = int(parts[-3])
            old = now - folder.stat().st_mtime > older_than_s
        except (IndexError, ValueError, OSError):
            continue
        if old and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class CachingTrace:
    """Wraps a parsing reader; its first complete pass also writes the column cache, and once the
    cache exists every pass (and the key names, counts of skipped lines) comes from it."""

    def __init__(self, source, folder: Path):
        self.source = source
        self.folder = folder
        self.name = source.name
        self.fill = source.fill
        self._column: ColumnTrace | None = None
        if (folder / "meta.json").exists():
            try:
                self._column = ColumnTrace(folder, fill=self.fill, name=self.name)
            except Exception:  # a damaged cache is just a miss
                self._column = None

    @property
    def n_keys_hint(self) -> int | None:
        return self._column.n_keys_hint if self._column else self.source.n_keys_hint

    @property
    def key_namer(self):
        return getattr(self._column or self.source, "key_namer", None)

    @property
    def skipped_lines(self) -> int:
        return int(self.skipped().get("bad_lines", 0))

    def skipped(self) -> dict:
        """What the parse skipped: bad lines (count, first messages) and, for MONITOR, commands."""
        if self._column is not None:
            meta = self._column.meta
            return {"bad_lines": meta.get("skipped", 0), "examples": meta.get("skipped_examples", []),
                    **meta.get("extra", {})}
        return skipped_of(self.source)

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        if self._column is not None:
            self._column.fill = self.fill
            yield from self._column.chunks(chunk_size)
            return
        if self.folder.parent not in _swept:
            _swept.add(self.folder.parent)
            remove_stale_temps(self.folder.parent)
        # one temp folder per process and thread: concurrent first reads never share one
        tmp = self.folder.with_name(f".{self.folder.name}.{os.getpid()}.{threading.get_ident()}.tmp")
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
        report = skipped_of(self.source)
        meta = {"name": self.name, "fill": self.source.fill, "n_keys": n_keys,
                "skipped": report.pop("bad_lines"), "skipped_examples": report.pop("examples"),
                "extra": report}
        try:
            writer.close(meta, names)
            tmp.rename(self.folder)
        except OSError:  # another process committed the same cache first, or the disk is full
            shutil.rmtree(tmp, ignore_errors=True)


def skipped_of(trace) -> dict:
    """Bad lines and skipped commands of the last pass of any trace (empty figures if none)."""
    if hasattr(trace, "skipped") and callable(trace.skipped):
        return trace.skipped()
    errors = getattr(trace, "errors", None)
    out = {"bad_lines": errors.skipped if errors else int(getattr(trace, "skipped_lines", 0) or 0),
           "examples": list(errors.examples) if errors else []}
    commands = getattr(trace, "skipped_commands", None)
    if commands:
        out["skipped_commands"] = dict(commands)
    return out
