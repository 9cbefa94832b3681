"""Request chunks for the exact-policy tests: hand-built arrays, random traces with repeated keys,
large objects, SETs and DELs."""
from __future__ import annotations

import numpy as np

from evictsim.traces.base import OP_DEL, OP_GET, RequestChunk


def chunk(keys, sizes, ops=None) -> RequestChunk:
    n = len(keys)
    return RequestChunk(time=np.arange(n, dtype=np.float64),
                        op=np.asarray(ops if ops is not None else [OP_GET] * n, np.uint8),
                        key=np.asarray(keys, np.int32), key_len=np.full(n, 16, np.uint16),
                        size=np.asarray(sizes, np.int32), ttl_ms=np.zeros(n, np.int64))


def zipf_trace(seed: int, n: int = 20000, n_keys: int = 800, exponent: float = 1.1,
               large_share: float = 0.02, scan_every: int = 0) -> RequestChunk:
    """Zipf popularity over ``n_keys`` keys of fixed sizes 1-400 B, ``large_share`` of them
    2-30 kB; with ``scan_every`` a one-time scan of fresh keys is spliced in every so often."""
    rng = np.random.default_rng(seed)
    keys = (rng.zipf(exponent, n) - 1) % n_keys
    if scan_every:
        scan = np.arange(n) % scan_every < scan_every // 10
        keys = np.where(scan, n_keys + np.arange(n), keys)
    key_size = rng.integers(1, 400, keys.max() + 1)
    large = rng.random(len(key_size)) < large_share
    key_size[large] = rng.integers(2000, 30000, int(large.sum()))
    _, dense = np.unique(keys, return_inverse=True)        # dense ids in 0..distinct-1
    return chunk(dense, key_size[keys])


def with_deletes(requests: RequestChunk, share: float, seed: int) -> RequestChunk:
    """The same requests with ``share`` of them turned into DELs (removals the policy must see)."""
    rng = np.random.default_rng(seed)
    ops = np.where(rng.random(len(requests)) < share, OP_DEL, OP_GET).astype(np.uint8)
    return chunk(requests.key, requests.size, ops)
