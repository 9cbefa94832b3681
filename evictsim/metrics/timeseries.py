"""The sampled time series (one row per ``sample-interval``) and the run summary, named as Redis INFO
names its fields. Rates and ratios are derived from cumulative counters, never stored.

Which columns and summary keys exist, and in which order, is :mod:`evictsim.metrics.registry`'s; this
module only computes each one. A metric declared with a ``slot`` is read from the kernel's state as
is; the derived ones are computed below by name. With an allocator model on, each row ends with its
``ALLOCATOR_COLUMNS``, read from the model's last cron sample (RSS is cron-sampled, as Redis does:
MECHANICS §13).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from evictsim.metrics import counters as C
from evictsim.metrics.overhead import memory_overhead
from evictsim.keyspace.allocation import memory_fields
from evictsim.metrics.registry import (ALLOCATOR_COLUMNS, BY_NAME, DEFRAG_COLUMNS, FLOAT_COLUMNS,
                                       SUMMARY_KEYS, TIMESERIES_COLUMNS)

# (column, state slot) of the columns read from the state vector as they are.
_SLOT_COLUMNS = tuple((name, C.STATE.index(BY_NAME[name].slot)) for name in TIMESERIES_COLUMNS
                      if BY_NAME[name].slot)
# (summary key, state slot) of the summary keys that are no column: final state, not the last sample.
_SLOT_SUMMARY = tuple((name, C.STATE.index(BY_NAME[name].slot)) for name in SUMMARY_KEYS
                      if BY_NAME[name].slot and not BY_NAME[name].column)


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
        fields = memory_fields(server.memory)
        self.names = TIMESERIES_COLUMNS + (ALLOCATOR_COLUMNS if fields is not None else ())
        if fields is not None and DEFRAG_COLUMNS[0] in fields:    # activedefrag yes
            self.names += DEFRAG_COLUMNS

    def sample(self, now_us: int, rel_us: int) -> None:
        t0 = time.perf_counter()
        s = self.server
        s.expire_exact(now_us)
        st = s.st
        if st[C.USED_MEMORY] > st[C.USED_MEMORY_PEAK]:
            st[C.USED_MEMORY_PEAK] = st[C.USED_MEMORY]      # INFO refreshes the peak
        values: dict[str, Any] = {name: int(st[slot]) for name, slot in _SLOT_COLUMNS}
        values.update(self._derived(now_us, rel_us))
        values.update(memory_fields(s.memory) or {})
        self.rows.append(tuple(values[name] for name in self.names))
        if len(s.tag_stats) > 1:
            self.namespace_rows.append((rel_us / 1e6, s.tag_stats.copy()))
        if self.protocol_script and rel_us == 0 and s.cfg.info_after_baseline:
            s.note_info_command()     # the harness's first INFO allocates its histogram after sample 0
        self.elapsed_s += time.perf_counter() - t0

    def _derived(self, now_us: int, rel_us: int) -> dict[str, Any]:
        """The columns that are not a state slot as is."""
        s = self.server
        st = s.st
        stale_keys, stale_bytes = s.stale(now_us)
        gets, hits = int(st[C.GETS]), int(st[C.GET_HITS])
        d_gets = gets - self._prev_gets
        interval = (hits - self._prev_hits) / d_gets if d_gets else float("nan")
        self._prev_gets, self._prev_hits = gets, hits
        lazy = int(st[C.EXPIRED_KEYS_LAZY])
        active = int(st[C.EXPIRED_KEYS_ACTIVE] + st[C.EXPIRED_KEYS_EXACT])
        return {"time": rel_us / 1e6, "expired_keys": lazy + active, "expired_keys_active": active,
                "keys": s.ks.dict_sizes()[0], "expires": s.ks.dict_sizes()[1],
                "stale_keys": stale_keys, "stale_bytes": stale_bytes, "hit_ratio_interval": interval,
                **memory_overhead(st, s.cfgv, s.ks.ds)}

    def namespace_columns(self) -> dict[str, np.ndarray]:
        """One row per sample per namespace: time, namespace index, then the TAG_COLUMNS counters."""
        from evictsim.metrics.namespaces import TAG_COLUMNS
        per_sample = len(self.namespace_rows[0][1])
        table = np.concatenate([rows for _, rows in self.namespace_rows])
        out = {"time": np.repeat([t for t, _ in self.namespace_rows], per_sample),
               "namespace": np.tile(np.arange(per_sample), len(self.namespace_rows))}
        out.update({name: table[:, i] for i, name in enumerate(TAG_COLUMNS)})
        return out

    def columns(self) -> dict[str, np.ndarray]:
        cols = list(zip(*self.rows)) if self.rows else [[] for _ in self.names]
        out = {}
        for name, values in zip(self.names, cols):
            dtype = np.float64 if name in FLOAT_COLUMNS else np.int64
            out[name] = np.asarray(values, dtype=dtype)
        return out

    def last(self) -> dict[str, Any]:
        return dict(zip(self.names, self.rows[-1]))


def summarize(server, series: TimeSeries, *, trace, seed: int, start_time: float,
              timing: dict[str, float]) -> dict[str, Any]:
    """summary.json: final counters (as of the last sample), derived ratios, the resolved config.

    Its keys are the registry's ``summary`` metrics, in registry order."""
    last = series.last()
    st = server.st
    gets = last["gets"]
    values: dict[str, Any] = {name: int(st[slot]) for name, slot in _SLOT_SUMMARY}
    values.update({
        "hit_ratio": (last["get_hits"] / gets) if gets else None,
        "expired_stale_perc": round(float(server.fst[C.EXPIRED_STALE_PERC]) * 100, 6),
        "maxmemory": server.cfg.maxmemory, "maxmemory_policy": server.cfg.maxmemory_policy,
        "seed": seed, "start_time": start_time, "hz_effective": server.hz,
        "trace": {"name": getattr(trace, "name", ""), "fill": trace.fill},
        "config": server.cfg.to_mapping(),
        "timing": timing,
    })
    summary: dict[str, Any] = {}
    for name in SUMMARY_KEYS:
        if BY_NAME[name].column:
            summary[name] = last[name]
        elif name in values:
            summary[name] = values[name]
    return summary
