"""Several instances in one run: each behaves exactly as a standalone server fed its share of the
trace (same outcomes and counters), whatever the other instances do."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

import evictsim
from conftest import make_chunk
from evictsim.api import resolve_config
from evictsim.engine.router import _Densifier, _take
from evictsim.engine.simulation import InstanceSpec, run_instances
from evictsim.traces.base import ArrayTrace

START = 1.7e9


class ByModulo:
    def __init__(self, n):
        self.instances = n

    def route(self, chunk):
        return (chunk.key % self.instances).astype(np.int32)


def _standalone(chunk, rows, cfg, seed):
    sub = _take(chunk, rows)
    sub.key = _Densifier().map(sub.key)
    return evictsim.simulate(sub, config=cfg, record_outcomes=True, start_time=START, seed=seed)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(2, 3),
       policies=st.lists(st.sampled_from(["allkeys-lru", "allkeys-lfu", "volatile-ttl", "noeviction"]),
                         min_size=3, max_size=3))
def test_each_instance_equals_its_standalone_run(seed, n, policies):
    chunk = make_chunk(12000, 1500, seed=seed, ttl_frac=0.5, p_set=0.2, p_del=0.05, ttl_ms=(5, 900),
                       rate=3000)
    cfgs = [resolve_config(1_150_000 + 50_000 * i, policies[i], hz=[10, 1, 100][i]) for i in range(n)]
    results = run_instances(ArrayTrace(chunk), [InstanceSpec(str(i), c) for i, c in enumerate(cfgs)],
                            router=ByModulo(n), seed=seed, start_time=START, record_outcomes=True)
    for i, (res, cfg) in enumerate(zip(results, cfgs)):
        alone = _standalone(chunk, np.flatnonzero(chunk.key % n == i), cfg, seed)
        assert np.array_equal(res.outcomes, alone.outcomes)
        for key in ("keyspace_hits", "evicted_keys", "expired_keys", "used_memory", "rejected_writes"):
            assert res.summary[key] == alone.summary[key], key
        assert np.array_equal(res.timeseries["used_memory"], alone.timeseries["used_memory"])


def test_an_instance_with_no_requests_for_a_long_stretch_waits_without_reading_ahead(monkeypatch):
    from evictsim.engine import simulation
    monkeypatch.setattr(simulation, "CHUNK_SIZE", 1000)     # many chunks bring instance 1 nothing
    chunk = make_chunk(30000, 2000, seed=1, rate=3000)
    rows = np.flatnonzero(chunk.key != 0)          # key 0 alone goes to instance 1
    route = type("R", (), {"instances": 2, "route": lambda self, c: (c.key == 0).astype(np.int32)})()
    cfg = resolve_config(0, "noeviction")
    results = run_instances(ArrayTrace(chunk), [InstanceSpec("a", cfg), InstanceSpec("b", cfg)],
                            router=route, seed=0, start_time=START, record_outcomes=True)
    alone = _standalone(chunk, rows, cfg, 0)
    assert np.array_equal(results[0].outcomes, alone.outcomes)
    assert results[1].summary["gets"] == int((chunk.key == 0).sum())


def test_a_belady_instance_reads_its_own_shares_future():
    # each instance's next accesses count its own requests (engine/future.py), as a standalone run's do
    chunk = make_chunk(12000, 1500, seed=4, ttl_frac=0.3, p_set=0.2, p_del=0.05, ttl_ms=(5, 900), rate=3000)
    cfgs = [resolve_config(1_150_000, "belady"), resolve_config(1_200_000, "allkeys-lru")]
    results = run_instances(ArrayTrace(chunk), [InstanceSpec(str(i), c) for i, c in enumerate(cfgs)],
                            router=ByModulo(2), seed=4, start_time=START, record_outcomes=True)
    for i, (res, cfg) in enumerate(zip(results, cfgs)):
        alone = _standalone(chunk, np.flatnonzero(chunk.key % 2 == i), cfg, 4)
        assert res.summary["evicted_keys"] > 100
        assert np.array_equal(res.outcomes, alone.outcomes)
