"""One pass over a trace: its totals, and the SHARDS spatial sample the curve is computed from.

SHARDS (Waldspurger et al., FAST'15) keeps every request of a key whose hash falls below a threshold
and drops every request of the other keys, so each kept key's whole request sequence survives and a
cache of ``rate × M`` bytes over the sample behaves like a cache of ``M`` bytes over the full trace.
Two variants, as in the paper:

* fixed rate: the threshold is the rate;
* fixed size: the threshold falls as keys appear so that at most ``K`` keys are kept (the ``K``
  smallest hashes); the rate is the final threshold. Keys are dense ids in first-appearance order, so
  the keys seen so far are exactly ``0..max_key`` and the running threshold is the ``K``-th smallest
  hash among them; it only falls, so a request dropped early would have been dropped at the end too.

The full trace's GET count and GET bytes are kept too: the curve divides the sample's misses by
``rate ×`` the full trace's GETs (SHARDS's adjustment), which removes the noise of which hot keys
happened to fall into the sample from the denominator; and its exact no-limit misses (first use,
DEL, TTL passed), which every size has, so only the misses the limit causes are estimated from the
sample.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evictsim.errors import UserInputError
from evictsim.mrc.stack import ColdGets
from evictsim.traces.base import FILL_LOOK_ASIDE, OP_GET, ArrayTrace, RequestChunk
from evictsim.traces.hashing import hash_uniform

SALT = 0x4D524353     # "MRCS": a different stream from `trace sample` and the reuse statistics


@dataclass
class TraceSample:
    """The sampled sub-trace (keys renumbered densely) and what the full trace held."""

    trace: ArrayTrace
    rate: float                # the threshold: each key was kept with this probability
    requests: int              # full trace
    gets: int
    get_bytes: int
    keys: int
    sampled_keys: int
    any_ttl: bool
    fill: str
    cold_gets: int = 0          # full trace: GETs that miss even with no limit, and their bytes
    cold_get_bytes: int = 0

    @property
    def sampled_requests(self) -> int:
        return len(self.trace.requests)

    @property
    def key_fraction(self) -> float:
        """The fraction of the trace's keys the sample holds: the rate as realised. Misses come
        mostly from the many cold and warm keys, so this, not the nominal rate, scales them."""
        return self.sampled_keys / self.keys if self.keys else 1.0


def check_rate(rate: float, option: str = "--sample-rate") -> float:
    if not (isinstance(rate, (int, float)) and 0 < rate <= 1):
        raise UserInputError(f"expected a sampling rate in (0, 1], got {rate!r}", source=option)
    return float(rate)


def sample_trace(trace, *, rate: float | None = None, size: int | None = None, max_rate: float = 1.0,
                 seed: int = 0, chunk_size: int = 1 << 20) -> TraceSample:
    """Read ``trace`` once; keep the keys hashing below ``rate``, or the ``size`` smallest hashes
    but none hashing above ``max_rate``."""
    if (rate is None) == (size is None):
        raise ValueError("give exactly one of rate and size")
    if rate is not None:
        check_rate(rate)
    elif size < 1:
        raise UserInputError(f"expected a positive number of keys, got {size!r}", source="--sample-size")
    salt = SALT + 7919 * int(seed)
    threshold = float(max_rate) if rate is None else float(rate)
    key_hash = np.zeros(0, np.float64)
    kept: list[RequestChunk] = []
    requests = gets = get_bytes = 0
    any_ttl = False
    cold = ColdGets(fill=trace.fill == FILL_LOOK_ASIDE)
    for chunk in trace.chunks(chunk_size):
        if not len(chunk):
            continue
        cold.add(chunk)
        requests += len(chunk)
        is_get = chunk.op == OP_GET
        gets += int(is_get.sum())
        get_bytes += int(chunk.size[is_get].sum(dtype=np.int64))
        any_ttl = any_ttl or bool((chunk.ttl_ms > 0).any())
        n_keys = chunk.max_key + 1
        if n_keys > len(key_hash):
            key_hash = hash_uniform(np.arange(n_keys, dtype=np.int64), salt)
            if size is not None and n_keys > size:
                threshold = min(threshold, float(np.partition(key_hash, size - 1)[size - 1]))
        keep = key_hash[chunk.key] < threshold if size is None else key_hash[chunk.key] <= threshold
        kept.append(_take(chunk, np.flatnonzero(keep)))
    sample = RequestChunk.concat(kept)
    if size is not None:       # requests kept before the threshold fell to its final value
        sample = _take(sample, np.flatnonzero(key_hash[sample.key] <= threshold))
    sample, n_sampled = _renumber(sample)
    return TraceSample(trace=ArrayTrace(sample, name=f"{trace.name}-shards{threshold:.4g}", fill=trace.fill),
                       rate=threshold, requests=requests, gets=gets, get_bytes=get_bytes,
                       keys=len(key_hash), sampled_keys=n_sampled, any_ttl=any_ttl, fill=trace.fill,
                       cold_gets=cold.gets, cold_get_bytes=cold.bytes)


def _take(chunk: RequestChunk, rows: np.ndarray) -> RequestChunk:
    return RequestChunk(chunk.time[rows], chunk.op[rows], chunk.key[rows], chunk.key_len[rows],
                        chunk.size[rows], chunk.ttl_ms[rows],
                        None if chunk.vtype is None else chunk.vtype[rows])


def _renumber(chunk: RequestChunk) -> tuple[RequestChunk, int]:
    """Dense key ids 0, 1, 2, ... in order of first appearance (the trace contract)."""
    if not len(chunk):
        return chunk, 0
    originals, first = np.unique(chunk.key, return_index=True)
    order = np.argsort(first, kind="stable")
    new_id = np.empty(len(originals), np.int32)
    new_id[order] = np.arange(len(originals), dtype=np.int32)
    dense = new_id[np.searchsorted(originals, chunk.key)]
    return RequestChunk(chunk.time, chunk.op, dense, chunk.key_len, chunk.size, chunk.ttl_ms,
                        chunk.vtype), len(originals)
