"""Run a whole experiment: expand and validate the sweep, run what is not done yet, write the tables,
then draw the plots and the report from the files just written.

Resume: a run is done when ``runs/<run-id>/summary.json`` exists (it is written last, atomically) and
``run.json`` beside it holds the same config hash. Rerunning the same command after Ctrl-C or
``kill -9`` therefore skips finished runs, reruns only the unfinished ones, and a changed parameter
reruns only the runs whose resolved configuration it changes.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from evictsim import atomic
from evictsim.experiments import checks
from evictsim.experiments.config import Experiment, load_experiment
from evictsim.experiments.executors import EXECUTORS, RunOutcome, SimulateFn
from evictsim.experiments.progress import SweepProgress
from evictsim.experiments.sweep import RunSpec, expand_sweep, resolved_experiment, sweep_summary
from evictsim.experiments.tables import summary_row, write_aggregate_csv, write_summary_csv

RESOLVED_FILE = "experiment.resolved.json"


@dataclass
class SweepReport:
    """What a call to :func:`run_experiment` did."""

    out_dir: Path
    runs: list[RunSpec]
    skipped: int = 0
    completed: int = 0
    failed: list[RunOutcome] = field(default_factory=list)
    wall_s: float = 0.0
    worker_s: float = 0.0        # sum over executed runs of the worker's wall time
    simulate_s: float = 0.0      # sum over executed runs of the engine's own total_s

    @property
    def ok(self) -> bool:
        return not self.failed


def default_out_dir(exp: Experiment) -> Path:
    return Path("results") / exp.name


def run_experiment(experiment: Experiment | str | Path, out_dir: str | Path | None = None, *,
                   workers: int | None = None, executor: str = "local", scheduler: str | None = None,
                   simulate_fn: SimulateFn | None = None, progress: bool = True,
                   report: bool = True, allow_long_span: bool = False) -> SweepReport:
    """Run every unfinished run of ``experiment`` and (re)write its tables, plots and report.

    Everything that can be checked is checked before the first file is written: the sweep points
    (:func:`expand_sweep`), the output folder, the executor and its scheduler, and every trace read
    once to its end (:mod:`evictsim.experiments.checks`)."""
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    run_all = EXECUTORS.get(executor, source="--executor")
    runs = expand_sweep(exp)                       # validates every sweep point
    out = Path(out_dir) if out_dir is not None else default_out_dir(exp)
    checks.check_output_folder(out)
    checks.check_executor(executor, scheduler)
    checks.check_workloads(runs, allow_long_span=allow_long_span)
    from evictsim.mrc.experiment import parse_mrc_block, run_mrc_block
    mrc_block = parse_mrc_block(exp)               # the mrc: block, checked before the first run
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_json(out / RESOLVED_FILE, resolved_experiment(exp, runs))
    atomic.write_text(out / "experiment.yaml", Path(exp.source).read_text())

    todo = [r for r in runs if not is_done(out, r)]
    outcome = SweepReport(out, runs, skipped=len(runs) - len(todo))
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    bar = SweepProgress(exp.name, total=len(runs), initial=outcome.skipped, workers=n_workers,
                        enabled=progress)
    start = time.perf_counter()
    try:
        for result in run_all(_submission_order(todo), n_workers, simulate_fn, scheduler):
            _record(out, result, exp.timeseries_format, outcome)
            bar.update(failed=bool(result.error))
    finally:
        bar.close()
        outcome.wall_s = time.perf_counter() - start
    write_tables(out, exp, runs)
    if mrc_block is not None:
        run_mrc_block(mrc_block, runs, out)
    if report:
        from evictsim.report import build_report
        build_report(out)
    return outcome


def is_done(out: Path, spec: RunSpec) -> bool:
    run_dir = out / "runs" / spec.run_id
    try:
        meta = json.loads((run_dir / "run.json").read_text())
        json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    return meta.get("config_hash") == spec.config_hash


def _submission_order(todo: list[RunSpec]) -> list[RunSpec]:
    # Runs sharing a workload and seed run back to back so a worker's trace cache can serve them.
    return sorted(todo, key=lambda r: (r.replication, json.dumps(r.workload.to_mapping(), sort_keys=True,
                                                                 default=str), r.index))


def _record(out: Path, result: RunOutcome, timeseries_format: str, report: SweepReport) -> None:
    """Write one finished run's folder: run.json, the time series, and summary.json last."""
    run_dir = out / "runs" / result.spec.run_id
    report.worker_s += result.wall_s
    if result.error is not None:
        report.failed.append(result)
        text = result.error + "\n" + (result.details or "")
        atomic.write_text(run_dir / "error.txt", text)
        return
    (run_dir / "error.txt").unlink(missing_ok=True)
    atomic.write_json(run_dir / "run.json", result.spec.resolved())
    result.result.write(run_dir, parquet=timeseries_format == "parquet")
    report.completed += 1
    report.simulate_s += float(result.result.summary.get("timing", {}).get("total_s", 0.0))


def write_tables(out: Path, exp: Experiment, runs: list[RunSpec]) -> None:
    """summary.csv and aggregate.csv from the finished run folders, in expansion order."""
    rows = []
    for spec in runs:
        path = out / "runs" / spec.run_id / "summary.json"
        if is_done(out, spec):
            summary = json.loads(path.read_text())
            rows.append(summary_row(spec.run_id, spec.point, spec.replication, spec.seed, summary))
    axis_names = [axis.name for axis in exp.sweep]
    write_summary_csv(out / "summary.csv", axis_names, rows)
    write_aggregate_csv(out / "aggregate.csv", axis_names, rows)


def describe(report: SweepReport, exp_name: str) -> str:
    """The lines ``evictsim run`` prints at the end."""
    lines = [f"{exp_name}: {sweep_summary(report.runs)}: {report.completed} ran, {report.skipped} already "
             f"done, {len(report.failed)} failed in {report.wall_s:.1f} s → {report.out_dir.resolve()}"]
    for failure in report.failed[:10]:
        lines.append(f"  failed {failure.spec.run_id}: {failure.error}")
    if len(report.failed) > 10:
        lines.append(f"  ... and {len(report.failed) - 10} more (see runs/*/error.txt)")
    return "\n".join(lines)
