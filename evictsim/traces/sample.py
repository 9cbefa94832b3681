"""Spatial sampling by key hash (SHARDS, Waldspurger et al., FAST'15): keep every request of a key
when hash(key) < rate, drop every request of the others.

The sample keeps each kept key's full request sequence, so its hit ratio at ``maxmemory × rate``
approximates the full trace's hit ratio at ``maxmemory`` (scale the memory, and the baseline, by the
same rate). The hash is splitmix64 of the trace's dense key id with a salt: deterministic for a given
trace. Kept keys are re-numbered densely in first-appearance order, as the contract requires.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from evictsim.errors import UserInputError
from evictsim.traces.base import RequestChunk
from evictsim.traces.keymap import TableKeyMapper
from evictsim.traces.hashing import hash_uniform

DEFAULT_SALT = 0x53484152  # "SHAR"


class SampledTrace:
    """The requests of ``source`` whose key hashes below ``rate``."""

    def __init__(self, source, rate: float, salt: int = DEFAULT_SALT):
        if not 0 < rate <= 1:
            raise UserInputError(f"expected a sampling rate in (0, 1], got {rate!r}", key="--rate")
        self.source, self.rate, self.salt = source, rate, salt
        self.name = f"{source.name}-sample{rate:g}"
        self.fill = source.fill
        hint = source.n_keys_hint
        self.n_keys_hint = None if hint is None else hint
        self._mapper: TableKeyMapper | None = None
        if getattr(source, "key_namer", None) is not None:
            self.key_namer = self

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        mapper = self._mapper = TableKeyMapper(1 << 16)
        for chunk in self.source.chunks(chunk_size):
            keep = np.flatnonzero(hash_uniform(chunk.key, self.salt) < self.rate)
            if not len(keep):
                continue
            old = chunk.key[keep].astype(np.int64)
            mapper.grow(int(old.max()) + 1)
            yield RequestChunk(time=chunk.time[keep], op=chunk.op[keep], key=mapper.map(old),
                               key_len=chunk.key_len[keep], size=chunk.size[keep],
                               ttl_ms=chunk.ttl_ms[keep],
                               vtype=None if chunk.vtype is None else chunk.vtype[keep])

    def names_for(self, ids: np.ndarray):
        return self.source.key_namer.names_for(self._mapper.originals[np.asarray(ids, dtype=np.int64)])
