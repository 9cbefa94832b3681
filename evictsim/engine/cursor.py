"""A server's reading position in its request stream: the next chunk (read ahead in a thread) and
the requests it serves.

The event loop (:mod:`evictsim.engine.event_loop`) runs from the cursor's position over its chunk
(``run_loop``), asks ``next_time_us`` when it needs the request after the chunk and ``serve_until``
for a window that crosses chunks; the cursor also feeds each chunk to the no-limit ceiling tracker,
the namespace tagger and (for Belady-type policies) the slice of each request's next access.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator

import numpy as np

from evictsim.engine.event_loop import POS
from evictsim.engine.server import ServerModel
from evictsim.metrics import counters as C
from evictsim.metrics.ceiling import CeilingTracker
from evictsim.traces.base import RequestChunk, empty_chunk

# what the event loop runs over while a routed instance waits for its next chunk (the dtypes of a
# real chunk, so the loop compiled for them serves)
_NO_CHUNK = empty_chunk().normalized()
_NO_TIMES = np.zeros(0, np.int64)

class Prefetcher:
    """Reads the next chunk in a background thread while the kernel serves the current one.

    Readers spend their time in Arrow's parser, decompression and the compiled key mapper, and the
    kernels release the GIL, so on two cores reading and simulating overlap. The chunks come out in
    the trace's order, one ``next()`` at a time, so results do not change.
    """

    def __init__(self, chunks: Iterator[RequestChunk]):
        import concurrent.futures
        self._chunks = chunks
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="evictsim-read")
        self._future = self._pool.submit(self._read)

    def _read(self) -> RequestChunk | None:
        chunk = next(self._chunks, None)
        return None if chunk is None else chunk.normalized()

    def next(self) -> RequestChunk | None:
        chunk = self._future.result()      # re-raises a reader's error (a bad line) here
        if chunk is None:
            self._pool.shutdown(wait=False)
        else:
            self._future = self._pool.submit(self._read)
        return chunk

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class ChunkCursor:
    """Walks one instance's chunks; serves requests up to a time bound across chunk borders."""

    def __init__(self, server: ServerModel, source: Callable[[], RequestChunk | float | None], record: bool,
                 record_memory: bool = False, tagger: Callable | None = None,
                 future: np.ndarray | None = None):
        self.server = server
        self.future = future               # next access of each request (engine/future.py) or None
        self.next_access: np.ndarray | None = None
        self.source = source
        self.record = record
        self.record_memory = record_memory
        self.tagger = tagger
        self.outcomes: list[np.ndarray] = []
        self.memory: list[np.ndarray] = []
        self.chunk: RequestChunk | None = None
        self.t_us = np.zeros(0, np.int64)
        self.pos = 0
        self.done = False
        self.waiting_until: float | None = None
        self.served = 0
        self.load_s = 0.0
        self.kernel_s = 0.0
        self.last_time = 0.0
        self.any_ttl = False
        self.ceiling = CeilingTracker(server.start_us, server.cfg.sample_interval,
                                      look_aside=bool(server.cfgv[C.C_FILL_LOOKASIDE]))
        self._next_chunk()

    def _next_chunk(self) -> None:
        t0 = time.perf_counter()
        chunk = self.source()              # time spent waiting for the reader
        self.load_s += time.perf_counter() - t0
        self.waiting_until = None
        if chunk is None:
            self._check_future(0)
            self.done = True
            self.chunk = None
            return
        if isinstance(chunk, float):       # routed: nothing for this instance up to that trace time
            self.waiting_until = chunk
            self.chunk = None
            return
        self.chunk = chunk
        if self.future is not None:
            self._check_future(len(chunk))
            self.next_access = self.future[self.served:self.served + len(chunk)]
        self.t_us = self.server.prepare(self.chunk)
        self.ceiling.feed(self.chunk, self.t_us)
        if self.tagger is not None:               # the keys this chunk names first, and their tags
            self.server.tag_keys(*self.tagger(self.chunk))
        self.pos = 0
        if self.record:
            self.outcomes.append(np.full(len(self.chunk), 255, np.uint8))
        if self.record_memory:
            self.memory.append(np.zeros((len(self.chunk), 3), np.int64))
        if len(self.chunk):
            self.last_time = float(self.chunk.time[-1])
            self.any_ttl = self.any_ttl or bool((self.chunk.ttl_ms > 0).any())

    def _check_future(self, n: int) -> None:
        """The run must read the requests the read before it counted (engine/future.py)."""
        if self.future is None:
            return
        read = self.served + n
        if (n and read > len(self.future)) or (not n and read != len(self.future)):
            from evictsim.errors import UserInputError
            raise UserInputError(f"{self.server.cfg.maxmemory_policy} needs each request's next access: "
                                 f"the trace gave {len(self.future)} requests when read for it and "
                                 f"{'more' if n else read} when simulated (a stream that changes between "
                                 "reads has no future to read): write it to a file first")

    def _exhausted(self) -> bool:
        return self.chunk is None or self.pos >= len(self.chunk)

    def next_time_us(self) -> int | None:
        """The next request's absolute µs, a wake-up time while routed input is pending, or None."""
        while not self.done and self._exhausted():
            if self.waiting_until is not None:
                return self.server.start_us + int(round(self.waiting_until * 1e6))
            self._next_chunk()
        return None if self.done else int(self.t_us[self.pos])

    def run_loop(self, readings: np.ndarray, sched: np.ndarray) -> int:
        """One call of the compiled event loop from this position; returns why it stopped."""
        if self.chunk is None:
            sched[POS] = 0
            return self.server.run_loop(_NO_TIMES, _NO_CHUNK, None, None, None, readings, sched)
        sched[POS] = self.pos
        stop = self.server.run_loop(self.t_us, self.chunk, self.outcomes[-1] if self.record else None,
                                    self.memory[-1] if self.record_memory else None, self.next_access,
                                    readings, sched)
        pos = int(sched[POS])
        self.served += pos - self.pos
        self.pos = pos
        return stop

    def serve_until(self, bound_us: int) -> None:
        while not self.done:
            if self._exhausted():
                if self.waiting_until is not None:
                    if self.server.start_us + int(round(self.waiting_until * 1e6)) >= bound_us:
                        return
                self._next_chunk()
                continue
            hi = int(np.searchsorted(self.t_us, bound_us, side="left"))
            if hi > self.pos:
                t0 = time.perf_counter()
                self.server.serve(self.t_us, self.chunk, self.pos, hi,
                                  self.outcomes[-1] if self.record else None,
                                  self.memory[-1] if self.record_memory else None, self.next_access)
                self.kernel_s += time.perf_counter() - t0
                self.served += hi - self.pos
                self.pos = hi
            if self.pos < len(self.chunk):
                return
