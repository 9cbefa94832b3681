"""Split one trace into per-partition sub-traces, each with its own dense key ids.

Every key is routed once, from its name, the first time its id appears; each request then goes to
its key's partition with the id renumbered in order of first appearance *within the partition*, so
a sub-trace is exactly what a reader of a file holding only that partition's lines would produce.
Times are unchanged (seconds since the start of the whole trace).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pyarrow as pa

from evictsim.errors import UserInputError
from evictsim.traces.base import RequestChunk, refuse_server_ops
from evictsim.traces.names import ListNamer, SyntheticNamer


@dataclass
class SubTrace:
    """One partition's share of a trace, held in memory (a :class:`~evictsim.traces.base.Trace`)."""

    name: str
    fill: str
    parts: list[RequestChunk] = field(default_factory=list)
    key_names: list[str] = field(default_factory=list)
    positions: list[np.ndarray] = field(default_factory=list)   # each request's index in the whole trace

    def __post_init__(self) -> None:
        self.key_namer = ListNamer(self.key_names)

    @property
    def n_keys_hint(self) -> int | None:
        return len(self.key_names) or None

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        for part in self.parts:
            for start in range(0, len(part), chunk_size):
                yield part.slice(start, min(len(part), start + chunk_size))


class _Grower:
    """An int array indexed by global key id that grows as new ids appear (−1: not seen)."""

    def __init__(self, dtype) -> None:
        self.values = np.full(1024, -1, dtype)

    def ensure(self, size: int) -> None:
        if size > len(self.values):
            bigger = np.full(max(size, 2 * len(self.values)), -1, self.values.dtype)
            bigger[:len(self.values)] = self.values
            self.values = bigger


def _names_of(trace, chunk: RequestChunk, ids: np.ndarray, first: np.ndarray) -> list[str]:
    namer = getattr(trace, "key_namer", None)
    if namer is None:
        return SyntheticNamer().names_for(ids, chunk.key_len[first]).to_pylist()
    names = namer.names_for(ids)
    return names.to_pylist() if isinstance(names, pa.Array) else list(names)


def split_trace(trace, plan, *, chunk_size: int = 1 << 20) -> list[SubTrace]:
    """Route every request of ``trace`` to its partition (``plan.router``); one :class:`SubTrace`
    per partition of ``plan``, in plan order. A key no rule matches is a user error."""
    names = plan.names
    subs = [SubTrace(name=f"{getattr(trace, 'name', 'trace')}.{n}", fill=trace.fill) for n in names]
    part_of = _Grower(np.int16)
    local_of = _Grower(np.int64)
    next_local = np.zeros(len(names), np.int64)
    offset = 0
    for raw in trace.chunks(chunk_size):
        chunk = raw.normalized()
        if not len(chunk):
            continue
        refuse_server_ops(chunk, "partitioning a trace")
        offset += len(chunk)
        part_of.ensure(chunk.max_key + 1)
        local_of.ensure(chunk.max_key + 1)
        ids, first = np.unique(chunk.key, return_index=True)
        fresh = part_of.values[ids] < 0
        if fresh.any():
            _route_new(trace, chunk, ids[fresh], first[fresh], plan, part_of, local_of, next_local, subs)
        where = part_of.values[chunk.key]
        for p, sub in enumerate(subs):
            mask = where == p
            if mask.any():
                sub.parts.append(_take(chunk, mask, local_of.values))
                sub.positions.append(np.flatnonzero(mask) + (offset - len(chunk)))
    return subs


def _route_new(trace, chunk, ids, first, plan, part_of, local_of, next_local, subs) -> None:
    key_names = _names_of(trace, chunk, ids, first)
    parts = plan.router.route(key_names)
    if (parts < 0).any():
        bad = key_names[int(np.flatnonzero(parts < 0)[0])]
        raise UserInputError(f"key {bad!r} matches no partition rule (add a catch-all rule match: '*')",
                             source=plan.source)
    order = np.argsort(first, kind="stable")          # first appearance in this chunk
    for p in np.unique(parts):
        chosen = order[parts[order] == p]
        local_of.values[ids[chosen]] = next_local[p] + np.arange(len(chosen))
        next_local[p] += len(chosen)
        subs[p].key_names.extend(key_names[i] for i in chosen)
    part_of.values[ids] = parts


def _take(chunk: RequestChunk, mask: np.ndarray, local: np.ndarray) -> RequestChunk:
    return RequestChunk(time=chunk.time[mask], op=chunk.op[mask], key=local[chunk.key[mask]].astype(np.int32),
                        key_len=chunk.key_len[mask], size=chunk.size[mask], ttl_ms=chunk.ttl_ms[mask],
                        vtype=None if chunk.vtype is None else chunk.vtype[mask])
