"""The exact-policy contract, checked for every registered policy (cachetools' mixin idea).

Each policy is driven here through its own compiled hooks from Python, with the test keeping the
residency and bytes itself: a victim (or overflow) is always resident, the cache never holds more
than its bytes, a removal for any reason is seen (after removing every resident key the policy
names no victim), ``grow`` keeps the state (a run that grows mid-way equals one sized up front), and
the spec's parameters are documented in the module docstring.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from evictsim.policies.exact import CACHE_BYTES, EXACT_POLICIES
from evictsim.policies.contract import HOOKS, NO_NEXT_ACCESS
from evictsim.policies.exact.object_bytes import grow_cache, new_cache, next_access_of, serve_chunk
from tests.exact_requests import with_deletes, zipf_trace

POLICIES = sorted(EXACT_POLICIES)
CACHE = 6000


def drive(policy: str, requests, cache_bytes: int):
    """Serve ``requests`` calling the hooks one by one; returns (state, resident sizes, hooks)."""
    spec = EXACT_POLICIES[policy]
    n_keys = requests.max_key + 1
    state = spec.new_state(n_keys, spec.resolve(cache_bytes=cache_bytes))
    registered = HOOKS[spec.state_class]
    assert not registered.takes_core
    hooks = {"on_hit": registered.on_hit, "on_insert": registered.on_insert, "on_remove": registered.on_remove,
             "victim": registered.victim, "admit": registered.admit or (lambda state, k, size, vtime: True),
             "overflow": registered.overflow or (lambda state, vtime: -1)}
    nxt = next_access_of(requests)
    resident: dict[int, int] = {}
    drive.peak = 0

    def evict(k):
        assert k in resident, f"{policy} named {k}, which is not resident"
        del resident[k]
        hooks["on_remove"](state, k)

    def drain(vtime):
        while (k := hooks["overflow"](state, vtime)) >= 0:
            evict(k)

    for vtime in range(len(requests)):
        k, size, op = int(requests.key[vtime]), int(requests.size[vtime]), int(requests.op[vtime])
        if op == 2:
            if k in resident:
                del resident[k]
                hooks["on_remove"](state, k)
            continue
        if k in resident:
            hooks["on_hit"](state, k, size, vtime, nxt[vtime])
            drain(vtime)
        elif hooks["admit"](state, k, size, vtime) and size <= cache_bytes:
            while sum(resident.values()) + size > cache_bytes:
                evict(hooks["victim"](state, vtime))
            resident[k] = size
            hooks["on_insert"](state, k, size, vtime, nxt[vtime])
            drain(vtime)
        assert sum(resident.values()) <= cache_bytes
        drive.peak = max(drive.peak, sum(resident.values()))
    return state, resident, hooks


@pytest.fixture(scope="module")
def requests():
    return with_deletes(zipf_trace(seed=7, n=3000, n_keys=300, large_share=0.03), 0.05, seed=8)


@pytest.mark.parametrize("policy", POLICIES)
def test_victims_are_resident_and_capacity_holds(policy, requests):
    drive(policy, requests, CACHE)
    assert drive.peak > CACHE * 0.9                     # the run really filled the cache


@pytest.mark.parametrize("policy", POLICIES)
def test_policy_sees_every_removal(policy, requests):
    state, resident, hooks = drive(policy, requests, CACHE)
    for k in list(resident):                            # expiry/DEL of everything left
        hooks["on_remove"](state, k)
    assert hooks["victim"](state, len(requests)) == -1
    assert hooks["overflow"](state, len(requests)) == -1


@pytest.mark.parametrize("policy", POLICIES)
def test_grow_keeps_state(policy):
    first = zipf_trace(seed=9, n=2000, n_keys=100)
    later = zipf_trace(seed=10, n=2000, n_keys=400)
    spec = EXACT_POLICIES[policy]
    fixed = {"sketch-width": 512} if "sketch-width" in spec.params else {}   # else sized at creation
    params = spec.resolve(fixed, cache_bytes=CACHE)

    def run(capacity_first):
        state, cache = spec.new_state(capacity_first, params), new_cache(capacity_first, CACHE)
        outcomes = []
        for start, part in ((0, first), (len(first), later)):
            if part.max_key >= len(cache.resident_size):
                state, cache = spec.grow(state, part.max_key + 1), grow_cache(cache, part.max_key + 1)
            out = np.empty(len(part), np.int8)
            nxt = np.full(len(part), NO_NEXT_ACCESS, np.int64)    # no future across the two parts
            serve_chunk(state, cache, part.key.astype(np.int64), part.size.astype(np.int64), part.op,
                        nxt, np.int64(start), out)
            outcomes.append(out)
        return np.concatenate(outcomes), cache.counters.copy()

    grown, sized = run(first.max_key + 1), run(later.max_key + 1)
    assert np.array_equal(grown[0], sized[0]) and np.array_equal(grown[1], sized[1])


@pytest.mark.parametrize("policy", POLICIES)
def test_parameters_are_documented_and_unknown_ones_rejected(policy):
    spec = EXACT_POLICIES[policy]
    doc = importlib.import_module(f"evictsim.policies.exact.{policy}").__doc__
    for name in spec.params:
        assert f"``{name}``" in doc, f"{policy}: parameter {name} not documented"
    with pytest.raises(KeyError, match="no parameter"):
        spec.resolve({"no-such-knob": 1})
    assert spec.name == policy and spec.doc


def test_names_are_libcachesims():
    assert set(EXACT_POLICIES) == {"lru", "lfu", "fifo", "clock", "arc", "twoq", "slru", "s3fifo",
                                   "sieve", "wtinylfu", "belady", "beladysize"}
    assert all(CACHE_BYTES in EXACT_POLICIES[p].params for p in ("arc", "twoq", "slru", "s3fifo", "wtinylfu"))
