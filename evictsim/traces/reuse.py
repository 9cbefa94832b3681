"""Reuse statistics of a request stream, in one streaming pass with memory per key.

* reuse time: requests since the previous request to the same key (exact, every request);
* stack (reuse) distance: distinct keys touched since the previous request to the same key, the LRU
  stack depth (Mattson et al. 1970), computed with a Fenwick tree over the positions of each key's
  latest access, on a spatial sample of the keys (SHARDS, Waldspurger et al., FAST'15): a key is kept
  when hash(key) < rate, and sampled distances are scaled by 1/rate.
Both are kept as log2 histograms so memory does not grow with the trace.
"""
from __future__ import annotations

import evictsim.jit  # noqa: F401  (first: numba's cache folder outside the source tree)
import numba
import numpy as np

from evictsim.traces.hashing import hash_uniform

BINS = 48  # log2 bins: bin b holds values in [2^(b-1), 2^b), bin 0 holds 0


@numba.njit(cache=True)
def _bin(x):
    b = 0
    while x > 0:
        x >>= 1
        b += 1
    return b


@numba.njit(cache=True)
def _stack_pass(keys, last_pos, tree, marks, pos, hist, cold):
    """Feed sampled keys; returns the next position. ``tree`` is a Fenwick tree over ``marks``."""
    size = len(tree) - 1
    for k in keys:
        pos += 1  # 1-based positions
        p = last_pos[k]
        if p == 0:
            cold[0] += 1
        else:
            total = 0
            i = pos - 1
            while i > 0:
                total += tree[i]
                i -= i & -i
            i = p
            before = 0
            while i > 0:
                before += tree[i]
                i -= i & -i
            hist[_bin(total - before)] += 1
            marks[p] = 0
            i = p
            while i <= size:
                tree[i] -= 1
                i += i & -i
        marks[pos] = 1
        i = pos
        while i <= size:
            tree[i] += 1
            i += i & -i
        last_pos[k] = pos
    return pos


@numba.njit(cache=True)
def _rebuild(marks, tree):
    tree[:] = 0
    size = len(tree) - 1
    for i in range(1, size + 1):
        tree[i] += marks[i]
        j = i + (i & -i)
        if j <= size:
            tree[j] += tree[i]


class ReuseStats:
    """Accumulates reuse-time and sampled stack-distance histograms chunk by chunk."""

    def __init__(self, sample_rate: float = 0.1, salt: int = 0x5A4D):
        self.rate = sample_rate
        self.salt = salt
        self.time_hist = np.zeros(BINS, np.int64)
        self.stack_hist = np.zeros(BINS, np.int64)
        self.cold = np.zeros(1, np.int64)
        self.last_index = np.zeros(0, np.int64)   # 1-based request index of the latest access
        self.last_pos = np.zeros(0, np.int64)
        self.tree = np.zeros(1 << 16, np.int64)
        self.marks = np.zeros(1 << 16, np.int8)
        self.pos = 0
        self.seen = 0

    def _grow(self, n_keys: int) -> None:
        if n_keys > len(self.last_index):
            extra = max(n_keys, 2 * len(self.last_index)) - len(self.last_index)
            self.last_index = np.concatenate([self.last_index, np.zeros(extra, np.int64)])
            self.last_pos = np.concatenate([self.last_pos, np.zeros(extra, np.int64)])

    def add(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        if not len(keys):
            return
        self._grow(int(keys.max()) + 1)
        self._reuse_times(keys)
        sampled = keys[hash_uniform(keys, self.salt) < self.rate]
        need = self.pos + len(sampled) + 1
        if need > len(self.tree) - 1:
            size = max(need, 2 * (len(self.tree) - 1))
            self.marks = np.concatenate([self.marks, np.zeros(size + 1 - len(self.marks), np.int8)])
            self.tree = np.zeros(size + 1, np.int64)
            _rebuild(self.marks, self.tree)
        self.pos = _stack_pass(sampled, self.last_pos, self.tree, self.marks, self.pos, self.stack_hist,
                               self.cold)

    def _reuse_times(self, keys: np.ndarray) -> None:
        index = self.seen + 1 + np.arange(len(keys))
        order = np.argsort(keys, kind="stable")
        sk, si = keys[order], index[order]
        prev = np.empty(len(keys), np.int64)
        same = np.concatenate([[False], sk[1:] == sk[:-1]])
        prev[same] = si[np.flatnonzero(same) - 1]
        prev[~same] = self.last_index[sk[~same]]
        gaps = (si - prev)[prev > 0]
        self.time_hist += np.bincount(_log2_bins(gaps), minlength=BINS)[:BINS]
        last = np.concatenate([sk[1:] != sk[:-1], [True]])
        self.last_index[sk[last]] = si[last]
        self.seen += len(keys)

    def summary(self) -> dict:
        return {"reuse_time_requests": _quantiles(self.time_hist),
                "stack_distance_keys": _quantiles(self.stack_hist, scale=1.0 / self.rate),
                "stack_distance_sample_rate": self.rate}


def _log2_bins(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    out = np.zeros(len(values), np.int64)
    nz = values > 0
    out[nz] = np.floor(np.log2(values[nz])).astype(np.int64) + 1
    return np.minimum(out, BINS - 1)


def _quantiles(hist: np.ndarray, scale: float = 1.0) -> dict:
    """p50/p90/p99 as the upper edge of the log2 bin they fall in (a factor-2 resolution)."""
    total = int(hist.sum())
    out: dict = {"count": total}
    if not total:
        return out
    cum = np.cumsum(hist) / total
    for q in (0.5, 0.9, 0.99):
        b = int(np.searchsorted(cum, q))
        out[f"p{int(q * 100)}_upper"] = float(0 if b == 0 else 2 ** b * scale)
    return out
