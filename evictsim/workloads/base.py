"""What every generator shares: the common parameters, seeded streams, and the chunk pipeline.

A generator subclasses :class:`Workload` and implements ``requests(n)`` → (times, ops, key ids) in its
own key-id space; the base class owns everything else: arrivals, the GET/SET/DEL mix, per-key sizes
and TTLs (a hash of the key id, see :mod:`distributions`), the stop rule (``requests`` and/or
``duration``), dense ids in first-appearance order, and key names. Generation runs in fixed blocks of
``BLOCK`` requests whatever ``chunk_size`` the consumer asks for, so the same seed gives the same
requests (and the same bytes) for every chunk size, and memory does not grow with the trace length.
"""
from __future__ import annotations

from typing import ClassVar, Iterator

import numpy as np

from evictsim.traces.base import FILL_EXPLICIT, FILL_LOOK_ASIDE, OP_DEL, OP_GET, OP_SET, RequestChunk
from evictsim.traces.keymap import TableKeyMapper
from evictsim.traces.names import padded_names
from evictsim.workloads.arrivals import Arrivals
from evictsim.workloads.distributions import hash_uniform, parse_size_dist, parse_ttl
from evictsim.workloads.params import (BadValue, Param, choice, fraction, number_list,
                                       positive, positive_int, text)

BLOCK = 1 << 18
_POWERS_OF_10 = 10 ** np.arange(1, 19, dtype=np.int64)

DEFAULT_VALUE_SIZE = {"dist": "lognormal", "median": 300, "sigma": 1.0, "min": 16, "max": 8192}


def key_len(value) -> int:
    n = positive_int(value)
    if n > 65535:
        raise BadValue("expected a key length in 1..65535")
    return n


COMMON: tuple[Param, ...] = (
    Param("requests", 1_000_000, "number of requests to generate", positive_int),
    Param("duration", None, "stop at this many seconds of trace time (whichever of requests/duration "
                            "comes first)", positive),
    Param("rate", 20000, "mean arrival rate, requests per second", positive),
    Param("arrival", "poisson", "arrival process: poisson or fixed (evenly spaced)",
          choice("poisson", "fixed")),
    Param("rate-curve", None, "multipliers of rate evenly spaced over curve-period, repeated "
                              "(non-homogeneous arrivals)", number_list),
    Param("curve-period", 86400, "seconds covered by rate-curve", positive),
    Param("value-size", DEFAULT_VALUE_SIZE, "value size per key: bytes, or {dist: fixed|uniform|"
                                            "lognormal|empirical, ...}", parse_size_dist),
    Param("ttl", None, "TTL per key: none, seconds, or {dist: uniform, min, max}", parse_ttl),
    Param("ttl-fraction", 1.0, "fraction of keys that get a TTL (when ttl is set)", fraction),
    Param("set-fraction", 0.0, "fraction of requests that are explicit SETs", fraction),
    Param("del-fraction", 0.0, "fraction of requests that are DELs", fraction),
    Param("fill", FILL_LOOK_ASIDE, "look-aside: the simulator fills a missed GET; explicit: only the "
                                   "trace's SETs write", choice(FILL_LOOK_ASIDE, FILL_EXPLICIT)),
    Param("key-prefix", "user:", "key name prefix", text),
    Param("key-len", 13, "key name length in bytes (prefix + zero-padded number)", key_len),
)


class Workload:
    """Base of every generator. Subclasses set ``NAME``, ``PARAMS`` and implement ``requests``."""

    NAME: ClassVar[str] = ""
    PARAMS: ClassVar[tuple[Param, ...]] = COMMON

    def __init__(self, params: dict, seed: int):
        self.p = params
        self.seed = int(seed)
        if params["set-fraction"] + params["del-fraction"] > 1:
            raise BadValue("expected set-fraction + del-fraction <= 1", sub="set-fraction")

    # -- what a generator implements -------------------------------------------------------------
    def key_space(self) -> int:
        """Key ids lie in [0, key_space()) (may grow: see TableKeyMapper.grow)."""
        raise NotImplementedError

    def start(self, rngs: dict[str, np.random.Generator]) -> None:
        """Reset per-pass state; called at the start of every ``chunks()`` pass."""

    def mean_requests_per_arrival(self) -> float:
        """How many requests one arrival becomes on average (sizes the blocks)."""
        return 1.0

    def requests(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, ops, key ids) for requests arriving at ``times`` (a generator may expand one
        arrival into several requests, e.g. a YCSB scan)."""
        raise NotImplementedError

    # -- shared machinery --------------------------------------------------------------------------
    def streams(self) -> dict[str, np.random.Generator]:
        names = ("arrivals", "keys", "ops", "extra")
        seqs = np.random.SeedSequence([self.seed, 0x65766963]).spawn(len(names))
        return {n: np.random.Generator(np.random.PCG64(s)) for n, s in zip(names, seqs)}

    def arrivals(self, rng: np.random.Generator) -> Arrivals:
        p = self.p
        return Arrivals(p["rate"], p["arrival"], rng, p["rate-curve"], p["curve-period"])

    def op_mix(self, rng: np.random.Generator, n: int) -> np.ndarray:
        u = rng.random(n)
        ops = np.full(n, OP_GET, np.uint8)
        ops[u < self.p["set-fraction"] + self.p["del-fraction"]] = OP_SET
        ops[u < self.p["del-fraction"]] = OP_DEL
        return ops

    def attributes(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(key_len, size, ttl_ms) of each key id."""
        p = self.p
        salt = self.seed * 0x100000001B3
        size = p["value-size"].quantile(hash_uniform(ids, salt))
        ttl = np.zeros(len(ids), np.int64)
        if p["ttl"] is not None and p["ttl"].kind != "none":
            has = hash_uniform(ids, salt + 1) < p["ttl-fraction"]
            ttl = np.where(has, p["ttl"].quantile(hash_uniform(ids, salt + 2)), 0)
        return self.name_lengths(ids, p["key-prefix"], p["key-len"]), size, ttl

    @staticmethod
    def name_lengths(ids: np.ndarray, prefix: str, length: int) -> np.ndarray:
        digits = 1 + np.searchsorted(_POWERS_OF_10, ids, side="right")
        return np.maximum(len(prefix.encode()) + digits, length).astype(np.uint16)

    def key_names(self, ids: np.ndarray):
        return padded_names(self.p["key-prefix"], ids, self.name_lengths(ids, self.p["key-prefix"],
                                                                         self.p["key-len"]))


class GeneratedTrace:
    """The :class:`~evictsim.traces.base.Trace` a generator yields; ``chunks()`` replays from the seed."""

    def __init__(self, workload: Workload, name: str):
        self.workload = workload
        self.name = name
        self.fill = workload.p["fill"]
        self.n_keys_hint: int | None = workload.key_space()
        self.key_namer = _Namer(self)
        self._mapper: TableKeyMapper | None = None

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        w, p = self.workload, self.workload.p
        rngs = w.streams()
        w.start(rngs)
        arrivals = w.arrivals(rngs["arrivals"])
        mapper = self._mapper = TableKeyMapper(w.key_space())
        left = p["requests"]
        while left > 0:
            arrivals_wanted = max(1, int(min(BLOCK, left) / w.mean_requests_per_arrival()))
            times, ops, ids = w.requests(arrivals.next(arrivals_wanted))
            n, past_end = len(times), False
            if p["duration"] is not None and n and times[-1] >= p["duration"]:
                n, past_end = int(np.searchsorted(times, p["duration"], side="left")), True
            n = min(n, left)
            times, ops, ids = times[:n], ops[:n], ids[:n]
            left = 0 if past_end else left - n
            mapper.grow(int(ids.max()) + 1 if len(ids) else 0)
            klen, size, ttl = w.attributes(ids)
            chunk = RequestChunk(time=times, op=ops, key=mapper.map(ids), key_len=klen,
                                 size=np.where(ops == OP_DEL, 0, size).astype(np.int32),
                                 ttl_ms=np.where(ops == OP_DEL, 0, ttl).astype(np.int64))
            for start in range(0, len(chunk), chunk_size):
                yield chunk.slice(start, min(len(chunk), start + chunk_size))


class _Namer:
    """Dense id → the generator's key name (through the mapper's first-appearance table)."""

    def __init__(self, trace: GeneratedTrace):
        self.trace = trace

    def names_for(self, dense: np.ndarray):
        originals = self.trace._mapper.originals if self.trace._mapper is not None else np.zeros(0, np.int64)
        return self.trace.workload.key_names(originals[np.asarray(dense, dtype=np.int64)])
