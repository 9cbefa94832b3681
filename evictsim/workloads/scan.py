"""``scan``: a Zipf base workload with periodic sequential scans of cold keys mixed in.

Every ``scan-every`` seconds a scan starts: it reads ``scan-length`` cold keys in order (ids after the
base keys, continuing from where the last scan stopped, wrapping over ``cold-keys``), interleaved with
the base traffic: while a scan runs, each request belongs to it with probability ``scan-share``. A
scan that outlasts the interval delays the next one. Scan requests are GETs (a batch job reading
through the cache); with ``cold-keys`` equal to ``scan-length`` every scan re-reads the same range.
"""
from __future__ import annotations

import numpy as np

from evictsim.traces.base import OP_GET
from evictsim.workloads.base import COMMON
from evictsim.workloads.params import Param, fraction, key_count, key_count_or_zero, positive
from evictsim.workloads.simple import ALPHA, KEYS, ZipfWorkload


class ScanWorkload(ZipfWorkload):
    """Zipf base traffic plus periodic sequential scans of a cold key range."""

    NAME = "scan"
    PARAMS = (KEYS, ALPHA,
              Param("scan-every", 10.0, "seconds between scan starts", positive),
              Param("scan-length", 10000, "keys read by one scan", key_count),
              Param("scan-share", 0.5, "fraction of the requests that belong to a running scan", fraction),
              Param("cold-keys", 0, "size of the cold key range scans walk (0 = scan-length)",
                    key_count_or_zero),
              ) + COMMON

    def cold(self) -> int:
        return self.p["cold-keys"] or self.p["scan-length"]

    def key_space(self) -> int:
        return self.p["keys"] + self.cold()

    def start(self, rngs) -> None:
        super().start(rngs)
        self.next_start = self.p["scan-every"]
        self.remaining = 0
        self.cursor = 0

    def requests(self, times):
        times, ops, keys = super().requests(times)
        member = self.rngs["extra"].random(len(times)) < self.p["scan-share"]
        pos = 0
        while pos < len(times):
            if self.remaining == 0:
                if times[pos] < self.next_start:
                    pos = int(np.searchsorted(times, self.next_start, side="left"))
                if pos >= len(times):
                    break
                self.remaining = self.p["scan-length"]
                self.next_start += self.p["scan-every"]
            take = pos + np.flatnonzero(member[pos:])[: self.remaining]
            steps = np.arange(len(take))
            keys[take] = self.p["keys"] + (self.cursor + steps) % self.cold()
            ops[take] = OP_GET
            self.cursor = (self.cursor + len(take)) % self.cold()
            self.remaining -= len(take)
            if self.remaining > 0 or not len(take):
                break
            pos = int(take[-1]) + 1
        return times, ops, keys
