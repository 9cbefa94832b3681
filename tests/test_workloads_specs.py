"""The shipped workload specs and sample traces, ``trace generate`` and its ``--set`` overrides."""
from __future__ import annotations

from pathlib import Path

import pytest

from evictsim.cli import main
from evictsim.errors import UserInputError
from evictsim.traces import open_trace
from evictsim.traces.base import RequestChunk
from evictsim.workloads import build_workload
from evictsim.workloads.spec import load_spec, parse_sets

ROOT = Path(__file__).resolve().parent.parent / "workloads"
SPECS = sorted(ROOT.glob("*.yaml"))


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EVICTSIM_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_every_shipped_spec_builds(spec):
    name, params, seed, source = load_spec(str(spec))
    trace = build_workload(name, {**params, "requests": 5000}, seed, source=source)
    assert sum(len(c) for c in trace.chunks()) == 5000


@pytest.mark.parametrize("sample,requests", [
    ("zipf-small.csv.gz", 5000), ("zipf-small.oracleGeneral.bin", 5000),
    ("ycsb-a-small.twr.gz", 3000), ("namespaces-small.monitor.gz", 1500)])
def test_sample_traces_read(sample, requests):
    trace = open_trace(ROOT / "samples" / sample)
    assert sum(len(c) for c in trace.chunks()) == requests


def test_generate_is_reproducible_and_takes_overrides(tmp_path):
    a, b = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    args = ["trace", "generate", str(ROOT / "zipf.yaml"), "--set", "requests=2000", "--set", "alpha=0.5"]
    assert main(args + [str(a)]) == 0 and main(args + [str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()                       # same seed, same bytes
    assert main(args + ["--seed", "9", str(tmp_path / "c.csv.gz")]) == 0
    assert (tmp_path / "c.csv.gz").read_bytes() != a.read_bytes()
    c = RequestChunk.concat(list(open_trace(a).chunks()))
    assert len(c) == 2000 and (c.ttl_ms > 0).any()                # the spec's TTLs are kept


def test_generate_errors_exit_2(tmp_path, capsys):
    assert main(["trace", "generate", "zipf", str(tmp_path / "x.csv"), "--set", "alpha=-3"]) == 2
    assert "workload.alpha: expected a number >= 0" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("generator: zipf\nkeys: [1, 2]\n")
    assert main(["trace", "generate", str(bad), str(tmp_path / "x.csv")]) == 2
    assert f"{bad}:2: keys: expected a positive integer" in capsys.readouterr().err
    assert main(["trace", "generate", "zipf", str(tmp_path / "x.csv"), "--set", "novalue"]) == 2


def test_parse_sets_reads_yaml_values():
    assert parse_sets(["alpha=0.8", "ttl={dist: uniform, min: 1, max: 2}", "fill=explicit"]) == {
        "alpha": 0.8, "ttl": {"dist": "uniform", "min": 1, "max": 2}, "fill": "explicit"}
    with pytest.raises(UserInputError, match="--set: expected KEY=VALUE"):
        parse_sets(["=3"])


def test_short_key_names_save_memory():
    from evictsim.traces.stats import trace_stats
    short = trace_stats(build_workload(*load_spec(str(ROOT / "namespaces-short-keys.yaml"))[:2], 1))
    long = trace_stats(build_workload(*load_spec(str(ROOT / "namespaces-long-keys.yaml"))[:2], 1))
    assert short["distinct_keys"] == long["distinct_keys"]
    assert short["working_set_bytes"] < long["working_set_bytes"]


def test_trace_workloads_lists_generators_and_parameters(capsys):
    assert main(["trace", "workloads"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ["diurnal", "hotspot", "namespaces", "scan", "shifting", "uniform", "ycsb", "zipf"]
    assert main(["trace", "workloads", "shifting"]) == 0
    out = capsys.readouterr().out
    assert "period" in out and "60.0" in out and "seconds between hot-set changes" in out
    assert main(["trace", "workloads", "zipff"]) == 2
