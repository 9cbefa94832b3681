"""Dense key ids: map keys to 0, 1, 2, ... in order of first appearance, chunk by chunk.

Three mappers for three kinds of key, all vectorised so the cost is per distinct key of a chunk, not
per request:

* :class:`KeyMapper` for key strings (Arrow dictionary-encodes a chunk; only its distinct keys meet a
  Python dict);
* :class:`IntKeyMapper` for arbitrary 64-bit ids (libCacheSim object ids): a sorted table, searched
  with ``np.searchsorted``;
* :class:`TableKeyMapper` for ids known to lie in ``[0, n)`` (generators): one lookup array.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class KeyMapper:
    """Keeps the global key → id map across chunks, plus each id's key length in bytes.

    ``names`` grows as chunks are mapped, so a writer streaming the same trace can name every id it
    has seen so far.
    """

    # Up to this many known keys, a chunk's distinct keys are looked up in C++ (Arrow ``index_in``
    # rebuilds its hash set of the known keys per chunk: cheap while the key set is small); beyond
    # it, a Python dict lookup per distinct key of the chunk costs less.
    ARROW_LOOKUP_MAX_KEYS = 1 << 20

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self._known_chunks: list[pa.Array] = []

    def __len__(self) -> int:
        return len(self.names)

    def _lookup(self, dictionary: pa.Array) -> np.ndarray:
        """Known id of each dictionary entry, -1 where new."""
        if not self.names:
            return np.full(len(dictionary), -1, dtype=np.int32)
        if len(self.names) <= self.ARROW_LOOKUP_MAX_KEYS:
            if len(self._known_chunks) > 1:
                self._known_chunks = [pa.concat_arrays(self._known_chunks)]
            found = pc.index_in(dictionary, value_set=self._known_chunks[0])
            return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
        ids = self.ids
        return np.asarray([ids.get(name, -1) for name in dictionary.to_pylist()], dtype=np.int32)

    def map_arrow(self, keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        """Return (dense ids int32, key byte lengths uint16) for an Arrow string array."""
        if isinstance(keys, pa.ChunkedArray):
            keys = keys.combine_chunks()
        enc = keys if isinstance(keys, pa.DictionaryArray) else keys.dictionary_encode()
        lut = self._lookup(enc.dictionary)
        new = np.flatnonzero(lut < 0)
        if len(new):
            # Arrow numbers a dictionary in order of first appearance, so new keys keep that order.
            start = len(self.names)
            fresh_arrow = enc.dictionary.take(pa.array(new))
            fresh = fresh_arrow.to_pylist()
            self.ids.update(zip(fresh, range(start, start + len(fresh))))
            self.names.extend(fresh)
            if len(self.names) <= self.ARROW_LOOKUP_MAX_KEYS:
                self._known_chunks.append(fresh_arrow)
            else:
                self._known_chunks = []
            lut[new] = np.arange(start, start + len(fresh), dtype=np.int32)
        lens_dict = pc.binary_length(enc.dictionary).to_numpy(zero_copy_only=False)
        codes = enc.indices.to_numpy(zero_copy_only=False)
        return lut[codes], np.minimum(lens_dict, 65535).astype(np.uint16)[codes]

    def map_list(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.map_arrow(pa.array(keys, type=pa.string()))


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
