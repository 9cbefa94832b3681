"""The ``mrc:`` block of an experiment file: a curve per policy of the sweep, checked before runs."""
from __future__ import annotations

import csv

import pytest

import evictsim
from evictsim.errors import UserInputError
from evictsim.experiments import run_experiment
from evictsim.workloads import build_workload

from test_experiments_runner import fake_simulate   # the runs themselves are not what is tested

EXPERIMENT = """name: curves
seed: 4
workload:
  generator: zipf
  keys: 2000
  requests: 20000
redis:
  maxmemory: 1mb
sweep:
  redis.maxmemory-policy: [allkeys-lru, allkeys-lfu]
mrc:
{block}"""


def write(tmp_path, block: str):
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.format(block=block))
    return path


def test_a_curve_per_policy_equal_to_simulations_at_rate_one(tmp_path):
    path = write(tmp_path, "  sizes: [1mb, 2mb]\n  method: minisim\n  sample-rate: 1.0\n  targets: [0.5]\n")
    out = tmp_path / "out"
    run_experiment(path, out, workers=1, simulate_fn=fake_simulate, progress=False, report=False)
    rows = list(csv.DictReader(open(out / "mrc" / "curves.csv")))
    assert sorted({r["curve"] for r in rows}) == ["allkeys-lfu", "allkeys-lru"]
    assert (out / "mrc" / "mrc.png").exists() and (out / "mrc" / "allkeys-lfu" / "mrc.png").exists()
    from evictsim.experiments.sweep import expand_sweep
    from evictsim.experiments import load_experiment
    seed = expand_sweep(load_experiment(path))[0].seed
    trace = build_workload("zipf", {"keys": 2000, "requests": 20000}, seed=seed)
    for row in rows:
        full = evictsim.simulate(trace, maxmemory=int(row["maxmemory"]), policy=row["curve"], seed=seed)
        assert float(row["hit_ratio"]) == pytest.approx(full.hit_ratio, abs=1e-6)


@pytest.mark.parametrize("block,expected", [
    ("  pionts: 5\n", "exp.yaml:12: mrc.pionts: unknown key; expected one of: points"),
    ("  points: 5\n  sample-rate: 2\n", "exp.yaml:13: mrc.sample-rate: expected a sampling rate in (0, 1]"),
    ("  sizes: [1mb, lots]\n", "exp.yaml:12: mrc.sizes: expected a size like 64mb, got 'lots'"),
])
def test_a_bad_block_is_an_error_before_any_run(tmp_path, block, expected):
    with pytest.raises(UserInputError) as info:
        run_experiment(write(tmp_path, block), tmp_path / "out", workers=1, simulate_fn=fake_simulate,
                       progress=False, report=False)
    assert expected in str(info.value)
    assert not (tmp_path / "out" / "runs").exists()
