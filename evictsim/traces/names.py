"""Key names for writers: a trace keeps dense ids; a text format needs the key strings back.

A trace that knows its names exposes ``key_namer`` (an object with ``names_for(ids)``); readers of
string keys use :class:`ListNamer` over their growing id → name list. A trace without names
(libCacheSim ids) gets synthetic names ``k000123`` padded to each request's ``key_len``, so the
Redis memory model sees the same key lengths after a round trip.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evictsim.traces.base import FIRST_SERVER_OP, RequestChunk, keyed_only


class ListNamer:
    """Names from a list that grows while the trace is read (``KeyMapper.names``)."""

    def __init__(self, names: list[str]):
        self._names = names
        self._table = pa.array([], type=pa.string())

    def names_for(self, ids: np.ndarray) -> pa.Array:
        if len(self._table) < len(self._names):
            extra = pa.array(self._names[len(self._table):], type=pa.string())
            self._table = pa.concat_arrays([self._table, extra])
        return self._table.take(pa.array(ids))


def padded_names(prefix: str, numbers: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """``prefix`` + the number zero-padded so each name is ``lengths[i]`` bytes (longer if needed)."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    out = pa.array(np.empty(len(numbers), dtype=object), type=pa.string())
    lengths = np.asarray(lengths, dtype=np.int64)
    if not len(numbers):
        return out
    pieces, where = [], []
    for width in np.unique(lengths):
        idx = np.flatnonzero(lengths == width)
        padded = pc.utf8_lpad(digits.take(pa.array(idx)), width=max(int(width) - len(prefix), 1),
                              padding="0")
        pieces.append(pc.binary_join_element_wise(prefix, padded, ""))
        where.append(idx)
    order = np.argsort(np.concatenate(where), kind="stable")
    return pa.concat_arrays(pieces).take(pa.array(order))


class SyntheticNamer:
    """``k`` + zero-padded dense id, padded to the request's ``key_len``."""

    def names_for(self, ids: np.ndarray, key_len: np.ndarray | None = None) -> pa.Array:
        lengths = key_len if key_len is not None else np.full(len(ids), 8)
        return padded_names("k", ids, lengths)


def row_names(trace: object, chunk: RequestChunk) -> pa.Array:
    """Like :func:`key_names`, with "" for a server command's row (it has no key)."""
    server = chunk.op >= FIRST_SERVER_OP
    if not server.any():
        return key_names(trace, chunk)
    names = np.full(len(chunk), "", dtype=object)
    names[np.flatnonzero(~server)] = key_names(trace, keyed_only(chunk)).to_numpy(zero_copy_only=False)
    return pa.array(names, pa.string())


def key_names(trace: object, chunk: RequestChunk) -> pa.Array:
    """The key string of every request of ``chunk`` (a chunk of ``trace``)."""
    namer = getattr(trace, "key_namer", None)
    if namer is None:
        return SyntheticNamer().names_for(chunk.key, chunk.key_len)
    return namer.names_for(chunk.key)
