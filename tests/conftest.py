"""Shared test helpers: seeded request chunks small enough for property tests."""
from __future__ import annotations

import numpy as np
import pytest

from evictsim.traces.base import RequestChunk


def make_chunk(n: int, n_keys: int, *, seed: int = 0, rate: float = 2000.0, p_set: float = 0.0,
               p_del: float = 0.0, ttl_frac: float = 0.0, ttl_ms: tuple[int, int] = (50, 3000),
               size: tuple[int, int] = (1, 2000), key_len: int = 10, zipf: float = 1.0) -> RequestChunk:
    """A random look-aside workload: Zipf-ish keys, mixed ops, sizes spanning embstr/raw, some TTLs."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_keys + 1, dtype=np.float64)
    p = ranks ** -zipf
    p /= p.sum()
    keys_raw = rng.choice(n_keys, size=n, p=p)
    # dense ids in order of first appearance, as every reader produces them
    _, first = np.unique(keys_raw, return_index=True)
    order = np.argsort(first)
    remap = np.empty(n_keys, np.int64)
    remap[np.unique(keys_raw)[order]] = np.arange(len(order))
    keys = remap[keys_raw].astype(np.int32)
    u = rng.random(n)
    op = np.where(u < p_del, 2, np.where(u < p_del + p_set, 1, 0)).astype(np.uint8)
    key_sizes = rng.integers(size[0], size[1] + 1, n_keys)
    sizes = np.where(op == 2, 0, key_sizes[keys_raw]).astype(np.int32)
    has_ttl = rng.random(n_keys) < ttl_frac
    ttls = np.where(has_ttl[keys_raw] & (op != 2), rng.integers(ttl_ms[0], ttl_ms[1] + 1, n), 0)
    times = np.cumsum(rng.exponential(1.0 / rate, n))
    return RequestChunk(time=times, op=op, key=keys, key_len=np.full(n, key_len, np.uint16), size=sizes,
                        ttl_ms=ttls.astype(np.int64))


@pytest.fixture
def small_chunk() -> RequestChunk:
    return make_chunk(20_000, 2_000, seed=1, p_set=0.1, p_del=0.05, ttl_frac=0.5)
