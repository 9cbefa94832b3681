"""``namespaces:`` in an experiment file: every run counts per namespace and writes namespaces.csv,
the report's Leaks line names the leaking namespace, and a bad value is one line and exit 2."""
from __future__ import annotations

import csv
import json

import pytest

from evictsim.cli import main
from evictsim.experiments import expand_sweep, load_experiment, run_experiment

EXPERIMENT = """\
name: tiny_leak
workload:
  generator: namespaces
  requests: 20000
  rate: 1000
  namespaces:
    - {prefix: "session:", share: 0.5, keys: 2000, alpha: 0.6, value-size: 200, ttl: 15}
    - {prefix: "cache:", share: 0.35, keys: 3000, alpha: 1.0, value-size: 200, ttl: 20}
    - {prefix: "audit:", share: 0.15, leak: true, value-size: 400}
redis: {maxmemory: 3mb, maxmemory-policy: volatile-lru}
namespaces: NAMESPACES
plots: [namespace_memory]
"""


def _write(tmp_path, namespaces: str):
    path = tmp_path / "exp.yaml"
    path.write_text(EXPERIMENT.replace("NAMESPACES", namespaces))
    return path


def test_an_experiment_with_namespaces_writes_them_and_its_report_names_the_leak(tmp_path):
    path = _write(tmp_path, "true")
    run_experiment(path, tmp_path / "out", workers=1, progress=False)
    (run,) = expand_sweep(load_experiment(path))
    folder = tmp_path / "out" / "runs" / run.run_id
    with open(folder / "namespaces.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["namespace"] for r in rows} == {"session:", "cache:", "audit:"}
    summary = json.loads((folder / "summary.json").read_text())
    assert sum(v["keys"] for v in summary["namespaces"].values()) == summary["keys"]
    report = (tmp_path / "out" / "report.md").read_text()
    leak_line = next(line for line in report.splitlines() if line.startswith("**Leaks:**"))
    assert leak_line.startswith("**Leaks:** audit: leaks (ranked first in 1 of 1 runs)")
    assert "used_memory reaches maxmemory at" in leak_line
    leaks = json.loads((tmp_path / "out" / "leaks.json").read_text())
    assert leaks[run.run_id]["whole_run"]["namespaces"][0]["namespace"] == "audit:"
    assert (tmp_path / "out" / "plots" / "namespace_memory.png").exists()


def test_namespaces_are_part_of_the_run_hash_and_off_keeps_the_old_one(tmp_path):
    on = expand_sweep(load_experiment(_write(tmp_path, "'session:*,audit:*'")))[0]
    off = expand_sweep(load_experiment(_write(tmp_path, "false")))[0]
    assert on.namespaces == "session:*,audit:*" and off.namespaces is None
    assert on.config_hash != off.config_hash
    from evictsim.experiments.sweep import config_hash
    assert off.config_hash == config_hash(off.workload.fingerprint(), off.redis, off.seed)


@pytest.mark.parametrize("value,message", [
    ("'re:(audit'", "namespaces: expected a regular expression"),
    ("3", "namespaces: expected true, false, globs like 'sess:*,cache:*' or re:PATTERN, got 3"),
    ("''", "namespaces: expected true, false"),
])
def test_a_bad_namespaces_value_is_one_line_naming_file_and_key_and_exit_2(tmp_path, capsys, value, message):
    path = _write(tmp_path, value)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{path}:11: {message}" in err
    assert not (tmp_path / "out").exists()
