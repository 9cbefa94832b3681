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
from evictsim.metrics.registry import ALL_COLUMNS, FLOAT_COLUMNS, TIMESERIES_COLUMNS  # noqa: F401

# One row per sample of simulated time; counters are cumulative since the start. The columns, their
# order and types are declared once, in evictsim/metrics/registry.py (TIMESERIES_COLUMNS, then the
# allocator model's ALLOCATOR_COLUMNS when a run has them).


class Summary(dict):
    """summary.json as a dict (``result.summary["hit_ratio"]``, as always); calling it,
    ``result.summary()``, gives the one-screen text of :func:`evictsim.describe.describe`."""

    timeseries: Any = None

    def __call__(self):
        from evictsim.describe import describe
        return describe(self, self.timeseries)


class TimeseriesColumns(dict):
    """The time series: column name → NumPy array (``ts["used_memory"][-1]`` as always). Anything a
    DataFrame has besides (``.plot``, ``.head()``, ``.iloc``, ``.describe()``) is the DataFrame's, with
    pandas installed (``pip install evictsim[pandas]``); ``to_arrow()`` works without it."""

    def to_pandas(self):
        import pandas as pd
        return pd.DataFrame({c: self[c] for c in self})

    def to_arrow(self):
        import pyarrow as pa
        return pa.table({c: self[c] for c in self})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            frame = self.to_pandas()
        except ImportError:
            raise AttributeError(f"{name} (a DataFrame attribute: install pandas, or use to_arrow())") from None
        return getattr(frame, name)

    def __repr__(self) -> str:
        n = len(next(iter(self.values()))) if self else 0
        return f"<time series: {n} rows × {len(self)} columns: {', '.join(list(self)[:6])}, ...>"

    def _repr_html_(self) -> str | None:
        try:
            return self.to_pandas()._repr_html_()
        except ImportError:
            return None


@dataclass(repr=False)
class Result:
    """What one simulation produced. ``outcomes`` holds one code per request (the reference codes of
    ``shared/reference``: 0 miss+fill, 1 hit, 2 lazy-expired miss+fill, 3/4 fill refused (OOM),
    5 SET created, 6 SET overwrote, 7 SET refused, 8/9/10 DEL live/stale/absent) when recorded."""

    summary: dict[str, Any]
    timeseries: dict[str, np.ndarray]
    outcomes: np.ndarray | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.timeseries, TimeseriesColumns):
            self.timeseries = TimeseriesColumns(self.timeseries)
        if not isinstance(self.summary, Summary):
            self.summary = Summary(self.summary)
        self.summary.timeseries = self.timeseries

    def __repr__(self) -> str:
        from evictsim.describe import one_line
        return one_line(self.summary, len(self.timeseries.get("time", ())))

    def describe(self):
        """The one-screen text: steady-state hit ratio, ceiling, cold misses, counters, memory."""
        return self.summary()

    @property
    def frame(self):
        """The time series as a pandas DataFrame, or an Arrow table without pandas."""
        try:
            return self.timeseries.to_pandas()
        except ImportError:
            return self.timeseries.to_arrow()

    def info(self, at: float | None = None, section: str = "all") -> str:
        """What Redis ``INFO [section]`` would print at simulated time ``at`` (default: the last
        sample), in Redis's text format: see :mod:`evictsim.views.info`."""
        from evictsim.views.info import info_text
        return info_text(self, at=at, section=section)

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
        if "namespaces" in self.extras:
            atomic.write_text(out / "namespaces.csv", namespaces_to_csv(self.extras["namespaces"]))
        if parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq
            table = pa.table({c: self.timeseries[c] for c in ALL_COLUMNS if c in self.timeseries})
            with atomic.atomic_path(out / "timeseries.parquet") as tmp:
                pq.write_table(table, tmp)
        atomic.write_json(out / "summary.json", self.summary)

    def to_frame(self):  # pragma: no cover - convenience for notebooks with pandas installed
        import pandas as pd
        return pd.DataFrame({c: self.timeseries[c] for c in ALL_COLUMNS if c in self.timeseries})


def _fmt(col: str, v: Any) -> str:
    if col in FLOAT_COLUMNS:
        return "" if not np.isfinite(v) else repr(round(float(v), 9))
    return str(int(v))


def namespaces_to_csv(rows: dict[str, np.ndarray]) -> str:
    """namespaces.csv: one row per sample per namespace (the columns ``evictsim leaks`` reads)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    names = list(rows)
    writer.writerow(names)
    for i in range(len(rows["time"])):
        writer.writerow([repr(round(float(rows[c][i]), 9)) if c == "time" else
                         (str(rows[c][i]) if c == "namespace" else int(rows[c][i])) for c in names])
    return buf.getvalue()


def timeseries_to_csv(ts: dict[str, np.ndarray]) -> str:
    buf = io.StringIO()
    names = [c for c in ALL_COLUMNS if c in ts]     # a run read back from an older evictsim
    buf.write(",".join(names) + "\n")
    n = len(ts["time"])
    cols = [ts[c] for c in names]
    for i in range(n):
        buf.write(",".join(_fmt(c, col[i]) for c, col in zip(names, cols)) + "\n")
    return buf.getvalue()


def read_timeseries(path: str | Path) -> dict[str, np.ndarray]:
    """The columns the file has, in its order (a run from an older evictsim lacks the newer ones), each
    typed as the metric registry declares it; a column the registry does not know is read as float."""
    from evictsim.metrics.registry import BY_NAME

    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = list(reader.fieldnames or ())
    out: dict[str, np.ndarray] = {}
    for c in header:
        if c in FLOAT_COLUMNS or c not in BY_NAME or BY_NAME[c].dtype == "float":
            out[c] = np.array([float(r[c]) if r[c] != "" else np.nan for r in rows], dtype=np.float64)
        else:
            out[c] = np.array([int(r[c]) for r in rows], dtype=np.int64)
    return out


def load_result(run_dir: str | Path) -> Result:
    """Read back what :meth:`Result.write` wrote (for plots and reports)."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    return Result(summary=summary, timeseries=read_timeseries(run_dir / "timeseries.csv"))
