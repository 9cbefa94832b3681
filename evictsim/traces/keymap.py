"""Dense key ids: map key strings to 0, 1, 2, ... in order of first appearance, chunk by chunk.

Only the distinct keys of a chunk go through a Python dict (dictionary-encoded by Arrow first), so
the cost is per distinct key, not per request.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class KeyMapper:
    """Keeps the global key → id map across chunks, plus each id's key length in bytes."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    def map_arrow(self, keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Return (dense ids int32, key byte lengths uint16) for an Arrow string array."""
        enc = keys.dictionary_encode() if not isinstance(keys, pa.DictionaryArray) else keys
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
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
        lens_dict = pc.binary_length(enc.dictionary).to_numpy(zero_copy_only=False).astype(np.uint16)
        codes = enc.indices.to_numpy(zero_copy_only=False)
        return lut[codes], lens_dict[codes]

    def map_list(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.map_arrow(pa.array(keys, type=pa.string()))
