"""Generators: the trace contract for every registered workload, parameter checking, and each
generator's defining property (checked against its parameters, not against stored numbers)."""
from __future__ import annotations

import numpy as np
import pytest

from evictsim.errors import UserInputError
from evictsim.traces.base import OP_DEL, OP_GET, OP_SET, RequestChunk
from evictsim.traces.stats import zipf_alpha
from evictsim.workloads import WORKLOADS, build_workload, describe, workload_class

ALL = ["diurnal", "hotspot", "namespaces", "scan", "shifting", "uniform", "ycsb", "zipf"]


def _all(trace, chunk_size=1 << 20) -> RequestChunk:
    return RequestChunk.concat(list(trace.chunks(chunk_size)))


def _within(observed: float, p: float, n: int, sigmas: float = 5.0) -> bool:
    return abs(observed - p) <= sigmas * np.sqrt(p * (1 - p) / n) + 1e-12


def test_every_workload_is_registered():
    workload_class("zipf")
    assert sorted(WORKLOADS.names()) == ALL


@pytest.mark.parametrize("name", ALL)
def test_contract(name):
    params = {"requests": 30_000, "set-fraction": 0.1, "del-fraction": 0.05}
    if name == "ycsb":
        params = {"requests": 30_000, "workload": "E"}
    trace = build_workload(name, params, seed=11)
    c = _all(trace, 4096)
    assert len(c) == 30_000
    assert c.time.dtype == np.float64 and c.op.dtype == np.uint8 and c.key.dtype == np.int32
    assert c.key_len.dtype == np.uint16 and c.size.dtype == np.int32 and c.ttl_ms.dtype == np.int64
    assert (np.diff(c.time) >= 0).all() and c.time[0] >= 0
    first = np.unique(c.key, return_index=True)[1]
    assert np.array_equal(c.key[np.sort(first)], np.arange(c.max_key + 1))  # dense, first appearance
    assert trace.n_keys_hint >= c.max_key + 1
    assert (c.size[c.op == OP_DEL] == 0).all() and (c.size >= 0).all() and (c.ttl_ms >= 0).all()
    names = trace.key_namer.names_for(c.key[:2000]).to_pylist()
    assert [len(n.encode()) for n in names] == list(c.key_len[:2000])
    assert len(set(names)) == len(set(c.key[:2000].tolist()))


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_requests_whatever_the_chunk_size(name):
    a = _all(build_workload(name, {"requests": 20_000}, seed=5), 1 << 20)
    b = _all(build_workload(name, {"requests": 20_000}, seed=5), 333)
    c = _all(build_workload(name, {"requests": 20_000}, seed=6))
    for col in ("time", "op", "key", "key_len", "size", "ttl_ms"):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert not np.array_equal(a.time, c.time)


@pytest.mark.parametrize("name", ALL)
def test_every_parameter_is_documented(name):
    cls = workload_class(name)
    assert cls.__doc__ and len({p.name for p in cls.PARAMS}) == len(cls.PARAMS)
    for param, default, doc in describe(name):
        assert param and default and len(doc) > 10


@pytest.mark.parametrize("params,key,message", [
    ({"alphaa": 1}, "workload.alphaa", "unknown parameter; expected one of: alpha, arrival"),
    ({"alpha": -1}, "workload.alpha", "expected a number >= 0, got -1"),
    ({"keys": 0}, "workload.keys", "expected a positive integer"),
    ({"keys": "many"}, "workload.keys", "expected a positive integer"),
    ({"value-size": {"dist": "normal"}}, "workload.value-size.dist", "expected dist: one of fixed"),
    ({"value-size": {"dist": "lognormal", "median": 300}}, "workload.value-size.sigma", "expected 'sigma'"),
    ({"ttl": {"dist": "uniform", "min": 50, "max": 10}}, "workload.ttl.max", "expected max >= min"),
    ({"set-fraction": 0.8, "del-fraction": 0.5}, "workload.set-fraction", "set-fraction + del-fraction"),
    ({"arrival": "bursty"}, "workload.arrival", "expected one of: poisson, fixed"),
])
def test_bad_parameters(params, key, message):
    with pytest.raises(UserInputError) as err:
        build_workload("zipf", params, seed=1, source="exp.yaml")
    assert str(err.value).startswith(f"exp.yaml: {key}: ") and message in str(err.value)


def test_unknown_workload_lists_the_valid_ones():
    with pytest.raises(UserInputError, match="unknown workload 'zipff'; expected one of: diurnal"):
        build_workload("zipff", {}, seed=1)


def test_runner_call_from_the_brief():
    trace = build_workload("zipf", {"keys": 100000, "alpha": 0.99, "requests": 200000, "rate": 20000,
                                    "value-size": {"dist": "lognormal", "median": 300, "sigma": 1.0}}, seed=7)
    c = _all(trace)
    assert len(c) == 200_000 and abs(c.time[-1] - 10.0) < 0.2
    assert trace.fill == "look-aside" and trace.name == "zipf"


@pytest.mark.parametrize("alpha", [0.7, 0.99, 1.2])
def test_zipf_fit_recovers_alpha(alpha):
    c = _all(build_workload("zipf", {"alpha": alpha, "requests": 1_000_000}, seed=3))
    assert abs(zipf_alpha(np.bincount(c.key)) - alpha) < 0.05


@pytest.mark.parametrize("letter,read,write", [("A", 0.5, 0.5), ("B", 0.95, 0.05), ("C", 1.0, 0.0)])
def test_ycsb_read_update_mix(letter, read, write):
    c = _all(build_workload("ycsb", {"workload": letter, "requests": 200_000}, seed=2))
    n = len(c)
    assert _within(np.mean(c.op == OP_GET), read, n) and _within(np.mean(c.op == OP_SET), write, n)
    assert c.max_key < 100_000 and (c.size == 1000).all() and (c.key_len == 23).all()


def test_ycsb_d_reads_the_latest_inserts():
    trace = build_workload("ycsb", {"workload": "D", "requests": 200_000, "records": 10_000}, seed=2)
    c = _all(trace)
    assert _within(np.mean(c.op == OP_SET), 0.05, len(c))
    originals = trace._mapper.originals[c.key]
    inserted = originals >= 10_000
    first = np.unique(c.key, return_index=True)[1]
    assert (c.op[first[inserted[first]]] == OP_SET).all()  # a new key starts with its insert
    # reads go to keys near the newest: median age (newest id so far - id) is small
    newest = 10_000 + np.cumsum(c.op == OP_SET) - 1
    age = (newest - originals)[c.op == OP_GET]
    # ages follow the zipfian chooser over ranks: P(age < 10) is its CDF at rank 10
    from evictsim.workloads.popularity import Zipf
    assert _within(np.mean(age < 10), Zipf(10_000, 0.99).cdf[9], len(age))


def test_ycsb_e_scans_and_f_read_modify_write():
    trace = build_workload("ycsb", {"workload": "E", "requests": 100_000, "arrival": "fixed"}, seed=2)
    c = _all(trace)
    ids = trace._mapper.originals[c.key]
    starts = np.flatnonzero(np.diff(np.concatenate([[-1.0], c.time])) > 0)  # one operation per arrival
    lengths = np.diff(np.append(starts, len(c)))
    scans = lengths[c.op[starts] == OP_GET]
    assert 1 <= scans.min() and scans.max() <= 100 and abs(scans.mean() - 50.5) < 3
    first_scan = slice(starts[np.argmax(lengths)], starts[np.argmax(lengths)] + lengths.max())
    assert (np.diff(ids[first_scan]) == 1).all()        # consecutive keys
    f = _all(build_workload("ycsb", {"workload": "F", "requests": 100_000}, seed=2))
    sets = np.flatnonzero(f.op == OP_SET)
    assert (f.op[sets - 1] == OP_GET).all() and (f.key[sets - 1] == f.key[sets]).all()
    assert (f.time[sets - 1] == f.time[sets]).all()
    assert _within(len(sets) / (len(f) - len(sets)), 0.5, len(f) - len(sets))


def _top(keys: np.ndarray, k: int = 50) -> set:
    counts = np.bincount(keys)
    return set(np.argsort(counts)[::-1][:k].tolist())


def test_shifting_hot_set_changes_at_the_period():
    period = 10.0
    c = _all(build_workload("shifting", {"requests": 400_000, "rate": 10_000, "period": period,
                                         "keys": 20_000, "alpha": 1.1}, seed=9))
    windows = [c.key[(c.time >= t) & (c.time < t + 2.5)] for t in np.arange(0, 40, 2.5)]
    for i in range(1, len(windows)):
        overlap = len(_top(windows[i - 1]) & _top(windows[i])) / 50
        crosses = (i * 2.5) % period == 0
        assert overlap < 0.2 if crosses else overlap > 0.6, (i, overlap)


def test_namespaces_keep_their_shares_sizes_ttls_and_key_lengths():
    trace = build_workload("namespaces", {"requests": 200_000, "key-len": 24}, seed=4)
    c = _all(trace)
    names = np.asarray(trace.key_namer.names_for(c.key).to_pylist(), dtype=object)
    prefix = np.asarray([n.split(":", 1)[0] for n in names])
    for ns, share in (("session", 0.3), ("cache", 0.6), ("queue", 0.1)):
        sel = prefix == ns
        assert _within(sel.mean(), share, len(c)), ns
    assert (c.key_len == 24).all()
    assert (c.size[prefix == "session"] == 200).all() and (c.ttl_ms[prefix == "session"] == 1_800_000).all()
    assert (c.ttl_ms[prefix == "queue"] == 0).all()
    cache_ttl = c.ttl_ms[prefix == "cache"]
    assert cache_ttl.min() >= 60_000 and cache_ttl.max() <= 3_600_000
    short = _all(build_workload("namespaces", {"requests": 1000}, seed=4))
    assert set(np.unique(short.key_len)) == {len("session:") + 8, len("cache:") + 8, len("queue:") + 8}


def test_hotspot_share():
    trace = build_workload("hotspot", {"requests": 200_000, "keys": 10_000, "hot-keys": 0.1,
                                       "hot-traffic": 0.9}, seed=4)
    c = _all(trace)
    hot = set(trace.workload.hot_keys().tolist())
    originals = trace._mapper.originals[c.key]
    assert len(hot) == 1000 and _within(np.isin(originals, list(hot)).mean(), 0.9, len(c))


def test_scan_reads_cold_keys_in_order_every_interval():
    trace = build_workload("scan", {"requests": 300_000, "rate": 10_000, "keys": 5000, "scan-every": 5,
                                    "scan-length": 2000, "scan-share": 0.5}, seed=4)
    c = _all(trace)
    ids = trace._mapper.originals[c.key]
    cold = ids >= 5000
    assert cold.sum() == 5 * 2000                       # scans start at 5, 10, 15, 20, 25 s
    starts = c.time[cold][::2000]
    assert np.allclose(starts, [5, 10, 15, 20, 25], atol=0.01)
    assert (np.diff(ids[cold]) % 2000 == 1).all()       # sequential, wrapping over the cold range
    assert _within(np.mean(cold[(c.time >= 5) & (c.time < c.time[cold][1999])]), 0.5, 4000)


def test_diurnal_rate_follows_the_curve():
    c = _all(build_workload("diurnal", {"requests": 400_000, "rate": 2000, "curve-period": 100,
                                        "peak": 25, "amplitude": 0.5}, seed=4))
    counts, _ = np.histogram(c.time, bins=np.arange(0, 200, 10))
    centers = np.arange(5, 195, 10)
    expected = 2000 * 10 * (1 + 0.5 * np.cos(2 * np.pi * (centers - 25) / 100))
    assert np.all(np.abs(counts - expected) < 0.03 * expected + 5 * np.sqrt(expected))


def test_arrival_processes_and_stop_rules():
    fixed = _all(build_workload("uniform", {"requests": 1000, "rate": 100, "arrival": "fixed"}, seed=1))
    assert np.allclose(np.diff(fixed.time), 0.01)
    poisson = _all(build_workload("uniform", {"requests": 100_000, "rate": 500}, seed=1))
    gaps = np.diff(poisson.time)
    assert abs(gaps.mean() * 500 - 1) < 0.02 and abs(gaps.std() / gaps.mean() - 1) < 0.03
    timed = _all(build_workload("uniform", {"requests": 10**9, "duration": 3, "rate": 1000}, seed=1))
    assert timed.time[-1] < 3 and abs(len(timed) - 3000) < 300


def test_value_sizes_ttls_and_op_mix():
    c = _all(build_workload("uniform", {
        "requests": 100_000, "keys": 20_000, "set-fraction": 0.2, "del-fraction": 0.1,
        "value-size": {"dist": "lognormal", "median": 300, "sigma": 1.0},
        "ttl": {"dist": "uniform", "min": 10, "max": 90}, "ttl-fraction": 0.6}, seed=8))
    n = len(c)
    assert _within(np.mean(c.op == OP_SET), 0.2, n) and _within(np.mean(c.op == OP_DEL), 0.1, n)
    per_key_size = np.zeros(c.max_key + 1)
    per_key_size[c.key] = np.where(c.op == OP_DEL, np.nan, c.size)
    sizes = c.size[c.op != OP_DEL]
    assert abs(np.median(np.unique(np.stack([c.key[c.op != OP_DEL], sizes]), axis=1)[1]) / 300 - 1) < 0.05
    keys_ttl = np.zeros(c.max_key + 1, bool)
    keys_ttl[c.key[c.op != OP_DEL]] = c.ttl_ms[c.op != OP_DEL] > 0
    assert _within(keys_ttl.mean(), 0.6, c.max_key + 1)
    ttl = c.ttl_ms[c.ttl_ms > 0]
    assert ttl.min() >= 10_000 and ttl.max() <= 90_000
    hist = _all(build_workload("uniform", {"requests": 50_000, "keys": 50_000, "value-size": {
        "dist": "empirical", "sizes": [100, 1000], "weights": [3, 1]}}, seed=8))
    assert set(np.unique(hist.size)) == {100, 1000}
    assert _within(np.mean(hist.size == 100), 0.75, hist.max_key + 1)


def test_explicit_fill_is_declared():
    assert build_workload("zipf", {"fill": "explicit", "set-fraction": 0.5}, seed=1).fill == "explicit"
