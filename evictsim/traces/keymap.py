"""Dense key ids: map keys to 0, 1, 2, ... in order of first appearance, chunk by chunk.

Three mappers for three kinds of key, all compiled or vectorised so no Python code runs per key:

* :class:`KeyMapper` for key strings: an open-addressing hash table in numba that reads the Arrow
  string array's own offset and data buffers (a Python dict per distinct key cost ~3 s per 1M
  distinct keys of a 10M-request trace; this costs a few hundred ms);
* :class:`IntKeyMapper` for arbitrary 64-bit ids (libCacheSim object ids): a sorted table, searched
  with ``np.searchsorted``;
* :class:`TableKeyMapper` for ids known to lie in ``[0, n)`` (generators): one lookup array.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pyarrow as pa
import evictsim.jit  # noqa: F401  (first: numba's cache folder outside the source tree)
from numba import njit

# A slot of the hash table is 4 uint64 words: (low 32 bits of the hash << 32 | id + 1) (0: free),
# the key's byte length, and its first 16 bytes. A 32-byte slot sits in one cache line, so a lookup
# of a key of up to 16 bytes costs one cache miss; longer keys also compare their tail in
# ``key_data``. Keeping the hash's low bits lets the table grow without rehashing a key.
_SLOT_WORDS = 4
_PREFIX = 16
# Share of slots in use before the table doubles: at 3/4 probes stay short, and the smaller table
# misses the cache less and faults in less fresh memory than at 1/2 (~0.2 s less for 1M keys).
_MAX_LOAD = 0.75
GROUP = 32            # rows whose first slots are loaded together (see _map_rows; 16: 10% slower)
_MAX_KEY_LEN = 65535  # key_len is uint16: longer keys report this (Redis keys that long are absurd)


@njit(cache=True, nogil=True)
def _fmix(h):
    """MurmurHash3's 64-bit finaliser: a bijection that spreads every input bit over the output."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True, nogil=True)
def _key_words(data, start, end):
    """(first 8 bytes, next 8 bytes, hash) of a key: little-endian words, zero padded."""
    p0 = np.uint64(0)
    p1 = np.uint64(0)
    head = min(end - start, _PREFIX)
    for i in range(min(head, 8)):
        p0 |= np.uint64(data[start + i]) << np.uint64(8 * i)
    for i in range(8, head):
        p1 |= np.uint64(data[start + i]) << np.uint64(8 * (i - 8))
    h = _fmix(p0 + _fmix(p1 + _fmix(np.uint64(end - start))))
    for i in range(start + _PREFIX, end):   # FNV-1a steps over the tail of a long key
        h = (h ^ np.uint64(data[i])) * np.uint64(1099511628211)
    return p0, p1, _fmix(h)


@njit(cache=True, nogil=True)
def _same_tail(key_data, known_start, data, start, end):
    """Do the bytes after the first 16 equal those of the known key starting at ``known_start``?"""
    for i in range(_PREFIX, end - start):
        if key_data[known_start + i] != data[start + i]:
            return False
    return True


@njit(cache=True, nogil=True)
def _rehash(old, table):
    """Move every slot of ``old`` into the empty, larger ``table``. A slot keeps the low 32 bits of
    its key's hash, and they hold the slot number, so nothing is rehashed and ``old`` is read in
    order: only the writes land at random."""
    mask = np.uint64(len(table) - 1)
    for i in range(len(old)):
        head = old[i, 0]
        if head == 0:
            continue
        slot = (head >> np.uint64(32)) & mask
        while table[slot, 0] != 0:
            slot = (slot + np.uint64(1)) & mask
        for w in range(_SLOT_WORDS):
            table[slot, w] = old[i, w]


# the compiled mapper's bundles: an Arrow binary column's buffers (and the array's own offset); the
# map (open-addressing table, the keys' bytes end to end and where each ends); the rows' results
KeyColumn = namedtuple("KeyColumn", "offsets data first")
KeyTable = namedtuple("KeyTable", "table key_data key_offsets")
RowKeys = namedtuple("RowKeys", "ids lens")


@njit(cache=True, nogil=True)
def _map_rows(column, row0, n, keys, n_keys, hash_mask, out, scratch):
    """Id and byte length of rows ``row0 .. n`` (after the array's own offset ``first``); a new key
    gets the next id and its bytes go to the end of ``key_data``. Stops before a new key that would
    fill the table past ``_MAX_LOAD``, or overflow ``key_offsets`` or ``key_data``: returns (keys, next row)
    so the caller can grow them and go on from that row.

    Rows go in groups: hash the whole group, then load each row's first slot in a tight loop, then
    probe. The loads are independent and close together, so the CPU waits for their cache misses
    at once instead of one by one (the table is far larger than the caches: the miss, not the
    hashing, is the cost of a lookup). On the 10M-request, 763k-key bench trace this takes mapping
    from 0.6 s to 0.33 s; loading each slot right after its own hash gained only ~10%."""
    offsets, data, first = column
    table, key_data, key_offsets = keys
    ids, lens = out
    mask = np.uint64(len(table) - 1)
    max_keys = min(int(len(table) * _MAX_LOAD), len(key_offsets) - 1)
    group = scratch.shape[0]
    for group_start in range(row0, n, group):
        group_end = min(group_start + group, n)
        for row in range(group_start, group_end):
            p0, p1, h = _key_words(data, offsets[first + row], offsets[first + row + 1])
            j = row - group_start
            scratch[j, 0] = p0
            scratch[j, 1] = p1
            scratch[j, 2] = h & hash_mask
        for j in range(group_end - group_start):   # back to back, so their cache misses overlap
            scratch[j, 3] = table[scratch[j, 2] & mask, 0]
        for row in range(group_start, group_end):
            start, end = offsets[first + row], offsets[first + row + 1]
            j = row - group_start
            p0, p1, h = scratch[j, 0], scratch[j, 1], scratch[j, 2]
            length = np.uint64(end - start)
            tag = h & np.uint64(0xFFFFFFFF)
            slot = h & mask
            while True:
                head = table[slot, 0]
                if head == 0:
                    kid = n_keys
                    end_known = key_offsets[kid]
                    if kid >= max_keys or end_known + (end - start) > len(key_data):
                        return n_keys, row
                    for i in range(end - start):
                        key_data[end_known + i] = data[start + i]
                    key_offsets[kid + 1] = end_known + end - start
                    table[slot, 0] = (tag << np.uint64(32)) | np.uint64(kid + 1)
                    table[slot, 1] = length
                    table[slot, 2] = p0
                    table[slot, 3] = p1
                    n_keys += 1
                    break
                if (head >> np.uint64(32) == tag and table[slot, 1] == length
                        and table[slot, 2] == p0 and table[slot, 3] == p1):
                    kid = np.int64(head & np.uint64(0xFFFFFFFF)) - 1
                    if length <= _PREFIX or _same_tail(key_data, key_offsets[kid], data, start, end):
                        break
                slot = (slot + np.uint64(1)) & mask
            ids[row] = kid
            lens[row] = min(end - start, _MAX_KEY_LEN)
    return n_keys, n


class KeyMapper:
    """Keeps the global key -> id map across chunks, plus each id's key length in bytes.

    ``names`` (the keys in id order; ``str``, or ``bytes`` for binary arrays) grows as chunks are
    mapped, so a writer streaming the same trace can name every id it has seen so far. A trace may
    hand over its own (empty) list to be filled: ``mapper.names = trace.key_names``.
    """

    # Bits of a key's hash the table uses. Tests keep two, so that keys collide and probe chains grow
    # long: the byte comparisons, not the hash, must tell keys apart.
    HASH_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)

    def __init__(self) -> None:
        self.names: list = []
        self._n_keys = 0
        self._table = np.zeros((1 << 10, _SLOT_WORDS), dtype=np.uint64)
        self._key_data = np.empty(1 << 16, dtype=np.uint8)       # every known key's bytes, by id
        self._key_offsets = np.zeros(1 << 10, dtype=np.int64)   # key i is data[off[i]:off[i + 1]]
        self._scratch = np.empty((GROUP, _SLOT_WORDS), dtype=np.uint64)

    def __len__(self) -> int:
        return self._n_keys

    def map_arrow(self, keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        """Return (dense ids int32, key byte lengths uint16) for an Arrow string array."""
        if isinstance(keys, pa.ChunkedArray):
            parts = [self.map_arrow(chunk) for chunk in keys.chunks]
            return (np.concatenate([p[0] for p in parts] or [np.zeros(0, np.int32)]),
                    np.concatenate([p[1] for p in parts] or [np.zeros(0, np.uint16)]))
        keys = _plain_strings(keys)
        n = len(keys)
        ids, lens = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.uint16)
        if not n:
            return ids, lens
        offsets, data = _buffers(keys)
        known, row = self._n_keys, 0
        while row < n:
            self._n_keys, row = _map_rows(KeyColumn(offsets, data, keys.offset), row, n,
                                          KeyTable(self._table, self._key_data, self._key_offsets),
                                          self._n_keys, self.HASH_MASK, RowKeys(ids, lens), self._scratch)
            if row < n:
                self._make_room(int(offsets[keys.offset + row + 1] - offsets[keys.offset + row]))
        if self._n_keys > known:
            self.names.extend(self._known_keys(known, self._n_keys, keys.type).to_pylist())
        return ids, lens

    def map_list(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.map_arrow(pa.array(keys, type=pa.string()))

    def _make_room(self, key_bytes: int) -> None:
        """Grow whatever stopped :func:`_map_rows` before a new key of ``key_bytes`` bytes."""
        n = self._n_keys
        if n >= int(len(self._table) * _MAX_LOAD):
            old, self._table = self._table, np.zeros((2 * len(self._table), _SLOT_WORDS), np.uint64)
            _rehash(old, self._table)
        if n + 1 >= len(self._key_offsets):
            self._key_offsets = _grown(self._key_offsets, n + 2)
        used = int(self._key_offsets[n])
        if used + key_bytes > len(self._key_data):
            self._key_data = _grown(self._key_data, used + key_bytes)

    def _known_keys(self, start: int, stop: int, value_type: pa.DataType) -> pa.Array:
        """Keys ``start .. stop`` as an Arrow array of ``value_type``'s large variant."""
        offsets = self._key_offsets[start:stop + 1]
        data = self._key_data[offsets[0]:offsets[-1]]
        large = pa.large_binary() if pa.types.is_binary(value_type) or pa.types.is_large_binary(
            value_type) else pa.large_string()
        return pa.Array.from_buffers(large, stop - start,
                                     [None, pa.py_buffer(offsets - offsets[0]), pa.py_buffer(data)])


def _plain_strings(keys: pa.Array) -> pa.Array:
    """``keys`` as a string or binary array whose buffers :func:`_map_rows` reads (dictionary and
    view arrays decoded); nulls are refused: no reader lets a null key through."""
    if isinstance(keys, pa.DictionaryArray):
        keys = keys.dictionary.take(keys.indices)
    if not (pa.types.is_string(keys.type) or pa.types.is_large_string(keys.type)
            or pa.types.is_binary(keys.type) or pa.types.is_large_binary(keys.type)):
        keys = keys.cast(pa.large_string())
    if keys.null_count:
        raise ValueError(f"{keys.null_count} null keys: a key must be a string")
    return keys


def _buffers(keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets and data buffers of a string array, as NumPy views (no copy)."""
    _validity, offsets, data = keys.buffers()
    wide = pa.types.is_large_string(keys.type) or pa.types.is_large_binary(keys.type)
    offsets = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data


def _grown(array: np.ndarray, needed: int) -> np.ndarray:
    """A copy of ``array`` with room for at least ``needed`` items (doubling: amortised O(1))."""
    out = np.empty(max(needed, 2 * len(array)), dtype=array.dtype)
    out[:len(array)] = array
    return out


def _first_appearance(values: np.ndarray) -> np.ndarray:
    """The distinct values of ``values`` in order of first appearance."""
    uniq, first = np.unique(values, return_index=True)
    return uniq[np.argsort(first, kind="stable")]


class IntKeyMapper:
    """Dense ids for arbitrary uint64 keys; ``originals[i]`` is the key that got id ``i``."""

    def __init__(self) -> None:
        self._sorted = np.zeros(0, np.uint64)
        self._dense = np.zeros(0, np.int32)
        self.originals = np.zeros(0, np.uint64)

    def __len__(self) -> int:
        return len(self.originals)

    def map(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.uint64)
        new = _first_appearance(keys[~self._known(keys)])
        if len(new):
            start = len(self.originals)
            self.originals = np.concatenate([self.originals, new])
            merged = np.concatenate([self._sorted, new])
            order = np.argsort(merged, kind="stable")
            self._sorted = merged[order]
            self._dense = np.concatenate([self._dense,
                                          np.arange(start, start + len(new), dtype=np.int32)])[order]
        pos = np.searchsorted(self._sorted, keys)
        return self._dense[pos]

    def _known(self, keys: np.ndarray) -> np.ndarray:
        if not len(self._sorted):
            return np.zeros(len(keys), dtype=bool)
        pos = np.minimum(np.searchsorted(self._sorted, keys), len(self._sorted) - 1)
        return self._sorted[pos] == keys


class TableKeyMapper:
    """Dense ids for keys in ``[0, n)``: one int32 table, -1 where a key has not appeared yet."""

    def __init__(self, n: int) -> None:
        self._dense = np.full(n, -1, dtype=np.int32)
        self.originals = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.originals)

    def grow(self, n: int) -> None:
        if n > len(self._dense):
            extra = np.full(max(n, 2 * len(self._dense)) - len(self._dense), -1, dtype=np.int32)
            self._dense = np.concatenate([self._dense, extra])

    def map(self, keys: np.ndarray) -> np.ndarray:
        dense = self._dense[keys]
        unseen = dense < 0
        if unseen.any():
            new = _first_appearance(keys[unseen])
            start = len(self.originals)
            self._dense[new] = np.arange(start, start + len(new), dtype=np.int32)
            self.originals = np.concatenate([self.originals, new.astype(np.int64)])
            dense = self._dense[keys]
        return dense
