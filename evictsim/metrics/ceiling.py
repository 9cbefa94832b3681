"""The no-limit ceiling: the hit ratio an instance with unlimited memory reaches on the same trace.

No maxmemory can beat it, so a capacity answer must be read against it: on a trace of 1M requests over
100k keys, 10% of the GETs are first references that miss whatever the memory. An unlimited instance
misses a GET only when the key was never written (never SET, never filled after a miss), was DELeted,
or its TTL passed; it needs one flag and one expire time per key, so it runs in the same pass as the
simulation, over each chunk the engine loads, in one compiled call.

Counts are kept per interval of trace time (the sampler's ``sample-interval``), so the ceiling after
any warm-up row of the time series can be read back (see :mod:`evictsim.steady_state`).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.traces.base import RequestChunk

SEEN, PRESENT = 1, 2           # bits of the per-key state: referenced before; held (unlimited memory)
MAX_BUCKETS = 1 << 22          # beyond this many intervals, neighbours merge (bounded memory)
_OP_GET, _OP_SET, _OP_DEL = 0, 1, 2

# the compiled pass's bundles: one chunk's columns it reads; the per-key state and interval tallies
CeilingRequests = namedtuple("CeilingRequests", "op key ttl_ms t_us")
CeilingTallies = namedtuple("CeilingTallies", "state expire_ms gets hits cold misses")


@kernel
def ceiling_pass(requests, start_us, bucket_us, look_aside, tallies):
    """One chunk through an unlimited Redis: ``tallies.misses`` = [expired, deleted-or-never-written].

    Expiry as ``keyIsExpired``: a key is dead strictly after its expire time in ms. A SET without a TTL
    clears the old one (``SET`` without ``KEEPTTL``); a look-aside miss is filled with the request's TTL.
    """
    op, key, ttl_ms, t_us = requests
    state, expire_ms, gets, hits, cold, misses = tallies
    for i in range(len(op)):
        k = key[i]
        now_ms = t_us[i] // 1000
        if op[i] == _OP_GET:
            b = (t_us[i] - start_us) // bucket_us
            gets[b] += 1
            s = state[k]
            if (s & PRESENT) and (expire_ms[k] == 0 or now_ms <= expire_ms[k]):
                hits[b] += 1
                continue
            if (s & SEEN) == 0:
                cold[b] += 1
            elif s & PRESENT:
                misses[0] += 1
            else:
                misses[1] += 1
            state[k] = SEEN
            if look_aside:
                state[k] = SEEN | PRESENT
                expire_ms[k] = now_ms + ttl_ms[i] if ttl_ms[i] > 0 else 0
        elif op[i] == _OP_SET:
            state[k] = SEEN | PRESENT
            expire_ms[k] = now_ms + ttl_ms[i] if ttl_ms[i] > 0 else 0
        else:
            state[k] = SEEN


class CeilingTracker:
    """Feeds every chunk through :func:`ceiling_pass`; ``fields()`` gives the summary's ceiling keys.

    ``start_us`` is the wall clock of trace time 0 (the engine's ``start_us``), ``bucket_s`` the
    time-series sample interval, ``look_aside`` whether a missed GET is filled (the trace's fill).
    """

    def __init__(self, start_us: int = 0, bucket_s: float = 1.0, look_aside: bool = True):
        self.start_us = int(start_us)
        self.bucket_us = max(1, int(round(bucket_s * 1e6)))
        self.look_aside = bool(look_aside)
        self.state = np.zeros(1024, np.uint8)
        self.expire_ms = np.zeros(1024, np.int64)
        self.gets = np.zeros(64, np.int64)      # per interval of trace time
        self.hits = np.zeros(64, np.int64)
        self.cold = np.zeros(64, np.int64)
        self.misses = np.zeros(2, np.int64)     # expired, deleted or never written

    def feed(self, chunk: RequestChunk, t_us: np.ndarray) -> None:
        """Account one normalized chunk whose absolute request times (µs) are ``t_us``."""
        if not len(chunk):
            return
        self._grow_keys(chunk.max_key + 1)
        self._grow_buckets(int(t_us[-1]) - self.start_us)
        ceiling_pass(CeilingRequests(chunk.op, chunk.key, chunk.ttl_ms, t_us), self.start_us, self.bucket_us,
                     self.look_aside, CeilingTallies(self.state, self.expire_ms, self.gets, self.hits,
                                                     self.cold, self.misses))

    def _grow_keys(self, n: int) -> None:
        if n > len(self.state):
            size = max(n, 2 * len(self.state))
            self.state = np.concatenate([self.state, np.zeros(size - len(self.state), np.uint8)])
            self.expire_ms = np.concatenate([self.expire_ms, np.zeros(size - len(self.expire_ms), np.int64)])

    def _grow_buckets(self, last_rel_us: int) -> None:
        while last_rel_us // self.bucket_us >= MAX_BUCKETS:
            self._merge_neighbours()
        need = last_rel_us // self.bucket_us + 1
        if need > len(self.gets):
            size = min(MAX_BUCKETS, max(need, 2 * len(self.gets)))
            for name in ("gets", "hits", "cold"):
                old = getattr(self, name)
                setattr(self, name, np.concatenate([old, np.zeros(size - len(old), np.int64)]))

    def _merge_neighbours(self) -> None:
        """Halve the resolution: a trace spanning years at a 1 s interval stays in bounded memory."""
        for name in ("gets", "hits", "cold"):
            old = getattr(self, name)
            if len(old) % 2:
                old = np.append(old, 0)
            setattr(self, name, old[0::2] + old[1::2])
        self.bucket_us *= 2

    def cumulative_at(self, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cumulative (GETs, hits, cold misses) of requests before each time (s since trace start),
        aligned with the rows of the time series (a row at T counts requests before T)."""
        edges = np.concatenate([[0], np.cumsum(self.gets)]), np.concatenate([[0], np.cumsum(self.hits)]), \
            np.concatenate([[0], np.cumsum(self.cold)])
        idx = np.clip(np.ceil(np.asarray(times_s, np.float64) * 1e6 / self.bucket_us).astype(np.int64),
                      0, len(self.gets))
        return edges[0][idx], edges[1][idx], edges[2][idx]

    def __getstate__(self) -> dict:
        """A result crossing a process boundary keeps the per-interval counts, not the per-key arrays
        (9 bytes a key): after pickling, the tracker answers but can no longer be fed."""
        state = dict(self.__dict__)
        state["state"] = state["expire_ms"] = None
        return state

    def fields(self) -> dict[str, object]:
        """``ceiling_hit_ratio`` (None without GETs), ``cold_misses`` (first references), and the
        other misses an unlimited instance has: ``ceiling_expired_misses``, ``ceiling_absent_misses``."""
        gets, hits = int(self.gets.sum()), int(self.hits.sum())
        return {"ceiling_hit_ratio": hits / gets if gets else None,
                "cold_misses": int(self.cold.sum()),
                "ceiling_expired_misses": int(self.misses[0]),
                "ceiling_absent_misses": int(self.misses[1])}
