"""Trace formats: one module per format, registered by name in :data:`TRACE_FORMATS`.

``open_trace("path.csv.gz")`` picks the format from the extension (or, for extension-less files,
the first bytes); ``open_trace("native:path")`` or ``open_trace(path, fmt="native")`` names it. Every
reader yields :class:`RequestChunk` streams. Options every reader takes: ``fill`` (override the
format's look-aside/explicit semantics), ``on_error`` (``raise`` or ``skip`` bad lines), ``cache``
(write/read the parse cache, default on for text formats, see :mod:`evictsim.traces.cache`).
"""
from __future__ import annotations

import re
from pathlib import Path

from evictsim.errors import UserInputError
from evictsim.registry import Registry
from evictsim.traces.base import (ArrayTrace, RequestChunk, Trace, FILL_EXPLICIT, FILL_LOOK_ASIDE,
                                  OP_DEL, OP_GET, OP_SET)

# name -> TraceFormat: an object with name, matches(path), open(path, **options), optional write()
TRACE_FORMATS: Registry = Registry("trace format")
FILLS = (FILL_LOOK_ASIDE, FILL_EXPLICIT)
_PARSED = ("native", "twitter", "monitor", "oracle-general", "parquet")  # formats worth caching as columns


def _load_builtin_formats() -> None:
    # Importing registers them; order matters only for detection of ambiguous files.
    from evictsim.traces import columns, monitor, native_csv, oracle_general, parquet, twitter  # noqa: F401


def detect_format(path: Path) -> str:
    _load_builtin_formats()
    for name in TRACE_FORMATS:
        fmt = TRACE_FORMATS.get(name)
        if fmt.matches(path):
            return name
    raise UserInputError(f"cannot tell the trace format from the name or first line; prefix it as "
                         f"FORMAT:PATH with FORMAT one of: {', '.join(TRACE_FORMATS.names())}",
                         source=str(path))


# Other tools' spellings of a format name (libCacheSim writes ``oracleGeneral``), folded to ours.
ALIASES = {"oraclegeneral": "oracle-general", "oracle_general": "oracle-general", "csv": "native",
           "evtrace": "columns"}
_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_-]+):(?!//)")


def canonical_format(name: str, *, source: str | None = None, key: str | None = "format") -> str:
    """A registered format name for ``name`` in our or libCacheSim's spelling; else a user error
    that lists the formats."""
    _load_builtin_formats()
    if name in TRACE_FORMATS:
        return name
    folded = ALIASES.get(name.lower(), name.lower())
    if folded in TRACE_FORMATS:
        return folded
    raise UserInputError(f"unknown trace format {name!r}; expected one of: "
                         f"{', '.join(TRACE_FORMATS.names())}", source=source, key=key)


def split_spec(spec: str | Path, fmt: str | None = None) -> tuple[str | None, Path]:
    """``"twitter:cluster52.0"`` → ``("twitter", Path("cluster52.0"))``. A ``WORD:`` prefix that is
    not a format is an error (not a folder named ``WORD:``), unless a file of that very name exists."""
    _load_builtin_formats()
    text = str(spec)
    if fmt is not None:
        return canonical_format(fmt), Path(text)
    m = _PREFIX.match(text)
    if m is not None and not Path(text).exists():
        return canonical_format(m.group(1), source=text, key=None), Path(text[m.end():])
    return None, Path(text)


def open_trace(spec: str | Path, fmt: str | None = None, **options) -> Trace:
    """Open a trace file. ``spec`` may be ``FORMAT:PATH``; else ``fmt`` or the extension decides."""
    fmt, path = split_spec(spec, fmt)
    if not path.exists():
        raise UserInputError("no such trace file", source=str(path))
    name = fmt or detect_format(path)
    fill = options.pop("fill", None)
    if fill is not None and fill not in FILLS:
        raise UserInputError(f"expected one of {', '.join(FILLS)}, got {fill!r}", key="fill")
    use_cache = options.pop("cache", None)
    trace = TRACE_FORMATS.get(name, source=str(path), key="format").open(path, **options)
    if fill is not None:
        trace.fill = fill
    from evictsim.traces import cache
    if name in _PARSED and (use_cache if use_cache is not None else cache.cache_enabled()):
        trace = cache.CachingTrace(trace, cache.cache_folder(path, name, options))
    return trace


def write_trace(trace, spec: str | Path, fmt: str | None = None, **options) -> list[str]:
    """Write ``trace`` to ``spec`` (``FORMAT:PATH`` or by extension); returns what was dropped."""
    fmt, path = split_spec(spec, fmt)
    name = fmt or detect_format(path)
    target = TRACE_FORMATS.get(name, source=str(path), key="format")
    if not hasattr(target, "write"):
        writable = [n for n in TRACE_FORMATS if hasattr(TRACE_FORMATS.get(n), "write")]
        raise UserInputError(f"the {name} format is read-only; write one of: {', '.join(writable)}",
                             source=str(path))
    return target.write(trace, path, **options)


__all__ = ["ArrayTrace", "RequestChunk", "Trace", "TRACE_FORMATS", "open_trace", "write_trace",
           "detect_format", "split_spec", "FILL_EXPLICIT", "FILL_LOOK_ASIDE", "OP_GET", "OP_SET",
           "OP_DEL"]
