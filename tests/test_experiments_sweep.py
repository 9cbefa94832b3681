"""Sweep expansion is a pure function of the experiment file: a table of cases, plus invariants."""
from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from evictsim.experiments import derive_seed, expand_sweep
from evictsim.experiments.config import parse_experiment
from evictsim.experiments.sweep import apply_point
from evictsim.experiments.yamlfile import parse_yaml

TRACE = Path(__file__).parent / "data" / "experiments" / "tiny.csv"


def experiment(text: str, source: str = "exp.yaml"):
    text = f"workload:\n  trace: {TRACE}\n" + text
    return parse_experiment(parse_yaml(text, source=source), Path(source))


def points(runs):
    return [(dict(r.point), r.replication) for r in runs]


# (yaml after the workload section, expected [(point, replication)], expected redis values per run)
TABLE = [
    ("", [({}, 0)], [{}]),
    ("replications: 3\n", [({}, 0), ({}, 1), ({}, 2)], [{}] * 3),
    ("sweep:\n  redis.maxmemory: [1mb, 2mb]\n",
     [({"redis.maxmemory": "1mb"}, 0), ({"redis.maxmemory": "2mb"}, 0)],
     [{"maxmemory": 1 << 20}, {"maxmemory": 2 << 20}]),
    # the last axis varies fastest, replications innermost
    ("replications: 2\nsweep:\n  redis.maxmemory-policy: [allkeys-lru, allkeys-lfu]\n  redis.hz: [10, 20]\n",
     [({"redis.maxmemory-policy": p, "redis.hz": h}, r)
      for p in ("allkeys-lru", "allkeys-lfu") for h in ("10", "20") for r in (0, 1)],
     [{"maxmemory-policy": p, "hz": int(h)} for p in ("allkeys-lru", "allkeys-lfu") for h in ("10", "20")
      for _ in (0, 1)]),
    # a sweep value overrides the base section; other base keys stay
    ("redis:\n  maxmemory: 4mb\n  hz: 50\nsweep:\n  redis.maxmemory: [8mb]\n",
     [({"redis.maxmemory": "8mb"}, 0)], [{"maxmemory": 8 << 20, "hz": 50}]),
    # a named group sets several keys together; its column holds the label
    ("sweep:\n  profile:\n    - {label: small, redis.maxmemory: 1mb, redis.hz: 10}\n"
     "    - {label: big, redis.maxmemory: 4mb, redis.hz: 100}\n",
     [({"profile": "small"}, 0), ({"profile": "big"}, 0)],
     [{"maxmemory": 1 << 20, "hz": 10}, {"maxmemory": 4 << 20, "hz": 100}]),
    # an unlabelled group value is labelled by its settings
    ("sweep:\n  g:\n    - {redis.hz: 10, redis.maxmemory-samples: 3}\n",
     [({"g": "redis.hz=10,redis.maxmemory-samples=3"}, 0)], [{"hz": 10, "maxmemory-samples": 3}]),
    # booleans are labelled the redis.conf way
    ("sweep:\n  redis.dynamic-hz: [yes, no]\n",
     [({"redis.dynamic-hz": "yes"}, 0), ({"redis.dynamic-hz": "no"}, 0)],
     [{"dynamic-hz": True}, {"dynamic-hz": False}]),
]


@pytest.mark.parametrize("text, expected_points, expected_redis", TABLE)
def test_expansion_table(text, expected_points, expected_redis):
    runs = expand_sweep(experiment(text))
    assert points(runs) == expected_points
    for run, redis in zip(runs, expected_redis):
        assert {k: run.redis[k] for k in redis} == redis
    assert [r.index for r in runs] == list(range(len(runs)))


def test_workload_settings_apply_to_nested_keys_and_groups():
    exp = experiment("")
    exp = dataclasses.replace(exp, workload={"generator": "zipf", "keys": 10,
                                             "value-size": {"dist": "fixed", "size": 100}})
    sweep = experiment("sweep:\n  workload.value-size.size: [200]\n"
                       "  traffic:\n    - {label: x2, workload.keys: 20, workload.rate: 5}\n").sweep
    combo = tuple(axis.values[0] for axis in sweep)
    workload, redis, lines = apply_point(exp, combo)
    assert workload == {"generator": "zipf", "keys": 20, "rate": 5, "value-size": {"dist": "fixed", "size": 200}}
    assert exp.workload["value-size"]["size"] == 100      # the base section is not mutated
    assert lines[("workload", "keys")] == 6     # the line of the group value


def test_seeds_are_shared_across_configurations_and_differ_across_replications():
    runs = expand_sweep(experiment("replications: 3\nseed: 11\nsweep:\n  redis.hz: [10, 20, 30]\n"))
    by_rep = {}
    for run in runs:
        by_rep.setdefault(run.replication, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())
    assert len({next(iter(s)) for s in by_rep.values()}) == 3
    assert runs[0].seed == derive_seed(11, 0) != derive_seed(12, 0)


def test_changing_one_value_changes_only_its_runs():
    before = expand_sweep(experiment("replications: 2\nsweep:\n  redis.hz: [10, 20, 30]\n"))
    after = expand_sweep(experiment("replications: 2\nsweep:\n  redis.hz: [10, 25, 30]\n"))
    changed = [a.run_id != b.run_id for a, b in zip(before, after)]
    assert changed == [False, False, True, True, False, False]
    assert before[2].config_hash != after[2].config_hash


def test_same_file_expands_identically():
    text = "replications: 2\nsweep:\n  redis.maxmemory: [1mb, 2mb]\n"
    assert expand_sweep(experiment(text)) == expand_sweep(experiment(text))


REDIS_AXES = {
    "redis.maxmemory": st.lists(st.integers(1, 64).map(lambda n: f"{n}mb"), min_size=1, max_size=3, unique=True),
    "redis.hz": st.lists(st.integers(1, 500), min_size=1, max_size=3, unique=True),
    "redis.maxmemory-samples": st.lists(st.integers(1, 64), min_size=1, max_size=3, unique=True),
    "redis.maxmemory-policy": st.lists(st.sampled_from(["allkeys-lru", "allkeys-lfu", "volatile-ttl"]),
                                       min_size=1, max_size=3, unique=True),
}


@settings(max_examples=40, deadline=None)
@given(axes=st.dictionaries(st.sampled_from(sorted(REDIS_AXES)), st.just(None), max_size=4).flatmap(
    lambda keys: st.fixed_dictionaries({k: REDIS_AXES[k] for k in keys})), reps=st.integers(1, 3))
def test_expansion_is_the_cartesian_product(axes, reps):
    lines = "".join(f"  {k}: [{', '.join(map(str, v))}]\n" for k, v in axes.items())
    runs = expand_sweep(experiment(f"replications: {reps}\n" + (f"sweep:\n{lines}" if axes else "")))
    product = list(itertools.product(*[[str(x) for x in v] for v in axes.values()]))
    assert len(runs) == len(product) * reps
    assert len({r.run_id for r in runs}) == len(runs)
    assert [tuple(label for _, label in r.point) for r in runs[::reps]] == product
    for run in runs:                      # every run resolves exactly the values of its point
        for key, label in run.point:
            value = run.redis[key.removeprefix("redis.")]
            assert str(value) == label or value == int(label[:-2]) << 20
