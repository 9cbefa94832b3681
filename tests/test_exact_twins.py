"""Differential: every compiled exact policy against its pure-Python twin, request by request.

Hypothesis draws short request streams over a few keys (so keys come back, fill and overflow the
cache, hit ghosts), sizes from 1 B to more than the cache, and DELs interleaved (removals of resident
and absent keys, standing for expiry too); the per-request outcomes (hit, miss, deleted, absent)
must be identical. The twins share no code with the compiled policies.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evictsim.oracle.policies.driver import run_twin
from evictsim.policies.exact import EXACT_POLICIES
from evictsim.policies.exact.object_bytes import simulate_object_bytes
from tests.exact_requests import chunk

VARIANTS = [(name, {}) for name in sorted(EXACT_POLICIES)] + [
    ("clock", {"clock-bits": 2}), ("s3fifo", {"move-to-main-threshold": 1}), ("slru", {"segments": 2}),
    ("twoq", {"ain-size-ratio": 0.5, "aout-size-ratio": 1.0})]


@st.composite
def streams(draw):
    n_keys = draw(st.integers(2, 12))
    n = draw(st.integers(1, 120))
    keys = draw(st.lists(st.integers(0, n_keys - 1), min_size=n, max_size=n))
    key_size = draw(st.lists(st.integers(1, 60), min_size=n_keys, max_size=n_keys))
    ops = draw(st.lists(st.sampled_from([0, 0, 0, 1, 2]), min_size=n, max_size=n))
    vary = draw(st.booleans())                      # sizes per request instead of per key
    sizes = (draw(st.lists(st.integers(1, 60), min_size=n, max_size=n)) if vary
             else [key_size[k] for k in keys])
    cache = draw(st.integers(10, 200))
    return keys, sizes, ops, cache


@pytest.mark.parametrize("policy,params", VARIANTS, ids=[f"{p}{q or ''}" for p, q in VARIANTS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=streams())
def test_compiled_policy_matches_its_twin(policy, params, stream):
    keys, sizes, ops, cache = stream
    requests = chunk(keys, sizes, ops)
    compiled = simulate_object_bytes(requests, policy, cache, params, keep_outcome=True)
    extra = {"key_capacity": max(keys) + 1} if policy == "wtinylfu" else {}
    twin = run_twin(policy, keys, sizes, ops, cache, **params, **extra)
    assert compiled.bad_victims == 0
    assert compiled.outcome.tolist() == twin


def test_twins_see_hits_and_misses_on_a_known_sequence():
    """A hand-checked case: LRU of 2 one-byte objects on a b a c b -> miss miss hit miss miss."""
    assert run_twin("lru", [0, 1, 0, 2, 1], [1] * 5, [0] * 5, 2) == [0, 0, 1, 0, 0]
    requests = chunk([0, 1, 0, 2, 1], [1] * 5)
    assert simulate_object_bytes(requests, "lru", 2, keep_outcome=True).outcome.tolist() == [0, 0, 1, 0, 0]
    assert np.array_equal(
        simulate_object_bytes(requests, "belady", 2, keep_outcome=True).outcome, [0, 0, 1, 0, 1])
