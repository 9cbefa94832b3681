"""An experiment's result folder, read back for plots and reports (never re-simulating).

Reads ``experiment.resolved.json`` (sweep axes, plots, target), ``summary.csv``, ``aggregate.csv`` and
each run's ``timeseries.csv``. Groups runs into configurations (a sweep point: all its replications)
and gives each configuration the things plots need: policy, maxmemory, a label and its series.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from evictsim.errors import UserInputError
from evictsim.experiments.tables import read_csv
from evictsim.results import read_timeseries

RESOLVED_FILE = "experiment.resolved.json"
RESOLVED_AXES = ("redis.maxmemory-policy", "redis.maxmemory")   # shown as policy / maxmemory columns


@dataclass
class Configuration:
    """One sweep point and its replications' run ids."""

    point: dict[str, str]
    policy: str
    maxmemory: int
    run_ids: list[str] = field(default_factory=list)
    aggregate: dict[str, str] = field(default_factory=dict)

    def variant(self, axes: list[str]) -> str:
        """The label of the swept values other than policy and maxmemory ('' when none):
        ``expiry-mode=lazy, hz=10`` (the last part of each key path)."""
        return ", ".join(f"{a.split('.')[-1]}={self.point[a]}" for a in axes)


@dataclass
class ExperimentResults:
    out_dir: Path
    meta: dict
    summary: list[dict[str, str]]
    aggregate: list[dict[str, str]]

    @property
    def name(self) -> str:
        return self.meta.get("name", self.out_dir.name)

    @property
    def axes(self) -> list[str]:
        return list(self.meta.get("axes", self.meta.get("sweep", {})))

    @cached_property
    def configurations(self) -> list[Configuration]:
        configs: dict[tuple, Configuration] = {}
        for row in self.summary:
            point = {a: row[a] for a in self.axes}
            key = tuple(point.values()) + (row["maxmemory-policy"], row["maxmemory"])
            if key not in configs:
                configs[key] = Configuration(point, row["maxmemory-policy"], int(row["maxmemory"] or 0))
            configs[key].run_ids.append(row["run_id"])
        for agg in self.aggregate:
            key = tuple(agg[a] for a in self.axes) + (agg["maxmemory-policy"], agg["maxmemory"])
            if key in configs:
                configs[key].aggregate = agg
        return list(configs.values())

    @property
    def policies(self) -> list[str]:
        return list(dict.fromkeys(c.policy for c in self.configurations))

    @property
    def sizes(self) -> list[int]:
        return sorted({c.maxmemory for c in self.configurations})

    @property
    def variant_axes(self) -> list[str]:
        """Swept axes that vary and are neither the policy nor maxmemory (they split lines)."""
        out = []
        for axis in self.axes:
            if axis in RESOLVED_AXES:
                continue
            if len({c.point[axis] for c in self.configurations}) > 1:
                out.append(axis)
        return out

    def timeseries(self, run_id: str) -> dict[str, np.ndarray]:
        return read_timeseries(self.out_dir / "runs" / run_id / "timeseries.csv")

    def run_summary(self, run_id: str) -> dict:
        return json.loads((self.out_dir / "runs" / run_id / "summary.json").read_text())


def load_experiment_results(out_dir: str | Path) -> ExperimentResults:
    out = Path(out_dir)
    meta_path = out / RESOLVED_FILE
    if not meta_path.exists() or not (out / "summary.csv").exists():
        raise UserInputError(f"not an experiment result folder (no {RESOLVED_FILE} or summary.csv); "
                             "expected the --out folder of 'evictsim run'", source=str(out))
    meta = json.loads(meta_path.read_text())
    return ExperimentResults(out, meta, read_csv(out / "summary.csv"), read_csv(out / "aggregate.csv"))


def mean_band(series: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Mean and 95% t-band of several (time, value) series on the first one's time grid.

    Replications of one configuration can end at slightly different times; each is interpolated onto a
    common grid (the shortest run's), and NaN intervals (no GETs) are left out of the mean.
    """
    from scipy.stats import t as student_t
    shortest = min(series, key=lambda s: len(s[0]))
    grid = shortest[0]
    stack = np.vstack([np.interp(grid, tt, vv, left=np.nan, right=np.nan) if len(tt) else
                       np.full(len(grid), np.nan) for tt, vv in series])
    with np.errstate(invalid="ignore"), _quiet():
        mean = np.nanmean(stack, axis=0)
        n = np.sum(~np.isnan(stack), axis=0)
        if len(series) < 2:
            return grid, mean, None
        sd = np.nanstd(stack, axis=0, ddof=1)
        half = student_t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
        half[n < 2] = np.nan
    return grid, mean, half


class _quiet:
    """Silence NumPy's 'mean of empty slice' warnings for all-NaN columns (they are expected)."""

    def __enter__(self):
        import warnings
        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
