"""Per-configuration figures the report answers with, read from each run's ``summary.json`` and
``timeseries.csv``: the steady-state hit ratio (the default answer), the no-limit ceiling over the same
window and over the whole run, cold misses, and stale memory (mean and peak over time).

A ``report: warmup: 30s`` in the experiment file re-reads the steady state after that time from the
files (:func:`evictsim.steady_state.resteady`); runs written before evictsim knew the steady state fall
back to the whole-run hit ratio, and :func:`answer_metric` says which one was used.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from evictsim.experiments.tables import mean_ci95
from evictsim.report.data import Configuration, ExperimentResults

STEADY = "steady_hit_ratio"


def warmup_of(results: ExperimentResults) -> float | None:
    """``report.warmup`` of the experiment file copied into the result folder (None: detected)."""
    return _warmup(str(results.out_dir / "experiment.yaml"))


@lru_cache(maxsize=32)
def _warmup(path: str) -> float | None:
    try:
        import yaml
        with open(path) as fh:
            doc = yaml.safe_load(fh) or {}
        value = (doc.get("report") or {}).get("warmup")
    except (OSError, ValueError, AttributeError, ImportError):
        return None
    if value is None:
        return None
    from evictsim.steady_state import parse_duration
    return parse_duration(value)


def run_figures(results: ExperimentResults, run_id: str) -> dict:
    """The report's figures of one run (cached per folder and run)."""
    cache = results.__dict__.setdefault("_figures", {})
    if run_id not in cache:
        cache[run_id] = _figures(results, run_id)
    return cache[run_id]


def _figures(results: ExperimentResults, run_id: str) -> dict:
    summary = results.run_summary(run_id)
    ts = results.timeseries(run_id)
    out = {k: summary.get(k) for k in ("hit_ratio", STEADY, "steady_ceiling_hit_ratio", "ceiling_hit_ratio",
                                        "cold_misses", "warmup_s", "warmup_reason")}
    warmup = warmup_of(results)
    if warmup is not None and "ceiling_get_hits" in summary:
        from evictsim.steady_state import resteady
        out.update(resteady(summary, ts, warmup))
    stale = np.asarray(ts.get("stale_bytes", []), np.float64)
    out["stale_mean"] = float(stale.mean()) if len(stale) else None
    out["stale_peak"] = float(stale.max()) if len(stale) else None
    return out


def figure(results: ExperimentResults, config: Configuration, name: str) -> tuple[float, float]:
    """Mean and 95% CI half-width (0 with one replication) of ``name`` over the replications."""
    values = [v for v in (run_figures(results, r).get(name) for r in config.run_ids) if v is not None]
    mean, half = mean_ci95([float(v) for v in values])
    return (np.nan if mean is None else mean), (half or 0.0)


def answer_metric(results: ExperimentResults) -> str:
    """``steady_hit_ratio`` when every run has it, else ``hit_ratio`` (runs from an older evictsim)."""
    for config in results.configurations:
        for run_id in config.run_ids:
            if run_figures(results, run_id).get(STEADY) is None:
                return "hit_ratio"
    return STEADY


def ceiling(results: ExperimentResults, configs: list[Configuration] | None = None) -> tuple[float | None, float | None]:
    """(steady-window ceiling, whole-run ceiling): the best any maxmemory could reach, as the runs saw it
    (the highest over configurations: later warm-ups leave fewer first references in the window)."""
    configs = results.configurations if configs is None else configs
    steady = [figure(results, c, "steady_ceiling_hit_ratio")[0] for c in configs]
    whole = [figure(results, c, "ceiling_hit_ratio")[0] for c in configs]
    steady = [v for v in steady if np.isfinite(v)]
    whole = [v for v in whole if np.isfinite(v)]
    return (max(steady) if steady else None), (max(whole) if whole else None)
