"""Exact research policies (libCacheSim's names), each one module with a state bundle and compiled hooks.

``EXACT_POLICIES`` maps a lower-case name to its :class:`ExactPolicySpec`. Each module registers
its hooks with the one policy contract (:mod:`evictsim.policies.contract`, ``takes_core=False``), so
the Redis core and ``object_bytes`` (the libCacheSim-style driver) reach them through the same
``policy_*`` calls. Their compiled code is cached under ``evictsim.jit``'s hash of every kernel
source, so an edit here never loads stale machine code.
"""
from __future__ import annotations

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
