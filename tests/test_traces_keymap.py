"""Dense key ids: every mapper numbers keys 0, 1, 2, ... in order of first appearance across chunks."""
from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evictsim.traces.keymap import IntKeyMapper, KeyMapper, TableKeyMapper


def _oracle(keys):
    ids: dict = {}
    return [ids.setdefault(k, len(ids)) for k in keys]


def _chunks(keys, cuts):
    bounds = sorted({0, len(keys), *[c % (len(keys) + 1) for c in cuts]})
    return [keys[a:b] for a, b in itertools.pairwise(bounds)]


# Keys that stress the hash table: empty, NUL bytes (the 16-byte prefix is zero padded, so "a" and
# "a\0" differ only in length), multi-byte UTF-8, and long keys sharing their first 16 bytes.
_KEY = (st.text(max_size=4) | st.text(alphabet="a\x00é€😀", max_size=20)
        | st.builds(lambda tail: "p" * 16 + tail, st.text(alphabet="xy\x00", max_size=6))
        | st.text(min_size=30, max_size=80))
_ARROW_FORMS = ["string", "large_string", "binary", "sliced", "chunked", "dictionary"]


def _as_arrow(keys: list[str], form: str):
    """The same keys as each kind of Arrow array a reader may hand over."""
    if form == "sliced":   # a view into a larger array: non-zero offset, unrelated neighbours
        return pa.array(["before", *keys, "after"], type=pa.string()).slice(1, len(keys))
    if form == "chunked":
        return pa.chunked_array([pa.array(keys[:len(keys) // 2], pa.string()),
                                 pa.array(keys[len(keys) // 2:], pa.string())])
    if form == "dictionary":
        return pa.array(keys, type=pa.string()).dictionary_encode()
    if form == "binary":
        return pa.array([k.encode() for k in keys], type=pa.binary())
    return pa.array(keys, type=getattr(pa, form)())


def _map_all(keys: list, cuts: list[int], forms: list[str],
             hash_mask: int | None = None) -> tuple[KeyMapper, list[int], list[int]]:
    mapper = KeyMapper()
    if hash_mask is not None:
        mapper.HASH_MASK = np.uint64(hash_mask)
    got, lens = [], []
    for i, part in enumerate(_chunks(keys, cuts)):
        ids, klen = mapper.map_arrow(_as_arrow(part, forms[i % len(forms)]))
        assert ids.dtype == np.int32 and klen.dtype == np.uint16 and len(ids) == len(part)
        got += ids.tolist()
        lens += klen.tolist()
    return mapper, got, lens


@settings(max_examples=150, deadline=None)
@example(keys=["p" * 16 + "x", "p" * 16 + "y", "p" * 16 + "x"], cuts=[1], forms=["string"], hash_mask=0)
@example(keys=["a", "a\x00", "", "\x00", "a"], cuts=[2], forms=["large_string"], hash_mask=0)
@given(keys=st.lists(_KEY, min_size=1, max_size=120), cuts=st.lists(st.integers(0, 120), max_size=6),
       forms=st.lists(st.sampled_from(_ARROW_FORMS), min_size=1, max_size=4),
       hash_mask=st.sampled_from([None, 0, 3]))
def test_string_mapper_matches_a_dict(keys, cuts, forms, hash_mask):
    """hash_mask 0 or 3: every key (or a quarter) has the same hash, so only the stored length,
    prefix and tail bytes tell keys apart."""
    str_forms = [f for f in forms if f != "binary"] or ["string"]  # names stay str, as readers use
    mapper, got, lens = _map_all(keys, cuts, str_forms, hash_mask)
    assert got == _oracle(keys)
    assert lens == [len(k.encode()) for k in keys]
    assert mapper.names == list(dict.fromkeys(keys))
    assert len(mapper) == len(set(keys))


@settings(max_examples=20, deadline=None)
@given(keys=st.lists(st.binary(max_size=20), min_size=1, max_size=60),
       cuts=st.lists(st.integers(0, 60), max_size=4))
def test_binary_keys_need_not_be_utf8(keys, cuts):
    mapper = KeyMapper()
    got = []
    for part in _chunks(keys, cuts):
        got += mapper.map_arrow(pa.array(part, type=pa.binary()))[0].tolist()
    assert got == _oracle(keys)
    assert mapper.names == list(dict.fromkeys(keys))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_keys=st.integers(1, 30_000),
       blocks=st.integers(1, 8), width=st.integers(1, 40), weak_hash=st.booleans())
def test_many_keys_grow_the_table(seed, n_keys, blocks, width, weak_hash):
    """Thousands of keys: the table and key store grow many times, in the middle of a block; with a
    weak (12-bit) hash, growth must also keep long probe chains intact."""
    rng = np.random.default_rng(seed)
    n_keys = min(n_keys, 2000) if weak_hash else n_keys
    keys = [f"{i:0{width}d}" for i in rng.integers(0, n_keys, 3 * n_keys)]
    mapper, got, _ = _map_all(keys, rng.integers(0, len(keys), blocks - 1).tolist(), ["string"],
                              0xFFF if weak_hash else None)
    assert got == _oracle(keys)
    assert mapper.names == list(dict.fromkeys(keys))


def test_names_fill_a_list_handed_over():
    """A file trace hands its own list over (``mapper.names = trace.key_names``)."""
    mapper, names = KeyMapper(), []
    mapper.names = names
    mapper.map_list(["b", "a", "b"])
    mapper.map_list(["c", "a"])
    assert names == ["b", "a", "c"]


def test_long_keys_report_the_uint16_maximum():
    ids, lens = KeyMapper().map_list(["k" * 70_000, "k" * 65_535, "k"])
    assert ids.tolist() == [0, 1, 2]
    assert lens.tolist() == [65_535, 65_535, 1]


def test_empty_input_and_null_keys():
    mapper = KeyMapper()
    ids, lens = mapper.map_arrow(pa.array([], type=pa.string()))
    assert len(ids) == len(lens) == len(mapper) == 0
    with pytest.raises(ValueError, match="null"):
        mapper.map_arrow(pa.array(["a", None], type=pa.string()))


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
