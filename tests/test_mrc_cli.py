"""``evictsim mrc``: the files it writes, the choice ``auto`` reports, and one-line errors (exit 2)."""
from __future__ import annotations

import csv
import json

import pytest

from evictsim.cli import main
from evictsim.workloads import build_workload

REF_COLUMNS = {"maxmemory", "hit_ratio", "miss_ratio", "byte_hit_ratio", "method", "sample_rate"}


@pytest.fixture(scope="module")
def trace_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("mrc") / "zipf.csv.gz"
    assert main(["trace", "generate", "zipf", "--set", "keys=3000", "--set", "requests=40000",
                 "--seed", "3", str(path)]) == 0
    return str(path)


def test_mrc_writes_csv_png_and_summary_and_says_what_auto_chose(trace_path, tmp_path, capsys):
    out = tmp_path / "curve"
    assert main(["mrc", "--trace", trace_path, "--maxmemory-policy", "allkeys-lru", "--points", "6",
                 "--target", "0.6", "--seed", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "mrc: minisim" in err and "sample rate" in err
    rows = list(csv.DictReader(open(out / "mrc.csv")))
    assert len(rows) == 6 and REF_COLUMNS <= set(rows[0])
    ratios = [float(r["hit_ratio"]) for r in rows]
    assert all(0 < h < 1 for h in ratios) and ratios[-1] > ratios[0]
    assert all(float(r["miss_ratio"]) == pytest.approx(1 - float(r["hit_ratio"]), abs=2e-6) for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "minisim" and "not exact LRU" in summary["method_reason"]
    assert summary["no_limit_hit_ratio"] >= max(ratios) - 1e-9
    assert (out / "mrc.png").stat().st_size > 10_000


def test_explicit_sizes_and_shards(trace_path, tmp_path):
    out = tmp_path / "curve"
    assert main(["mrc", "--trace", trace_path, "--maxmemory-policy", "allkeys-lru", "--sizes", "1mb,2mb,3mb",
                 "--method", "shards", "--sample-rate", "0.5", "--out", str(out), "--no-plots"]) == 0
    rows = list(csv.DictReader(open(out / "mrc.csv")))
    assert [int(r["maxmemory"]) for r in rows] == [1 << 20, 2 << 20, 3 << 20]
    assert {r["method"] for r in rows} == {"shards"} and {float(r["sample_rate"]) for r in rows} == {0.5}
    assert not (out / "mrc.png").exists()


@pytest.mark.parametrize("args,expected", [
    (["--sizes", "8mb,lots"], "--sizes: expected a size like 64mb, got 'lots'"),
    (["--sizes", "8mb,,16mb"], "--sizes: expected a comma-separated list of sizes"),
    (["--points", "5", "--sample-rate", "0"], "--sample-rate: expected a sampling rate in (0, 1], got 0.0"),
    (["--points", "5", "--sample-rate", "1.5"], "--sample-rate: expected a sampling rate in (0, 1], got 1.5"),
    (["--points", "1"], "--points: expected a number of points in [2, 10000], got 1"),
    (["--points", "5", "--method", "magic"], "--method: expected one of auto, shards, minisim, full"),
    (["--points", "5", "--target", "1.5"], "--target: expected a hit ratio in (0, 1)"),
])
def test_bad_input_is_one_line_and_exit_2(trace_path, tmp_path, capsys, args, expected):
    out = tmp_path / "never"
    code = main(["mrc", "--trace", trace_path, "--maxmemory-policy", "allkeys-lru", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_unknown_policy_lists_the_valid_ones(trace_path, tmp_path, capsys):
    code = main(["mrc", "--trace", trace_path, "--maxmemory-policy", "nope", "--points", "4",
                 "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "allkeys-lru" in err and len(err.strip().splitlines()) == 1


def test_the_api_returns_the_table(trace_path):
    import evictsim
    curve = evictsim.mrc(trace_path, policy="allkeys-lfu", sizes=["1mb", "2mb"], sample_rate=1.0)
    assert list(curve.table["maxmemory"]) == [1 << 20, 2 << 20]
    full = [evictsim.simulate(trace_path, maxmemory=m, policy="allkeys-lfu").hit_ratio for m in (1 << 20, 2 << 20)]
    assert list(curve.hit_ratio) == pytest.approx(full, abs=1e-12)     # rate 1: the simulator itself
