"""Progressive (lazy) freeing, MECHANICS §12: strings are always freed synchronously, so the lazyfree
settings change nothing for them; a big aggregate value is freed by the background thread, so
used_memory drops with a delay and eviction overshoots (it keeps evicting until the 16-key check
sees used_memory under maxmemory)."""
from __future__ import annotations

import numpy as np

import evictsim
from evictsim.traces.base import VT_AGGREGATE
from conftest import make_chunk

LAZY = {"lazyfree-lazy-eviction": "yes", "lazyfree-lazy-expire": "yes", "lazyfree-lazy-server-del": "yes",
        "lazyfree-lazy-user-del": "yes"}


def test_lazyfree_changes_nothing_for_strings():
    chunk = make_chunk(30_000, 3_000, seed=11, p_set=0.2, p_del=0.1, ttl_frac=0.5, ttl_ms=(10, 500))
    a = evictsim.simulate(chunk, maxmemory=1_800_000, policy="allkeys-lru", record_outcomes=True)
    b = evictsim.simulate(chunk, maxmemory=1_800_000, policy="allkeys-lru", record_outcomes=True, config=LAZY)
    assert np.array_equal(a.outcomes, b.outcomes)
    assert a.summary["used_memory"] == b.summary["used_memory"]


def _aggregate_chunk():
    chunk = make_chunk(20_000, 1_500, seed=12, size=(5_000, 40_000), rate=2000)
    chunk.vtype = np.full(len(chunk), VT_AGGREGATE, np.uint8)
    return chunk


def test_big_aggregates_are_freed_in_the_background():
    chunk = _aggregate_chunk()
    mm = 8_000_000
    sync = evictsim.simulate(chunk, maxmemory=mm, policy="allkeys-lru", record_memory=True)
    lazy = evictsim.simulate(chunk, maxmemory=mm, policy="allkeys-lru", record_memory=True,
                             config={"lazyfree-lazy-eviction": "yes", "lazyfree-bytes-per-s": 1e8})
    # synchronous frees: after each eviction step used_memory is under maxmemory
    assert sync.extras["memory"][:, 0].max() <= mm
    # background frees: eviction only counts the synchronous part, so it overshoots: more keys go
    assert lazy.summary["evicted_keys"] > sync.summary["evicted_keys"]
    assert lazy.summary["keys"] < sync.summary["keys"]
    assert lazy.summary["rejected_writes"] == 0


def test_a_lazyfree_thread_slower_than_the_writes_starves_the_keyspace():
    """Evicting cannot get under maxmemory while the frees wait in the queue: memory sits above it
    after eviction, everything evictable goes, and with nothing left to evict writes fail (-OOM)."""
    chunk = _aggregate_chunk()
    mm = 8_000_000
    res = evictsim.simulate(chunk, maxmemory=mm, policy="allkeys-lru", record_memory=True,
                            config={"lazyfree-lazy-eviction": "yes", "lazyfree-bytes-per-s": 1e7})
    assert res.extras["memory"][:, 0].max() > mm
    assert res.summary["rejected_writes"] > 0
