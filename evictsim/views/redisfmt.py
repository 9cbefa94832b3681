"""How Redis 7.0 writes numbers in its replies, so the views print what a real server prints.

``bytes_to_human`` follows ``server.c: bytesToHuman`` (B below 1 KiB, then K, M, G, T, P with two
decimals). Ratios and percentages are C ``float`` in ``getMemoryOverheadData`` (single precision,
computed in float arithmetic), printed ``%.2f`` in INFO and as ``%.17g`` of the double they promote
to in MEMORY STATS (RESP2 sends a double as a bulk string). ``cli_reply`` lays out a nested reply as
``redis-cli`` does on a terminal: ``1) "name"``, ``2) (integer) 5``, indices right-aligned to the
widest, a nested array indented by the index width plus two.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_UNITS = ("K", "M", "G", "T", "P")


def bytes_to_human(n: int) -> str:
    n = int(n)
    if n < 1024:
        return f"{n}B"
    for power, unit in enumerate(_UNITS, start=1):
        if n < 1024 ** (power + 1):
            return f"{n / 1024 ** power:.2f}{unit}"
    return f"{n}B"


def c_float_ratio(numerator: float, denominator: float, scale: float = 1.0) -> float:
    """``(float)a * scale / b`` in single precision, as Redis computes its ratios."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.float32(numerator) * np.float32(scale) / np.float32(denominator)
    return float(value)


def double_string(value: float) -> str:
    """``d2string``: a double as RESP2 sends it (``%.17g``; inf as ``inf``)."""
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.17g}"


def cli_reply(reply: list[tuple[str, Any]], prefix: str = "") -> str:
    """A map reply (list of (key, value) pairs; a value is an int, a str or a nested map) as redis-cli
    prints it in RESP2: a flat array alternating keys and values."""
    items: list[Any] = []
    for key, value in reply:
        items += [key, value]
    width = len(str(len(items)))
    nested = prefix + " " * (width + 2)
    out = []
    for i, item in enumerate(items):
        head = ("" if i == 0 else prefix) + f"{i + 1:>{width}}) "
        out.append(head + _element(item, nested))
    return "".join(out)


def _element(item: Any, prefix: str) -> str:
    if isinstance(item, list):
        return cli_reply(item, prefix)
    if isinstance(item, bool) or not isinstance(item, int):
        return '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"\n'
    return f"(integer) {item}\n"
