"""Several instances fed by one request stream: a router names each request's instance, and each
instance sees its share as a stream of its own, with key ids made dense again in order of first
appearance (so an instance behaves exactly as a standalone server fed its sub-trace: the dict model
hashes key ids, so the ids must be the ones a standalone run would assign).

``SingleRoute`` (everything to one instance, the chunks passed through untouched) is the ordinary
run. A router is any object with ``instances`` (a count) and ``route(chunk) -> np.ndarray`` of
instance indexes per request; the partitions feature supplies rules, a cluster its hash slots.
"""
from __future__ import annotations

from collections import deque
from typing import Callable

import numpy as np

from evictsim.traces.base import RequestChunk, refuse_server_ops


class SingleRoute:
    instances = 1

    def route(self, chunk: RequestChunk) -> np.ndarray:
        return np.zeros(len(chunk), np.int32)


class _Densifier:
    """Global key id → the instance's own dense id, assigned in order of first appearance."""

    def __init__(self):
        self.local = np.full(0, -1, np.int32)
        self.next_id = 0
        self.global_ids: list[np.ndarray] = []

    def map(self, keys: np.ndarray) -> np.ndarray:
        top = int(keys.max()) + 1 if len(keys) else 0
        if top > len(self.local):
            grown = np.full(max(top, 2 * len(self.local)), -1, np.int32)
            grown[:len(self.local)] = self.local
            self.local = grown
        unseen = self.local[keys] == -1
        if unseen.any():
            fresh, first = np.unique(keys[unseen], return_index=True)
            fresh = fresh[np.argsort(first, kind="stable")]
            self.local[fresh] = np.arange(self.next_id, self.next_id + len(fresh), dtype=np.int32)
            self.next_id += len(fresh)
            self.global_ids.append(fresh)
        return self.local[keys]

    def names(self) -> np.ndarray:
        """The global id of each local id."""
        return np.concatenate(self.global_ids) if self.global_ids else np.zeros(0, np.int32)


class RoutedStream:
    """Reads the trace once and hands each instance its sub-chunks, in trace order."""

    def __init__(self, next_chunk: Callable[[], RequestChunk | None], router):
        self.next_chunk = next_chunk
        self.router = router
        n = router.instances
        self.single = n == 1 and isinstance(router, SingleRoute)
        self.queues: list[deque] = [deque() for _ in range(n)]
        self.densifiers = [_Densifier() for _ in range(n)]
        self.exhausted = False
        self.frontier = 0.0

    def _read(self) -> bool:
        chunk = self.next_chunk()
        if chunk is None:
            self.exhausted = True
            return False
        if len(chunk):
            self.frontier = float(chunk.time[-1])
        if self.single:
            self.queues[0].append(chunk)
            return True
        refuse_server_ops(chunk, "routing requests to several instances")
        where = self.router.route(chunk)
        for i, queue in enumerate(self.queues):
            picked = np.flatnonzero(where == i)
            if len(picked):
                sub = _take(chunk, picked)
                sub.key = self.densifiers[i].map(sub.key)
                queue.append(sub)
        return True

    def next_for(self, instance: int) -> RequestChunk | float | None:
        """The instance's next sub-chunk; None at the end of the trace; or, when one more chunk of
        the trace brought it nothing, the trace time read so far (the instance waits until then
        instead of reading ahead, so no instance's queue grows with another's idle stretch)."""
        queue = self.queues[instance]
        if not queue:
            if self.exhausted or not self._read():
                return None
            if not queue:
                return self.frontier
        return queue.popleft()


def _take(chunk: RequestChunk, rows: np.ndarray) -> RequestChunk:
    return RequestChunk(chunk.time[rows], chunk.op[rows], chunk.key[rows], chunk.key_len[rows],
                        chunk.size[rows], chunk.ttl_ms[rows], None if chunk.vtype is None else chunk.vtype[rows])
