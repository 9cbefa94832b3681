"""The LRU miss-ratio curve in Redis bytes that ``evictsim trace stats`` prints.

A SHARDS sample of the chunks (key hash below the stats' stack-distance rate) is kept as the chunks
stream by; at the end, its byte stack distances (:mod:`evictsim.mrc.stack`: TTL-aware, each key at the
byte model's charge) give the exact-LRU hit ratio at a few fractions of the working set, in key bytes
(the room maxmemory leaves once the fixed parts of used_memory and the tables are taken off). At most
``MAX_HELD`` sampled requests are held: past that the rate halves (SHARDS's fixed-size idea), so
memory stays bounded on long traces.
"""
from __future__ import annotations

import numpy as np

from evictsim.traces.base import FILL_LOOK_ASIDE, OP_GET, RequestChunk
from evictsim.traces.hashing import hash_uniform

FRACTIONS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0)
SALT = 0x4C525542      # "LRUB"
MAX_HELD = 4_000_000   # sampled requests held at most (~120 MB): beyond, the rate halves


class LruByteCurve:
    """Accumulates the sample chunk by chunk; :meth:`summary` computes the curve."""

    def __init__(self, rate: float, fill: str = FILL_LOOK_ASIDE):
        self.rate, self.fill = rate, fill
        self.kept: list[RequestChunk] = []
        self.gets = 0
        self.keys = 0
        self.held = 0

    def add(self, chunk: RequestChunk) -> None:
        self.gets += int((chunk.op == OP_GET).sum())
        self.keys = max(self.keys, chunk.max_key + 1)
        self.kept.append(_below(chunk, self.rate))
        self.held += len(self.kept[-1])
        while self.held > MAX_HELD:      # bounded memory: halve the rate, keep the keys still below it
            self.rate /= 2
            self.kept = [_below(part, self.rate) for part in self.kept]
            self.held = sum(len(part) for part in self.kept)

    def summary(self, working_set_bytes: int) -> dict:
        from evictsim.mrc.stack import COLD, stack_distances
        sample = RequestChunk.concat(self.kept)
        if not len(sample) or not self.gets:
            return {}
        sampled_keys = len(np.unique(sample.key))
        fraction = sampled_keys / max(1, self.keys)
        distance = stack_distances(sample, fill=self.fill == FILL_LOOK_ASIDE)
        is_get = sample.op == OP_GET
        reuse = np.sort(distance[is_get & (distance != COLD)]) / fraction
        misses_cold = int((is_get & (distance == COLD)).sum())
        out: dict = {"sample_rate": self.rate}
        for share in FRACTIONS:
            room = share * working_set_bytes
            misses = misses_cold + len(reuse) - int(np.searchsorted(reuse, room, side="right"))
            out[_label(room)] = max(0.0, 1.0 - misses / (fraction * self.gets))
        return out


def _below(chunk: RequestChunk, rate: float) -> RequestChunk:
    rows = np.flatnonzero(hash_uniform(chunk.key, SALT) < rate)
    return RequestChunk(chunk.time[rows], chunk.op[rows], chunk.key[rows], chunk.key_len[rows],
                        chunk.size[rows], chunk.ttl_ms[rows], None if chunk.vtype is None else chunk.vtype[rows])


def _label(nbytes: float) -> str:
    from evictsim.units import format_bytes
    return format_bytes(int(nbytes)).replace(" ", "")
