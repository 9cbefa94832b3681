"""A limit on the simulated time a trace spans, checked before and while it is read.

Random bytes read as oracleGeneral, a timestamp in milliseconds read as seconds, or one stray line
dated 2038 make a trace span billions of simulated seconds: the server's cron then runs ``hz`` times
a simulated second for hours of real time, for a result nobody wanted. :data:`MAX_SPAN_S` (30 days of
simulated time: far more than any capture or generated workload evictsim ships) is the limit;
``--allow-long-span`` (``allow=True``) lifts it.

Two checks: :func:`estimated_span` reads the span before the run where that costs nothing (a
generator's ``requests / rate`` or ``duration``, the last time of a cached or uncompressed binary
trace); :class:`SpanLimitedTrace` checks every chunk as it is read, before the engine serves it, for
the text formats whose span is known only at their end.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from evictsim.errors import UserInputError
from evictsim.traces.base import RequestChunk

MAX_SPAN_S = 30 * 86400.0
ALLOW_OPTION = "--allow-long-span"


def _too_long(span: float, name: str, option: str) -> UserInputError:
    return UserInputError(f"the trace spans {span:.4g} s of simulated time ({span / 86400:.4g} days), "
                          f"more than the {MAX_SPAN_S / 86400:.0f}-day limit: wrong time unit or corrupt "
                          f"timestamps? Pass {option} to run it anyway", source=name)


class SpanLimitedTrace:
    """``trace`` whose chunks stop with a user error once a request lies past ``limit_s``."""

    def __init__(self, trace: Any, limit_s: float = MAX_SPAN_S, option: str = ALLOW_OPTION):
        self.__dict__["_trace"] = trace
        self.__dict__["_limit_s"] = limit_s
        self.__dict__["_option"] = option

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        for chunk in self._trace.chunks(chunk_size):
            if len(chunk) and chunk.time[-1] > self._limit_s:   # times are non-decreasing
                raise _too_long(float(chunk.time[-1]), _name(self._trace), self._option)
            yield chunk

    def __getattr__(self, name: str) -> Any:       # every other attribute is the trace's own
        return getattr(self._trace, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._trace, name, value)


def _name(trace: Any) -> str:
    path = getattr(trace, "path", None) or getattr(getattr(trace, "source", None), "path", None)
    return str(path) if path is not None else str(getattr(trace, "name", "trace"))


def estimated_span(trace: Any) -> float | None:
    """The trace's span in seconds when it is known without reading it; else None."""
    workload = getattr(trace, "workload", None)
    if workload is not None and hasattr(workload, "p"):
        params = workload.p
        by_count = params["requests"] / params["rate"] if params.get("rate") else None
        spans = [s for s in (by_count, params.get("duration")) if s is not None]
        if params.get("rate-curve"):   # a curve changes the mean rate: only duration is certain
            spans = [s for s in (params.get("duration"),) if s is not None]
        return min(spans) if spans else None
    column = getattr(trace, "_column", None) or (trace if hasattr(trace, "meta") else None)
    if column is not None and getattr(column, "path", None) is not None:
        return _column_span(Path(column.path))
    if type(trace).__name__ == "OracleGeneralTrace":
        return _oracle_span(Path(trace.path))
    return None


def _column_span(folder: Path) -> float | None:
    try:
        times = np.load(folder / "time.npy", mmap_mode="r")
    except (OSError, ValueError):
        return None
    return float(times[-1]) if len(times) else 0.0


def _oracle_span(path: Path) -> float | None:
    """Last minus first timestamp of an uncompressed oracleGeneral file (two 24-byte reads)."""
    from evictsim.traces.oracle_general import RECORD
    if path.name.lower().endswith((".zst", ".gz")):
        return None
    try:
        with open(path, "rb") as fh:
            first = fh.read(RECORD.itemsize)
            size = path.stat().st_size
            fh.seek(max(0, size // RECORD.itemsize - 1) * RECORD.itemsize)
            last = fh.read(RECORD.itemsize)
    except OSError:
        return None
    if len(first) < RECORD.itemsize or len(last) < RECORD.itemsize:
        return None
    t0 = int(np.frombuffer(first, RECORD)["time"][0])
    t1 = int(np.frombuffer(last, RECORD)["time"][0])
    return float(t1 - t0) if t1 >= t0 else None   # backwards: the reader names the record


def limit_span(trace: Any, *, allow: bool = False, option: str = ALLOW_OPTION) -> Any:
    """``trace`` checked against :data:`MAX_SPAN_S`: an error now if its span is known and too long,
    else a wrapper that checks while it is read. ``allow=True`` returns ``trace`` unchanged."""
    if allow:
        return trace
    span = estimated_span(trace)
    if span is not None and span > MAX_SPAN_S:
        raise _too_long(span, _name(trace), option)
    return SpanLimitedTrace(trace, MAX_SPAN_S, option)
