"""Robust trends: the Theil–Sen slope (median of pairwise slopes) with Sen's rank-based interval,
and a two-segment fit that finds where a series changes slope (the end of warm-up).

Theil–Sen ignores up to ~29% of outliers (a burst, a mass expiry) where least squares would not;
Sen (1968) gives the confidence interval from the distribution of Kendall's S.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

MAX_POINTS = 400      # pairwise slopes are O(n²): longer series are thinned evenly first


@dataclass(frozen=True)
class Trend:
    slope: float
    intercept: float
    low: float           # slope interval at ``confidence``
    high: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= MAX_POINTS:
        return x, y
    pick = np.unique(np.linspace(0, len(x) - 1, MAX_POINTS).round().astype(np.int64))
    return x[pick], y[pick]


def theil_sen(x, y, confidence: float = 0.95) -> Trend | None:
    """Median slope over all pairs with distinct x; None with fewer than 3 points."""
    x, y = _thin(np.asarray(x, np.float64), np.asarray(y, np.float64))
    if len(x) < 3:
        return None
    i, j = np.triu_indices(len(x), 1)
    dx = x[j] - x[i]
    keep = dx != 0
    slopes = np.sort((y[j] - y[i])[keep] / dx[keep])
    if not len(slopes):
        return None
    slope = float(np.median(slopes))
    intercept = float(np.median(y - slope * x))
    n, pairs = len(x), len(slopes)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    spread = z * np.sqrt(n * (n - 1) * (2 * n + 5) / 18.0)
    lo_rank = int(np.clip(np.floor((pairs - spread) / 2), 0, pairs - 1))
    hi_rank = int(np.clip(np.ceil((pairs + spread) / 2), 0, pairs - 1))
    return Trend(slope, intercept, float(slopes[lo_rank]), float(slopes[hi_rank]))


def knee(x, y, *, min_share: float = 0.1) -> float | None:
    """The x where a two-segment least-squares fit puts its break, if the slope drops there (warm-up
    ending: fast growth, then slower); None when one line fits about as well or the slope rises."""
    x, y = _thin(np.asarray(x, np.float64), np.asarray(y, np.float64))
    n = len(x)
    lo, hi = max(3, int(n * min_share)), n - max(3, int(n * min_share))
    if hi <= lo:
        return None
    one = _sse(x, y)
    best, where = None, None
    for k in range(lo, hi):
        total = _sse(x[:k], y[:k]) + _sse(x[k:], y[k:])
        if best is None or total < best:
            best, where = total, k
    if where is None or best > 0.5 * one:
        return None
    first, second = np.polyfit(x[:where], y[:where], 1)[0], np.polyfit(x[where:], y[where:], 1)[0]
    return float(x[where]) if second < first else None


def _sse(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or np.ptp(x) == 0:
        return float(((y - y.mean()) ** 2).sum())
    coef = np.polyfit(x, y, 1)
    return float(((y - np.polyval(coef, x)) ** 2).sum())
