"""The capacity answer is the steady-state one: it does not depend on how long the trace is (issue 13),
and it is stated with the no-limit ceiling; a target above the ceiling is said to be out of reach."""
from __future__ import annotations

import subprocess
import sys

from evictsim.api import resolve_trace
from evictsim.target_search import search_target, simulate_target

ZIPF = {"keys": 30000, "alpha": 0.9, "value-size": 100}


def answer(requests: int):
    trace = resolve_trace("zipf", {**ZIPF, "requests": requests}, 1)
    return simulate_target(trace, 0.85, {"maxmemory-policy": "allkeys-lru"}, tolerance=0.04)


def test_steady_state_answer_at_1m_and_4m_requests_within_10_percent():
    short, long = answer(1_000_000), answer(4_000_000)
    assert short.maxmemory is not None and long.maxmemory is not None
    assert abs(short.maxmemory - long.maxmemory) <= 0.10 * long.maxmemory
    # the whole-run ceilings differ (cold misses weigh 4x more in the short trace) but the answer does not
    assert short.ceiling_whole_run < long.ceiling_whole_run
    for a in (short, long):
        assert a.hit_ratio >= 0.85 and "no-limit ceiling is" in a.text()
        assert all(ratio < 0.85 for size, ratio in a.points if size < a.maxmemory)


def test_target_above_the_ceiling_is_out_of_reach_without_bisecting():
    calls = []

    def evaluate(size):
        calls.append(size)
        return {"used_memory_peak": 50 << 20, "steady_hit_ratio": 0.953, "ceiling_hit_ratio": 0.9}

    result = search_target(evaluate, 0.99, policy="allkeys-lru", baseline=1 << 20)
    assert calls == [0] and result.maxmemory is None
    assert result.text().startswith("no maxmemory reaches 99%: even unlimited memory gives 95.3%")


def test_bisection_finds_the_smallest_size_of_a_monotone_curve():
    def evaluate(size):     # hit ratio rises linearly to 0.9 at 100 MB
        return {"used_memory_peak": 100_000_000, "steady_hit_ratio": 0.9 * min(size or 10**9, 10**8) / 10**8}

    result = search_target(evaluate, 0.45, policy="p", baseline=1_000_000, tolerance=0.001)
    assert abs(result.maxmemory - 50_000_000) <= 0.002 * 50_000_000
    assert result.hit_ratio >= 0.45


def test_capacity_cli_prints_one_answer_line():
    proc = subprocess.run([sys.executable, "-m", "evictsim", "capacity", "--workload", "zipf", "--set",
                           "keys=5000", "--set", "requests=200000", "--target", "0.9",
                           "--maxmemory-policy", "allkeys-lfu", "--tolerance", "0.05"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and "allkeys-lfu reaches 90%" in lines[0] and "ceiling" in lines[0]


EXPERIMENT = """
name: tiny_capacity
workload: {generator: zipf, keys: 5000, alpha: 1.0, requests: 100000, value-size: 100}
redis: {maxmemory-policy: allkeys-lru}
sweep:
  redis.maxmemory: [1200kb, 3mb]
plots: [hit_ratio_vs_maxmemory]
report: {target-hit-ratio: 0.8}
"""


def test_experiment_answer_refined_by_bisection(tmp_path):
    import json

    from evictsim.api import run_experiment
    from evictsim.commands.capacity import add_parser  # noqa: F401  (the CLI path is the one tested)
    path = tmp_path / "tiny.yaml"
    path.write_text(EXPERIMENT)
    out = tmp_path / "out"
    run_experiment(path, out, workers=1, progress=False)
    low, high = [json.loads(p.read_text()) for p in sorted((out / "runs").glob("*/summary.json"),
                                                               key=lambda p: json.loads(p.read_text())["maxmemory"])]
    assert low["steady_hit_ratio"] < 0.8 <= high["steady_hit_ratio"]     # the sweep brackets the target
    proc = subprocess.run([sys.executable, "-m", "evictsim", "capacity", "--experiment", str(out),
                           "--tolerance", "0.05"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    found = json.loads((out / "target_search.json").read_text())["answers"]["allkeys-lru"]
    assert low["maxmemory"] < found["maxmemory"] <= high["maxmemory"]
    assert found["hit_ratio"] >= 0.8
    assert all(r < 0.8 for size, r in found["points"] if size < found["maxmemory"])
    assert "bisection" in (out / "report.md").read_text() and "bisection" in proc.stdout
