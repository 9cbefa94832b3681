"""A plug-in policy in the oracle: its pure-Python twin against its compiled hooks, request by request.

The plug-ins: the test-only MRU of ``tests/toy_policy.py`` and a FIFO defined here on the same
linked list (compiled hooks without the core, a ``PolicySpec`` of family ``test`` whose
``params["oracle_twin"]`` is the twin). The oracle calls the twin exactly where the kernel calls the
compiled hooks (:mod:`evictsim.oracle.policy`), so outcomes, memory after each step and every
counter must match, with TTLs, SETs, DELs, lazy frees, the eviction time proc, and the three expiry
modes. Helpers come from ``tests/test_oracle.py``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import toy_policy
from evictsim.api import DEFAULT_START_TIME, resolve_config
from evictsim.jit import kernel
from evictsim.oracle import next_access_vtimes, run_oracle
from evictsim.oracle.policy import NO_NEXT_ACCESS
from evictsim.policies import POLICIES, PolicySpec, register_policy
from evictsim.policies.contract import HOOKS, register_hooks
from test_oracle import BASE, LAZY_ALL, MODES, _chunk, assert_same_run, workload

PLUGIN = "test-mru"


@pytest.fixture(autouse=True, scope="module")
def toy_registered():
    """The plug-in is registered only while this module's tests run (other tests list policies)."""
    toy_policy.register()
    yield
    POLICIES.remove(PLUGIN)

# --- FIFO: evict the oldest resident key; hits change nothing. The MRU's list, with victim = its tail.
FifoState = namedtuple("FifoState", "prev next ends")


def fifo_new_state(capacity, cfg=None):
    return FifoState(*toy_policy.new_state(capacity, cfg))


@kernel
def fifo_on_hit(state, k, size, vtime, next_vtime):
    pass


@kernel
def fifo_victim(state, vtime):
    return state.ends[toy_policy.TAIL]


class FifoTwin:
    def __init__(self, cfg=None):
        self.queue: dict[int, None] = {}        # insertion-ordered: oldest first

    def on_hit(self, k, size, vtime, next_vtime):
        pass

    def on_insert(self, k, size, vtime, next_vtime):
        self.queue[k] = None

    def on_remove(self, k):
        del self.queue[k]

    def victim(self, vtime):
        return next(iter(self.queue), None)


if FifoState not in HOOKS:
    register_hooks(FifoState, on_hit=fifo_on_hit, on_insert=toy_policy.on_insert,
                   on_remove=toy_policy.on_remove, victim=fifo_victim, takes_core=False)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plugin_twin_matches_the_kernel(seed, mode):
    chunk = workload(3000, 60, 100 + seed)
    summary = assert_same_run(chunk, PLUGIN, BASE + 60_000, mode, seed=seed)
    assert summary["evicted_keys"] > 0                  # the twin named victims
    assert summary["dels"] > 0 and summary["expired_keys"] + summary["stale_keys"] > 0
    if mode != "lazy":
        assert summary["expired_keys"] > 0


@pytest.mark.parametrize("config", [
    {"evict-key-cost-us": 60.0},                        # the eviction time proc: victims between requests
    {"maxmemory-eviction-tenacity": 0, "hz": 100},
    {**LAZY_ALL, "lazyfree-bytes-per-s": 2e7},          # aggregates freed in the background
])
def test_plugin_twin_matches_the_kernel_with_knobs(config):
    chunk = workload(3000, 60, 7, size=(1, 40_000), ttl_ms=(5, 600), p_del=0.15)
    chunk.vtype = np.where(np.random.default_rng(7).random(len(chunk)) < 0.5, 3, 0).astype(np.uint8)
    summary = assert_same_run(chunk, PLUGIN, BASE + 400_000, "redis", seed=4, **config)
    assert summary["evicted_keys"] > 0


def test_fifo_twin_names_victims_for_the_eviction_time_proc_while_idle(temporary_policy):
    # 3000 small keys, a 600 KB SET and a GET of it, then nothing. FIFO evicts the small keys first,
    # more than one 500-µs budget's worth, so the GET's eviction step arms the eviction time proc,
    # which runs on in event-loop iterations and cron ticks, asking the twin for victims.
    temporary_policy(PolicySpec("test-fifo", "test", fifo_new_state, toy_policy.grow,
                                doc="FIFO (test-only plug-in).", params={"oracle_twin": FifoTwin}))
    n = 3000
    times = list(0.001 + 0.0002 * np.arange(n)) + [2.0, 2.001]
    chunk = _chunk(times, [1] * (n + 1) + [0], list(range(n + 1)) + [n], [0] * (n + 2), size=100)
    chunk.size[n] = 600_000
    summary = assert_same_run(chunk, "test-fifo", BASE + 700_000, "redis", seed=1)
    assert summary["evicted_keys"] > 1088 and summary["get_hits"] == 1


@pytest.mark.parametrize("mode", MODES)
def test_fifo_twin_matches_the_kernel(temporary_policy, mode):
    temporary_policy(PolicySpec("test-fifo", "test", fifo_new_state, toy_policy.grow,
                                doc="FIFO (test-only plug-in).", params={"oracle_twin": FifoTwin}))
    chunk = workload(3000, 60, 200 + MODES.index(mode))
    summary = assert_same_run(chunk, "test-fifo", BASE + 60_000, mode, seed=5)
    assert summary["evicted_keys"] > 0


def test_plugin_twin_matches_the_kernel_on_a_larger_workload():
    chunk = workload(20_000, 2_000, 11, rate=20_000.0, size=(1, 400), ttl_ms=(5, 800))
    summary = assert_same_run(chunk, PLUGIN, BASE + 150_000, "exact", seed=3)
    assert summary["evicted_keys"] > 1000


class _Recording(toy_policy.MruTwin):
    """The MRU twin, checking the protocol as the oracle drives it: hits and removals only of resident
    keys, inserts only of absent ones, victims resident; and recording each (hook, key, vtime, next)."""

    def __init__(self, cfg=None):
        super().__init__(cfg)
        self.resident: set[int] = set()
        self.calls: list[tuple[str, int, int, int]] = []

    def on_hit(self, k, size, vtime, next_vtime):
        assert k in self.resident
        self.calls.append(("hit", k, vtime, next_vtime))
        super().on_hit(k, size, vtime, next_vtime)

    def on_insert(self, k, size, vtime, next_vtime):
        assert k not in self.resident
        self.resident.add(k)
        self.calls.append(("insert", k, vtime, next_vtime))
        super().on_insert(k, size, vtime, next_vtime)

    def on_remove(self, k):
        self.resident.remove(k)
        super().on_remove(k)

    def victim(self, vtime):
        k = super().victim(vtime)
        assert k is None or k in self.resident
        return k


@pytest.fixture
def temporary_policy():
    """Register a spec for one test only (the registry has no removal; the contract tests
    parametrise over it at collection time, so nothing registered here reaches them)."""
    added = []

    def add(spec: PolicySpec) -> PolicySpec:
        added.append(spec.name)
        return register_policy(spec)
    yield add
    for name in added:
        POLICIES.remove(name)


@pytest.mark.parametrize("needs_next_access", [False, True])
def test_the_oracle_hands_the_twin_vtimes_and_next_accesses(temporary_policy, needs_next_access):
    twins: list[_Recording] = []

    def factory(cfg):
        twins.append(_Recording(cfg))
        return twins[-1]
    name = f"test-mru-recording-{int(needs_next_access)}"
    temporary_policy(PolicySpec(name, "test", toy_policy.new_state, toy_policy.grow,
                                needs_next_access=needs_next_access, params={"oracle_twin": factory}))
    chunk = workload(2000, 40, 5)
    cfg = resolve_config(BASE + 40_000, name, {"expiry-mode": "redis"})
    outcomes, counters, _ = run_oracle(chunk, cfg, seed=1, start_time=DEFAULT_START_TIME)
    (twin,) = twins
    assert counters["evicted_keys"] > 0 and twin.calls
    nxt = next_access_vtimes(chunk.key)
    for hook, k, vtime, next_vtime in twin.calls:
        assert chunk.key[vtime] == k                 # vtime: the index of the request being served
        assert next_vtime == (nxt[vtime] if needs_next_access else NO_NEXT_ACCESS)
    # every GET hit, accepted SET and fill told the twin once: a hit (GET hit, live overwrite) or an insert
    accepted_sets = counters["sets"] - int(np.count_nonzero(outcomes == 7))
    assert len(twin.calls) == counters["get_hits"] + accepted_sets + counters["fills"]
    assert sum(1 for c in twin.calls if c[0] == "hit") >= counters["get_hits"]


def test_next_access_vtimes():
    assert next_access_vtimes(np.array([3, 1, 3, 3, 2, 1])) == [2, 5, 3, NO_NEXT_ACCESS, NO_NEXT_ACCESS,
                                                                NO_NEXT_ACCESS]


def test_a_plugin_without_a_twin_is_a_clear_error(temporary_policy):
    temporary_policy(PolicySpec("test-mru-no-twin", "test", toy_policy.new_state, toy_policy.grow))
    cfg = resolve_config(BASE + 40_000, "test-mru-no-twin", {})
    with pytest.raises(ValueError, match="oracle_twin"):
        run_oracle(workload(10, 5, 1), cfg, seed=1, start_time=DEFAULT_START_TIME)
