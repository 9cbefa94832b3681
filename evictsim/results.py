"""A finished run: its summary, its time series, and how they are written to and read from disk.

Runs write tables; plots and reports read them back with :func:`load_result` (never re-simulating).
Names follow Redis INFO (``keyspace_hits``, ``evicted_keys``, ``used_memory`` ...); ratios are derived
from counters. Files are written atomically and deterministically (same run → same bytes).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evictsim import atomic

# One row per sample of simulated time; counters are cumulative since the start.
TIMESERIES_COLUMNS = (
    "time", "requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys",
    "expired_keys", "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory",
    "used_memory_peak", "keys", "expires", "stale_keys", "stale_bytes", "hit_ratio_interval",
)
FLOAT_COLUMNS = {"time", "hit_ratio_interval"}



@dataclass
class Result:
    """What one simulation produced. ``outcomes`` holds one code per request (the reference codes of
    ``shared/reference``: 0 miss+fill, 1 hit, 2 lazy-expired miss+fill, 3/4 fill refused (OOM),
    5 SET created, 6 SET overwrote, 7 SET refused, 8/9/10 DEL live/stale/absent) when recorded."""

    summary: dict[str, Any]
    timeseries: dict[str, np.ndarray]
    outcomes: np.ndarray | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        summary = self.__dict__.get("summary", {})
        if name in summary:
            return summary[name]
        raise AttributeError(name)

    def write(self, out_dir: str | Path, *, parquet: bool = False, outcomes: bool = False) -> None:
        """Write ``timeseries.csv`` (+ ``.parquet``, ``outcomes.npy``), then ``summary.json`` last, each
        atomically: a folder with a summary.json holds a complete run."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if outcomes and self.outcomes is not None:
            with atomic.atomic_path(out / "outcomes.npy") as tmp:
                with open(tmp, "wb") as fh:
                    np.save(fh, self.outcomes)
        atomic.write_text(out / "timeseries.csv", timeseries_to_csv(self.timeseries))
        if parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq
            table = pa.table({c: self.timeseries[c] for c in TIMESERIES_COLUMNS})
            with atomic.atomic_path(out / "timeseries.parquet") as tmp:
                pq.write_table(table, tmp)
        atomic.write_json(out / "summary.json", self.summary)

    def to_frame(self):  # pragma: no cover - convenience for notebooks with pandas installed
        import pandas as pd
        return pd.DataFrame({c: self.timeseries[c] for c in TIMESERIES_COLUMNS})


def _fmt(col: str, v: Any) -> str:
    if col in FLOAT_COLUMNS:
        return "" if not np.isfinite(v) else repr(round(float(v), 9))
    return str(int(v))


def timeseries_to_csv(ts: dict[str, np.ndarray]) -> str:
    buf = io.StringIO()
    buf.write(",".join(TIMESERIES_COLUMNS) + "\n")
    n = len(ts["time"])
    cols = [ts[c] for c in TIMESERIES_COLUMNS]
    for i in range(n):
        buf.write(",".join(_fmt(c, col[i]) for c, col in zip(TIMESERIES_COLUMNS, cols)) + "\n")
    return buf.getvalue()


def read_timeseries(path: str | Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, np.ndarray] = {}
    for c in TIMESERIES_COLUMNS:
        if c in FLOAT_COLUMNS:
            out[c] = np.array([float(r[c]) if r[c] != "" else np.nan for r in rows], dtype=np.float64)
        else:
            out[c] = np.array([int(r[c]) for r in rows], dtype=np.int64)
    return out


def load_result(run_dir: str | Path) -> Result:
    """Read back what :meth:`Result.write` wrote (for plots and reports)."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    return Result(summary=summary, timeseries=read_timeseries(run_dir / "timeseries.csv"))
