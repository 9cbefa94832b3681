"""What the core needs to know about an exact research policy: its state, its parameters, its needs."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Filled by the core from its own configuration, not by the user: the cache's byte budget, which
# policies with queues sized as a share of the cache (ARC, 2Q, SLRU, S3-FIFO, W-TinyLFU) divide.
CACHE_BYTES = "cache-bytes"

# The values each ``--set`` parameter may take, by name (names are unique across the policies):
# (low, high) inclusive. Shares of the cache lie strictly between 0 and 1; ghost queues (which hold
# no values) may be sized up to four caches' worth of keys.
SHARE = (0.0, 1.0)
PARAM_RANGES: dict[str, tuple[float, float]] = {
    "clock-bits": (1, 16), "init-freq": (0, 65535), "samples": (0, 1 << 24), "seed": (0, 2**31 - 1),
    "small-size-ratio": SHARE, "ghost-size-ratio": (0.0, 4.0), "move-to-main-threshold": (1, 1 << 16),
    "segments": (1, 64), "ain-size-ratio": SHARE, "aout-size-ratio": (0.0, 4.0),
    "window-ratio": SHARE, "protected-ratio": SHARE, "sketch-width": (0, 1 << 26),
    "sample-factor": (1, 1 << 10),
}


@dataclass(frozen=True)
class ExactPolicySpec:
    """One exact policy: a state bundle, its compiled hooks (registered in ``hooks.HOOKS``) and
    its parameters (``params``: name -> default, the names as ``--set`` spells them)."""

    name: str
    doc: str
    params: dict[str, Any]
    new_state: Callable[[int, dict], Any]     # (key capacity, resolved params) -> state
    grow: Callable[[Any, int], Any]           # (state, new key capacity) -> state, contents kept
    state_class: type
    needs_next_access: bool = False
    hooks: dict = field(default_factory=dict, compare=False)

    def user_params(self) -> list[str]:
        """The names ``--set`` may give (the cache's byte budget is the core's, not the user's)."""
        return sorted(p for p in self.params if p != CACHE_BYTES)

    def resolve(self, overrides: dict | None = None, cache_bytes: int = 0) -> dict:
        """Defaults updated by ``overrides``. An unknown name is a ``KeyError`` naming the valid ones,
        a value of the wrong type or out of range a ``ValueError`` naming the range."""
        resolved = dict(self.params)
        for name, value in (overrides or {}).items():
            if name not in self.user_params():
                valid = ", ".join(self.user_params()) or "none"
                raise KeyError(f"{self.name} has no parameter {name!r}; expected one of: {valid}")
            resolved[name] = check_param(name, value, type(self.params[name]))
        if CACHE_BYTES in resolved and cache_bytes:
            resolved[CACHE_BYTES] = int(cache_bytes)
        return resolved


def check_param(name: str, value: Any, kind: type) -> Any:
    """``value`` as ``kind`` (int or float) within ``PARAM_RANGES[name]``, else a ``ValueError``."""
    lo, hi = PARAM_RANGES.get(name, (float("-inf"), float("inf")))
    share = (lo, hi) == SHARE
    expected = (f"a fraction strictly between 0 and 1" if share else
                f"{'an integer' if kind is int else 'a number'} in [{lo:g}, {hi:g}]")
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(str(value).strip())
        converted = int(number) if kind is int else number
        if kind is int and converted != number:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected {expected}, got {value!r}") from None
    inside = lo < converted < hi if share else lo <= converted <= hi
    if not inside or converted != converted:          # (NaN is never inside)
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return converted
