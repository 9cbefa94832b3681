"""A run's time series as Prometheus metrics with redis_exporter's names, written by prometheus_client.

Every time-series column the registry gives a Prometheus name becomes one metric family (its
redis_exporter type: counters end in ``_total``), plus ``redis_memory_max_bytes`` from the run's
maxmemory, so a Grafana dashboard built for redis_exporter shows the simulated server unchanged.
``hit_ratio_interval`` and ``time`` are not exported (a rate, and the timestamp itself).

Whole series: one sample per time-series row per family, stamped ``start_time + time`` (OpenMetrics:
seconds, ending ``# EOF``, which ``promtool tsdb create-blocks-from openmetrics`` backfills; the
Prometheus text format: milliseconds). One scrape (``at``): the row at that simulated time, without
timestamps, for node_exporter's textfile collector.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.samples import Timestamp

from evictsim.metrics.registry import BY_NAME, COUNTER, METRICS
from evictsim.views.snapshot import row_index

FORMATS = ("openmetrics", "prometheus")
# prometheus_client writes int(seconds * 1000) for the text format; a 0.4 ms nudge keeps the float
# product from landing just under the intended millisecond.
_MS_NUDGE_S = 0.0004


def exported_columns(ts: dict[str, np.ndarray]) -> list[str]:
    """The run's columns that have a Prometheus name, in registry order (the allocator model's columns
    included when the run has them; maxmemory is the run's constant, exported apart)."""
    return [m.name for m in METRICS if m.name in ts and m.prometheus and m.name != "maxmemory"]


class RunCollector:
    """A prometheus_client collector over one run's rows (``rows``: indices to export)."""

    def __init__(self, result, rows: list[int], *, timestamps: str | None, start_time: float,
                 labels: dict[str, str]):
        self.ts = result.timeseries
        self.maxmemory = int(result.summary.get("maxmemory", 0))
        self.rows = rows
        self.stamps = _timestamps(np.asarray(self.ts["time"], np.float64), start_time, rows, timestamps)
        self.labels = labels

    def collect(self) -> Iterator[Metric]:
        for name in exported_columns(self.ts):
            m = BY_NAME[name]
            values = self.ts[name]
            yield self._family(m.prometheus or name, m.help, m.kind, dict(m.labels),
                               (float(values[i]) * m.prometheus_scale for i in self.rows))
        maxmemory = BY_NAME["maxmemory"]
        yield self._family(maxmemory.prometheus or "redis_memory_max_bytes", maxmemory.help, maxmemory.kind, {},
                           (float(self.maxmemory) for _ in self.rows))

    def _family(self, name: str, doc: str, kind: str, own_labels: dict[str, str], values) -> Metric:
        labels = {**self.labels, **own_labels}
        family_type = CounterMetricFamily if kind == COUNTER else GaugeMetricFamily
        family = family_type(name.removesuffix("_total") if kind == COUNTER else name, doc,
                             labels=list(labels))
        for value, stamp in zip(values, self.stamps):
            family.add_metric(list(labels.values()), value, timestamp=stamp)
        return family


def _timestamps(times: np.ndarray, start_time: float, rows: list[int], kind: str | None) -> list[Any]:
    if kind is None:
        return [None] * len(rows)
    start_us = round(start_time * 1e6)
    stamps: list[Any] = []
    for i in rows:
        us = start_us + round(float(times[i]) * 1e6)
        if kind == "seconds":
            stamps.append(Timestamp(us // 1_000_000, (us % 1_000_000) * 1000))
        else:
            stamps.append((us // 1000) / 1000 + _MS_NUDGE_S)
    return stamps


def export_text(result, fmt: str, *, at: float | None = None, start_time: float | None = None,
                labels: dict[str, str] | None = None) -> str:
    """The exposition text: the whole series (``at`` None) or one scrape at simulated time ``at``."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import generate_latest
    from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

    times = np.asarray(result.timeseries["time"], np.float64)
    rows = list(range(len(times))) if at is None else [row_index(times, at)]
    stamps = None if at is not None else ("seconds" if fmt == "openmetrics" else "milliseconds")
    start = float(result.summary.get("start_time") or 0.0) if start_time is None else float(start_time)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector(result, rows, timestamps=stamps, start_time=start, labels=labels or {}))
    writer = generate_openmetrics if fmt == "openmetrics" else generate_latest
    return writer(registry).decode("utf-8")
