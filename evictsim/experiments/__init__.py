"""Experiments: one YAML file → a validated sweep of simulations run in parallel, with tables,
plots and a report. ``config`` parses the file, ``sweep`` expands it, ``runner`` runs and resumes it,
``executors`` decide where runs execute (local process pool or Dask)."""
from __future__ import annotations

from evictsim.experiments.config import Experiment, load_experiment
from evictsim.experiments.runner import SweepReport, run_experiment
from evictsim.experiments.sweep import RunSpec, derive_seed, expand_sweep

__all__ = ["Experiment", "load_experiment", "expand_sweep", "RunSpec", "derive_seed", "run_experiment",
           "SweepReport"]
