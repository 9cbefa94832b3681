"""``shifting``: Zipf popularity whose hot set is replaced every ``period`` seconds.

At each period boundary the rank → key mapping is redrawn as a fresh random permutation (seeded by
the run seed and the period number), so the new hot set is a random set of keys in a new random rank
order, and the old hot keys fall to random ranks. Key space and popularity shape stay the same.
"""
from __future__ import annotations

import numpy as np

from evictsim.workloads.base import COMMON
from evictsim.workloads.params import Param, positive
from evictsim.workloads.simple import ALPHA, KEYS, ZipfWorkload


class ShiftingWorkload(ZipfWorkload):
    """Zipf(``alpha``) over ``keys`` keys, the rank order redrawn every ``period`` seconds."""

    NAME = "shifting"
    PARAMS = (KEYS, ALPHA, Param("period", 60.0, "seconds between hot-set changes", positive)) + COMMON

    def start(self, rngs) -> None:
        super().start(rngs)
        self._epoch, self._perm = -1, self.rank_to_key

    def permutation(self, epoch: int) -> np.ndarray:
        """The rank → key map in force during period number ``epoch``."""
        if epoch != self._epoch:
            seq = np.random.SeedSequence([self.seed, 0x5F1F7, epoch])
            self._perm = np.random.Generator(np.random.PCG64(seq)).permutation(self.p["keys"])
            self._epoch = epoch
        return self._perm

    def requests(self, times):
        ranks = self.popularity.sample(self.rngs["keys"], len(times))
        epochs = np.floor(times / self.p["period"]).astype(np.int64)
        keys = np.empty(len(times), np.int64)
        for epoch in np.unique(epochs):
            sel = epochs == epoch
            keys[sel] = self.permutation(int(epoch))[ranks[sel]]
        return times, self.op_mix(self.rngs["ops"], len(times)), keys
