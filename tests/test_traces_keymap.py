"""Dense key ids: every mapper numbers keys 0, 1, 2, ... in order of first appearance across chunks."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evictsim.traces.keymap import IntKeyMapper, KeyMapper, TableKeyMapper


def _oracle(keys):
    ids: dict = {}
    return [ids.setdefault(k, len(ids)) for k in keys]


def _chunks(keys, cuts):
    bounds = sorted({0, len(keys), *[c % (len(keys) + 1) for c in cuts]})
    return [keys[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.text(min_size=0, max_size=4), min_size=1, max_size=80),
       cuts=st.lists(st.integers(0, 80), max_size=5), limit=st.sampled_from([0, 2, 5, 1 << 20]))
def test_string_mapper(keys, cuts, limit):
    mapper = KeyMapper()
    mapper.ARROW_LOOKUP_MAX_KEYS = limit  # both lookup paths, and the switch between them
    got, lens = [], []
    for part in _chunks(keys, cuts):
        ids, klen = mapper.map_list(part)
        got += ids.tolist()
        lens += klen.tolist()
    assert got == _oracle(keys)
    assert lens == [len(k.encode()) for k in keys]
    assert [mapper.names[i] for i in got] == keys


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 20), min_size=1, max_size=80),
       cuts=st.lists(st.integers(0, 80), max_size=5))
def test_int_mapper(keys, cuts):
    mapper = IntKeyMapper()
    got = []
    for part in _chunks(keys, cuts):
        got += mapper.map(np.asarray(part, dtype=np.uint64)).tolist()
    assert got == _oracle(keys)
    assert mapper.originals[got].tolist() == keys


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.integers(0, 50), min_size=1, max_size=80),
       cuts=st.lists(st.integers(0, 80), max_size=5))
def test_table_mapper(keys, cuts):
    mapper = TableKeyMapper(8)
    got = []
    for part in _chunks(keys, cuts):
        mapper.grow(max(part) + 1)
        got += mapper.map(np.asarray(part, dtype=np.int64)).tolist()
    assert got == _oracle(keys)
