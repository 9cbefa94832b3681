"""One MONITOR line → its timestamp, client and unescaped arguments; one command → request rows.

Kept apart from :mod:`evictsim.traces.monitor` (the reader and writer) because the unescaping and the
command table are the part that needs its own tests. Fast path: a line without a backslash splits on
``" "`` (an escaped quote always carries a backslash).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from evictsim.traces.base import (MAX_VALUE_BYTES, OP_DEL, OP_FLUSHALL, OP_FLUSHALL_ASYNC,
                                  OP_FLUSHALL_SYNC, OP_GET, OP_MEMORY_PURGE, OP_SET, VT_INT, VT_SHARED_INT,
                                  VT_STRING)

EXPECTED = 'expected a MONITOR line: TIMESTAMP [DB CLIENT] "COMMAND" "ARG" ...'
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|.)')
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", '"': '"', "\\": "\\"}
_LINE = re.compile(r'(\d+)\.(\d+) \[([^\]]*)\] "')
_INT = re.compile(r"-?[1-9][0-9]{0,18}|0")
SHARED_INTEGERS = 10000  # OBJ_SHARED_INTEGERS in server.h


@dataclass
class ParsedLine:
    """One MONITOR line. ``args`` (command included) are split and unescaped only when asked for,
    so the many lines that are skipped (``DBSIZE``, ``EVALSHA``...) cost little."""

    sec: int
    usec: int
    client: str
    command: str      # upper case, unescaped
    rest: str         # the raw text after the command's closing quote

    @property
    def args(self) -> list[str]:
        if not self.rest:
            return [self.command]
        body = self.rest[1:]  # drop the space before the next opening quote
        if "\\" not in body:
            return [self.command] + body[1:-1].split('" "')
        return [self.command] + [_unescape(t) for t in _TOKEN.findall(body)]


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(m: re.Match) -> str:
        code = m.group(1)
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))  # one byte, kept as one latin-1 char: length stays right
        return _SIMPLE.get(code, code)
    return _ESCAPE.sub(one, text)


def parse_line(raw: bytes) -> ParsedLine | str:
    """A parsed line, or the message saying what was expected."""
    text = raw.decode("latin-1").rstrip("\r")   # one char per byte: len(key) is its byte length
    m = _LINE.match(text)
    if m is None:
        return f"{EXPECTED}; got {text[:80]!r}"
    body = text[m.end():]
    if "\\" in body[: body.find('"') + 1] or not body.endswith('"'):
        return _parse_escaped_command(text, m, body)
    close = body.find('"')
    rest = body[close + 1:]
    if rest and not rest.startswith(' "'):
        return f"{EXPECTED}; got {text[:80]!r}"
    return ParsedLine(int(m.group(1)), int(m.group(2).ljust(6, "0")[:6]), m.group(3),
                      body[:close].upper(), rest)


def _parse_escaped_command(text: str, m: re.Match, body: str) -> ParsedLine | str:
    """Slow path: the command name itself holds an escape (or the line is cut)."""
    tokens = _TOKEN.findall('"' + body)
    if not tokens or not body.endswith('"'):
        return f"{EXPECTED}; got {text[:80]!r}"
    rest = "".join(f' "{t}"' for t in tokens[1:])
    return ParsedLine(int(m.group(1)), int(m.group(2).ljust(6, "0")[:6]), m.group(3),
                      _unescape(tokens[0]).upper(), rest)


def value_type(value: str) -> int:
    """Redis's integer encoding test (``string2ll``): canonical decimal within int64."""
    if len(value) > 20 or not _INT.fullmatch(value):
        return VT_STRING
    number = int(value)
    if not -(2**63) <= number < 2**63:
        return VT_STRING
    return VT_SHARED_INT if 0 <= number < SHARED_INTEGERS else VT_INT


LLONG_MAX = 2**63 - 1


class Rejected(Exception):
    """A command Redis answers with an error, so it changes nothing: ``reason`` is Redis's reply."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RejectedCommands:
    """How many commands Redis would have rejected, and the first one (``simulate`` reports it)."""

    def __init__(self, source: str):
        self.source = source
        self.count = 0
        self.first: str | None = None

    def add(self, line: int | None, cmd: str, reason: str) -> None:
        self.count += 1
        if self.first is None:
            where = f"{self.source}:{line}" if line is not None else self.source
            self.first = f"{where}: {cmd}: {reason}"


def _integer(text: str) -> int:
    """Redis's ``string2ll``: a canonical decimal within int64, else "not an integer"."""
    if len(text) > 20 or not _INT.fullmatch(text) or not -(2**63) <= int(text) <= LLONG_MAX:
        raise Rejected("value is not an integer or out of range")
    return int(text)


def _expire_ms(amount_text: str, unit_ms: int) -> int:
    """``getExpireMillisecondsOrReply`` (t_string.c): an expire <= 0 is "invalid expire time", as is
    one whose milliseconds overflow (so ``PX 0`` and ``SETEX k -5 v`` are errors, not TTLs)."""
    amount = _integer(amount_text)
    if amount <= 0 or (unit_ms == 1000 and amount > LLONG_MAX // 1000):
        raise Rejected("invalid expire time")
    return amount * unit_ms


def _ttl_options(options: list[str], now_ms: int) -> int:
    """TTL in ms from SET's options (0 = none), parsed as ``parseExtendedStringArgumentsOrReply``:
    one expire option at most, NX and XX exclusive, KEEPTTL excludes an expire, a missing or
    unknown argument is a syntax error. An absolute time already past leaves a 1 ms TTL: the key
    is set and expires at once."""
    ttl, seen = 0, set()
    i = 0
    while i < len(options):
        word = options[i].upper()
        has_next = i + 1 < len(options)
        if word in ("EX", "PX", "EXAT", "PXAT") and has_next:
            if seen & {"EX", "PX", "EXAT", "PXAT", "KEEPTTL"}:
                raise Rejected("syntax error")
            ms = _expire_ms(options[i + 1], 1000 if word in ("EX", "EXAT") else 1)
            ttl = ms if word in ("EX", "PX") else max(ms - now_ms, 1)
            i += 2
        elif word in ("NX", "XX", "GET", "KEEPTTL"):
            if (word == "NX" and "XX" in seen) or (word == "XX" and "NX" in seen) or (
                    word == "KEEPTTL" and seen & {"EX", "PX", "EXAT", "PXAT"}):
                raise Rejected("syntax error")
            i += 1
        else:
            raise Rejected("syntax error")
        seen.add(word)
    return ttl


# longest first, so a regex alternation never stops at a prefix (SET before SETEX)
HANDLED_ORDER = ("FLUSHALL", "PSETEX", "UNLINK", "GETSET", "MEMORY", "SETEX", "SETNX", "MGET", "MSET", "GET",
                 "SET", "DEL")
HANDLED = frozenset(HANDLED_ORDER)
ARITY_ERROR = "wrong number of arguments"
_FLUSH_MODES = {"SYNC": OP_FLUSHALL_SYNC, "ASYNC": OP_FLUSHALL_ASYNC}


def request_rows(p: ParsedLine, t0: tuple[int, int], out: list, skipped: Counter,
                 rejected: RejectedCommands | None = None, line: int | None = None) -> bool:
    """Append one ``(time, op, key, size, ttl_ms, vtype)`` row per request of a command to ``out``;
    count the command in ``skipped`` if it makes none. A command Redis would reject (wrong number
    of arguments, an expire that is not a positive integer, a syntax error) makes none either: it
    is counted as ``"SET (rejected: invalid expire time)"`` and, with ``rejected``, remembered."""
    cmd = p.command
    if cmd not in HANDLED or (cmd == "MEMORY" and not _is_memory_purge(p)):
        skipped[cmd or "(empty)"] += 1
        return False
    try:
        return _rows(cmd, p, t0, out)
    except Rejected as exc:
        skipped[f"{cmd} (rejected: {exc.reason})"] += 1
        if rejected is not None:
            rejected.add(line, cmd, exc.reason)
        return False


def _rows(cmd: str, p: ParsedLine, t0: tuple[int, int], out: list) -> bool:
    a = p.args[1:]
    time = ((p.sec - t0[0]) * 1_000_000 + (p.usec - t0[1])) / 1e6  # whole µs: exact round trips
    # values: MONITOR escapes every non-printable byte as \xHH, so one char is one byte
    if cmd == "GET" and len(a) == 1:
        out.append((time, OP_GET, a[0], 0, 0, VT_STRING))
    elif cmd == "MGET" and a:
        out.extend((time, OP_GET, key, 0, 0, VT_STRING) for key in a)
    elif cmd == "SET" and len(a) >= 2:
        ttl = _ttl_options(a[2:], p.sec * 1000 + p.usec // 1000)
        out.append((time, OP_SET, a[0], _value_len(a[1]), ttl, value_type(a[1])))
    elif cmd in ("SETEX", "PSETEX") and len(a) == 3:
        ttl = _expire_ms(a[1], 1000 if cmd == "SETEX" else 1)
        out.append((time, OP_SET, a[0], _value_len(a[2]), ttl, value_type(a[2])))
    elif cmd in ("SETNX", "GETSET") and len(a) == 2:
        out.append((time, OP_SET, a[0], _value_len(a[1]), 0, value_type(a[1])))
    elif cmd == "MSET" and a and len(a) % 2 == 0:
        out.extend((time, OP_SET, k, _value_len(v), 0, value_type(v)) for k, v in zip(a[::2], a[1::2]))
    elif cmd in ("DEL", "UNLINK") and a:
        out.extend((time, OP_DEL, key, 0, 0, VT_STRING) for key in a)
    elif cmd == "FLUSHALL" and len(a) <= 1:
        if a and a[0].upper() not in _FLUSH_MODES:
            raise Rejected("syntax error (FLUSHALL takes SYNC or ASYNC)")
        out.append((time, _FLUSH_MODES[a[0].upper()] if a else OP_FLUSHALL, None, 0, 0, VT_STRING))
    elif cmd == "MEMORY" and len(a) == 1:
        out.append((time, OP_MEMORY_PURGE, None, 0, 0, VT_STRING))
    else:
        raise Rejected(ARITY_ERROR)
    return True


def _is_memory_purge(p: ParsedLine) -> bool:
    """MEMORY PURGE is a request; MEMORY USAGE, STATS, DOCTOR ... are skipped like other commands."""
    a = p.args[1:]
    return bool(a) and a[0].upper() == "PURGE"


def _value_len(value: str) -> int:
    if len(value) > MAX_VALUE_BYTES:   # the server refuses the bulk string before any command runs
        raise Rejected("value larger than proto-max-bulk-len (512 MiB)")
    return len(value)


__all__ = ["ParsedLine", "parse_line", "request_rows", "value_type", "EXPECTED", "HANDLED", "HANDLED_ORDER",
           "RejectedCommands"]
