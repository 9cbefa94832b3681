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

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.allocation import memory_columns, memory_reading_slots
from evictsim.metrics import counters as C
from evictsim.metrics.overhead import overhead_columns
from evictsim.metrics.readings import R_MODEL, R_STALE_BYTES, R_STALE_KEYS, R_TIME, Readings
from evictsim.metrics.registry import (ALLOCATOR_COLUMNS, BY_NAME, DEFRAG_COLUMNS, FLOAT_COLUMNS,
                                       SUMMARY_KEYS, TIMESERIES_COLUMNS)

# (column, state slot) of the columns read from the state vector as they are.
_SLOT_COLUMNS = tuple((name, C.STATE.index(BY_NAME[name].slot)) for name in TIMESERIES_COLUMNS
                      if BY_NAME[name].slot)
# (summary key, state slot) of the summary keys that are no column: final state, not the last sample.
_SLOT_SUMMARY = tuple((name, C.STATE.index(BY_NAME[name].slot)) for name in SUMMARY_KEYS
                      if BY_NAME[name].slot and not BY_NAME[name].column)


class TimeSeries:
    """Collects readings (:mod:`evictsim.metrics.readings`); the first (t=0) is the empty server, like
    INFO sample 0. The columns are derived from all readings at once."""

    def __init__(self, server, *, protocol_script: bool, span_s: float | None = None):
        """``span_s``: the time of the trace's last request when known (the readings table is then
        sized once: one row per sample interval, the one at 0 and the last one)."""
        self.server = server
        self.protocol_script = protocol_script
        self.info_note = bool(protocol_script and server.cfg.info_after_baseline)
        expected = None if span_s is None else int(span_s / server.cfg.sample_interval) + 3
        self.readings = Readings(memory_reading_slots(server.memory), expected_rows=expected)
        self.elapsed_s = 0.0
        self.namespace_rows: list[tuple[float, np.ndarray]] = []
        model_columns = memory_columns(server.memory, self.readings.rows()[:, R_MODEL:])   # no rows yet
        self.names = TIMESERIES_COLUMNS + (ALLOCATOR_COLUMNS if model_columns else ())
        if DEFRAG_COLUMNS[0] in model_columns:    # activedefrag yes
            self.names += DEFRAG_COLUMNS
        self._columns: dict[str, np.ndarray] | None = None

    def sample(self, now_us: int, rel_us: int) -> None:
        """A reading taken from Python (the event loop takes them itself unless namespaces are kept)."""
        t0 = time.perf_counter()
        s = self.server
        s.take_reading(self.readings.room(), self.readings.n, now_us, rel_us, self.info_note)
        self.readings.n += 1
        if len(s.tag_stats) > 1:
            self.namespace_rows.append((rel_us / 1e6, s.tag_stats.copy()))
        self._columns = None
        self.elapsed_s += time.perf_counter() - t0

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
        if self._columns is None:
            self._columns = self._derive()
        return dict(self._columns)

    def _derive(self) -> dict[str, np.ndarray]:
        """Every column from the readings: a state slot as is, or derived below by name."""
        s, r = self.server, self.readings
        state = r.state
        values: dict[str, Any] = {name: state(slot) for name, slot in _SLOT_COLUMNS}
        gets, hits = state(C.GETS), state(C.GET_HITS)
        d_gets = np.diff(gets, prepend=0)
        d_hits = np.diff(hits, prepend=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            interval = np.where(d_gets != 0, d_hits / np.where(d_gets != 0, d_gets, 1), np.nan)
        active = state(C.EXPIRED_KEYS_ACTIVE) + state(C.EXPIRED_KEYS_EXACT)
        keys = r.dict_field(0, ht.USED0) + r.dict_field(0, ht.USED1)
        values.update({
            "time": r.rows()[:, R_TIME] / 1e6, "expired_keys": state(C.EXPIRED_KEYS_LAZY) + active,
            "expired_keys_active": active, "keys": keys,
            "expires": r.dict_field(1, ht.USED0) + r.dict_field(1, ht.USED1),
            "stale_keys": r.rows()[:, R_STALE_KEYS], "stale_bytes": r.rows()[:, R_STALE_BYTES],
            "hit_ratio_interval": interval})
        values.update(overhead_columns(r, s.cfgv))
        values.update(memory_columns(s.memory, r.rows()[:, R_MODEL:]))
        out = {}
        for name in self.names:
            dtype = np.float64 if name in FLOAT_COLUMNS else np.int64
            out[name] = np.array(values[name], dtype=dtype)
        return out

    def last(self) -> dict[str, Any]:
        """The last row, as Python numbers."""
        return {name: (float(col[-1]) if col.dtype.kind == "f" else int(col[-1]))
                for name, col in self.columns().items()}


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
