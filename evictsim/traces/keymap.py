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

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    def map_arrow(self, keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        """Return (dense ids int32, key byte lengths uint16) for an Arrow string array."""
        if isinstance(keys, pa.ChunkedArray):
            keys = keys.combine_chunks()
        enc = keys if isinstance(keys, pa.DictionaryArray) else keys.dictionary_encode()
        dictionary = enc.dictionary.to_pylist()
        lut = np.empty(len(dictionary), dtype=np.int32)
        ids, names = self.ids, self.names
        for j, name in enumerate(dictionary):
            k = ids.get(name)
            if k is None:
                k = len(names)
                ids[name] = k
                names.append(name)
            lut[j] = k
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
