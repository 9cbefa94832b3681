"""Key popularity samplers: which rank each request asks for.

Zipf(alpha) over ``n`` ranks by inverse CDF with a guide table (Chen & Asau's cutpoint method: the
search for u starts at the first rank whose CDF passes floor(u·n)/n, so it takes O(1) steps on
average instead of a cache-missing binary search; memory 16 bytes per key); uniform; hot/cold.
Ranks are mapped to key ids by a random permutation in the generators, so rank 0 is not key 0.
"""
from __future__ import annotations

import evictsim.jit  # noqa: F401  (first: numba's cache folder outside the source tree)
import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _cutpoint_sample(cdf: np.ndarray, guide: np.ndarray, u: np.ndarray) -> np.ndarray:
    out = np.empty(len(u), np.int64)
    m = len(guide) - 1
    for i in range(len(u)):
        x = u[i]
        j = guide[int(x * m)]
        while cdf[j] <= x:  # cdf[-1] == 1.0 > x stops it
            j += 1
        out[i] = j
    return out


class Zipf:
    """P(rank r) ∝ 1 / (r + 1) ** alpha, r in [0, n); alpha 0 is uniform."""

    def __init__(self, n: int, alpha: float):
        self.n = n
        self.alpha = alpha
        if alpha == 0:
            self.cdf = None
        else:
            weights = np.arange(1, n + 1, dtype=np.float64) ** -alpha
            self.cdf = np.cumsum(weights)
            self.cdf /= self.cdf[-1]
            self.cdf[-1] = 1.0
            self.guide = np.searchsorted(self.cdf, np.arange(n + 1) / n, side="right")
            self.guide = np.minimum(self.guide, n - 1).astype(np.int64)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.cdf is None:
            return rng.integers(0, self.n, size)
        return _cutpoint_sample(self.cdf, self.guide, rng.random(size))

    def probability(self, ranks: np.ndarray) -> np.ndarray:
        if self.cdf is None:
            return np.full(len(ranks), 1.0 / self.n)
        return np.diff(np.concatenate([[0.0], self.cdf]))[ranks]


class HotCold:
    """``hot_traffic`` of the requests go uniformly to the first ``hot`` ranks, the rest to the others."""

    def __init__(self, n: int, hot: int, hot_traffic: float):
        self.n, self.hot, self.hot_traffic = n, hot, hot_traffic

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        hot = rng.random(size) < self.hot_traffic
        if self.hot == self.n:
            hot[:] = True
        draw = rng.random(size)
        in_hot = np.floor(draw * self.hot).astype(np.int64)
        in_cold = self.hot + np.floor(draw * (self.n - self.hot)).astype(np.int64)
        return np.where(hot, in_hot, in_cold)
