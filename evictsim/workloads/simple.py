"""The stationary shapes: ``zipf``, ``uniform`` and ``hotspot`` (x% of keys get y% of the traffic).

Each request draws a popularity rank; a fixed random permutation (from the seed) maps ranks to key
ids, so the hottest key is not key 0 and the key names carry no hint of popularity.
"""
from __future__ import annotations

import numpy as np

from evictsim.workloads.base import COMMON, Workload
from evictsim.workloads.params import Param, fraction, key_count, non_negative, positive_int
from evictsim.workloads.popularity import HotCold, Zipf

KEYS = Param("keys", 100_000, "number of distinct keys the requests are drawn from", key_count)
ALPHA = Param("alpha", 0.99, "Zipf exponent: P(rank r) ∝ 1/r^alpha (0 = uniform)", non_negative)


class RankedWorkload(Workload):
    """Draw ranks from ``self.popularity``, map them through a permutation of the keys."""

    def key_space(self) -> int:
        return self.p["keys"]

    def make_popularity(self):
        raise NotImplementedError

    def start(self, rngs) -> None:
        self.rngs = rngs
        self.popularity = self.make_popularity()
        self.rank_to_key = rngs["extra"].permutation(self.p["keys"])

    def requests(self, times):
        ranks = self.popularity.sample(self.rngs["keys"], len(times))
        return times, self.op_mix(self.rngs["ops"], len(times)), self.rank_to_key[ranks]


class ZipfWorkload(RankedWorkload):
    """Zipf-distributed popularity over ``keys`` keys with exponent ``alpha`` (default 0.99)."""

    NAME = "zipf"
    PARAMS = (KEYS, ALPHA) + COMMON

    def make_popularity(self):
        return Zipf(self.p["keys"], self.p["alpha"])


class UniformWorkload(RankedWorkload):
    """Every one of ``keys`` keys equally likely."""

    NAME = "uniform"
    PARAMS = (KEYS,) + COMMON

    def make_popularity(self):
        return Zipf(self.p["keys"], 0.0)


class HotspotWorkload(RankedWorkload):
    """A hot set of keys gets most of the traffic (YCSB's hotspot distribution).

    ``hot-keys`` (a fraction of the keys) receive ``hot-traffic`` of the requests, uniformly; the
    other keys share the rest uniformly."""

    NAME = "hotspot"
    PARAMS = (KEYS,
              Param("hot-keys", 0.2, "fraction of the keys that are hot", fraction),
              Param("hot-traffic", 0.8, "fraction of the requests that go to the hot keys", fraction),
              ) + COMMON

    def make_popularity(self):
        hot = int(round(self.p["keys"] * self.p["hot-keys"]))
        hot = min(max(hot, 1), self.p["keys"])
        return HotCold(self.p["keys"], hot, self.p["hot-traffic"] if hot < self.p["keys"] else 1.0)

    def hot_keys(self) -> np.ndarray:
        """Key ids of the hot set (valid after a ``chunks()`` pass has started)."""
        return self.rank_to_key[: self.popularity.hot]
