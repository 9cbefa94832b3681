"""``memory-accounting=object-bytes``: libCacheSim's capacity rule, for comparison with published results.

A cache of N bytes holds objects whose trace sizes sum to at most N: no key bytes, no overhead, no
baseline. Every request (GET or SET) is a lookup (libCacheSim's ``cache_get_base``): a hit calls
``on_hit``; a miss calls ``admit`` first, then an object larger than the cache (or one the policy
declines) is not inserted; otherwise the policy's victims are evicted until the object fits, and it
is inserted. A DEL (and any other removal: expiry) takes a resident key out and tells the policy.
As in libCacheSim, a hit keeps the size the object had when it was inserted. After each hit and each
insert the core drains the policy's ``overflow`` evictions (see :mod:`evictsim.policies.contract`).
There is no Redis core here: the hooks get ``None`` for it (the exact policies never look at it).

The loop is compiled once per policy state class (through the contract's hooks), over a chunk of
requests at a time; ``next_access`` computes each request's next request to the same key, by a
backward pass, for Belady-type policies when the trace does not carry it.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.contract import (NO_NEXT_ACCESS, policy_admit, policy_on_hit, policy_on_insert,
                                        policy_on_remove, policy_overflow, policy_victim)
from evictsim.traces.base import OP_DEL, RequestChunk

ObjectBytesCache = namedtuple("ObjectBytesCache", "resident_size counters")

# counters slots
USED, CAPACITY, HITS, MISSES, BYTE_HITS, BYTE_MISSES, EVICTIONS, REMOVALS, BAD_VICTIMS = range(9)
N_COUNTERS = 9
# outcome codes, one per request
MISS, HIT, DELETED, DELETE_ABSENT = 0, 1, 2, 3


def new_cache(capacity_keys: int, cache_bytes: int) -> ObjectBytesCache:
    counters = np.zeros(N_COUNTERS, np.int64)
    counters[CAPACITY] = cache_bytes
    return ObjectBytesCache(np.full(capacity_keys, -1, np.int64), counters)


def grow_cache(cache: ObjectBytesCache, capacity_keys: int) -> ObjectBytesCache:
    resident = np.full(capacity_keys, -1, np.int64)
    resident[:len(cache.resident_size)] = cache.resident_size
    return ObjectBytesCache(resident, cache.counters)


@kernel(inline=True)
def _take_out(state, cache, k):
    cache.counters[USED] -= cache.resident_size[k]
    cache.resident_size[k] = -1
    policy_on_remove(state, None, k)


@kernel(inline=True)
def _evict(state, cache, k):
    """Evict the policy's choice ``k``; False (counted) when it names a key that is not resident."""
    if k < 0 or k >= len(cache.resident_size) or cache.resident_size[k] < 0:
        cache.counters[BAD_VICTIMS] += 1
        return False
    cache.counters[EVICTIONS] += 1
    _take_out(state, cache, k)
    return True


@kernel(inline=True)
def _drain_overflow(state, cache, vtime):
    k = policy_overflow(state, None, vtime)
    while k >= 0:
        if not _evict(state, cache, k):
            return
        k = policy_overflow(state, None, vtime)


@kernel(inline=True)
def _lookup(state, cache, k, size, vtime, next_vtime):
    """One GET/SET; returns HIT or MISS."""
    counters = cache.counters
    if cache.resident_size[k] >= 0:
        counters[HITS] += 1
        counters[BYTE_HITS] += size
        policy_on_hit(state, None, k, size, 0, vtime, next_vtime)
        _drain_overflow(state, cache, vtime)
        return HIT
    counters[MISSES] += 1
    counters[BYTE_MISSES] += size
    if not policy_admit(state, None, k, size, vtime) or size > counters[CAPACITY]:
        return MISS
    while counters[USED] + size > counters[CAPACITY]:
        if not _evict(state, cache, policy_victim(state, None, 0, vtime)):
            return MISS
    cache.resident_size[k] = size
    counters[USED] += size
    policy_on_insert(state, None, k, size, 0, vtime, next_vtime)
    _drain_overflow(state, cache, vtime)
    return MISS


@kernel
def serve_chunk(state, cache, keys, sizes, ops, next_vtime, first_vtime, outcome):
    """Serve one chunk of requests; ``outcome[i]`` gets MISS/HIT/DELETED/DELETE_ABSENT."""
    for i in range(len(keys)):
        k = np.int64(keys[i])
        if ops[i] == OP_DEL:
            if cache.resident_size[k] >= 0:
                cache.counters[REMOVALS] += 1
                _take_out(state, cache, k)
                outcome[i] = DELETED
            else:
                outcome[i] = DELETE_ABSENT
            continue
        outcome[i] = _lookup(state, cache, k, np.int64(sizes[i]), first_vtime + i, next_vtime[i])


@kernel
def next_access(keys, ops, last_seen, out):
    """``out[i]``: index of the next GET/SET of ``keys[i]`` (``last_seen`` starts at NO_NEXT_ACCESS)."""
    for i in range(len(keys) - 1, -1, -1):
        k = keys[i]
        out[i] = last_seen[k]
        if ops[i] != OP_DEL:
            last_seen[k] = i


def next_access_of(chunk: RequestChunk) -> np.ndarray:
    keys = np.ascontiguousarray(chunk.key, dtype=np.int64)
    last_seen = np.full(max(chunk.max_key + 1, 1), NO_NEXT_ACCESS, np.int64)
    out = np.empty(len(keys), np.int64)
    next_access(keys, np.ascontiguousarray(chunk.op, dtype=np.uint8), last_seen, out)
    return out


@dataclass
class ObjectBytesResult:
    """Counts of one object-bytes run (and, when asked, one outcome per request)."""

    hits: int
    misses: int
    byte_hits: int
    byte_misses: int
    evictions: int
    removals: int
    bad_victims: int
    used_bytes: int
    outcome: np.ndarray | None = None

    @property
    def miss_ratio(self) -> float:
        total = self.hits + self.misses
        return self.misses / total if total else 0.0


def simulate_object_bytes(requests: RequestChunk, policy: str, cache_bytes: int,
                          params: dict | None = None, keep_outcome: bool = False) -> ObjectBytesResult:
    """Run ``policy`` (an ``EXACT_POLICIES`` name) over ``requests`` with a cache of ``cache_bytes``."""
    from evictsim.policies.exact import EXACT_POLICIES  # the registry imports every policy module
    spec = EXACT_POLICIES[policy.lower()]
    n_keys = max(requests.max_key + 1, 1)
    state = spec.new_state(n_keys, spec.resolve(params, cache_bytes=cache_bytes))
    cache = new_cache(n_keys, cache_bytes)
    nxt = (next_access_of(requests) if spec.needs_next_access
           else np.full(len(requests), NO_NEXT_ACCESS, np.int64))
    outcome = np.empty(len(requests), np.int8)
    serve_chunk(state, cache, np.ascontiguousarray(requests.key, dtype=np.int64),
                np.ascontiguousarray(requests.size, dtype=np.int64),
                np.ascontiguousarray(requests.op, dtype=np.uint8), nxt, np.int64(0), outcome)
    c = cache.counters
    return ObjectBytesResult(int(c[HITS]), int(c[MISSES]), int(c[BYTE_HITS]), int(c[BYTE_MISSES]),
                             int(c[EVICTIONS]), int(c[REMOVALS]), int(c[BAD_VICTIMS]), int(c[USED]),
                             outcome if keep_outcome else None)
