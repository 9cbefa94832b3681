"""The parts of ``used_memory`` that do not shrink with a key sample, and how to scale a config.

A miniature simulation (Waldspurger et al., ATC'17) runs the sampled sub-trace on a server of
``rate × maxmemory``. In Redis bytes that alone is wrong: ``used_memory`` also holds the empty
server's baseline (~1 MB), the client buffers that grow with the first pipelined batch, one latency
histogram per command name (~25 KB each) and the main/expires hash tables' bucket arrays (8 bytes a
bucket, a power of two: not proportional to the key count). Unscaled, a 1%-sample server of a 14 MB
instance would have no room for keys at all. So the scaled server gets every fixed part scaled by the
rate as well, and the bucket arrays' rounding is corrected in its baseline: the scaled instance then
has ``rate ×`` the full instance's room for keys, the *evictable fraction* stays the same.

The table correction predicts how many keys are resident at a size from the mean Redis bytes of a
key (the byte model of :mod:`evictsim.keyspace.memory`), and takes each table as the power of two
``dictExpand`` would give that many keys; Redis's veto of an expansion near maxmemory (load up to
1.618) is not predicted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evictsim.config import RedisConfig
from evictsim.keyspace.hashtable import next_pow2_py
from evictsim.policies import policy_spec
from evictsim.keyspace.memory import key_bytes_array, shared_integers_allowed
from evictsim.traces.base import RequestChunk

HISTOGRAMS_SCRIPT = 2    # EVALSHA and INFO (the reference harness); plain GET/SET/DEL make up to 3


@dataclass(frozen=True)
class KeyFootprint:
    """Redis bytes of the sample's keys (each at its last size), to predict resident key counts."""

    mean_key_bytes: float        # main dict entry + key + value (+ expires entry when it has a TTL)
    ttl_key_fraction: float      # keys whose last write carried a TTL
    total_bytes: int             # every sampled key resident at once


def key_footprint(sample: RequestChunk, cfg: RedisConfig) -> KeyFootprint:
    if not len(sample):
        return KeyFootprint(0.0, 0.0, 0)
    last = len(sample) - 1 - np.unique(sample.key[::-1], return_index=True)[1]
    vtype = None if sample.vtype is None else sample.vtype[last]
    shared = shared_integers_allowed(max(cfg.maxmemory, 1), policy_spec(cfg.maxmemory_policy).no_shared_integers)
    has_ttl = sample.ttl_ms[last] > 0
    per_key = key_bytes_array(sample.key_len[last], sample.size[last], has_ttl, vtype,
                              quantum=cfg.jemalloc_quantum, shared_ok=shared,
                              cluster_enabled=cfg.cluster_enabled)
    return KeyFootprint(float(per_key.mean()), float(has_ttl.mean()), int(per_key.sum()))


def fixed_bytes(cfg: RedisConfig, histograms: int = HISTOGRAMS_SCRIPT) -> int:
    """used_memory of the server once traffic runs, before any key: baseline, buffers, histograms."""
    per_histogram = cfg.latency_histogram_bytes if cfg.latency_tracking else 0
    return cfg.baseline_memory + cfg.client_buffer_growth + histograms * per_histogram


def table_bytes(keys: float, ttl_fraction: float) -> int:
    """Bucket arrays of the main and expires dicts holding ``keys`` keys (load <= 1)."""
    main = next_pow2_py(int(keys) + 1)
    expires = next_pow2_py(int(keys * ttl_fraction) + 1) if ttl_fraction > 0 else 0
    return 8 * (main + expires)


def resident_keys(room: float, footprint: KeyFootprint, max_keys: float) -> float:
    """Keys that fit in ``room`` bytes (key bytes + their buckets), at most every key there is."""
    if footprint.mean_key_bytes <= 0 or room <= 0:
        return 0.0
    keys = room / footprint.mean_key_bytes
    for _ in range(4):          # the tables take their share of the room: a short fixed point
        keys = min(max_keys, max(0.0, room - table_bytes(keys, footprint.ttl_key_fraction))
                   / footprint.mean_key_bytes)
    return keys


def key_room(maxmemory: int, cfg: RedisConfig, footprint: KeyFootprint, max_keys: float) -> float:
    """Bytes left for keys (entries, sds, values, expires entries) at ``maxmemory``."""
    room = maxmemory - fixed_bytes(cfg)
    keys = resident_keys(room, footprint, max_keys)
    return max(0.0, room - table_bytes(keys, footprint.ttl_key_fraction))


def scaled_config(cfg: RedisConfig, maxmemory: int, rate: float, footprint_sample: KeyFootprint,
                  sampled_keys: int) -> RedisConfig:
    """The configuration of the miniature server standing for ``maxmemory`` at sampling ``rate``.

    ``footprint_sample`` and ``sampled_keys`` describe the sample; the full trace has about
    ``sampled_keys / rate`` keys of the same mean size.
    """
    if rate >= 1.0:
        return cfg.replace(maxmemory=maxmemory)
    full_keys = resident_keys(maxmemory - fixed_bytes(cfg), footprint_sample, sampled_keys / rate)
    ttl = footprint_sample.ttl_key_fraction
    correction = rate * table_bytes(full_keys, ttl) - table_bytes(full_keys * rate, ttl)
    baseline = max(0, int(round(rate * cfg.baseline_memory + correction)))
    return cfg.replace(maxmemory=max(1, int(round(rate * maxmemory))), baseline_memory=baseline,
                       client_buffer_growth=int(round(rate * cfg.client_buffer_growth)),
                       latency_histogram_bytes=int(round(rate * cfg.latency_histogram_bytes)))
