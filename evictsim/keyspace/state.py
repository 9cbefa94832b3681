"""Per-key state as a struct of arrays indexed by dense key id, plus the two dicts' bucket tables.

About 25 bytes per key (flags 1, kbytes 4, expire 8, lru 4, two chain links 8) plus two bucket rows
of 1.5 × the largest table at 4 bytes a bucket (≈12 bytes per key): no Python object per key. Arrays grow geometrically between kernel calls when a
chunk brings new key ids, so a streamed trace never needs its key count up front.
"""
from __future__ import annotations

import numpy as np

from evictsim.keyspace import hashtable as ht


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

    def __init__(self, capacity: int = 1024, *, deferred_row: bool = False):
        capacity = max(int(capacity), 16)
        self.flags = np.zeros(capacity, np.uint8)
        # row 0: bytes charged; row 1 (only with a lazyfree setting on): the part a lazy free defers
        self.kbytes = np.zeros((2 if deferred_row else 1, capacity), np.int32)
        self.expire = np.zeros(capacity, np.int64)
        self.lru = np.zeros(capacity, np.int32)
        self.nx = np.full((2, capacity), -1, np.int32)
        self.bk = np.full((2, ht.row_length(capacity)), -1, np.int32)
        self.ds = ht.new_dict_state()

    @property
    def capacity(self) -> int:
        return len(self.flags)

    def ensure(self, max_key: int) -> None:
        """Make room for key ids up to ``max_key`` (and the tables their count can need)."""
        if max_key < self.capacity:
            return
        n = max(max_key + 1, int(self.capacity * 1.5))
        self.flags = _grow(self.flags, n, 0)
        self.kbytes = _grow(self.kbytes, n, 0, axis=1)
        self.expire = _grow(self.expire, n, 0)
        self.lru = _grow(self.lru, n, 0)
        self.nx = _grow(self.nx, n, -1, axis=1)
        self.bk = _grow(self.bk, ht.row_length(n), -1, axis=1)

    def per_key_bytes(self) -> float:
        """Bytes of per-key arrays per key id (bucket tables excluded: they model Redis's own)."""
        return sum(a.nbytes for a in (self.flags, self.kbytes, self.expire, self.lru, self.nx)) / self.capacity
