"""The sampled time series (one row per ``sample-interval``) and the run summary, named as Redis INFO
names its fields. Rates and ratios are derived from cumulative counters, never stored."""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from evictsim.metrics import counters as C
from evictsim.results import TIMESERIES_COLUMNS


class TimeSeries:
    """Collects rows of counters; the first row (t=0) is the empty server, like INFO sample 0."""

    def __init__(self, server, *, protocol_script: bool):
        self.server = server
        self.protocol_script = protocol_script
        self.rows: list[tuple] = []
        self.elapsed_s = 0.0
        self._prev_gets = 0
        self._prev_hits = 0
        self.namespace_rows: list[tuple[float, np.ndarray]] = []

    def sample(self, now_us: int, rel_us: int) -> None:
        t0 = time.perf_counter()
        s = self.server
        s.expire_exact(now_us)
        st = s.st
        if st[C.USED_MEMORY] > st[C.USED_MEMORY_PEAK]:
            st[C.USED_MEMORY_PEAK] = st[C.USED_MEMORY]      # INFO refreshes the peak
        stale_keys, stale_bytes = s.stale(now_us)
        gets, hits = int(st[C.GETS]), int(st[C.GET_HITS])
        d_gets = gets - self._prev_gets
        interval = (hits - self._prev_hits) / d_gets if d_gets else float("nan")
        self._prev_gets, self._prev_hits = gets, hits
        lazy = int(st[C.EXPIRED_KEYS_LAZY])
        active = int(st[C.EXPIRED_KEYS_ACTIVE] + st[C.EXPIRED_KEYS_EXACT])
        self.rows.append((rel_us / 1e6, int(st[C.REQUESTS]), gets, hits, int(st[C.KEYSPACE_HITS]),
                          int(st[C.KEYSPACE_MISSES]), int(st[C.EVICTED_KEYS]), lazy + active, lazy, active,
                          int(st[C.REJECTED_WRITES]), int(st[C.USED_MEMORY]), int(st[C.USED_MEMORY_PEAK]),
                          *s.ks.dict_sizes(), stale_keys,
                          stale_bytes, interval))
        if len(s.tag_stats) > 1:
            self.namespace_rows.append((rel_us / 1e6, s.tag_stats.copy()))
        if self.protocol_script and rel_us == 0 and s.cfg.info_after_baseline:
            s.note_info_command()     # the harness's first INFO allocates its histogram after sample 0
        self.elapsed_s += time.perf_counter() - t0

    def columns(self) -> dict[str, np.ndarray]:
        cols = list(zip(*self.rows)) if self.rows else [[] for _ in TIMESERIES_COLUMNS]
        out = {}
        for name, values in zip(TIMESERIES_COLUMNS, cols):
            dtype = np.float64 if name in ("time", "hit_ratio_interval") else np.int64
            out[name] = np.asarray(values, dtype=dtype)
        return out

    def namespace_columns(self) -> dict[str, np.ndarray]:
        """One row per sample per namespace: time, namespace index, then the TAG_COLUMNS counters."""
        from evictsim.metrics.namespaces import TAG_COLUMNS
        times = np.repeat([t for t, _ in self.namespace_rows], len(self.namespace_rows[0][1]))
        table = np.concatenate([rows for _, rows in self.namespace_rows])
        out = {"time": times, "namespace": np.tile(np.arange(len(self.namespace_rows[0][1])),
                                                   len(self.namespace_rows))}
        out.update({name: table[:, i] for i, name in enumerate(TAG_COLUMNS)})
        return out

    def last(self) -> dict[str, Any]:
        return dict(zip(TIMESERIES_COLUMNS, self.rows[-1]))


def summarize(server, series: TimeSeries, *, trace, seed: int, start_time: float,
              timing: dict[str, float]) -> dict[str, Any]:
    """summary.json: final counters (as of the last sample), derived ratios, the resolved config."""
    last = series.last()
    st = server.st
    gets = last["gets"]
    summary: dict[str, Any] = {k: last[k] for k in (
        "requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys",
        "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory", "used_memory_peak",
        "keys", "expires", "stale_keys", "stale_bytes")}
    summary.update({
        "hit_ratio": (last["get_hits"] / gets) if gets else None,
        "sets": int(st[C.SETS]), "dels": int(st[C.DELS]), "fills": int(st[C.FILLS]),
        "expired_stale_perc": round(float(server.fst[C.EXPIRED_STALE_PERC]) * 100, 6),
        "expired_time_cap_reached_count": int(st[C.EXPIRED_TIME_CAP_REACHED_COUNT]),
        "lazyfree_pending_objects": int(st[C.LAZYFREE_PENDING_OBJECTS]),
        "lazyfreed_objects": int(st[C.LAZYFREED_OBJECTS]),
        "lazyfree_pending_bytes": int(st[C.LAZYFREE_PENDING_BYTES]),
        "maxmemory": server.cfg.maxmemory, "maxmemory_policy": server.cfg.maxmemory_policy,
        "seed": seed, "start_time": start_time, "hz_effective": server.hz,
        "trace": {"name": getattr(trace, "name", ""), "fill": trace.fill},
        "config": server.cfg.to_mapping(),
        "timing": timing,
    })
    return summary
