"""A model of Redis 7.0's ``dict`` (dict.c) over dense key ids, compiled with numba.

Why model the table at all: eviction samples keys with ``dictGetSomeKeys`` (runs of consecutive
buckets from a random start) and the random policies with ``dictGetRandomKey`` (a random non-empty
bucket, then a uniform element of its chain), so which keys get sampled depends on the table's
geometry; and the bucket arrays themselves cost 8 bytes per bucket in ``used_memory``, doubling
at once when a table grows. This module keeps, per dict (0 = main keyspace, 1 = expires):
two power-of-two bucket tables in one flat row ``bk[d, :]`` (table 0 at offset 0, table 1 right
after it while rehashing, so a row of 1.5× the largest table suffices; head key id or -1), per-key chain links
(``nx[d, key]``), sizes, used counts and the incremental-rehash index. New entries go at the head of
their chain in table 1 while rehashing, else table 0, exactly as ``dictAddRaw``.

State layout of ``ds[d, :]``: SIZE0, SIZE1, USED0, USED1, REHASHIDX (-1 when not rehashing).
Every function takes the :class:`~evictsim.keyspace.state.Tables` bundle (buckets ``bk``, links
``nx``, dict state ``ds``, hash seed, memory model) and the dict index. Bucket arrays are allocated
and freed through the allocator hook (server-wide memory: key -1, piece ``PIECE_BUCKETS + d``), as
``dictExpand`` and ``dictRehash`` call zmalloc/zfree; the bytes are returned to the caller, which
owns ``used_memory``.
"""
from __future__ import annotations

import numpy as np
from evictsim.jit import kernel

from evictsim.keyspace.allocation import PIECE_BUCKETS, allocate, release
from evictsim.keyspace.prefetch import prefetch_cell
from evictsim.keyspace.rng import key_hash, rng_next

SIZE0, SIZE1, USED0, USED1, REHASHIDX = 0, 1, 2, 3, 4
DS_FIELDS = 5
INITIAL_SIZE = 4
MAX_LOAD_FACTOR = 1.618     # HASHTABLE_MAX_LOAD_FACTOR: expansion vetoed near maxmemory below this
MIN_FILL = 10               # HASHTABLE_MIN_FILL (percent) for the cron shrink


def row_length(max_keys: int) -> int:
    """Bucket-row length that holds table 0 plus a table twice its size (or the largest table)."""
    largest = next_pow2_py(max_keys + 1)
    return largest + largest // 2


def next_pow2_py(n: int) -> int:
    s = INITIAL_SIZE
    while s < n:
        s <<= 1
    return s


def new_dict_state() -> np.ndarray:
    ds = np.zeros((2, DS_FIELDS), dtype=np.int64)
    ds[:, REHASHIDX] = -1
    return ds


@kernel
def dict_size(tables, d):
    ds = tables.dicts
    return ds[d, USED0] + ds[d, USED1]


@kernel
def is_rehashing(tables, d):
    return tables.dicts[d, REHASHIDX] != -1


@kernel
def next_pow2(n):
    s = INITIAL_SIZE
    while s < n:
        s <<= 1
    return s


@kernel
def expand(tables, d, want):
    """``dictExpand``: allocate a table of ``next_pow2(want)`` buckets. Returns bytes allocated."""
    bk, ds = tables.buckets, tables.dicts
    if is_rehashing(tables, d) or ds[d, USED0] > want:
        return 0
    new = next_pow2(want)
    if new == ds[d, SIZE0]:
        return 0
    if ds[d, SIZE0] == 0:           # first initialisation: not a rehash, just table 0
        bk[d, :new] = -1
        ds[d, SIZE0] = new
    else:
        base = ds[d, SIZE0]
        bk[d, base:base + new] = -1
        ds[d, SIZE1] = new
        ds[d, REHASHIDX] = 0
    return allocate(tables.memory, -1, PIECE_BUCKETS + d, 8 * new)


@kernel
def rehash(tables, d, n):
    """``dictRehash(d, n)``: move up to ``n`` buckets (visiting at most 10·n empty ones).

    Returns (still_rehashing, bytes_freed): when table 0 empties it is freed and table 1 becomes
    table 0 (moved down to offset 0, so the space after it is free for the next resize).
    """
    bk, ds, nx, seed = tables.buckets, tables.dicts, tables.links, tables.seed
    if not is_rehashing(tables, d):
        return False, 0
    empty_visits = n * 10
    idx = ds[d, REHASHIDX]
    mask1 = np.uint64(ds[d, SIZE1] - 1)
    base1 = ds[d, SIZE0]
    while n > 0 and ds[d, USED0] != 0:
        n -= 1
        while bk[d, idx] == -1:
            idx += 1
            empty_visits -= 1
            if empty_visits == 0:
                ds[d, REHASHIDX] = idx
                return True, 0
        e = bk[d, idx]
        while e != -1:
            nxt = nx[d, e]
            b = base1 + np.int64(key_hash(e, seed) & mask1)
            nx[d, e] = bk[d, b]
            bk[d, b] = e
            ds[d, USED0] -= 1
            ds[d, USED1] += 1
            e = nxt
        bk[d, idx] = -1
        idx += 1
    ds[d, REHASHIDX] = idx
    if ds[d, USED0] == 0:
        freed = 8 * ds[d, SIZE0]
        release(tables.memory, -1, PIECE_BUCKETS + d, freed)     # table 0; table 1 takes its place
        size1 = ds[d, SIZE1]
        for j in range(size1):          # ascending copy: safe although the ranges may overlap
            bk[d, j] = bk[d, base1 + j]
        ds[d, SIZE0] = size1
        ds[d, USED0] = ds[d, USED1]
        ds[d, SIZE1] = 0
        ds[d, USED1] = 0
        ds[d, REHASHIDX] = -1
        return False, freed
    return True, 0


@kernel
def rehash_step(tables, d):
    """``_dictRehashStep``: what every find/add/delete/random-key does while rehashing."""
    ds = tables.dicts
    if ds[d, REHASHIDX] != -1:
        return rehash(tables, d, 1)[1]
    return 0


@kernel
def expand_if_needed(tables, d, used_memory, maxmemory):
    """``_dictExpandIfNeeded`` with ``dictExpandAllowed``'s veto near maxmemory. Returns bytes."""
    ds = tables.dicts
    if is_rehashing(tables, d):
        return 0
    size0 = ds[d, SIZE0]
    if size0 == 0:
        return expand(tables, d, INITIAL_SIZE)
    used = ds[d, USED0]
    if used >= size0:
        new = next_pow2(used + 1)
        ratio = used / size0
        if ratio <= MAX_LOAD_FACTOR and maxmemory > 0 and used_memory + 8 * new > maxmemory:
            return 0      # vetoed: would push used_memory over maxmemory
        return expand(tables, d, used + 1)
    return 0


@kernel
def link(tables, d, k):
    """Insert key ``k`` at the head of its chain (caller ran the rehash step and expansion)."""
    bk, ds, nx, seed = tables.buckets, tables.dicts, tables.links, tables.seed
    t = 1 if is_rehashing(tables, d) else 0
    b = t * ds[d, SIZE0] + np.int64(key_hash(k, seed) & np.uint64(ds[d, SIZE0 + t] - 1))
    nx[d, k] = bk[d, b]
    bk[d, b] = k
    ds[d, USED0 + t] += 1


@kernel
def unlink(tables, d, k):
    """Remove key ``k`` from its chain (table 0, then table 1 while rehashing)."""
    bk, ds, nx, seed = tables.buckets, tables.dicts, tables.links, tables.seed
    h = key_hash(k, seed)
    ntables = 2 if is_rehashing(tables, d) else 1
    for t in range(ntables):
        size = ds[d, SIZE0 + t]
        if size == 0:
            continue
        b = t * ds[d, SIZE0] + np.int64(h & np.uint64(size - 1))
        prev = -1
        e = bk[d, b]
        while e != -1:
            if e == k:
                if prev == -1:
                    bk[d, b] = nx[d, e]
                else:
                    nx[d, prev] = nx[d, e]
                nx[d, e] = -1
                ds[d, USED0 + t] -= 1
                return True
            prev = e
            e = nx[d, e]
    return False


@kernel
def get_some_keys(tables, d, out, count, rng):
    """``dictGetSomeKeys`` (7.0.12+, with reservoir sampling over chain tails).

    Fills ``out[:returned]`` and returns (returned, bytes_freed_by_rehash_steps). Walks consecutive
    buckets from a random start, jumps after runs of empty buckets, may return fewer than ``count``
    and may return duplicates, exactly as Redis does.
    """
    bk, ds, nx = tables.buckets, tables.dicts, tables.links
    size = dict_size(tables, d)
    if size < count:
        count = size
    maxsteps = count * 10
    freed = 0
    for _ in range(count):
        if is_rehashing(tables, d):
            freed += rehash(tables, d, 1)[1]
        else:
            break
    ntables = 2 if is_rehashing(tables, d) else 1
    maxsizemask = ds[d, SIZE0] - 1
    if ntables > 1 and maxsizemask < ds[d, SIZE1] - 1:
        maxsizemask = ds[d, SIZE1] - 1
    umask = np.uint64(maxsizemask)
    i = np.int64(rng_next(rng) & umask)
    emptylen = 0
    stored = 0
    while stored < count and maxsteps > 0:
        maxsteps -= 1
        for j in range(ntables):
            if ntables == 2 and j == 0 and i < ds[d, REHASHIDX]:
                if i >= ds[d, SIZE1]:
                    i = ds[d, REHASHIDX]
                else:
                    continue
            if i >= ds[d, SIZE0 + j]:
                continue
            e = bk[d, j * ds[d, SIZE0] + i]
            if e == -1:
                emptylen += 1
                if emptylen >= 5 and emptylen > count:
                    i = np.int64(rng_next(rng) & umask)
                    emptylen = 0
            else:
                emptylen = 0
                while e != -1:
                    if stored < count:
                        out[stored] = e
                    else:
                        r = np.int64(rng_next(rng) % np.uint64(stored + 1))
                        if r < count:
                            out[r] = e
                    e = nx[d, e]
                    stored += 1
                if stored >= count:
                    return (count if stored > count else stored), freed
        i = (i + 1) & maxsizemask
    return (count if stored > count else stored), freed


@kernel(inline=True)
def prefetch_bucket(tables, d, k):
    """Ask for the bucket of dict ``d`` that key ``k`` hashes to (table 0; nothing while rehashing)."""
    size0 = tables.dicts[d, SIZE0]
    if size0 > 0 and not is_rehashing(tables, d):
        prefetch_cell(tables.buckets, d, np.int64(key_hash(k, tables.seed) & np.uint64(size0 - 1)))


@kernel
def get_random_key(tables, d, rng):
    """``dictGetRandomKey``: random non-empty bucket, then a uniform element of its chain.

    Returns (key or -1, bytes_freed_by_rehash_step). A key's chance is ∝ 1 / its chain length.
    """
    bk, ds, nx = tables.buckets, tables.dicts, tables.links
    if dict_size(tables, d) == 0:
        return -1, 0
    freed = rehash_step(tables, d)
    if is_rehashing(tables, d):
        s0 = ds[d, SIZE0]
        ridx = ds[d, REHASHIDX]
        span = np.uint64(s0 + ds[d, SIZE1] - ridx)
        while True:
            h = ridx + np.int64(rng_next(rng) % span)
            e = bk[d, h]                  # table 1 follows table 0 in the row
            if e != -1:
                break
    else:
        m = np.uint64(ds[d, SIZE0] - 1)
        while True:
            e = bk[d, np.int64(rng_next(rng) & m)]
            if e != -1:
                break
    n = 0
    x = e
    while x != -1:
        n += 1
        x = nx[d, x]
    pick = np.int64(rng_next(rng) % np.uint64(n))
    while pick > 0:
        e = nx[d, e]
        pick -= 1
    return e, freed


@kernel
def resize_if_sparse(tables, d):
    """Cron's ``tryResizeHashTables``: shrink a table under 10% full. Returns bytes allocated."""
    ds = tables.dicts
    size0 = ds[d, SIZE0]
    used = dict_size(tables, d)
    if size0 > INITIAL_SIZE and used * 100 // size0 < MIN_FILL and not is_rehashing(tables, d):
        return expand(tables, d, max(used, INITIAL_SIZE))
    return 0


def table_bytes(ds: np.ndarray) -> int:
    """Bucket-array bytes of both dicts (both tables while rehashing)."""
    return int(8 * (ds[:, SIZE0].sum() + ds[:, SIZE1].sum()))
