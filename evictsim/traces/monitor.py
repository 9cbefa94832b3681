"""Redis ``MONITOR`` output (``redis-cli monitor > capture.log``), read as an explicit-fill trace.

A line is ``<unix time> [<db> <client>] "CMD" "arg" ...`` with arguments escaped as Redis's
``sdscatrepr`` does (``\\"``, ``\\\\``, ``\\n``, ``\\xHH``...). Commands from a Lua script show
``[0 lua]``; the ``EVALSHA``/``EVAL`` line itself is not a request (its inner commands are). Requests
kept: ``GET``/``MGET`` → GET; ``SET`` (``EX``/``PX``/``EXAT``/``PXAT``; ``NX``/``XX`` written as plain
SETs), ``SETEX``, ``PSETEX``, ``SETNX``, ``GETSET``, ``MSET`` → SET; ``DEL``/``UNLINK`` → DEL. Every
``FLUSHALL`` [``SYNC``|``ASYNC``] and ``MEMORY PURGE`` are kept as server commands (no key). Every
other command is skipped and counted by name (``skipped_commands``): keyless noise (``DBSIZE``,
``INFO``, ``PING``), script calls, and keyed commands the request model cannot express. A SET value
that Redis would store as an integer gets ``VT_INT`` (``VT_SHARED_INT`` in ``[0, 10000)``).
Times are relative to the first timestamped line. The database number is ignored.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from evictsim.atomic import atomic_path
from evictsim.traces import TRACE_FORMATS
from evictsim.traces.base import (FILL_EXPLICIT, FIRST_SERVER_OP, MAX_KEY_BYTES, NO_KEY, OP_DEL, OP_GET,
                                  SERVER_OP_NAMES, VT_INT, VT_SHARED_INT, VT_STRING, RequestChunk)
from evictsim.traces.filetrace import FileTrace
from evictsim.traces.keymap import KeyMapper
from evictsim.traces.monitor_parse import HANDLED, ParsedLine, RejectedCommands, parse_line, request_rows
from evictsim.traces.names import row_names
from evictsim.traces.textio import head_bytes, line_blocks, open_binary, strip_compression
from evictsim.traces.writing import as_trace

_LINE_START = re.compile(rb"^\d+\.\d+ \[\d+ ")


@dataclass
class MonitorTrace(FileTrace):
    fill: str = FILL_EXPLICIT

    def __post_init__(self) -> None:
        super().__post_init__()
        self.skipped_commands: Counter = Counter()
        self.rejected = RejectedCommands(str(self.path))

    def skipped(self) -> dict:
        """Bad lines, skipped commands, and the commands Redis would have rejected (first one named)."""
        out = {"bad_lines": self.errors.skipped, "examples": list(self.errors.examples)}
        if self.skipped_commands:
            out["skipped_commands"] = dict(self.skipped_commands)
        if self.rejected.count:
            out["rejected_commands"] = {"count": self.rejected.count, "first": self.rejected.first}
        return out

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        mapper = self.start_pass()
        self.skipped_commands = Counter()
        self.rejected = RejectedCommands(str(self.path))
        rows = _Rows()
        t0: tuple[int, int] | None = None  # the first timestamped line is time 0
        for block, first_line in line_blocks(self.path, 4 << 20):
            if first_line == 1 and block.startswith((b"OK\n", b"OK\r\n")):  # redis-cli's reply to MONITOR
                block, first_line = block[block.index(b"\n") + 1:], 2
            t0 = t0 or _first_time(block)
            if not self._fast_block(block, first_line, t0, rows):
                self._slow_block(block, first_line, t0, rows)
            yield from rows.flush(mapper, chunk_size)
        yield from rows.flush(mapper, chunk_size, final=True)
        self.n_keys_hint = len(mapper)

    def _fast_block(self, block: bytes, first_line: int, t0, rows: "_Rows") -> bool:
        """One C regex scan checks every line's shape and splits off its command; only request
        lines go further. False (nothing done) if a line is malformed: the slow path names it."""
        lines = _ANY_LINE.findall(block)
        if len(lines) != block.count(b"\n"):
            return False
        skipped = self.skipped_commands
        for offset, (sec, usec, client, command, rest) in enumerate(lines):
            name = command.decode("latin-1")
            upper = name.upper()
            if upper not in HANDLED:
                skipped[upper or "(empty)"] += 1
                continue
            if "\\" in name:  # an escaped command name: let the full parser unescape it
                parsed = parse_line(b"%s.%s [%s] \"%s\"%s" % (sec, usec, client, command, rest))
            else:
                parsed = ParsedLine(int(sec), int(usec.decode().ljust(6, "0")[:6]), client.decode("latin-1"),
                                    upper, rest.decode("latin-1").rstrip("\r"))
            self._request(parsed, first_line + offset, t0, rows)
        return True

    def _slow_block(self, block: bytes, first_line: int, t0, rows: "_Rows") -> None:
        for offset, raw in enumerate(block.split(b"\n")[:-1]):
            parsed = parse_line(raw)
            if isinstance(parsed, str) or parsed.command in HANDLED:
                self._request(parsed, first_line + offset, t0, rows)
            else:
                self.skipped_commands[parsed.command or "(empty)"] += 1

    def _request(self, parsed: ParsedLine | str, line: int, t0, rows: "_Rows") -> None:
        """One request line: malformed, going back in time or with a key too long is a bad line;
        else its rows (or its rejection: see :func:`request_rows`)."""
        if isinstance(parsed, str):
            self.errors.bad(line, parsed)
            return
        stamp = parsed.sec * 1_000_000 + parsed.usec
        if stamp < rows.latest:
            self.errors.bad(line, f"expected non-decreasing timestamps, got {parsed.sec}.{parsed.usec:06d} "
                                  f"after {rows.latest // 1_000_000}.{rows.latest % 1_000_000:06d}")
            return
        before = len(rows)
        request_rows(parsed, t0 or (parsed.sec, parsed.usec), rows, self.skipped_commands, self.rejected, line)
        if any(row[2] is not None and len(row[2]) > MAX_KEY_BYTES for row in rows[before:]):
            del rows[before:]
            self.errors.bad(line, f"expected a key of at most {MAX_KEY_BYTES} bytes")
            return
        rows.latest = stamp


_QUOTED = rb'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'   # "..." with escapes, unrolled: no backtracking
# groups: seconds, microseconds, client, command (still escaped), the rest of the line
_ANY_LINE = re.compile(rb'^(\d+)\.(\d+) \[([^\]\n]*)\] "([^"\\\n]*+(?:\\.[^"\\\n]*+)*+)"((?: '
                       + _QUOTED + rb')*+\r?)$', re.M)


def _first_time(block: bytes) -> tuple[int, int] | None:
    m = re.search(rb"^(\d+)\.(\d+) \[", block, re.M)
    return None if m is None else (int(m.group(1)), int(m.group(2).decode().ljust(6, "0")[:6]))


class _Rows(list):
    """Parsed request rows ``(time, op, key, size, ttl_ms, vtype)`` (one tuple per request: the
    cheapest thing a Python loop can append), turned into arrays after every block so memory stays
    at one block of tuples plus at most a chunk of arrays."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[RequestChunk] = []
        self.ready = 0
        self.latest = 0           # µs timestamp of the last request line kept

    def _compact(self, mapper: KeyMapper) -> None:
        if not self:
            return
        time, op, keys, size, ttl, vtype = zip(*self)
        self.clear()
        known = len(mapper.names)
        server = [i for i, k in enumerate(keys) if k is None]      # FLUSHALL, MEMORY PURGE: no key
        if server:
            keyed = [k for k in keys if k is not None]
            ids, key_len = np.full(len(keys), NO_KEY, np.int32), np.zeros(len(keys), np.uint16)
            rows = np.flatnonzero(np.asarray([k is not None for k in keys], bool))
            ids[rows], key_len[rows] = mapper.map_list(keyed)
            keys = keyed
        else:
            ids, key_len = mapper.map_list(list(keys))
        if not "".join(keys).isascii():  # latin-1 decoding and \xHH escapes: one char is one byte
            key_len[ids != NO_KEY] = np.asarray([len(k) for k in keys], np.uint16)
            _readable_names(mapper.names, known)
        self.parts.append(RequestChunk(time=np.asarray(time, np.float64), op=np.asarray(op, np.uint8),
                                       key=ids, key_len=key_len, size=np.asarray(size, np.int32),
                                       ttl_ms=np.asarray(ttl, np.int64), vtype=np.asarray(vtype, np.uint8)))
        self.ready += len(ids)

    def flush(self, mapper: KeyMapper, chunk_size: int, final: bool = False) -> Iterator[RequestChunk]:
        self._compact(mapper)
        while self.ready >= chunk_size or (final and self.ready):
            pending = RequestChunk.concat(self.parts)
            rest = pending.slice(chunk_size, len(pending))
            self.parts, self.ready = ([rest] if len(rest) else []), len(rest)
            yield pending.slice(0, chunk_size)


def _readable_names(names: list[str], start: int) -> None:
    """Key names from ``start`` on as text: bytes that are valid UTF-8 read as such (``\\xc3\\xa9``
    is "é"), others stay one char per byte. Only the names change; ids and lengths are the bytes'."""
    for i in range(start, len(names)):
        if not names[i].isascii():
            raw = names[i].encode("latin-1")
            try:
                names[i] = raw.decode("utf-8")
            except UnicodeDecodeError:
                pass


def _value_text(size: int, vtype: int) -> str | None:
    """A value of ``size`` bytes that Redis would encode as ``vtype`` (None if impossible)."""
    if vtype == VT_STRING:
        return "x" * size
    if vtype == VT_SHARED_INT and 1 <= size <= 4:
        return "1" + "0" * (size - 1)
    if vtype == VT_INT and 5 <= size <= 18:
        return "1" + "0" * (size - 1)
    return None


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if not escaped.isascii():   # as sdscatrepr: every byte outside ASCII as \xHH (UTF-8 bytes)
        escaped = "".join(c if c.isascii() else "".join(f"\\x{b:02x}" for b in c.encode("utf-8"))
                          for c in escaped)
    return '"' + escaped + '"'


def write(trace_or_chunks, path: Path, *, epoch: int = 1_700_000_000, **_) -> list[str]:
    """Write as MONITOR lines from a client ``127.0.0.1:1``; a ``PING`` at time 0 anchors the clock."""
    trace = as_trace(trace_or_chunks)
    dropped: set[str] = set()
    with atomic_path(path) as tmp, open_binary(tmp, "wb", named=path) as fh:
        fh.write(f'{epoch}.000000 [0 127.0.0.1:1] "PING"\n'.encode())
        for chunk in trace.chunks():
            micros = np.rint(chunk.time * 1e6).astype(np.int64) + epoch * 1_000_000
            names = row_names(trace, chunk).to_pylist()
            vtypes = chunk.vtype if chunk.vtype is not None else np.zeros(len(chunk), np.uint8)
            lines = []
            for i in range(len(chunk)):
                stamp = f"{micros[i] // 1_000_000}.{micros[i] % 1_000_000:06d} [0 127.0.0.1:1] "
                op, key = chunk.op[i], _quote(names[i])
                if op >= FIRST_SERVER_OP:       # "FLUSHALL" "ASYNC", "MEMORY" "PURGE"
                    words = SERVER_OP_NAMES[op - FIRST_SERVER_OP].split()
                    lines.append(stamp + " ".join(f'"{w}"' for w in words))
                    continue
                if op == OP_GET:
                    lines.append(f'{stamp}"GET" {key}')
                elif op == OP_DEL:
                    lines.append(f'{stamp}"DEL" {key}')
                else:
                    value = _value_text(int(chunk.size[i]), int(vtypes[i]))
                    if value is None:
                        dropped.add("integer value types that do not fit the size (written as strings)")
                        value = "x" * int(chunk.size[i])
                    ttl = f' "PX" "{chunk.ttl_ms[i]}"' if chunk.ttl_ms[i] > 0 else ""
                    lines.append(f'{stamp}"SET" {key} "{value}"{ttl}')
                    continue
                if chunk.size[i] and op == OP_GET:
                    dropped.add("GET sizes (MONITOR shows no value for a GET)")
                if chunk.ttl_ms[i] and op == OP_GET:
                    dropped.add("GET TTLs")
            fh.write(("\n".join(lines) + "\n").encode() if lines else b"")
    if trace.fill != FILL_EXPLICIT:
        dropped.add("look-aside fill (MONITOR traces are explicit: open with fill=look-aside to replay)")
    return sorted(dropped)


class MonitorFormat:
    """Registry entry: ``.monitor`` / ``.monitor.log`` names, or a file whose lines look like MONITOR."""

    name = "monitor"

    def matches(self, path: Path) -> bool:
        base = strip_compression(path.name.lower())
        if base.endswith((".monitor", ".monitor.log")):
            return True
        if base.endswith((".csv", ".bin")) or "oraclegeneral" in base or path.is_dir():
            return False
        lines = head_bytes(path, 2048).split(b"\n")[:3]
        return any(_LINE_START.match(line) for line in lines)

    def open(self, path: Path, **options) -> MonitorTrace:
        return MonitorTrace(Path(path), **options)

    write = staticmethod(write)


TRACE_FORMATS.add("monitor", MonitorFormat())
