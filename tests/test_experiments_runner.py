"""The runner's bookkeeping, with a tiny stand-in for the engine (injected ``simulate_fn``): tables,
confidence intervals, resume, partial reruns and failures. End-to-end runs with the real engine are
in test_experiments_e2e.py."""
from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evictsim.experiments import expand_sweep, load_experiment, run_experiment
from evictsim.experiments.tables import read_csv
from evictsim.results import TIMESERIES_COLUMNS, Result

TRACE = Path(__file__).parent / "data" / "experiments" / "tiny.csv"
CALLS: list[int] = []


def fake_simulate(trace, config=None, seed=0, **_):
    """Deterministic in (config, seed); hit ratio grows with maxmemory, LFU a bit above LRU."""
    CALLS.append(seed)
    mm, policy = int(config["maxmemory"]), config["maxmemory-policy"]
    if config["hz"] == 13:
        raise RuntimeError("engine exploded")
    rng = np.random.default_rng([seed, mm])
    n = 6
    ts = {c: np.arange(n, dtype=np.int64) * 10 for c in TIMESERIES_COLUMNS}
    ts["time"] = np.arange(1, n + 1, dtype=float)
    ratio = min(1.0, 1 - math.exp(-mm / (2 << 20)) + (0.03 if policy == "allkeys-lfu" else 0)
                + rng.normal(0, 0.01))
    ts["hit_ratio_interval"] = np.full(n, ratio)
    ts["used_memory"] = np.full(n, mm, dtype=np.int64)
    summary = {"requests": 1000, "gets": 1000, "get_hits": round(ratio * 1000), "hit_ratio": ratio,
               "keyspace_hits": round(ratio * 1000), "keyspace_misses": 1000 - round(ratio * 1000),
               "evicted_keys": int(rng.integers(0, 100)), "expired_keys": 0, "rejected_writes": 0,
               "used_memory": mm, "used_memory_peak": mm, "stale_bytes": 0,
               "timing": {"load_s": 0.0, "simulate_s": 0.001, "total_s": 0.001},
               "config": dict(config), "seed": seed, "trace": {"name": "tiny", "fill": "look-aside"}}
    return Result(summary=summary, timeseries=ts)


def write_experiment(folder: Path, sweep: str, reps: int = 3) -> Path:
    path = folder / "exp.yaml"
    path.write_text(f"name: t\nworkload:\n  trace: {TRACE}\nredis:\n  maxmemory-policy: allkeys-lru\n"
                    f"replications: {reps}\nsweep:\n{sweep}")
    return path


SWEEP = "  redis.maxmemory-policy: [allkeys-lru, allkeys-lfu]\n  redis.maxmemory: [1mb, 2mb, 4mb]\n"


def run(path: Path, out: Path, **kw):
    kw.setdefault("report", False)
    return run_experiment(path, out, workers=1, simulate_fn=fake_simulate, progress=False, **kw)


@pytest.fixture
def swept(tmp_path):
    path = write_experiment(tmp_path, SWEEP)
    out = tmp_path / "out"
    return path, out, run(path, out)


def test_tables_have_a_row_per_run_and_per_configuration(swept):
    path, out, report = swept
    rows = read_csv(out / "summary.csv")
    assert report.completed == len(rows) == 18 and report.ok
    assert [r["run_id"] for r in rows] == [s.run_id for s in expand_sweep(load_experiment(path))]
    assert list(rows[0])[:4] == ["run_id", "redis.maxmemory-policy", "redis.maxmemory", "replication"]
    for row in rows:
        assert (out / "runs" / row["run_id"] / "summary.json").exists()
        assert (out / "runs" / row["run_id"] / "run.json").exists()
    assert (out / "experiment.resolved.json").exists()
    assert len(read_csv(out / "aggregate.csv")) == 6


def test_aggregate_is_the_t_interval_over_replications(swept):
    _, out, _ = swept
    rows = read_csv(out / "summary.csv")
    for agg in read_csv(out / "aggregate.csv"):
        members = [float(r["hit_ratio"]) for r in rows if r["redis.maxmemory-policy"] == agg["redis.maxmemory-policy"]
                   and r["redis.maxmemory"] == agg["redis.maxmemory"]]
        assert int(agg["replications"]) == len(members) == 3
        mean = statistics.fmean(members)
        low, high = stats.t.interval(0.95, len(members) - 1, loc=mean, scale=stats.sem(members))
        assert float(agg["hit_ratio_mean"]) == pytest.approx(mean, rel=1e-9)
        assert float(agg["hit_ratio_ci95"]) == pytest.approx((high - low) / 2, rel=1e-8)


def test_rerun_skips_everything_and_rewrites_the_same_bytes(swept):
    path, out, _ = swept
    before = (out / "summary.csv").read_bytes(), (out / "aggregate.csv").read_bytes()
    CALLS.clear()
    report = run(path, out)
    assert report.skipped == 18 and report.completed == 0 and CALLS == []
    assert ((out / "summary.csv").read_bytes(), (out / "aggregate.csv").read_bytes()) == before


def test_unfinished_runs_rerun_and_leftover_temp_files_do_not_count(swept):
    path, out, _ = swept
    rows = read_csv(out / "summary.csv")
    before = (out / "summary.csv").read_bytes()
    for row in rows[:2]:
        summary = out / "runs" / row["run_id"] / "summary.json"
        summary.rename(summary.with_name(".summary.json.x1.tmp"))     # as a kill mid-write leaves it
    (out / "runs" / rows[2]["run_id"] / "summary.json").write_text('{"trunc')
    report = run(path, out)
    assert report.completed == 3 and report.skipped == 15
    assert (out / "summary.csv").read_bytes() == before


def test_changing_a_value_reruns_only_what_it_changes(swept, tmp_path):
    path, out, _ = swept
    write_experiment(tmp_path, SWEEP.replace("4mb", "8mb"))
    report = run(path, out)
    assert report.completed == 6 and report.skipped == 12
    assert {r["redis.maxmemory"] for r in read_csv(out / "summary.csv")} == {"1mb", "2mb", "8mb"}


def test_a_failing_run_is_reported_and_the_others_finish(tmp_path):
    path = write_experiment(tmp_path, "  redis.hz: [10, 13]\n", reps=2)
    out = tmp_path / "out"
    report = run(path, out)
    assert report.completed == 2 and len(report.failed) == 2 and not report.ok
    assert all("engine exploded" in f.error for f in report.failed)
    assert all((out / "runs" / f.spec.run_id / "error.txt").exists() for f in report.failed)
    assert [r["redis.hz"] for r in read_csv(out / "summary.csv")] == ["10", "10"]


def test_same_file_gives_same_summary_bytes(tmp_path):
    # simulate_s is wall clock in real runs; the fake reports a constant, so whole files compare here
    path = write_experiment(tmp_path, SWEEP, reps=2)
    run(path, tmp_path / "a")
    run(path, tmp_path / "b")
    for name in ("summary.csv", "aggregate.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_unknown_executor_is_a_user_error(tmp_path):
    from evictsim.errors import UserInputError
    path = write_experiment(tmp_path, SWEEP)
    with pytest.raises(UserInputError, match="unknown executor 'slurm'"):
        run(path, tmp_path / "out", executor="slurm")


def test_parquet_time_series_beside_the_csv(tmp_path):
    import pyarrow.parquet as pq
    from evictsim.results import read_timeseries
    path = write_experiment(tmp_path, "  redis.hz: [10]\n", reps=1)
    path.write_text(path.read_text() + "output:\n  timeseries: parquet\n")
    run(path, tmp_path / "out")
    (run_dir,) = (tmp_path / "out" / "runs").iterdir()
    table = pq.read_table(run_dir / "timeseries.parquet").to_pydict()
    csv_series = read_timeseries(run_dir / "timeseries.csv")
    assert table["used_memory"] == csv_series["used_memory"].tolist()
