"""The readings table sized once from the trace's span (``span_hint``) changes nothing but its
allocation: the same run through a trace that does not say its span grows the table by doubling
and must give every column identically."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import evictsim
from evictsim.metrics.readings import RESERVE_MAX_ROWS, Readings
from evictsim.traces.base import OP_GET, OP_SET, ArrayTrace, RequestChunk


class _NoSpan:
    """The same requests as an ArrayTrace, without ``span_hint``."""

    def __init__(self, trace: ArrayTrace):
        self._trace = trace
        self.name, self.fill, self.n_keys_hint = trace.name, trace.fill, trace.n_keys_hint

    def chunks(self, chunk_size: int = 1 << 20):
        return self._trace.chunks(chunk_size)


def _trace(n: int, span_s: float, seed: int) -> ArrayTrace:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0.0, span_s, n))
    op = np.where(rng.random(n) < 0.1, OP_SET, OP_GET).astype(np.uint8)
    key = rng.integers(0, 3_000, n).astype(np.int32)
    ttl = np.where(rng.random(n) < 0.3, rng.integers(1_000, 60_000, n), 0).astype(np.int64)
    chunk = RequestChunk(t, op, key, np.full(n, 10, np.uint16), rng.integers(10, 2_000, n).astype(np.int32), ttl)
    return ArrayTrace(chunk)


def test_array_trace_says_its_span():
    trace = _trace(1_000, 123.0, 0)
    assert trace.span_hint == float(trace.requests.time.max())
    assert 0 < trace.span_hint <= 123.0


@settings(max_examples=6, deadline=None)
@given(span_s=st.sampled_from([0.5, 7.3, 40.0, 2_500.0]), seed=st.integers(0, 10_000),
       sample=st.sampled_from([0.1, 1.0, 3.0]))
def test_reserved_table_gives_the_same_columns_as_a_grown_one(span_s, seed, sample):
    trace = _trace(4_000, span_s, seed)
    reserved = evictsim.simulate(trace, maxmemory=1_500_000, policy="allkeys-lru", sample_interval=sample)
    grown = evictsim.simulate(_NoSpan(trace), maxmemory=1_500_000, policy="allkeys-lru", sample_interval=sample)
    assert set(reserved.timeseries) == set(grown.timeseries)
    for name, column in reserved.timeseries.items():
        assert np.array_equal(column, grown.timeseries[name], equal_nan=True), name
    assert reserved.summary["keyspace_hits"] == grown.summary["keyspace_hits"]


def test_expected_rows_are_reserved_once_and_capped():
    readings = Readings(0, expected_rows=50_000)
    table = readings.table
    assert len(table) == 50_000
    for _ in range(50_000):
        assert readings.room() is table          # no growth while the reserve lasts
        readings.n += 1
    assert len(readings.room()) == 100_000       # then doubling, as without a reserve
    assert len(Readings(0, expected_rows=10 * RESERVE_MAX_ROWS).table) == RESERVE_MAX_ROWS
