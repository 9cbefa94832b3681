"""Each request's next access, for the policies that read the future (Belady: the spec's
``needs_next_access``), computed by one read of the trace before the run.

The kernel numbers an instance's requests 0, 1, 2, … as it serves them (``stats[REQUESTS]``: every
op counts, as in the oracle's ``next_access_vtimes``), so the next access of request ``i`` is the
number of the next request to the same key in the same instance's stream, or ``NO_NEXT_ACCESS``.
With several instances each one's stream is its own share, routed as the run routes it.

A trace can be read more than once and gives the same requests each time (the ``Trace`` contract;
every reader and generator of evictsim does), so the future of any of them is known. What breaks
the contract is a file that can be read only once (a pipe, a FIFO, /dev/stdin): refused before
the run, and a stream that changes between reads is caught as its requests arrive.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evictsim.engine.router import RoutedStream
from evictsim.errors import UserInputError
from evictsim.traces.base import RequestChunk, Trace

NO_NEXT_ACCESS = np.iinfo(np.int64).max


class _Future:
    """Forward pass over one instance's stream: the next access of request ``i`` is filled in when
    the key's next request arrives."""

    def __init__(self):
        self.out = np.zeros(1 << 16, np.int64)
        self.last_seen = np.full(0, -1, np.int64)
        self.n = 0

    def add(self, keys: np.ndarray) -> None:
        n = len(keys)
        if not n:
            return
        if self.n + n > len(self.out):
            self.out = np.concatenate([self.out, np.zeros(max(self.n + n, 2 * len(self.out)) - len(self.out),
                                                          np.int64)])
        top = int(keys.max()) + 1
        if top > len(self.last_seen):
            self.last_seen = np.concatenate([self.last_seen, np.full(top - len(self.last_seen), -1, np.int64)])
        index = np.arange(self.n, self.n + n, dtype=np.int64)
        order = np.lexsort((index, keys))              # by key, then by position
        sorted_keys, sorted_index = keys[order], index[order]
        same = sorted_keys[1:] == sorted_keys[:-1]
        self.out[index] = NO_NEXT_ACCESS
        self.out[sorted_index[:-1][same]] = sorted_index[1:][same]   # within the chunk
        first = np.concatenate([[True], ~same])
        last = np.concatenate([~same, [True]])
        earlier = self.last_seen[sorted_keys[first]]                # the key's request before the chunk
        seen = earlier >= 0
        self.out[earlier[seen]] = sorted_index[first][seen]
        self.last_seen[sorted_keys[last]] = sorted_index[last]
        self.n += n

    def result(self) -> np.ndarray:
        return self.out[:self.n]


def check_replayable(source, policy: str) -> None:
    """Refuse a trace file that cannot be read twice (pipe, FIFO, terminal): it has no future to read
    ahead of the run. ``source``: a Trace (its ``path``, if any), a path, or ``FORMAT:PATH``. Checked
    without opening the file, so nothing blocks on a pipe nobody writes to."""
    from evictsim.policies import policy_spec
    if not policy_spec(policy).needs_next_access:
        return
    path = getattr(source, "path", source)
    if not isinstance(path, (str, Path)):
        return
    candidates = [Path(path)]
    if isinstance(path, str) and ":" in path:
        candidates.append(Path(path.split(":", 1)[1]))
    for candidate in candidates:
        if candidate.exists() and not candidate.is_file() and not candidate.is_dir():
            raise UserInputError(f"{policy} needs each request's next access, which evictsim reads from "
                                 "the whole trace before the run, but this is a pipe or device, which can be "
                                 "read only once: write the trace to a file first", source=str(candidate))


def next_accesses(trace: Trace, router, wanted: list[bool], chunk_size: int) -> list[np.ndarray | None]:
    """Per instance, the next access of each of its requests (None where ``wanted`` is False)."""
    if not any(wanted):
        return [None] * len(wanted)
    chunks = (c.normalized() for c in trace.chunks(chunk_size))
    stream = RoutedStream(lambda: next(chunks, None), router)
    futures = [_Future() if w else None for w in wanted]
    while stream._read():
        for queue, future in zip(stream.queues, futures):
            while queue:
                chunk: RequestChunk = queue.popleft()
                if future is not None:
                    future.add(np.asarray(chunk.key, np.int64))
    return [None if f is None else f.result() for f in futures]
