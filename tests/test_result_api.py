"""The notebook-facing surface of a run (issue 13): a short repr, a one-screen summary() while
summary stays a dict, NumPy columns that also answer DataFrame methods, generators by name, and the
simulate command without --out (prints, writes nothing) with warnings before the run."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import evictsim
from evictsim.api import resolve_config, resolve_trace
from evictsim.preflight import preflight_warnings


@pytest.fixture(scope="module")
def result():
    return evictsim.simulate("zipf", workload={"keys": 3000, "requests": 60000}, maxmemory="1500kb",
                             policy="allkeys-lru")


def test_repr_is_one_short_line(result):
    text = repr(result)
    assert "\n" not in text and len(text) < 200
    assert "allkeys-lru" in text and "steady" in text and "ceiling" in text


def test_summary_is_a_dict_and_a_one_screen_text(result):
    assert result.summary["requests"] == 60000 and result.hit_ratio == result.summary["hit_ratio"]
    text = result.summary()
    assert text == result.describe()
    lines = text.splitlines()
    assert len(lines) <= 24 and max(map(len, lines)) <= 120
    assert "steady state" in text and "no-limit ceiling" in text and "stale memory" in text
    assert f"{result.summary['cold_misses']:,}" in text


def test_timeseries_columns_stay_numpy(result):
    used = result.timeseries["used_memory"]
    assert isinstance(used, np.ndarray) and used[-1] == result.summary["used_memory"]
    assert "rows" in repr(result.timeseries) and len(repr(result.timeseries)) < 300


def test_timeseries_answers_dataframe_methods_with_pandas(result):
    pd = pytest.importorskip("pandas")
    head = result.timeseries.head(3)
    assert isinstance(head, pd.DataFrame) and list(head["gets"]) == list(result.timeseries["gets"][:3])
    assert isinstance(result.frame, pd.DataFrame)


def test_explicit_warmup_moves_the_steady_window():
    auto = evictsim.simulate("zipf", workload={"keys": 3000, "requests": 60000}, maxmemory="1500kb",
                             policy="allkeys-lru").summary
    fixed = evictsim.simulate("zipf", workload={"keys": 3000, "requests": 60000}, maxmemory="1500kb",
                              policy="allkeys-lru", warmup="2s").summary
    assert fixed["warmup_reason"] == "explicit" and fixed["warmup_s"] == 2.0
    assert fixed["hit_ratio"] == auto["hit_ratio"]
    ts_gets = fixed["gets"]
    assert 0 < fixed["steady_gets"] < ts_gets


def test_warnings_before_a_run():
    trace = resolve_trace("zipf", {"keys": 1000, "requests": 5000}, 1)
    volatile = preflight_warnings(trace, resolve_config("8mb", "volatile-lru"))
    assert any("volatile-lru" in w and "TTL" in w for w in volatile)
    tiny = preflight_warnings(trace, resolve_config("500kb", "allkeys-lru"))
    assert any("at or below the empty server" in w for w in tiny)
    assert preflight_warnings(trace, resolve_config("8mb", "allkeys-lru")) == []
    sparse = resolve_trace("zipf", {"keys": 1000, "requests": 500, "rate": 0.01}, 1)
    assert any("mostly idle" in w for w in preflight_warnings(sparse, resolve_config("8mb", "allkeys-lru")))


def test_simulate_without_out_prints_and_writes_nothing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "evictsim", "simulate", "--workload", "zipf", "--set",
                           "keys=2000", "--set", "requests=30000", "--set", "maxmemory-samples=10",
                           "--maxmemory", "2mb", "--maxmemory-policy", "volatile-lru"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []
    assert "30,000 requests" in proc.stdout and "steady state" in proc.stdout
    assert proc.stderr.count("volatile-lru") == 1        # said once, before the run
