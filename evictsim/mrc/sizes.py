"""The sizes a curve is computed at: given (``--sizes 8mb,16mb``) or an even grid (``--points N``).

An even grid runs from ``footprint / N`` to the footprint, offset by the fixed parts of
``used_memory``: the footprint is what every key of the trace costs resident at once in Redis bytes
(estimated from the sample), so the last point is where the limit stops mattering.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from evictsim.errors import UserInputError
from evictsim.units import parse_size

MAX_POINTS = 10_000


def parse_sizes(value: str | Iterable, option: str = "--sizes") -> list[int]:
    """``"8mb,16mb,32mb"`` or a list of sizes → sorted distinct byte counts (0 = no limit)."""
    items = [s.strip() for s in value.split(",")] if isinstance(value, str) else list(value)
    if not items or any(item == "" for item in items):
        raise UserInputError(f"expected a comma-separated list of sizes like 8mb,16mb, got {value!r}",
                             source=option)
    sizes = [parse_size(item, source=option) for item in items]
    return sorted(set(sizes))


def check_points(points: int, option: str = "--points") -> int:
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or not 2 <= points <= MAX_POINTS:
        raise UserInputError(f"expected a number of points in [2, {MAX_POINTS}], got {points!r}",
                             source=option)
    return int(points)


def grid(points: int, fixed_bytes: int, footprint_bytes: float) -> list[int]:
    """``points`` even steps of the footprint above the fixed bytes (distinct, ascending)."""
    steps = np.linspace(footprint_bytes / points, footprint_bytes, points)
    return sorted({int(fixed_bytes + s) for s in steps})
