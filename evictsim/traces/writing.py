"""Helpers every writer shares: accept a trace or bare chunks, and report what a format drops."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from evictsim.traces.base import FILL_LOOK_ASIDE, RequestChunk


@dataclass
class ChunkList:
    """Bare chunks wrapped as a one-pass trace (for writers called with chunks, not a trace)."""

    source: Iterable[RequestChunk]
    name: str = "chunks"
    fill: str = FILL_LOOK_ASIDE
    n_keys_hint: int | None = None

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        return iter(self.source)


def as_trace(trace_or_chunks):
    """A trace object for ``trace_or_chunks`` (anything with ``chunks()`` passes through)."""
    if hasattr(trace_or_chunks, "chunks"):
        return trace_or_chunks
    if isinstance(trace_or_chunks, RequestChunk):
        return ChunkList([trace_or_chunks])
    return ChunkList(trace_or_chunks)
