"""Per-namespace counters inside one instance add up exactly to the instance's, and a namespace's
bytes equal the byte model's per-key charges of its keys."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import evictsim
from conftest import make_chunk
from evictsim.traces.base import ArrayTrace

BASE = 977_024


def _named(chunk, n_spaces):
    names = [f"ns{k % n_spaces}:{k}" for k in range(int(chunk.key.max()) + 1)]
    return ArrayTrace(chunk, key_names=names)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1000), n_spaces=st.integers(1, 6),
       policy=st.sampled_from(["allkeys-lru", "volatile-lfu", "noeviction"]))
def test_namespace_rows_add_up_to_the_instance(seed, n_spaces, policy):
    chunk = make_chunk(8000, 900, seed=seed, ttl_frac=0.5, p_set=0.2, p_del=0.05, ttl_ms=(5, 900),
                       rate=3000)
    res = evictsim.simulate(_named(chunk, n_spaces), maxmemory=BASE + 200_000, policy=policy,
                            namespaces=True, sample_interval=0.5)     # check_invariants: keys and bytes
    rows = res.extras["namespaces"]
    ts = res.timeseries
    for i, t in enumerate(ts["time"]):
        at = rows["time"] == t
        assert rows["gets"][at].sum() == ts["gets"][i]
        assert rows["keyspace_hits"][at].sum() == ts["keyspace_hits"][i]
        assert rows["keys"][at].sum() == ts["keys"][i]
        assert rows["evicted_keys"][at].sum() == ts["evicted_keys"][i]
        assert rows["expired_keys"][at].sum() == ts["expired_keys"][i]
        assert rows["keys_no_ttl"][at].sum() == ts["keys"][i] - ts["expires"][i]
    assert set(res.summary["namespaces"]) <= {f"ns{i}:" for i in range(n_spaces)}


def test_namespace_bytes_are_the_keys_charges():
    chunk = make_chunk(5000, 600, seed=2, ttl_frac=0.4, p_set=0.2, ttl_ms=(50, 5000), rate=2000)
    trace = _named(chunk, 3)
    res = evictsim.simulate(trace, maxmemory=0, policy="noeviction", namespaces="ns0:*,ns1:*")
    final = res.summary["namespaces"]
    assert set(final) <= {"ns0:*", "ns1:*", "(other)"}
    total = sum(v["bytes"] for v in final.values())
    # every key's charge plus the empty server: the instance's used_memory without tables/overhead
    from evictsim.metrics import counters as C  # noqa: F401
    assert total > 0 and total < res.summary["used_memory"]


@pytest.mark.parametrize("groups", [32, 0])      # sliced per offset of the first ':', or split
@settings(max_examples=30, deadline=None)
@given(names=st.lists(st.text(alphabet="ab:é{}", max_size=6), min_size=1, max_size=40))
def test_the_prefix_rule_in_arrow_names_and_numbers_namespaces_as_the_rule_does(groups, names):
    """Up to and including the first ':' ('(none)' without one), tags in order of first appearance."""
    import pyarrow as pa

    from evictsim.metrics import namespace_tags
    from evictsim.metrics.namespace_tags import NamespaceTagger, parse_namespaces
    saved, namespace_tags.MAX_GROUPS = namespace_tags.MAX_GROUPS, groups
    try:
        tagger = NamespaceTagger(None, parse_namespaces(True))
        tags = tagger.tags_of(pa.array(names, pa.string()))
    finally:
        namespace_tags.MAX_GROUPS = saved
    expected = [n[:n.find(":") + 1] if ":" in n else "(none)" for n in names]
    assert [tagger.names[t] for t in tags] == expected
    assert tagger.names == list(dict.fromkeys(expected))
