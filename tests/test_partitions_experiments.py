"""The ``partitions:`` block of an experiment: swept by partition name, switched off for a shared
instance (``partitions.use``), run by the runner into ordinary run folders, validated up front."""
from __future__ import annotations

import csv
import json

import pytest

from evictsim.errors import UserInputError
from evictsim.experiments import expand_sweep, load_experiment, run_experiment

EXPERIMENT = """\
name: split_small
workload:
  generator: namespaces
  requests: 20000
  rate: 2000
  namespaces:
    - {prefix: "session:", share: 0.5, keys: 3000, alpha: 0.5, value-size: 200}
    - {prefix: "page:", share: 0.5, keys: 8000, alpha: 1.0, value-size: 300}
redis: {maxmemory: 3mb, maxmemory-policy: allkeys-lru}
partitions:
  - {name: sess, match: 'session:*', redis: {maxmemory: 1500kb, maxmemory-policy: allkeys-lfu}}
  - {name: rest, match: '*', redis: {maxmemory: 1500kb}}
sweep:
  layout:
    - {label: shared, partitions.use: false}
    - {label: split, partitions.use: true}
  partitions.sess.redis.maxmemory: [1200kb, 1800kb]
plots: [hit_ratio_over_time]
"""


def test_an_experiment_sweeps_partition_sizes_and_compares_with_a_shared_instance(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT)
    runs = expand_sweep(load_experiment(path))
    assert [r.partitions is not None for r in runs] == [False, False, True, True]
    assert runs[2].partitions[0]["redis"]["maxmemory"] == "1200kb"
    assert runs[2].config_hash != runs[3].config_hash
    run_experiment(path, tmp_path / "out", workers=1, progress=False, report=False)
    with open(tmp_path / "out" / "summary.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    split = [r for r in rows if r["layout"] == "split"]
    assert {r["maxmemory-policy"] for r in split} == {"partitioned:allkeys-lfu+allkeys-lru"}
    assert [int(r["maxmemory"]) for r in split] == [1200 * 1024 + 1500 * 1024, 1800 * 1024 + 1500 * 1024]
    folder = tmp_path / "out" / "runs" / runs[3].run_id
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["partitions"]["sess"]["maxmemory"] == 1800 * 1024
    assert (folder / "partitions" / "rest" / "timeseries.csv").exists()
    with open(folder / "timeseries.csv", newline="") as fh:
        last = list(csv.DictReader(fh))[-1]
    assert int(last["gets"]) == summary["gets"] and int(last["keyspace_hits"]) == summary["keyspace_hits"]


@pytest.mark.parametrize("change,message", [
    ("partitions.nosuch.redis.maxmemory: [1mb]", "no partition named 'nosuch'"),
    ("partitions.sess.redis.maxmemory: [12zz]", "maxmemory"),
])
def test_a_bad_partition_sweep_fails_before_the_first_run(tmp_path, change, message):
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.replace("  partitions.sess.redis.maxmemory: [1200kb, 1800kb]", "  " + change))
    with pytest.raises(UserInputError, match=message) as info:
        expand_sweep(load_experiment(path))
    assert str(info.value).startswith(str(path))
