"""``summary.csv`` (one row per run) and ``aggregate.csv`` (mean and 95% CI per configuration).

Both are rebuilt from the run folders, in sweep-expansion order, so a resumed sweep writes the same
bytes as an uninterrupted one (apart from the wall-clock ``simulate_s`` column). Confidence intervals
use Student's t over replications (SciPy): ``mean ± t(0.975, n-1) · s / √n``; empty when n = 1.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Iterable

from evictsim import atomic

# Per-run metrics of summary.csv, in column order. simulate_s is wall clock: not reproducible.
METRICS = ("hit_ratio", "keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys",
           "rejected_writes", "used_memory", "used_memory_peak", "stale_bytes", "requests", "simulate_s")
WALL_CLOCK_COLUMNS = ("simulate_s",)
RESOLVED_COLUMNS = ("maxmemory-policy", "maxmemory")   # from the resolved config, whatever was swept
RESERVED_COLUMNS = ("run_id", "replication", "seed") + RESOLVED_COLUMNS + METRICS


def summary_row(run_id: str, point: Iterable[tuple[str, str]], replication: int, seed: int,
                summary: dict[str, Any]) -> dict[str, Any]:
    """One summary.csv row from a run's sweep point and its ``summary.json``."""
    row: dict[str, Any] = {"run_id": run_id, **dict(point), "replication": replication, "seed": seed}
    config = summary.get("config", {})
    row["maxmemory-policy"] = config.get("maxmemory-policy", "")
    row["maxmemory"] = config.get("maxmemory", "")
    for metric in METRICS:
        if metric == "simulate_s":
            row[metric] = summary.get("timing", {}).get("simulate_s", "")
        else:
            row[metric] = summary.get(metric, "")
    return row


def write_summary_csv(path: Path, axis_names: list[str], rows: list[dict[str, Any]]) -> None:
    columns = ["run_id", *axis_names, "replication", "seed", *RESOLVED_COLUMNS, *METRICS]
    atomic.write_text(path, _to_csv(columns, rows))


def aggregate_rows(axis_names: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group runs by configuration (every column but run_id/replication/seed/metrics)."""
    keys = [*axis_names, *RESOLVED_COLUMNS]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    out = []
    for key, members in groups.items():
        agg: dict[str, Any] = dict(zip(keys, key))
        agg["replications"] = len(members)
        for metric in METRICS:
            values = [float(m[metric]) for m in members if m[metric] != ""]
            mean, half = mean_ci95(values)
            agg[f"{metric}_mean"] = mean
            agg[f"{metric}_ci95"] = half
        out.append(agg)
    return out


def write_aggregate_csv(path: Path, axis_names: list[str], rows: list[dict[str, Any]]) -> None:
    columns = [*axis_names, *RESOLVED_COLUMNS, "replications"]
    for metric in METRICS:
        columns += [f"{metric}_mean", f"{metric}_ci95"]
    atomic.write_text(path, _to_csv(columns, aggregate_rows(axis_names, rows)))


def mean_ci95(values: list[float]) -> tuple[float | None, float | None]:
    """Mean and half-width of the 95% t-interval (None where undefined)."""
    n = len(values)
    if n == 0:
        return None, None
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None
    from scipy.stats import t
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, float(t.ppf(0.975, n - 1)) * math.sqrt(var / n)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".10g")
    return str(value)


def _to_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
