"""``memory-accounting object-bytes`` through ``evictsim.simulate`` gives the object-bytes driver's
counts (which equal libCacheSim's: tests/test_exact_libcachesim.py), sliced by sample interval."""
from __future__ import annotations

import pytest

import evictsim
from conftest import make_chunk
from evictsim.errors import UserInputError
from evictsim.policies.exact.object_bytes import simulate_object_bytes


@pytest.mark.parametrize("policy", ["lru", "s3fifo", "belady"])
def test_simulate_with_object_bytes_equals_the_driver(policy):
    chunk = make_chunk(20000, 1500, seed=4, p_set=0.1, p_del=0.02, rate=2000)
    res = evictsim.simulate(chunk, maxmemory=60_000, policy=policy, memory_accounting="object-bytes")
    alone = simulate_object_bytes(chunk, policy, 60_000)
    assert res.summary["keyspace_misses"] == alone.misses
    assert res.summary["keyspace_hits"] == alone.hits
    assert res.timeseries["keyspace_misses"][-1] == alone.misses


def test_object_bytes_is_for_the_exact_policies():
    with pytest.raises(UserInputError, match="exact policies"):
        evictsim.simulate(make_chunk(100, 10, seed=1), maxmemory=1000, policy="allkeys-lru",
                          memory_accounting="object-bytes")
