"""Trace formats: one module per format, registered by name in :data:`TRACE_FORMATS`.

``open_trace("path.csv.gz")`` picks the format from the extension; ``open_trace("native:path")``
or ``open_trace(path, fmt="native")`` names it. Every reader yields :class:`RequestChunk` streams.
"""
from __future__ import annotations

from pathlib import Path

from evictsim.errors import UserInputError
from evictsim.registry import Registry
from evictsim.traces.base import (ArrayTrace, RequestChunk, Trace, FILL_EXPLICIT, FILL_LOOK_ASIDE,
                                  OP_DEL, OP_GET, OP_SET)

# name -> TraceFormat (see evictsim.traces.native_csv for the shape of one)
TRACE_FORMATS: Registry = Registry("trace format")


def _load_builtin_formats() -> None:
    from evictsim.traces import native_csv  # noqa: F401  (registers itself)


def detect_format(path: Path) -> str:
    _load_builtin_formats()
    for name in TRACE_FORMATS:
        fmt = TRACE_FORMATS.get(name)
        if fmt.matches(path):
            return name
    raise UserInputError(f"cannot tell the trace format from the name; prefix it as FORMAT:PATH with "
                         f"FORMAT one of: {', '.join(TRACE_FORMATS.names())}", source=str(path))


def open_trace(spec: str | Path, fmt: str | None = None, **options) -> Trace:
    """Open a trace file. ``spec`` may be ``FORMAT:PATH``; else ``fmt`` or the extension decides."""
    _load_builtin_formats()
    text = str(spec)
    if fmt is None and ":" in text and text.split(":", 1)[0] in TRACE_FORMATS:
        fmt, text = text.split(":", 1)
    path = Path(text)
    if not path.exists():
        raise UserInputError("no such trace file", source=str(path))
    name = fmt or detect_format(path)
    return TRACE_FORMATS.get(name, source=str(path), key="format").open(path, **options)


__all__ = ["ArrayTrace", "RequestChunk", "Trace", "TRACE_FORMATS", "open_trace", "detect_format",
           "FILL_EXPLICIT", "FILL_LOOK_ASIDE", "OP_GET", "OP_SET", "OP_DEL"]
