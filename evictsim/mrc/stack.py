"""Byte-weighted LRU stack distances in one pass: a Fenwick tree over access positions.

Mattson's stack (Mattson et al. 1970) with variable sizes: at a GET of key ``k``, its distance is
the Redis bytes of every distinct key used since ``k``'s previous access (each at its current size)
plus ``k``'s own bytes; an exact LRU cache with room for ``C`` key bytes hits iff distance <= C. The
tree holds, at the position of each resident key's latest access, that key's bytes, so a distance is
a prefix-sum difference: O(log n) per request.

A key's bytes are the byte model's per-key charge (:func:`evictsim.keyspace.memory.key_bytes`, plus
the expires entry while it has a TTL). TTL-aware: a key leaves the stack the moment its TTL passes
(``now > when``, as Redis's ``keyIsExpired``), so a later access is a cold miss and its bytes stop
counting in other keys' distances; due keys come off a binary heap before each request. DEL removes
the key; SET re-sizes it and makes it most recent without counting a GET; a missed GET on a
look-aside trace fills the key (a GET hit on an explicit trace needs the client's own SET first).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.keyspace.memory import cluster_entry_extra, expire_entry_bytes, key_bytes
from evictsim.traces.base import OP_DEL, OP_GET, RequestChunk

COLD = -1         # a GET of a key not resident (first access, expired, deleted or never filled)
NOT_A_GET = -2


@kernel
def _tree_add(tree, i, delta):
    n = len(tree) - 1
    while i <= n:
        tree[i] += delta
        i += i & -i


@kernel
def _tree_prefix(tree, i):
    total = 0
    while i > 0:
        total += tree[i]
        i -= i & -i
    return total


@kernel
def _heap_push(heap_t, heap_k, count, when, k):
    i = count
    heap_t[i] = when
    heap_k[i] = k
    while i > 0:
        parent = (i - 1) >> 1
        if heap_t[parent] <= heap_t[i]:
            break
        heap_t[parent], heap_t[i] = heap_t[i], heap_t[parent]
        heap_k[parent], heap_k[i] = heap_k[i], heap_k[parent]
        i = parent
    return count + 1


@kernel
def _heap_pop(heap_t, heap_k, count):
    count -= 1
    heap_t[0] = heap_t[count]
    heap_k[0] = heap_k[count]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= count:
            break
        if child + 1 < count and heap_t[child + 1] < heap_t[child]:
            child += 1
        if heap_t[i] <= heap_t[child]:
            break
        heap_t[child], heap_t[i] = heap_t[i], heap_t[child]
        heap_k[child], heap_k[i] = heap_k[i], heap_k[child]
        i = child
    return count


@kernel
def _remove(k, tree, last_pos, kbytes, expire_at):
    _tree_add(tree, last_pos[k], -kbytes[k])
    last_pos[k] = 0
    expire_at[k] = 0


# the compiled pass's bundles: the chunk's columns, how a key's bytes are counted, the stack itself
StackRequests = namedtuple("StackRequests", "now_ms op key key_len size ttl_ms vtype")
ByteRules = namedtuple("ByteRules", "quantum shared_ok fill extra_entry")
ByteStack = namedtuple("ByteStack", "tree last_pos kbytes expire_at heap_t heap_k")


@kernel
def byte_stack_distances(requests, rules, stack, distance):
    """Fill ``distance[i]`` for every request: bytes for a GET reuse, COLD, or NOT_A_GET.

    ``stack.tree`` has len(op) + 1 slots; ``last_pos`` (1-based, 0 = not resident), ``kbytes`` and
    ``expire_at`` (ms, 0 = no TTL) one per key; the heap len(op) slots. ``rules.extra_entry``: what
    cluster mode's slot metadata adds to a key's main-dict entry (0 standalone). Returns the expired
    count.
    """
    now_ms, op, key, key_len, size, ttl_ms, vtype = requests
    quantum, shared_ok, fill, extra_entry = rules
    tree, last_pos, kbytes, expire_at, heap_t, heap_k = stack
    count = 0
    expired = 0
    for i in range(len(op)):
        pos = i + 1
        now = now_ms[i]
        while count > 0 and heap_t[0] < now:
            when = heap_t[0]
            k = heap_k[0]
            count = _heap_pop(heap_t, heap_k, count)
            if last_pos[k] != 0 and expire_at[k] == when:
                _remove(k, tree, last_pos, kbytes, expire_at)
                expired += 1
        k = key[i]
        o = op[i]
        if o == OP_DEL:
            distance[i] = NOT_A_GET
            if last_pos[k] != 0:
                _remove(k, tree, last_pos, kbytes, expire_at)
            continue
        if o == OP_GET:
            if last_pos[k] != 0:
                above = _tree_prefix(tree, pos - 1) - _tree_prefix(tree, last_pos[k])
                distance[i] = above + kbytes[k]
                _tree_add(tree, last_pos[k], -kbytes[k])
                _tree_add(tree, pos, kbytes[k])
                last_pos[k] = pos
                continue
            distance[i] = COLD
            if not fill:
                continue
        else:
            distance[i] = NOT_A_GET
            if last_pos[k] != 0:
                _tree_add(tree, last_pos[k], -kbytes[k])
        nbytes = key_bytes(key_len[i], size[i], vtype[i], quantum, shared_ok) + extra_entry   # fill or SET
        expire_at[k] = 0
        if ttl_ms[i] > 0:
            nbytes += expire_entry_bytes(quantum)
            expire_at[k] = now + ttl_ms[i]
            count = _heap_push(heap_t, heap_k, count, expire_at[k], k)
        kbytes[k] = nbytes
        last_pos[k] = pos
        _tree_add(tree, pos, nbytes)
    return expired


def stack_distances(chunk: RequestChunk, *, quantum: int = 16, shared_ok: bool = False,
                    fill: bool = True, cluster_enabled: bool = False) -> np.ndarray:
    """Per request: the byte stack distance of a GET reuse, :data:`COLD`, or :data:`NOT_A_GET`."""
    chunk = chunk.normalized()
    n = len(chunk)
    n_keys = chunk.max_key + 1
    now_ms = np.rint(chunk.time * 1e6).astype(np.int64) // 1000     # the engine's clock: µs, then ms
    distance = np.empty(n, np.int64)
    byte_stack_distances(
        StackRequests(now_ms, chunk.op, chunk.key, chunk.key_len, chunk.size, chunk.ttl_ms, chunk.vtype),
        ByteRules(np.int64(quantum), bool(shared_ok), bool(fill), np.int64(cluster_entry_extra(cluster_enabled, quantum))),
        ByteStack(np.zeros(n + 1, np.int64), np.zeros(n_keys, np.int64), np.zeros(n_keys, np.int64),
                  np.zeros(n_keys, np.int64), np.zeros(max(n, 1), np.int64), np.zeros(max(n, 1), np.int32)),
        distance)
    return distance


NO_EXPIRY = np.iinfo(np.int64).max


@kernel
def count_cold_gets(now_ms, op, key, size, ttl_ms, fill, live_until, totals):
    """GETs that miss with no memory limit (never written, deleted, or past their TTL), and their
    value bytes, added to ``totals[0]``, ``totals[1]``. ``live_until[k]``: ms until which key ``k``
    is live (0 = absent, NO_EXPIRY = no TTL), carried from chunk to chunk."""
    for i in range(len(op)):
        k = key[i]
        o = op[i]
        if o == OP_DEL:
            live_until[k] = 0
            continue
        if o == OP_GET:
            if live_until[k] != 0 and not live_until[k] < now_ms[i]:
                continue
            totals[0] += 1
            totals[1] += size[i]
            if not fill:
                live_until[k] = 0
                continue
        live_until[k] = now_ms[i] + ttl_ms[i] if ttl_ms[i] > 0 else NO_EXPIRY


class ColdGets:
    """Streams chunks through :func:`count_cold_gets`: the no-limit misses of a whole trace."""

    def __init__(self, fill: bool):
        self.fill = fill
        self.live_until = np.zeros(1024, np.int64)
        self.totals = np.zeros(2, np.int64)

    def add(self, chunk: RequestChunk) -> None:
        n_keys = chunk.max_key + 1
        if n_keys > len(self.live_until):
            grown = np.zeros(max(n_keys, 2 * len(self.live_until)), np.int64)
            grown[:len(self.live_until)] = self.live_until
            self.live_until = grown
        now_ms = np.rint(np.asarray(chunk.time, np.float64) * 1e6).astype(np.int64) // 1000
        count_cold_gets(now_ms, np.ascontiguousarray(chunk.op, np.uint8),
                        np.ascontiguousarray(chunk.key, np.int32), np.ascontiguousarray(chunk.size, np.int64),
                        np.ascontiguousarray(chunk.ttl_ms, np.int64), self.fill, self.live_until, self.totals)

    @property
    def gets(self) -> int:
        return int(self.totals[0])

    @property
    def bytes(self) -> int:
        return int(self.totals[1])
