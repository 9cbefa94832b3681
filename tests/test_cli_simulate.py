"""``evictsim simulate``: outputs, determinism, and one-line errors with exit 2 (issue 3, 6–7)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import evictsim
from evictsim.results import TIMESERIES_COLUMNS, load_result

TRACE = Path(__file__).parent / "data" / "reference" / "traces" / "zipf_ttl.csv.gz"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evictsim", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def small_trace(tmp_path_factory) -> Path:
    """The first 50,000 lines of the reference zipf_ttl trace."""
    import gzip
    path = tmp_path_factory.mktemp("trace") / "small.csv"
    with gzip.open(TRACE, "rt") as src, open(path, "w") as dst:
        for i, line in enumerate(src):
            if i > 50_000:
                break
            dst.write(line)
    return path


def test_outputs_and_python_api_agree(small_trace, tmp_path):
    out = tmp_path / "run"
    proc = cli("simulate", "--trace", str(small_trace), "--maxmemory", "4mb", "--maxmemory-policy",
               "allkeys-lfu", "--set", "maxmemory-samples=10", "--start-time", "1795551480.5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} == {"summary.json", "timeseries.csv", "memory.png",
                                               "hit_ratio.png"}
    summary = json.loads((out / "summary.json").read_text())
    for key in ("requests", "gets", "get_hits", "hit_ratio", "keyspace_hits", "keyspace_misses",
                "evicted_keys", "expired_keys", "expired_keys_lazy", "expired_keys_active",
                "rejected_writes", "used_memory", "used_memory_peak", "keys", "expires", "stale_keys",
                "timing", "config"):
        assert key in summary, key
    assert set(summary["timing"]) == {"load_s", "simulate_s", "total_s", "compile_s"}
    assert summary["config"]["maxmemory-samples"] == 10
    assert summary["requests"] == 50_000
    res = evictsim.simulate(small_trace, maxmemory="4mb", policy="allkeys-lfu", maxmemory_samples=10,
                            start_time=1795551480.5)
    for key in ("hit_ratio", "evicted_keys", "expired_keys", "used_memory"):
        assert res.summary[key] == summary[key]
    back = load_result(out)
    assert list(back.timeseries) == list(TIMESERIES_COLUMNS)
    assert back.timeseries["gets"][-1] == summary["gets"]


def test_same_seed_same_bytes(small_trace, tmp_path):
    files = []
    for name in ("a", "b"):
        out = tmp_path / name
        proc = cli("simulate", "--trace", str(small_trace), "--maxmemory", "3mb", "--maxmemory-policy",
                   "allkeys-random", "--seed", "42", "--reproducible", "--no-plots", "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        files.append(((out / "summary.json").read_bytes(), (out / "timeseries.csv").read_bytes()))
    assert files[0] == files[1]
    other = tmp_path / "c"
    cli("simulate", "--trace", str(small_trace), "--maxmemory", "3mb", "--maxmemory-policy",
        "allkeys-random", "--seed", "43", "--reproducible", "--no-plots", "--out", str(other))
    assert (other / "summary.json").read_bytes() != files[0][0]     # the seed matters


def test_without_reproducible_only_timing_differs(small_trace, tmp_path):
    summaries = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert cli("simulate", "--trace", str(small_trace), "--maxmemory", "3mb", "--maxmemory-policy",
                   "allkeys-lru", "--no-plots", "--out", str(out)).returncode == 0
        s = json.loads((out / "summary.json").read_text())
        s.pop("timing")
        summaries.append(s)
        assert (out / "timeseries.csv").read_bytes() == (tmp_path / "a" / "timeseries.csv").read_bytes()
    assert summaries[0] == summaries[1]


@pytest.mark.parametrize("args,expected", [
    (["--maxmemory", "12zz"], "--maxmemory: maxmemory: expected a size like 64mb, got '12zz'"),
    (["--maxmemory-policy", "allkeys-lrux"], "--maxmemory-policy: maxmemory-policy: expected one of"),
    (["--set", "maxmemory-sample=5"], "--set: unknown setting 'maxmemory-sample'; expected one of"),
    (["--set", "hz"], "--set: expected KEY=VALUE, got 'hz'"),
    (["--set", "lfu-log-factor=abc"], "--set: lfu-log-factor: expected an integer"),
])
def test_bad_arguments_one_line_exit_2(small_trace, tmp_path, args, expected):
    out = tmp_path / "out"
    proc = cli("simulate", "--trace", str(small_trace), *args, "--out", str(out))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_malformed_trace_line_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,op,key,size,ttl\n0.1,GET,a,100,\n0.2,GETT,b,100,\n")
    out = tmp_path / "out"
    proc = cli("simulate", "--trace", str(bad), "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru",
               "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and f"{bad}:3" in line and "op" in line, line
    assert not out.exists()


def test_missing_trace_and_redis_conf(tmp_path):
    proc = cli("simulate", "--trace", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "nope.csv: no such trace file" in proc.stderr
    conf = tmp_path / "redis.conf"
    conf.write_text("port 6379\nmaxmemory 10mb\nmaxmemory-policy allkeys-lfu\nhz 1000\n")
    proc = cli("simulate", "--trace", str(TRACE), "--config", str(conf), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and f"{conf}:4: hz: expected an integer in [1, 500], got 1000" in proc.stderr


def test_redis_conf_is_read_and_unknown_directives_noted(small_trace, tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("# a real redis.conf\nport 6379\nsave \"\"\nmaxmemory 2mb\nmaxmemory-policy allkeys-lru\n"
                    "maxmemory-samples 7\n")
    out = tmp_path / "o"
    proc = cli("simulate", "--trace", str(small_trace), "--config", str(conf), "--no-plots", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "ignored 2 directive(s)" in proc.stderr and "port" in proc.stderr
    cfg = json.loads((out / "summary.json").read_text())["config"]
    assert (cfg["maxmemory"], cfg["maxmemory-policy"], cfg["maxmemory-samples"]) == (2 * 1024 * 1024,
                                                                                       "allkeys-lru", 7)
