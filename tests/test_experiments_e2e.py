"""End to end, with the real engine (``evictsim.simulate``): a sweep killed with SIGKILL in the middle
resumes to the same summary.csv as an uninterrupted run; the Dask executor (on a LocalCluster) and the
local process pool give the same summary.csv; ``evictsim run`` leaves plots and a report.

summary.csv comparisons drop ``simulate_s``: it is wall-clock time, the one column that differs from
run to run. Everything else is deterministic for a given file.
"""
from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from evictsim.experiments import run_experiment
from evictsim.experiments.tables import WALL_CLOCK_COLUMNS

SWEEP = """\
redis:
  maxmemory-policy: allkeys-lru
sweep:
  redis.maxmemory-policy: [allkeys-lru, allkeys-lfu]
  redis.maxmemory: [1200kb, 1600kb]
replications: 2
report:
  target-hit-ratio: 0.6
"""


def write_trace(path: Path, n: int = 20_000, keys: int = 3_000, seed: int = 1) -> None:
    """A small Zipf-like look-aside trace with TTLs on a third of the keys."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, keys + 1) ** 0.9
    ids = rng.choice(keys, size=n, p=weights / weights.sum())
    sizes = rng.integers(50, 600, size=keys)
    ttls = np.where(rng.random(keys) < 0.33, rng.integers(1, 6, size=keys), 0)
    lines = ["time,op,key,size,ttl"]
    lines += [f"{i / 2000:.4f},GET,k{k},{sizes[k]},{ttls[k] or ''}" for i, k in enumerate(ids)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("e2e")
    write_trace(folder / "trace.csv")
    path = folder / "sweep.yaml"
    path.write_text("name: e2e\nworkload:\n  trace: trace.csv\n" + SWEEP)
    return path


@pytest.fixture(scope="module")
def reference(experiment, tmp_path_factory) -> Path:
    """An uninterrupted run, in this process, one run at a time."""
    out = tmp_path_factory.mktemp("reference")
    report = run_experiment(experiment, out, workers=1, progress=False, report=False)
    assert report.ok and report.completed == 8
    return out


def deterministic_summary(out: Path) -> str:
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    assert rows, "summary.csv is empty"
    keep = [c for c in rows[0] if c not in WALL_CLOCK_COLUMNS]
    return "\n".join(",".join(r[c] for c in keep) for r in rows)


def finished_runs(out: Path) -> int:
    return len(list(out.glob("runs/*/summary.json")))


KILLABLE_RUNNER = """
import sys, time
import evictsim
from evictsim.experiments import run_experiment

def slow_simulate(*args, **kwargs):
    time.sleep(0.3)        # widen the window so the test can kill the sweep between runs
    return evictsim.simulate(*args, **kwargs)

run_experiment(sys.argv[1], sys.argv[2], workers=1, simulate_fn=slow_simulate, progress=False, report=False)
"""


def test_sigkill_mid_sweep_then_resume_equals_uninterrupted(experiment, reference, tmp_path):
    out = tmp_path / "out"
    script = tmp_path / "runner.py"
    script.write_text(KILLABLE_RUNNER)
    proc = subprocess.Popen([sys.executable, str(script), str(experiment), str(out)])
    deadline = time.monotonic() + 120
    while finished_runs(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = finished_runs(out)
    assert 3 <= done_at_kill < 8, "the sweep must be killed in the middle"
    assert not (out / "summary.csv").exists()

    # the same command (here: the CLI) resumes, skipping what was finished
    resumed = subprocess.run([sys.executable, "-m", "evictsim", "run", str(experiment), "--out", str(out),
                              "--workers", "1", "--no-progress", "--no-report"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{8 - done_at_kill} ran, {done_at_kill} already done, 0 failed" in resumed.stdout
    assert finished_runs(out) == 8
    assert deterministic_summary(out) == deterministic_summary(reference)


def test_local_pool_matches_in_process_run(experiment, reference, tmp_path):
    report = run_experiment(experiment, tmp_path / "pool", workers=2, progress=False, report=False)
    assert report.ok and report.completed == 8
    assert deterministic_summary(tmp_path / "pool") == deterministic_summary(reference)


def test_dask_local_cluster_matches_local_pool(experiment, reference, tmp_path):
    distributed = pytest.importorskip("dask.distributed")   # the 'dask' extra; installed with 'test'
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        report = run_experiment(experiment, tmp_path / "dask", executor="dask",
                                scheduler=cluster.scheduler_address, progress=False, report=False)
    assert report.ok and report.completed == 8
    assert deterministic_summary(tmp_path / "dask") == deterministic_summary(reference)


def test_dask_without_a_scheduler_starts_its_own_local_cluster(experiment, reference, tmp_path):
    pytest.importorskip("dask.distributed")
    report = run_experiment(experiment, tmp_path / "own", executor="dask", workers=2, progress=False,
                            report=False)
    assert report.ok and report.completed == 8
    assert deterministic_summary(tmp_path / "own") == deterministic_summary(reference)


def test_cli_run_writes_plots_and_report_then_plot_redraws(experiment, reference, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "evictsim", "run", str(experiment), "--out", str(out),
                           "--workers", "1", "--no-progress"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in ("hit_ratio_over_time", "memory_over_time", "evictions_over_time",
                 "hit_ratio_vs_maxmemory", "policy_comparison"):
        for ext in ("png", "svg"):
            assert (out / "plots" / f"{name}.{ext}").stat().st_size > 1000
    report = (out / "report.md").read_text()
    assert "allkeys-lfu" in report and "allkeys-lru" in report
    assert "data:image/png;base64," in (out / "report.html").read_text()
    (out / "plots" / "memory_over_time.png").unlink()
    redraw = subprocess.run([sys.executable, "-m", "evictsim", "plot", str(out)], capture_output=True,
                            text=True, timeout=300)
    assert redraw.returncode == 0, redraw.stderr
    assert (out / "plots" / "memory_over_time.png").exists()
