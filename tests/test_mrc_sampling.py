"""The SHARDS sample (every request of a kept key, none of the others; fixed rate and fixed size)
and the scaled configuration of a miniature instance (same room for keys, scaled)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evictsim.api import resolve_config
from evictsim.mrc.overhead import fixed_bytes, key_footprint, key_room, scaled_config, table_bytes
from evictsim.mrc.sampling import SALT, sample_trace
from evictsim.traces.base import ArrayTrace, RequestChunk
from evictsim.traces.hashing import hash_uniform
from evictsim.workloads import build_workload


def zipf_trace(keys=5000, requests=20000, seed=1) -> ArrayTrace:
    params = {"keys": keys, "requests": requests, "rate": 2000, "ttl": {"dist": "uniform", "min": 1, "max": 3},
              "ttl-fraction": 0.5}
    return ArrayTrace(RequestChunk.concat(list(build_workload("zipf", params, seed=seed).chunks())))


def kept_sequences(sample_chunk: RequestChunk, full: RequestChunk, kept: np.ndarray):
    rows = np.isin(full.key, kept)
    return full.time[rows], full.size[rows], sample_chunk.time, sample_chunk.size


@settings(max_examples=12, deadline=None)
@given(st.floats(0.05, 1.0), st.integers(0, 5))
def test_fixed_rate_keeps_every_request_of_the_keys_hashing_below_the_rate(rate, seed):
    trace = zipf_trace()
    full = trace.requests
    sample = sample_trace(trace, rate=rate, seed=seed, chunk_size=3000)
    kept = np.flatnonzero(hash_uniform(np.arange(full.max_key + 1), SALT + 7919 * seed) < rate)
    kept = kept[np.isin(kept, full.key)]
    rows = np.isin(full.key, kept)
    got = sample.trace.requests
    assert sample.sampled_keys == len(kept) and sample.keys == full.max_key + 1
    assert np.array_equal(got.time, full.time[rows]) and np.array_equal(got.size, full.size[rows])
    assert np.array_equal(got.ttl_ms, full.ttl_ms[rows])
    _, first = np.unique(got.key, return_index=True)       # dense ids in first-appearance order
    assert np.array_equal(got.key[np.sort(first)], np.arange(sample.sampled_keys))
    assert sample.gets == int((full.op == 0).sum()) and sample.requests == len(full)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 4000), st.integers(0, 3))
def test_fixed_size_keeps_the_k_smallest_hashes(size, seed):
    trace = zipf_trace()
    sample = sample_trace(trace, size=size, seed=seed, chunk_size=2500)
    n_keys = trace.requests.max_key + 1
    hashes = hash_uniform(np.arange(n_keys), SALT + 7919 * seed)
    assert sample.sampled_keys == min(size, n_keys)
    assert sample.rate == (np.sort(hashes)[size - 1] if size < n_keys else 1.0)
    expected_rows = int(np.isin(trace.requests.key, np.flatnonzero(hashes <= sample.rate)).sum())
    assert sample.sampled_requests == expected_rows


def test_cold_gets_count_first_uses_and_gets_after_the_ttl():
    trace = zipf_trace()
    sample = sample_trace(trace, rate=1.0)
    chunk = trace.requests
    now = np.rint(chunk.time * 1e6).astype(np.int64) // 1000
    live_until, cold = {}, 0
    for k, t, ttl in zip(chunk.key, now, chunk.ttl_ms):       # all GETs with look-aside fill
        if k in live_until and not live_until[k] < t:
            continue
        cold += 1
        live_until[k] = t + ttl if ttl > 0 else np.inf
    assert sample.cold_gets == cold > sample.sampled_keys


@settings(max_examples=25, deadline=None)
@given(st.floats(0.02, 0.9), st.floats(0.05, 1.0))
def test_a_scaled_instance_has_the_rate_times_the_room_for_keys(rate, share):
    trace = zipf_trace()
    cfg = resolve_config(policy="allkeys-lru", maxmemory=1)
    footprint = key_footprint(trace.requests, cfg)
    keys = trace.requests.max_key + 1
    maxmemory = int(fixed_bytes(cfg) + share * footprint.total_bytes)
    scaled = scaled_config(cfg, maxmemory, rate, footprint, int(rate * keys))
    full_room = key_room(maxmemory, cfg, footprint, keys)
    predicted_keys = (full_room / footprint.mean_key_bytes) * rate
    scaled_room = scaled.maxmemory - fixed_bytes(scaled) - table_bytes(predicted_keys, footprint.ttl_key_fraction)
    assert abs(scaled_room - rate * full_room) <= 0.002 * rate * maxmemory + 64
    assert scaled.maxmemory < maxmemory and scaled.maxmemory_policy == "allkeys-lru"
