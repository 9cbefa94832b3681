"""The one request stream every reader and generator produces and the engine consumes.

A trace is delivered as :class:`RequestChunk` objects: columns of NumPy arrays (struct of arrays),
never a Python list of requests, so a 100M-request trace streams through in bounded memory.
Keys are dense integer ids assigned in order of first appearance (0, 1, 2, ...), so the engine can
index its per-key arrays directly; each request also carries the key's byte length, which is what the
Redis memory model needs (the key string itself is not).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

OP_GET, OP_SET, OP_DEL = 0, 1, 2
# Server commands (no key: ``key`` is NO_KEY, ``key_len`` and ``size`` 0). FLUSHALL without an argument
# is synchronous unless ``lazyfree-lazy-user-flush`` is on (db.c getFlushCommandFlags).
OP_FLUSHALL, OP_FLUSHALL_SYNC, OP_FLUSHALL_ASYNC, OP_MEMORY_PURGE = 3, 4, 5, 6
FIRST_SERVER_OP = OP_FLUSHALL
NO_KEY = -1

# Limits every reader and generator enforces (a request beyond them is a bad line, not a clamp):
MAX_KEY_BYTES = 65535          # key_len is uint16
MAX_VALUE_BYTES = 512 << 20    # Redis's proto-max-bulk-len: a bigger value is refused by the server,
                               # and the kernel's int32 byte counters must not overflow
MAX_TTL_MS = 2**53             # far beyond any real TTL; keeps ms counts exact in float64
OP_NAMES = ("GET", "SET", "DEL")          # the keyed operations (per-op counts list these)
SERVER_OP_NAMES = ("FLUSHALL", "FLUSHALL SYNC", "FLUSHALL ASYNC", "MEMORY PURGE")   # codes 3..6
ALL_OP_NAMES = OP_NAMES + SERVER_OP_NAMES

# Value encoding hints (Redis tryObjectEncoding). Strings unless the input shows the value.
VT_STRING = 0        # embstr (<= 44 B) or raw, decided by size
VT_INT = 1           # integer-like, outside the shared range: private 16-B robj
VT_SHARED_INT = 2    # integer in [0, 10000): shared object (0 B) unless maxmemory + LRU/LFU policy
VT_AGGREGATE = 3     # a hash/set/list/zset of `size` bytes: big ones are freed in the background
                     # when the matching lazyfree-lazy-* setting is on

FILL_LOOK_ASIDE = "look-aside"   # a missed GET is followed by a fill SET the simulator issues itself
FILL_EXPLICIT = "explicit"       # the client's own SETs are in the trace; the simulator never fills


@dataclass
class RequestChunk:
    """A block of consecutive requests, one array per column, all of the same length."""

    time: np.ndarray      # float64, seconds since trace start, non-decreasing
    op: np.ndarray        # uint8, OP_GET / OP_SET / OP_DEL, or a server command (OP_FLUSHALL ...)
    key: np.ndarray       # int32, dense key id (NO_KEY for a server command)
    key_len: np.ndarray   # uint16, key name length in bytes
    size: np.ndarray      # int32, value length in bytes (0 for DEL)
    ttl_ms: np.ndarray    # int64, relative TTL in ms; 0 = no TTL
    vtype: np.ndarray | None = None   # uint8 VT_*; None means all strings

    def __len__(self) -> int:
        return len(self.op)

    @property
    def max_key(self) -> int:
        return int(self.key.max()) if len(self.key) else -1

    def normalized(self) -> "RequestChunk":
        """The same chunk with every column in the dtype the kernels expect. Sizes and key lengths
        beyond the limits are refused here, before a cast could wrap them (every reader already
        refuses them with file:line; this catches chunks built by hand, as through the API)."""
        n = len(self.op)
        _check_limits(self.size, self.key_len)
        return RequestChunk(
            time=np.ascontiguousarray(self.time, dtype=np.float64),
            op=np.ascontiguousarray(self.op, dtype=np.uint8),
            key=np.ascontiguousarray(self.key, dtype=np.int32),
            key_len=np.ascontiguousarray(self.key_len, dtype=np.uint16),
            size=np.ascontiguousarray(self.size, dtype=np.int32),
            ttl_ms=np.ascontiguousarray(self.ttl_ms, dtype=np.int64),
            vtype=(np.zeros(n, np.uint8) if self.vtype is None
                   else np.ascontiguousarray(self.vtype, dtype=np.uint8)),
        )

    @staticmethod
    def concat(chunks: list["RequestChunk"]) -> "RequestChunk":
        if not chunks:
            return empty_chunk()
        vt = None
        if any(c.vtype is not None for c in chunks):
            vt = np.concatenate([c.vtype if c.vtype is not None else np.zeros(len(c), np.uint8)
                                 for c in chunks])
        return RequestChunk(*(np.concatenate([getattr(c, f) for c in chunks])
                              for f in ("time", "op", "key", "key_len", "size", "ttl_ms")), vtype=vt)

    def slice(self, start: int, stop: int) -> "RequestChunk":
        return RequestChunk(self.time[start:stop], self.op[start:stop], self.key[start:stop],
                            self.key_len[start:stop], self.size[start:stop], self.ttl_ms[start:stop],
                            None if self.vtype is None else self.vtype[start:stop])


def keyed_only(chunk: RequestChunk) -> RequestChunk:
    """The chunk without its server commands (FLUSHALL, MEMORY PURGE): for code that indexes per-key
    arrays by key id. The same object when there are none."""
    server = chunk.op >= FIRST_SERVER_OP
    if not server.any():
        return chunk
    rows = np.flatnonzero(~server)
    return RequestChunk(chunk.time[rows], chunk.op[rows], chunk.key[rows], chunk.key_len[rows],
                        chunk.size[rows], chunk.ttl_ms[rows], None if chunk.vtype is None else chunk.vtype[rows])


def refuse_server_ops(chunk: RequestChunk, what: str) -> None:
    """A user error (one line) when ``chunk`` has server commands that ``what`` does not model."""
    if len(chunk) and bool(np.any(chunk.op >= FIRST_SERVER_OP)):
        from evictsim.errors import UserInputError
        raise UserInputError(f"{what} does not model server commands (FLUSHALL, MEMORY PURGE); this "
                             "trace has some (one instance's simulate does)", source="trace", key="op")


def _check_limits(size: np.ndarray, key_len: np.ndarray) -> None:
    from evictsim.errors import UserInputError
    if len(size) and (int(np.max(size)) > MAX_VALUE_BYTES or int(np.min(size)) < 0):
        bad = int(np.max(size)) if int(np.max(size)) > MAX_VALUE_BYTES else int(np.min(size))
        raise UserInputError(f"expected value sizes in 0..{MAX_VALUE_BYTES} (512 MiB, Redis's "
                             f"proto-max-bulk-len), got {bad}", key="size")
    if len(key_len) and np.asarray(key_len).dtype != np.uint16 and (
            int(np.max(key_len)) > MAX_KEY_BYTES or int(np.min(key_len)) < 0):
        raise UserInputError(f"expected key lengths in 0..{MAX_KEY_BYTES}, got {int(np.max(key_len))}",
                             key="key_len")


def empty_chunk() -> RequestChunk:
    return RequestChunk(np.zeros(0, np.float64), np.zeros(0, np.uint8), np.zeros(0, np.int32),
                        np.zeros(0, np.uint16), np.zeros(0, np.int32), np.zeros(0, np.int64))


class Trace(Protocol):
    """What the engine needs from a trace file or a generator.

    ``fill`` says whether missed GETs are filled by the simulator (look-aside) or by SETs present
    in the trace (explicit). ``n_keys_hint`` is an upper bound on distinct keys when known (lets
    the engine size its arrays once), else None. A trace may also offer ``span_hint``: the time of
    its last request in seconds, when known without reading it (lets the engine size the table of
    readings once). ``chunks()`` may be called more than once and must yield the same requests each
    time.
    """

    name: str
    fill: str
    n_keys_hint: int | None

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]: ...


@dataclass
class ArrayTrace:
    """A trace held in memory as one chunk (tests, notebooks, small generated workloads)."""

    requests: RequestChunk
    name: str = "array"
    fill: str = FILL_LOOK_ASIDE
    key_names: list[str] | None = None

    @property
    def n_keys_hint(self) -> int | None:
        return self.requests.max_key + 1

    @property
    def span_hint(self) -> float | None:
        return float(self.requests.time.max()) if len(self.requests) else 0.0

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        n = len(self.requests)
        for start in range(0, n, chunk_size):
            yield self.requests.slice(start, min(n, start + chunk_size))
