"""Exact research policies (libCacheSim's names), each one module with a state bundle and compiled hooks.

``EXACT_POLICIES`` maps a lower-case name to its :class:`ExactPolicySpec`. The hooks are filed in
``hooks.HOOKS`` by state class and reached from compiled code through the generic ``policy_*``
functions of ``hooks``. ``object_bytes`` is the libCacheSim-style driver.
"""
from __future__ import annotations

from evictsim.policies.exact.cache_guard import drop_stale_cache

drop_stale_cache()      # before any policy module is compiled or loaded from the cache

from evictsim.policies.exact import (
    arc,
    belady,
    beladysize,
    clock,
    fifo,
    lfu,
    lru,
    s3fifo,
    sieve,
    slru,
    twoq,
    wtinylfu,
)
from evictsim.policies.exact.spec import CACHE_BYTES, ExactPolicySpec

EXACT_POLICIES: dict[str, ExactPolicySpec] = {m.SPEC.name: m.SPEC for m in (
    lru, fifo, clock, sieve, lfu, belady, beladysize, s3fifo, arc, twoq, slru, wtinylfu)}

__all__ = ["CACHE_BYTES", "EXACT_POLICIES", "ExactPolicySpec"]
