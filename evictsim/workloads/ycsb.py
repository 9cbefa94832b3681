"""``ycsb``: the YCSB core workloads A–F (Cooper et al., SoCC'10; ``workloads/workload[a-f]`` in the
YCSB repository), as GET/SET requests against one key-value table.

| workload | operation mix | request distribution |
|---|---|---|
| A | 50% read, 50% update | zipfian |
| B | 95% read, 5% update | zipfian |
| C | 100% read | zipfian |
| D | 95% read, 5% insert | latest |
| E | 95% scan, 5% insert | zipfian (scan start), length uniform in 1..``max-scan-length`` |
| F | 50% read, 50% read-modify-write | zipfian |

read → GET; update → SET; insert → SET of a new key (ids after ``records``, in order); a scan of
length L → GETs of L consecutive keys from its start; read-modify-write → GET then SET of one key.
``zipfian`` is YCSB's scrambled Zipf (constant ``zipfian-constant``, 0.99) over the loaded records;
``latest`` makes the newest keys the hottest (Zipf over recency). ``rate`` counts YCSB operations per
second; ``requests`` counts GET/SET requests (a scan is several). Values are YCSB's default 10 fields
× 100 B = 1000 B; keys are ``user`` plus digits, 23 bytes.
"""
from __future__ import annotations

import numpy as np

from evictsim.traces.base import OP_GET, OP_SET
from evictsim.workloads.base import COMMON, Workload
from evictsim.workloads.params import Param, choice, key_count, non_negative, positive_int
from evictsim.workloads.popularity import Zipf

READ, UPDATE, INSERT, SCAN, RMW = range(5)
MIXES = {  # proportions of READ, UPDATE, INSERT, SCAN, RMW; default distribution
    "A": ((0.5, 0.5, 0, 0, 0), "zipfian"),
    "B": ((0.95, 0.05, 0, 0, 0), "zipfian"),
    "C": ((1.0, 0, 0, 0, 0), "zipfian"),
    "D": ((0.95, 0, 0.05, 0, 0), "latest"),
    "E": ((0, 0, 0.05, 0.95, 0), "zipfian"),
    "F": ((0.5, 0, 0, 0, 0.5), "zipfian"),
}
_OVERRIDES = {"value-size": 1000, "key-prefix": "user", "key-len": 23}
_COMMON = tuple(Param(p.name, _OVERRIDES[p.name], p.doc, p.parse) if p.name in _OVERRIDES else p
                for p in COMMON if p.name not in ("set-fraction", "del-fraction"))


class YcsbWorkload(Workload):
    """YCSB core workload ``workload`` (A–F) over ``records`` loaded records."""

    NAME = "ycsb"
    PARAMS = (Param("workload", "A", "YCSB core workload: A, B, C, D, E or F", choice(*MIXES)),
              Param("records", 100_000, "records loaded before the run (YCSB recordcount)", key_count),
              Param("request-distribution", None, "zipfian, latest or uniform (default: the "
                    "workload's own)", choice("zipfian", "latest", "uniform")),
              Param("zipfian-constant", 0.99, "Zipf exponent of the zipfian and latest choosers",
                    non_negative),
              Param("max-scan-length", 100, "longest scan (workload E), lengths uniform in 1..this",
                    positive_int),
              ) + _COMMON

    def __init__(self, params: dict, seed: int):
        super().__init__({**params, "set-fraction": 0.0, "del-fraction": 0.0}, seed)
        mix, dist = MIXES[params["workload"]]
        self.mix = np.cumsum(mix)
        self.mix[-1] = 1.0
        self.distribution = params["request-distribution"] or dist

    def key_space(self) -> int:
        """Records plus a bound on inserts: the binomial mean + 10 standard deviations (exceeded
        with probability below 1e-20; the key mapper grows anyway if it ever is)."""
        f = MIXES[self.p["workload"]][0][INSERT]
        n = self.p["requests"]
        bound = n * f + 10 * np.sqrt(n * f * (1 - f)) + 10 if f else 0
        return self.p["records"] + int(min(n, np.ceil(bound)))

    def mean_requests_per_arrival(self) -> float:
        mix = MIXES[self.p["workload"]][0]
        return 1 + mix[RMW] + mix[SCAN] * (self.p["max-scan-length"] - 1) / 2

    def start(self, rngs) -> None:
        self.rngs = rngs
        self.inserted = 0
        self.zipf = Zipf(self.p["records"], self.p["zipfian-constant"])
        self.scramble = rngs["extra"].permutation(self.p["records"])

    def choose(self, n: int, count: np.ndarray) -> np.ndarray:
        """Key ids for n operations; ``count[i]`` keys exist when operation i runs."""
        rng = self.rngs["keys"]
        if self.distribution == "uniform":
            return np.floor(rng.random(n) * count).astype(np.int64)
        ranks = self.zipf.sample(rng, n)
        if self.distribution == "latest":
            return count - 1 - ranks % count
        return self.scramble[ranks]

    def requests(self, times):
        n = len(times)
        kind = np.searchsorted(self.mix, self.rngs["ops"].random(n), side="right")
        is_insert = kind == INSERT
        inserted_before = self.inserted + np.cumsum(is_insert) - is_insert
        count = self.p["records"] + inserted_before
        base = np.where(is_insert, count, self.choose(n, count))
        self.inserted += int(is_insert.sum())
        length = np.ones(n, np.int64)
        scan = kind == SCAN
        length[scan] = 1 + np.floor(self.rngs["extra"].random(int(scan.sum())) * self.p["max-scan-length"])
        length[scan] = np.minimum(length[scan], np.maximum(count[scan] - base[scan], 1))
        length[kind == RMW] = 2
        owner = np.repeat(np.arange(n), length)
        offset = np.arange(len(owner)) - np.repeat(np.cumsum(length) - length, length)
        owner_kind = kind[owner]
        keys = base[owner] + np.where(owner_kind == SCAN, offset, 0)
        write = (owner_kind == UPDATE) | (owner_kind == INSERT) | ((owner_kind == RMW) & (offset == 1))
        ops = np.where(write, OP_SET, OP_GET).astype(np.uint8)
        return times[owner], ops, keys


YCSB_WORKLOADS = (YcsbWorkload,)
