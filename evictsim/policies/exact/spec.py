"""What the core needs to know about an exact research policy: its state, its parameters, its needs."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Filled by the core from its own configuration, not by the user: the cache's byte budget, which
# policies with queues sized as a share of the cache (ARC, 2Q, SLRU, S3-FIFO, W-TinyLFU) divide.
CACHE_BYTES = "cache-bytes"


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

    def resolve(self, overrides: dict | None = None, cache_bytes: int = 0) -> dict:
        """Defaults updated by ``overrides``; an unknown name is a ``KeyError`` naming the valid ones."""
        resolved = dict(self.params)
        for name, value in (overrides or {}).items():
            if name not in self.params:
                valid = ", ".join(sorted(p for p in self.params if p != CACHE_BYTES)) or "none"
                raise KeyError(f"{self.name} has no parameter {name!r}; expected one of: {valid}")
            resolved[name] = type(self.params[name])(value)
        if CACHE_BYTES in resolved and cache_bytes:
            resolved[CACHE_BYTES] = int(cache_bytes)
        return resolved
