"""SHARDS (Waldspurger et al., FAST'15) for exact LRU: one pass over the sample, every size at once.

The sample's byte stack distances (:mod:`evictsim.mrc.stack`) are scaled by ``1 / rate`` to the full
trace; a size ``M`` (maxmemory) hits every GET whose scaled distance fits in the room ``M`` leaves for
keys once the fixed parts of ``used_memory`` and the bucket arrays are taken off
(:func:`evictsim.mrc.overhead.key_room`: the baseline/table overhead as an offset). Misses are
divided by ``rate ×`` the full trace's GETs, SHARDS's adjustment.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evictsim.config import RedisConfig
from evictsim.policies import policy_spec
from evictsim.keyspace.memory import shared_integers_allowed
from evictsim.mrc.overhead import key_footprint, key_room
from evictsim.mrc.sampling import TraceSample
from evictsim.mrc.stack import COLD, stack_distances
from evictsim.traces.base import FILL_LOOK_ASIDE, OP_GET


@dataclass
class StackProfile:
    """The sample's GET distances (scaled to the full trace), sorted, with each GET's value bytes."""

    distances: np.ndarray       # float64, ascending; COLD GETs excluded
    cum_bytes: np.ndarray       # value bytes of the GETs up to each distance
    gets: int
    get_bytes: int
    cold: int
    cold_bytes: int

    def misses_within(self, room: float) -> tuple[int, int]:
        """Misses and missed bytes of an LRU cache with ``room`` key bytes."""
        hits = int(np.searchsorted(self.distances, room, side="right"))
        hit_bytes = int(self.cum_bytes[hits - 1]) if hits else 0
        return self.gets - hits, self.get_bytes - hit_bytes


def stack_profile(sample: TraceSample, cfg: RedisConfig) -> StackProfile:
    chunk = sample.trace.requests
    shared = shared_integers_allowed(max(cfg.maxmemory, 1), policy_spec(cfg.maxmemory_policy).no_shared_integers)
    distance = stack_distances(chunk, quantum=cfg.jemalloc_quantum, shared_ok=shared,
                               fill=sample.fill == FILL_LOOK_ASIDE, cluster_enabled=cfg.cluster_enabled)
    is_get = chunk.op == OP_GET
    sizes = chunk.size.astype(np.int64)
    reuse = is_get & (distance != COLD)
    cold = is_get & (distance == COLD)
    order = np.argsort(distance[reuse], kind="stable")
    return StackProfile(distances=distance[reuse][order] / sample.key_fraction,
                        cum_bytes=np.cumsum(sizes[reuse][order]), gets=int(is_get.sum()),
                        get_bytes=int(sizes[is_get].sum()), cold=int(cold.sum()),
                        cold_bytes=int(sizes[cold].sum()))


def shards_counts(sample: TraceSample, cfg: RedisConfig, sizes: list[int]) -> list[tuple[int, int]]:
    """(misses, missed bytes) in the sample for each maxmemory (0 = no limit)."""
    profile = stack_profile(sample, cfg)
    footprint = key_footprint(sample.trace.requests, cfg)   # mean bytes and TTL share: as at full scale
    full_keys = sample.sampled_keys / sample.key_fraction if sample.sampled_keys else 0.0
    out = []
    for maxmemory in sizes:
        room = np.inf if maxmemory == 0 else key_room(maxmemory, cfg, footprint, full_keys)
        out.append(profile.misses_within(room))
    return out
