"""Per-key state as a struct of arrays indexed by dense key id, plus the two dicts' bucket tables,
and the named bundles in which the compiled kernels receive them.

About 26 bytes per key (flags 1, namespace tag 1, bytes charged 4, expire 8, two chain links 8, and
the policy's own field: 4 for Redis's 24-bit ``lru``) plus two bucket rows of 1.5 × the largest
table at 4 bytes a bucket (≈12 bytes per key): no Python object per key. Arrays grow geometrically
between kernel calls when a chunk brings new key ids, so a streamed trace never needs its key count
up front.

Bundles: the kernels take a handful of named tuples instead of dozens of positional arrays, so a
signature says what a kernel touches and a new array is one field, not an edit of every call:

* :class:`Keys`: ``flags`` (PRESENT, HAS_TTL), ``charged`` (bytes charged per key; a second row only
  with a lazyfree setting on: the part a lazy free defers), ``expire`` (absolute wall ms), ``tags``
  (namespace index per key, for per-namespace counters);
* :class:`Tables`: the dict model (buckets, chain links, per-dict state, hash seed) and the memory
  (allocator) model, ``tables.memory``: the dicts' bucket arrays and every key's pieces are
  allocated through it (one reference in the core: the dict model and the charges share it);
* :class:`Core`: keys + tables + the server's config/counters (:class:`Server`) + the exact-expiry
  heap. Policies keep their own bundle beside it.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.allocation import DEFAULT_MODEL

Keys = namedtuple("Keys", "flags charged expire tags")
Tables = namedtuple("Tables", "buckets links dicts seed memory", defaults=(DEFAULT_MODEL,))
Server = namedtuple("Server", "config costs stats fstats rng tag_stats")
ExpiryHeap = namedtuple("ExpiryHeap", "times keys")
Core = namedtuple("Core", "keys tables server heap")


def _grow(arr: np.ndarray, n: int, fill, axis: int = 0) -> np.ndarray:
    if arr.shape[axis] >= n:
        return arr
    shape = list(arr.shape)
    shape[axis] = n
    out = np.full(shape, fill, dtype=arr.dtype)
    index = [slice(None)] * arr.ndim
    index[axis] = slice(0, arr.shape[axis])
    out[tuple(index)] = arr
    return out


class KeyspaceArrays:
    """The keyspace's arrays. Capacity is in key ids; bucket rows hold the largest possible table."""

    def __init__(self, capacity: int = 1024, *, deferred_row: bool = False, seed: int = 0):
        capacity = max(int(capacity), 16)
        self.seed = np.uint64(seed)
        self.flags = np.zeros(capacity, np.uint8)
        self.tags = np.zeros(capacity, np.uint8)
        # row 0: bytes charged; row 1 (only with a lazyfree setting on): the part a lazy free defers
        self.kbytes = np.zeros((2 if deferred_row else 1, capacity), np.int32)
        self.expire = np.zeros(capacity, np.int64)
        self.nx = np.full((2, capacity), -1, np.int32)
        self.bk = np.full((2, ht.row_length(capacity)), -1, np.int32)
        self.ds = ht.new_dict_state()

    @property
    def capacity(self) -> int:
        return len(self.flags)

    def ensure(self, max_key: int) -> bool:
        """Make room for key ids up to ``max_key`` (and the tables their count can need).
        Returns True when the arrays were reallocated (bundles must be rebuilt)."""
        if max_key < self.capacity:
            return False
        n = max(max_key + 1, int(self.capacity * 1.5))
        self.flags = _grow(self.flags, n, 0)
        self.tags = _grow(self.tags, n, 0)
        self.kbytes = _grow(self.kbytes, n, 0, axis=1)
        self.expire = _grow(self.expire, n, 0)
        self.nx = _grow(self.nx, n, -1, axis=1)
        self.bk = _grow(self.bk, ht.row_length(n), -1, axis=1)
        return True

    def keys_bundle(self) -> Keys:
        return Keys(self.flags, self.kbytes, self.expire, self.tags)

    def tables_bundle(self, memory=DEFAULT_MODEL) -> Tables:
        return Tables(self.bk, self.nx, self.ds, self.seed, memory)

    def dict_sizes(self) -> tuple[int, int]:
        """Keys in the main dict and in the expires dict."""
        ds = self.ds
        return (int(ds[0, ht.USED0] + ds[0, ht.USED1]), int(ds[1, ht.USED0] + ds[1, ht.USED1]))

    def per_key_bytes(self) -> float:
        """Bytes of per-key arrays per key id (bucket tables excluded: they model Redis's own)."""
        arrays = (self.flags, self.tags, self.kbytes, self.expire, self.nx)
        return sum(a.nbytes for a in arrays) / self.capacity
