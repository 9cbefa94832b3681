"""The dict model (dict.c) on its own: random inserts and deletes through resizes and rehashing.

Checked after every operation: every resident key sits in exactly one chain of the table its hash
selects, the used counts match, sampling returns resident keys only, and a finished rehash leaves a
single table of the new size.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.rng import key_hash
from evictsim.keyspace.state import Tables

SEED = np.uint64(12345)


def chains(bk, ds, nx, d=0):
    """{key: (table, bucket)} by walking every chain."""
    where = {}
    for t in range(2 if ht.is_rehashing(Tables(bk, nx, ds, SEED), d) else 1):
        size = int(ds[d, ht.SIZE0 + t])
        base = 0 if t == 0 else int(ds[d, ht.SIZE0])
        for b in range(size):
            e = bk[d, base + b]
            while e != -1:
                assert e not in where, "key in two chains"
                where[int(e)] = (t, b)
                e = nx[d, e]
    return where


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), st.integers(0, 299)), min_size=1, max_size=600),
       maxmemory=st.sampled_from([0, 1]))
def test_chains_hold_exactly_the_resident_keys(ops, maxmemory):
    n = 300
    bk = np.full((2, ht.row_length(n)), -1, np.int32)
    ds = ht.new_dict_state()
    nx = np.full((2, n), -1, np.int32)
    rng = np.array([7], np.uint64)
    out = np.zeros(64, np.int32)
    resident: set[int] = set()
    tables = Tables(bk, nx, ds, SEED)
    for add, k in ops:
        if add and k not in resident:
            if ht.is_rehashing(tables, 0):
                ht.rehash_step(tables, 0)
            # maxmemory=1 vetoes growth until the load factor passes 1.618, as near maxmemory
            ht.expand_if_needed(tables, 0, 10**9 if maxmemory else 0, maxmemory)
            ht.link(tables, 0, k)
            resident.add(k)
        elif not add and k in resident:
            assert ht.unlink(tables, 0, k)
            resident.remove(k)
        where = chains(bk, ds, nx)
        assert set(where) == resident
        assert ht.dict_size(tables, 0) == len(resident)
        for key, (t, b) in where.items():
            assert b == int(key_hash(key, SEED) & np.uint64(ds[0, ht.SIZE0 + t] - 1))
        if resident:
            count, _ = ht.get_some_keys(tables, 0, out, 5, rng)
            assert 1 <= count <= min(5, len(resident)) or count == 0 and len(resident) < 5
            assert set(out[:count].tolist()) <= resident
            k, _ = ht.get_random_key(tables, 0, rng)
            assert k in resident
    while ht.is_rehashing(tables, 0):
        ht.rehash(tables, 0, 100)
    assert ds[0, ht.SIZE1] == 0 and set(chains(bk, ds, nx)) == resident


def test_growth_doubles_at_load_one_and_veto_waits_for_1_618():
    n = 4096
    bk = np.full((2, ht.row_length(n)), -1, np.int32)
    nx = np.full((2, n), -1, np.int32)
    for veto, expect_size in ((False, 2048), (True, 1024)):
        ds = ht.new_dict_state()
        bk[:] = -1
        tables = Tables(bk, nx, ds, SEED)
        for k in range(1600):
            while ht.is_rehashing(tables, 0):
                ht.rehash(tables, 0, 1000)
            ht.expand_if_needed(tables, 0, 10**9, 1 if veto else 0)
            ht.link(tables, 0, k)
        assert not ht.is_rehashing(tables, 0) and ds[0, ht.SIZE0] == expect_size
