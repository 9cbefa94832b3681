"""Leak detection (issue 12, acceptance 3): a leaking namespace among 3-5 healthy ones (with TTLs, with
eviction, with diurnal traffic) is ranked first in at least 19 of 20 seeds, and the time used_memory
reaches maxmemory, forecast from the first 40% of the run, is within 10% of the simulated time.

The per-namespace series come from the pure-Python oracle (:mod:`evictsim.leaks.oracle_series`); the
analysis reads only the files. The oracle's per-namespace counters must add up to its own totals.
"""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import evictsim
from evictsim.cli import main
from evictsim.config import RedisConfig
from evictsim.leaks import find_leaks
from evictsim.leaks.oracle_series import write_oracle_run
from evictsim.leaks.trend import theil_sen
from evictsim.workloads import build_workload

KINDS = ("volatile-lru", "allkeys-lru", "diurnal", "noeviction")


def _ranking_trace(seed: int):
    """Three or four healthy namespaces and one leak (``audit:``, 6-12% of the traffic, 300-B values)."""
    rng = np.random.default_rng(seed)
    spaces = [{"prefix": "session:", "share": 0.3, "keys": int(rng.integers(300, 600)), "alpha": 0.6,
               "ttl": 20, "value-size": 300},
              {"prefix": "cfg:", "share": 0.15, "keys": int(rng.integers(30, 60)), "alpha": 0.0,
               "value-size": 500},
              {"prefix": "cache:", "share": 0.35, "keys": int(rng.integers(1000, 3000)), "alpha": 1.0,
               "value-size": 200, "ttl": {"dist": "uniform", "min": 10, "max": 30}},
              {"prefix": "audit:", "share": float(rng.uniform(0.06, 0.12)), "leak": True, "value-size": 300}]
    if seed % 2:
        spaces.append({"prefix": "rank:", "share": 0.1, "keys": 40, "alpha": 0.0, "value-size": 100,
                       "ttl": 15})
    rng.shuffle(spaces)
    params = {"requests": 1500, "rate": 15, "namespaces": spaces}
    if KINDS[seed % 4] == "diurnal":
        params.update({"rate-curve": [0.5, 1.0, 1.5, 1.0], "curve-period": 20})
    return build_workload("namespaces", params, seed=seed)


def _maxmemory_at(trace, seed: int, share: float) -> int:
    """used_memory of the unlimited run at ``share`` of its duration: memory fills about then."""
    free = evictsim.simulate(trace, maxmemory=0, policy="noeviction", seed=seed)
    t = free.timeseries["time"]
    return int(free.timeseries["used_memory"][np.searchsorted(t, share * t[-1])])


def test_the_leaking_namespace_is_ranked_first_in_19_of_20_seeds(tmp_path):
    first = []
    for seed in range(20):
        trace = _ranking_trace(seed)
        policy = {"diurnal": "volatile-lru"}.get(KINDS[seed % 4], KINDS[seed % 4])
        cfg = RedisConfig(maxmemory=_maxmemory_at(trace, seed, 0.6), maxmemory_policy=policy)
        write_oracle_run(trace, cfg, tmp_path / str(seed), seed=seed)
        report = find_leaks(tmp_path / str(seed))
        first.append(report["namespaces"][0]["namespace"])
    assert sum(name == "audit:" for name in first) >= 19, first


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory):
    """A leak at 25% of 200 req/s beside three healthy namespaces; memory fills at ~75% of the run."""
    spaces = [{"prefix": "session:", "share": 0.4, "keys": 3000, "alpha": 0.6, "ttl": 15, "value-size": 300},
              {"prefix": "cfg:", "share": 0.2, "keys": 40, "alpha": 0.0, "value-size": 500},
              {"prefix": "cache:", "share": 0.3, "keys": 5000, "alpha": 0.8, "value-size": 200, "ttl": 10},
              {"prefix": "audit:", "share": 0.25, "leak": True, "value-size": 300}]
    trace = build_workload("namespaces", {"requests": 16000, "rate": 160, "namespaces": spaces}, seed=2)
    cfg = RedisConfig(maxmemory=_maxmemory_at(trace, 2, 0.75), maxmemory_policy="noeviction")
    out = tmp_path_factory.mktemp("leak")
    summary = write_oracle_run(trace, cfg, out, seed=2)
    return out, summary, trace, cfg


def test_forecast_from_the_first_40_percent_is_within_10_percent_of_the_simulated_time(leak_run):
    out, *_ = leak_run
    whole = find_leaks(out)
    assert whole["maxmemory_observed"]
    actual = whole["maxmemory_at_s"]
    early = find_leaks(out, until=0.4 * whole["until"])
    assert not early["maxmemory_observed"] and early["namespaces"][0]["namespace"] == "audit:"
    assert abs(early["maxmemory_at_s"] - actual) <= 0.1 * actual, (early["maxmemory_at_s"], actual)
    low, high = early["maxmemory_at_s_interval"]
    assert low <= early["maxmemory_at_s"] <= high
    assert early["first_oom_at_s"] == early["maxmemory_at_s"]       # noeviction: the next write fails


def test_namespace_counters_add_up_to_the_instance_and_the_kernel(leak_run):
    out, summary, *_ = leak_run
    with open(out / "namespaces.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh)]
    last_time = max(float(r["time"]) for r in rows)
    last = [r for r in rows if float(r["time"]) == last_time]
    for column, total in (("gets", "gets"), ("keyspace_hits", "keyspace_hits"), ("keys", "keys"),
                          ("evicted_keys", "evicted_keys"), ("expired_keys", "expired_keys")):
        assert sum(int(r[column]) for r in last) == summary[total], column
    assert sum(int(r["keys"]) - int(r["keys_no_ttl"]) for r in last) == summary["expires"]


def test_the_oracle_replay_is_the_instance_the_engine_simulates(leak_run):
    """Sample for sample, the oracle run behind namespaces.csv has the engine's used_memory and counters."""
    from evictsim.results import read_timeseries
    out, _, trace, cfg = leak_run
    engine = evictsim.simulate(trace, config=cfg, seed=2, start_time=1_700_000_000.0)
    oracle = read_timeseries(out / "timeseries.csv")
    for column in ("time", "used_memory", "keys", "keyspace_hits", "expired_keys", "rejected_writes"):
        assert np.array_equal(engine.timeseries[column], oracle[column]), column


def test_leaks_cli_names_the_leak_in_its_first_line_and_writes_json_and_a_plot(leak_run, capsys):
    out, *_ = leak_run
    assert main(["leaks", str(out), "--until", "40"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("leaking namespace: audit:")
    assert main(["leaks", str(out), "--json", "--no-plot"]) == 0
    report = json.loads(capsys.readouterr().out)
    rates = [s["bytes_per_s"] for s in report["namespaces"]]
    assert rates == sorted(rates, reverse=True)
    assert report["namespaces"][0]["no_ttl_fraction"] == 1.0
    assert (out / "namespaces_memory.png").exists() and (out / "leaks.json").exists()


def test_leaks_on_a_folder_without_namespaces_csv_is_a_one_line_error(tmp_path, capsys):
    assert main(["leaks", str(tmp_path)]) == 2
    assert "namespaces.csv" in capsys.readouterr().err


def test_theil_sen_recovers_a_slope_despite_outliers_and_its_interval_covers_it():
    rng = np.random.default_rng(0)
    x = np.arange(200.0)
    y = 3.0 * x + 5 + rng.normal(0, 2, 200)
    y[::10] += 500                                   # 10% gross outliers
    trend = theil_sen(x, y)
    assert abs(trend.slope - 3.0) < 0.05 and trend.low <= 3.0 <= trend.high


def test_leaks_replay_builds_the_series_of_a_trace_file_first(tmp_path, capsys):
    from evictsim.traces import write_trace
    spaces = [{"prefix": "a:", "share": 0.6, "keys": 300, "ttl": 20},
              {"prefix": "b:", "share": 0.3, "keys": 50, "alpha": 0.0},
              {"prefix": "audit:", "share": 0.1, "leak": True}]
    write_trace(build_workload("namespaces", {"requests": 1500, "rate": 15, "namespaces": spaces}, seed=3),
                tmp_path / "t.csv")
    run = tmp_path / "run"
    assert main(["leaks", str(run), "--replay", str(tmp_path / "t.csv"), "--set", "maxmemory=1300000",
                 "--set", "maxmemory-policy=volatile-lru", "--no-plot"]) == 0
    assert capsys.readouterr().out.startswith("leaking namespace: audit:")
    assert (run / "namespaces.csv").exists()
