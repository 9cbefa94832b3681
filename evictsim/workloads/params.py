"""Workload parameters: one :class:`Param` per knob (hyphen spelling, default, doc, parser).

A generator lists its parameters in ``PARAMS``; :func:`resolve` checks the user's mapping against
it: an unknown name or a bad value is a :class:`UserInputError` at ``workload.<param>`` that says
what was expected. The parsers here are shared by every generator.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from evictsim.errors import UserInputError


class BadValue(ValueError):
    """Raised by a parser; the message says what was expected. ``sub`` names a nested key."""

    def __init__(self, message: str, sub: str | None = None):
        super().__init__(message)
        self.sub = sub


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    doc: str
    parse: Callable[[Any], Any]


def resolve(table: tuple[Param, ...], given: Mapping[str, Any], *, source: str | None = None) -> dict:
    """Defaults overlaid with ``given``, every value parsed; keys keep their hyphen spelling."""
    known = {p.name: p for p in table}
    out = {}
    for name in given:
        if name not in known:
            raise UserInputError(f"unknown parameter; expected one of: {', '.join(sorted(known))}",
                                 source=source, key=f"workload.{name}")
    for name, p in known.items():
        value = given.get(name, p.default)
        try:
            out[name] = p.parse(value) if value is not None else None
        except BadValue as exc:
            key = f"workload.{name}" + (f".{exc.sub}" if exc.sub else "")
            raise UserInputError(f"{exc}, got {value!r}" if exc.sub is None else str(exc),
                                 source=source, key=key) from None
    return out


def table_rows(table: tuple[Param, ...]) -> list[tuple[str, str, str]]:
    """(name, default, doc) rows, for ``evictsim list workloads`` and the docs."""
    return [(p.name, "none" if p.default is None else repr(p.default), p.doc) for p in table]


# ---- parsers ---------------------------------------------------------------------------------------

def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadValue(f"expected {what}")
    try:
        return float(value)
    except ValueError:
        raise BadValue(f"expected {what}") from None


MAX_INT = 2**63 - 1        # counts are int64 below
MAX_KEYS = 2**31 - 1       # dense key ids are int32 (RequestChunk.key)


def _whole(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value           # exact: float(10**30) would round
    number = _number(value, what)
    if not math.isfinite(number) or number != int(number):
        raise BadValue(f"expected {what}")
    return int(number)


def positive_int(value: Any) -> int:
    number = _whole(value, "a positive integer")
    if number < 1:
        raise BadValue("expected a positive integer")
    if number > MAX_INT:
        raise BadValue("expected a positive integer up to 2^63-1")
    return number


def non_negative_int(value: Any) -> int:
    number = _whole(value, "an integer >= 0")
    if not 0 <= number <= MAX_INT:
        raise BadValue("expected an integer in [0, 2^63-1]")
    return number


def key_count(value: Any) -> int:
    """A number of distinct keys: key ids are int32, so at most 2^31-1."""
    number = _whole(value, "a positive integer")
    if number < 1:
        raise BadValue("expected a positive integer")
    if number > MAX_KEYS:
        raise BadValue("expected at most 2^31-1 keys (key ids are int32)")
    return number


def key_count_or_zero(value: Any) -> int:
    return 0 if _whole(value, "an integer >= 0") == 0 else key_count(value)


def positive(value: Any) -> float:
    number = _number(value, "a number > 0")
    if not number > 0 or number == float("inf"):
        raise BadValue("expected a number > 0")
    return number


def non_negative(value: Any) -> float:
    number = _number(value, "a number >= 0")
    if not number >= 0 or number == float("inf"):
        raise BadValue("expected a number >= 0")
    return number


def fraction(value: Any) -> float:
    number = _number(value, "a fraction in [0, 1]")
    if not 0 <= number <= 1:
        raise BadValue("expected a fraction in [0, 1]")
    return number


def choice(*options: str) -> Callable[[Any], str]:
    """One of ``options``, matched without regard to case (``workload: a`` means YCSB A)."""
    by_folded = {o.casefold(): o for o in options}

    def parse(value: Any) -> str:
        option = by_folded.get(str(value).casefold())
        if option is None:
            raise BadValue(f"expected one of: {', '.join(options)}")
        return option
    return parse


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue("expected a string")
    return value


def number_list(value: Any) -> tuple[float, ...]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split()]
    if not isinstance(value, (list, tuple)) or len(value) < 1:
        raise BadValue("expected a list of numbers >= 0")
    out = tuple(non_negative(v) for v in value)
    if not any(out):
        raise BadValue("expected a list of numbers >= 0, not all 0")
    return out
