"""The policy contract, checked for every registered policy (parametrised over the registry), and the
seam proven by a test-only plug-in (``tests/toy_policy.py``) that changes no file under evictsim/.

For every policy: a run's invariants hold (``check_invariants``: dicts, bytes, used_memory), the
victim is always resident and removed through the core's one delete path (evictions are counted by
the core and appear as removals), and memory accounting matches after each command (record_memory).
"""
from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np
import pytest

import evictsim
import toy_policy
from conftest import make_chunk
from evictsim.policies import POLICIES

BASE = 977_024


@pytest.fixture(autouse=True, scope="module")
def toy_registered():
    """The plug-in is registered only while this module's tests run (other tests list policies)."""
    toy_policy.register()
    yield
    POLICIES.remove("test-mru")


def _chunk(seed=1):
    return make_chunk(6000, 800, seed=seed, ttl_frac=0.5, p_set=0.2, p_del=0.05, ttl_ms=(5, 800), rate=4000)


@pytest.mark.parametrize("policy", POLICIES.names() + ["test-mru"])
def test_every_policy_keeps_the_core_consistent(policy):
    chunk = _chunk()
    maxmemory = BASE + 250_000
    res = evictsim.simulate(chunk, maxmemory=maxmemory, policy=policy, record_outcomes=True,
                            record_memory=True, seed=2)       # check_invariants runs at the end
    s = res.summary
    mem = res.extras["memory"]
    spec = POLICIES.get(policy)
    assert s["keyspace_hits"] + s["keyspace_misses"] == s["gets"]
    if spec.evicts:
        assert s["evicted_keys"] > 0
        ok = mem[:, 2] == 0
        assert np.all(mem[ok, 0] <= maxmemory)
    else:
        assert s["evicted_keys"] == 0


def test_a_plugin_policy_runs_through_the_api_and_differs_from_lru():
    chunk = _chunk(3)
    mru = evictsim.simulate(chunk, maxmemory=BASE + 250_000, policy="test-mru")
    lru = evictsim.simulate(chunk, maxmemory=BASE + 250_000, policy="allkeys-lru")
    assert mru.summary["evicted_keys"] > 0
    assert mru.summary["hit_ratio"] != lru.summary["hit_ratio"]


def test_a_plugin_policy_runs_through_the_cli(tmp_path):
    from evictsim.cli import main
    from evictsim.traces import native_csv
    trace = tmp_path / "t.csv"
    native_csv.write(_chunk(4), trace)
    out = tmp_path / "run"
    with redirect_stdout(io.StringIO()):
        code = main(["simulate", "--trace", str(trace), "--maxmemory", str(BASE + 250_000),
                     "--maxmemory-policy", "test-mru", "--out", str(out)])
    assert code in (0, None)
    assert (out / "summary.json").exists()


def test_mru_evicts_the_most_recent_key():
    """A hand-written sequence whose answer is known: with room for two keys, MRU keeps the first."""
    from evictsim.traces.base import RequestChunk
    n = 4
    chunk = RequestChunk(np.arange(n) * 0.01, np.zeros(n, np.uint8), np.array([0, 1, 2, 0], np.int32),
                         np.full(n, 8, np.uint16), np.full(n, 3000, np.int32), np.zeros(n, np.int64))
    res = evictsim.simulate(chunk, maxmemory=BASE + 70_000 + 2 * 3100, policy="test-mru",
                            record_outcomes=True, latency_tracking="no", client_buffer_growth=0)
    assert res.outcomes.tolist()[-1] == 1          # key 0 survived: key 1 was the victim
