"""Plots and reports, built only from result files (``evictsim plot DIR`` redraws without re-running).

:func:`build_report` draws an experiment folder's plots (``plots/*.png|svg``) and writes
``report.md`` + ``report.html``; :func:`plot_run` draws a single run folder's plots.
"""
from __future__ import annotations

from pathlib import Path


def build_report(out_dir: str | Path, plots: list[str] | None = None) -> list[Path]:
    """Redraw the plots listed in the experiment (or ``plots``) and the report; return the files."""
    from evictsim.report.data import load_experiment_results
    from evictsim.report.document import write_report
    from evictsim.report.registry import PLOTS

    results = load_experiment_results(out_dir)
    names = plots or results.meta.get("plots") or PLOTS.default_names()
    paths: list[Path] = []
    if results.summary:
        for name in names:
            paths += PLOTS.get(name, source=str(out_dir), key="plots")(results, results.out_dir / "plots")
    return paths + write_report(results, paths)


def plot_run(run_dir: str | Path) -> list[Path]:
    """``memory.png`` and ``hit_ratio.png`` of one run folder (see :mod:`evictsim.report.run_plots`)."""
    from evictsim.report.run_plots import plot_run as _plot_run
    return _plot_run(run_dir)


__all__ = ["build_report", "plot_run"]
