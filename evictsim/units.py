"""Redis size and boolean spellings (``64mb``, ``1gb``, ``yes``), parsed the way redis.conf does.

Redis units: ``k``/``m``/``g`` are powers of 1000, ``kb``/``mb``/``gb`` powers of 1024,
case-insensitive; a bare number is bytes.
"""
from __future__ import annotations

import re

from evictsim.errors import UserInputError

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
          "g": 1000**3, "gb": 1024**3, "t": 1000**4, "tb": 1024**4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
MAX_SIZE = 2**63 - 1   # sizes are int64 everywhere below (redis.conf's own limit: LLONG_MAX)


def parse_size(value: object, *, source: str | None = None, line: int | None = None,
               key: str | None = None) -> int:
    """Parse ``14443520``, ``64mb``, ``1gb`` (``0`` = no limit) into bytes."""
    if isinstance(value, bool):
        raise UserInputError(f"expected a size like 64mb, got {value!r}", source=source, line=line, key=key)
    if isinstance(value, int):
        if value < 0:
            raise UserInputError(f"expected a size like 64mb, got {value!r}", source=source, line=line,
                                 key=key)
        return _in_range(value, repr(value), source, line, key)
    m = _SIZE_RE.match(str(value))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _UNITS:
        raise UserInputError(f"expected a size like 64mb, got {str(value)!r}", source=source, line=line,
                             key=key)
    number = m.group(1)
    # exact integer arithmetic when there is no decimal point: 9223372036854775807 stays exact
    size = int(number) * _UNITS[unit] if "." not in number else int(float(number) * _UNITS[unit])
    return _in_range(size, repr(str(value)), source, line, key)


def _in_range(size: int, shown: str, source, line, key) -> int:
    if size > MAX_SIZE:
        raise UserInputError(f"expected a size of at most 8 EiB (2^63-1 bytes), got {shown}",
                             source=source, line=line, key=key)
    return size


def parse_bool(value: object, *, source: str | None = None, line: int | None = None,
               key: str | None = None) -> bool:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("yes", "true", "on", "1"):
        return True
    if s in ("no", "false", "off", "0"):
        return False
    raise UserInputError(f"expected yes or no, got {str(value)!r}", source=source, line=line, key=key)


def format_bytes(n: float) -> str:
    """Human bytes in binary units, as plots and reports show them (``13.8 MiB``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
