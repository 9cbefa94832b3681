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
from dataclasses import dataclass
from typing import Any

import numpy as np
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.samples import Timestamp

from evictsim.metrics.registry import BY_NAME, COUNTER, METRICS
from evictsim.views.snapshot import row_index

FORMATS = ("openmetrics", "prometheus")


def exported_columns(ts: dict[str, np.ndarray]) -> list[str]:
    """The run's columns that have a Prometheus name, in registry order (the allocator model's columns
    included when the run has them; maxmemory is the run's constant, exported apart)."""
    return [m.name for m in METRICS if m.name in ts and m.prometheus and m.name != "maxmemory"]


@dataclass(frozen=True)
class Family:
    """One exported metric: its Prometheus name, help, type, labels and one value per exported row."""

    name: str
    help: str
    kind: str
    labels: dict[str, str]
    values: list[float]


def families(result, rows: list[int], labels: dict[str, str]) -> list[Family]:
    ts = result.timeseries
    out = []
    for name in exported_columns(ts):
        m = BY_NAME[name]
        column = ts[name]
        out.append(Family(m.prometheus or name, m.help, m.kind, {**labels, **dict(m.labels)},
                          [float(column[i]) * m.prometheus_scale for i in rows]))
    maxmemory = BY_NAME["maxmemory"]
    out.append(Family(maxmemory.prometheus or "redis_memory_max_bytes", maxmemory.help, maxmemory.kind,
                      dict(labels), [float(result.summary.get("maxmemory", 0))] * len(rows)))
    return out


class FamilyCollector:
    """A prometheus_client collector over families, each sample stamped from ``stamps``."""

    def __init__(self, families: list[Family], stamps: list[Any]):
        self.families = families
        self.stamps = stamps

    def collect(self) -> Iterator[Metric]:
        for family in self.families:
            family_type = CounterMetricFamily if family.kind == COUNTER else GaugeMetricFamily
            name = family.name.removesuffix("_total") if family.kind == COUNTER else family.name
            metric = family_type(name, family.help, labels=list(family.labels))
            for value, stamp in zip(family.values, self.stamps):
                metric.add_metric(list(family.labels.values()), value, timestamp=stamp)
            yield metric


def _writer(fmt: str):
    from prometheus_client.exposition import generate_latest
    from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
    return generate_openmetrics if fmt == "openmetrics" else generate_latest


def _render(families_: list[Family], stamps: list[Any], fmt: str) -> str:
    from prometheus_client import CollectorRegistry
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FamilyCollector(families_, stamps))
    return _writer(fmt)(registry).decode("utf-8")


def _stamps(times: np.ndarray, start_time: float, rows: list[int], fmt: str) -> list[str]:
    """Timestamps as the exposition writes them: OpenMetrics seconds (prometheus_client's Timestamp,
    exact decimals), Prometheus text integer milliseconds."""
    start_us = round(start_time * 1e6)
    out = []
    for i in rows:
        us = start_us + round(float(times[i]) * 1e6)
        if fmt == "openmetrics":
            out.append(str(Timestamp(us // 1_000_000, (us % 1_000_000) * 1000)))
        else:
            out.append(str(us // 1000))
    return out


def series_text(families_: list[Family], stamps: list[str], fmt: str) -> str:
    """The whole series. prometheus_client writes each family's header and its sample's name and
    labels (rendered from the first row); the rows' lines reuse them with the values formatted by
    prometheus_client's ``floatToGoString``: its own writer escapes every sample's name character by
    character, ~50 µs a sample, too slow for a long run's millions of samples."""
    from prometheus_client.utils import floatToGoString

    parts = []
    for family in families_:
        first = Family(family.name, family.help, family.kind, family.labels, family.values[:1])
        head = _render([first], [None], fmt).removesuffix("# EOF\n").splitlines()
        prefix = head[-1].rsplit(" ", 1)[0]
        parts += [line + "\n" for line in head[:-1]]
        parts += [f"{prefix} {floatToGoString(value)} {stamp}\n" for value, stamp in zip(family.values, stamps)]
    if fmt == "openmetrics":
        parts.append("# EOF\n")
    return "".join(parts)


def export_text(result, fmt: str, *, at: float | None = None, start_time: float | None = None,
                labels: dict[str, str] | None = None) -> str:
    """The exposition text: the whole series (``at`` None) or one scrape at simulated time ``at``."""
    times = np.asarray(result.timeseries["time"], np.float64)
    rows = list(range(len(times))) if at is None else [row_index(times, at)]
    exported = families(result, rows, labels or {})
    if at is not None:
        return _render(exported, [None], fmt)
    start = float(result.summary.get("start_time") or 0.0) if start_time is None else float(start_time)
    return series_text(exported, _stamps(times, start, rows, fmt), fmt)
