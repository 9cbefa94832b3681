"""Read what ``evictsim leaks`` analyses: a run folder's ``namespaces.csv`` (per sample and namespace:
cumulative ``gets``, ``keyspace_hits``, ``evicted_keys``, ``expired_keys``; gauges ``keys``, ``bytes``
and, when present, ``keys_no_ttl``), its ``timeseries.csv`` (``time``, ``used_memory``,
``rejected_writes``) and ``summary.json`` (``maxmemory``, ``maxmemory_policy``). Nothing else."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evictsim.errors import UserInputError

REQUIRED = ("time", "namespace", "gets", "keyspace_hits", "keys", "bytes", "evicted_keys", "expired_keys")


@dataclass
class RunSeries:
    times: np.ndarray                              # sample times of namespaces.csv
    namespaces: dict[str, dict[str, np.ndarray]]    # name -> column -> values at ``times``
    memory_time: np.ndarray
    used_memory: np.ndarray
    rejected_writes: np.ndarray
    maxmemory: int
    policy: str


def read_run(run_dir: str | Path) -> RunSeries:
    run = Path(run_dir)
    path = run / "namespaces.csv"
    if not path.is_file():
        raise UserInputError("no namespaces.csv here (a run with per-namespace counters)", source=str(run))
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            raise UserInputError(f"expected columns {', '.join(REQUIRED)}; missing {', '.join(missing)}",
                                 source=str(path), line=1)
        rows = list(reader)
    extra = [c for c in ("keys_no_ttl",) if c in (reader.fieldnames or ())]
    by_space: dict[str, dict[float, dict]] = {}
    for line, row in enumerate(rows, 2):
        try:
            t = float(row["time"])
            values = {c: float(row[c]) for c in REQUIRED[2:] + tuple(extra)}
        except (TypeError, ValueError):
            raise UserInputError("expected numbers", source=str(path), line=line) from None
        by_space.setdefault(row["namespace"], {})[t] = values
    times = np.array(sorted({t for rows_of in by_space.values() for t in rows_of}))
    spaces = {name: {c: np.array([rows_of.get(t, {}).get(c, np.nan) for t in times])
                     for c in REQUIRED[2:] + tuple(extra)} for name, rows_of in by_space.items()}
    ts = _timeseries(run / "timeseries.csv")
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").is_file() else {}
    return RunSeries(times, spaces, ts["time"], ts["used_memory"], ts["rejected_writes"],
                     int(summary.get("maxmemory", 0) or 0), str(summary.get("maxmemory_policy", "")))


def _timeseries(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise UserInputError("no timeseries.csv beside namespaces.csv", source=str(path.parent))
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {c: np.array([float(r.get(c) or 0) for r in rows])
            for c in ("time", "used_memory", "rejected_writes")}
