"""The shipped experiment files: each one validates (its whole sweep expands), reference.yaml
documents every Redis setting with its true default, and reference.yaml runs end to end with the real
engine and workload generators."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from evictsim.config import SETTING_NAMES, RedisConfig
from evictsim.experiments import expand_sweep, load_experiment, run_experiment
from evictsim.experiments.config import TOP_KEYS
from evictsim.experiments.tables import read_csv

EXAMPLES = Path(__file__).resolve().parent.parent / "experiments"
FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
REFERENCE = (EXAMPLES / "reference.yaml").read_text()


def test_the_promised_examples_exist():
    assert {"quickstart.yaml", "reference.yaml", "policy_comparison.yaml", "capacity_planning.yaml",
            "ttl_study.yaml", "traffic_doubling.yaml"} <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_example_expands(name):
    runs = expand_sweep(load_experiment(EXAMPLES / name))
    assert runs and len({r.run_id for r in runs}) == len(runs)


def test_reference_documents_every_top_level_key():
    for key in TOP_KEYS:
        assert re.search(rf"^#? ?{re.escape(key)}:", REFERENCE, re.M), key


@pytest.mark.parametrize("setting", SETTING_NAMES)
def test_reference_documents_every_redis_setting_with_its_default(setting):
    line = re.search(rf"^\s*#?\s*{re.escape(setting)}:.*$", REFERENCE, re.M)
    assert line, f"{setting} is not documented in experiments/reference.yaml"
    default = re.search(r"# default (\S+)", line.group(0))
    assert default, f"{setting}: no '# default VALUE' comment"
    documented = RedisConfig.from_mapping({setting: default.group(1)}).to_mapping()[setting]
    assert documented == RedisConfig().to_mapping()[setting], setting


def test_reference_runs_end_to_end(tmp_path):
    report = run_experiment(EXAMPLES / "reference.yaml", tmp_path, workers=1, progress=False)
    assert report.ok and report.completed == 2
    rows = read_csv(tmp_path / "summary.csv")
    assert [r["redis.maxmemory"] for r in rows] == ["2mb", "4mb"]
    assert float(rows[0]["hit_ratio"]) <= float(rows[1]["hit_ratio"])   # more memory, no fewer hits
    assert int(rows[0]["requests"]) == 20000
    assert (tmp_path / "report.html").exists()


def test_policy_study_plans_every_policy_on_the_reference_trace_without_simulating():
    from evictsim.experiments.runner import checks
    from evictsim.mrc.experiment import parse_mrc_block
    from evictsim.policies import POLICIES
    from evictsim.policies.exact import EXACT_POLICIES
    exp = load_experiment(EXAMPLES / "policy_study.yaml")
    runs = expand_sweep(exp)
    checks.check_workloads(runs)                        # the trace resolves and reads to its end
    policies = {r.redis["maxmemory-policy"] for r in runs}
    assert {"allkeys-lru", "allkeys-lfu", "allkeys-random"} | set(EXACT_POLICIES) <= policies
    assert all(p in POLICIES for p in policies)
    assert len({r.workload.to_mapping()["trace"] for r in runs}) == 1     # one trace for all
    assert len({r.redis["maxmemory"] for r in runs}) == 3                 # the same sizes for all
    block = parse_mrc_block(exp)
    assert block.options["method"] == "full" and len(block.options["sizes"]) >= 10
