"""S3-FIFO (Yang et al., SOSP'23), as libCacheSim 0.3.5's ``S3FIFO.c`` runs it.

Three FIFO queues by bytes: *small* (``small-size-ratio`` of the cache), *main* (the rest) and a
*ghost* of evicted keys (``ghost-size-ratio`` of the cache, ids and sizes only). A new key enters
small, or main if it is in the ghost. Each hit adds one to the key's count (uncapped in small). To
evict: if main is over its share or small is empty, main's oldest key is re-inserted at main's head
with ``min(count, 3) - 1`` while its count is at least 1, else evicted; otherwise small's oldest key
moves to main (count reset to 0) if its count reaches ``move-to-main-threshold``, else it is evicted
into the ghost. Until the first eviction, new keys that find small full go to main. As in libCacheSim an object must fit small to be admitted, and one of exactly small's
size causes evictions and is then dropped (done here through ``overflow``).

Parameters: ``small-size-ratio`` 0.1, ``ghost-size-ratio`` 0.9, ``move-to-main-threshold`` 2
(libCacheSim 0.3.5's Python defaults), ``cache-bytes`` (set by the core).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.lists import grow_links, grown, new_links, push_head, tail_of, unlink
from evictsim.policies.exact.spec import CACHE_BYTES, ExactPolicySpec

S3FifoState = namedtuple("S3FifoState", "prev next ends where count size meta")
NOWHERE, SMALL, MAIN, GHOST = -1, 0, 1, 2
# meta slots: bytes per queue, capacities, threshold, pending ghost hit, key to drop
SMALL_BYTES, MAIN_BYTES, GHOST_BYTES, SMALL_CAP, MAIN_CAP, GHOST_CAP, THRESHOLD, \
    GHOST_HIT_KEY, GHOST_HIT_VTIME, DROP, HAS_EVICTED = range(11)


def new_state(capacity: int, params: dict) -> S3FifoState:
    cache = int(params[CACHE_BYTES])
    small = int(cache * float(params["small-size-ratio"]))
    meta = np.zeros(11, np.int64)
    meta[SMALL_CAP], meta[MAIN_CAP] = small, cache - small
    meta[GHOST_CAP] = int(cache * float(params["ghost-size-ratio"]))
    meta[THRESHOLD] = int(params["move-to-main-threshold"])
    meta[GHOST_HIT_KEY] = meta[DROP] = -1
    return S3FifoState(*new_links(capacity, 3), np.full(capacity, NOWHERE, np.int8),
                       np.zeros(capacity, np.int64), np.zeros(capacity, np.int64), meta)


def grow(state: S3FifoState, capacity: int) -> S3FifoState:
    return S3FifoState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends,
                       grown(state.where, capacity, NOWHERE), grown(state.count, capacity, 0), grown(state.size, capacity, 0),
                       state.meta)


@kernel(inline=True)
def _enter(state, queue, k):
    push_head(state.prev, state.next, state.ends, queue, k)
    state.where[k] = queue
    state.meta[SMALL_BYTES + queue] += state.size[k]


@kernel(inline=True)
def _leave(state, k):
    queue = state.where[k]
    unlink(state.prev, state.next, state.ends, queue, k)
    state.where[k] = NOWHERE
    state.meta[SMALL_BYTES + queue] -= state.size[k]


@kernel
def _remember(state, k):
    """Put an evicted key in the ghost FIFO (libCacheSim: ``ghost->get``)."""
    cap = state.meta[GHOST_CAP]
    if cap <= 0 or state.size[k] > cap:
        return
    while state.meta[GHOST_BYTES] + state.size[k] > cap:
        _leave(state, tail_of(state.ends, GHOST))
    _enter(state, GHOST, k)


@kernel
def admit(state, k, size, vtime):
    if state.where[k] == GHOST:
        _leave(state, k)
        state.meta[GHOST_HIT_KEY], state.meta[GHOST_HIT_VTIME] = k, vtime
    return size <= state.meta[SMALL_CAP]


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    state.count[k] += 1


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    state.size[k] = size
    state.count[k] = 0
    if state.meta[GHOST_HIT_KEY] == k and state.meta[GHOST_HIT_VTIME] == vtime:
        state.meta[GHOST_HIT_KEY] = -1
        _enter(state, MAIN, k)
    elif size >= state.meta[SMALL_CAP]:
        state.meta[DROP] = k            # libCacheSim evicted for it, then does not insert it
    elif state.meta[HAS_EVICTED] == 0 and state.meta[SMALL_BYTES] >= state.meta[SMALL_CAP]:
        _enter(state, MAIN, k)          # until the first eviction, a full small spills into main
    else:
        _enter(state, SMALL, k)


@kernel
def on_remove(state, k):
    if state.meta[DROP] == k:
        state.meta[DROP] = -1
    where = state.where[k]
    if where == SMALL or where == MAIN:   # a GHOST key here was just named by victim()
        _leave(state, k)


@kernel
def _evict_main(state):
    k = tail_of(state.ends, MAIN)
    while k >= 0:
        if state.count[k] >= 1:
            _leave(state, k)
            _enter(state, MAIN, k)
            state.count[k] = min(state.count[k], 3) - 1
        else:
            _leave(state, k)
            return k
        k = tail_of(state.ends, MAIN)
    return -1


@kernel
def _evict_small(state):
    """Evict small's first key below the threshold, moving the others to main; -1 if none."""
    k = tail_of(state.ends, SMALL)
    while k >= 0:
        _leave(state, k)
        if state.count[k] >= state.meta[THRESHOLD]:
            _enter(state, MAIN, k)
            state.count[k] = 0
        else:
            _remember(state, k)
            return k
        k = tail_of(state.ends, SMALL)
    return -1


@kernel
def victim(state, vtime):
    state.meta[HAS_EVICTED] = 1
    while True:
        if state.meta[MAIN_BYTES] > state.meta[MAIN_CAP] or state.meta[SMALL_BYTES] == 0:
            return _evict_main(state)
        k = _evict_small(state)
        if k >= 0:
            return k


@kernel
def overflow(state, vtime):
    return state.meta[DROP]


register_hooks(S3FifoState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               admit=admit, overflow=overflow, takes_core=False)
SPEC = ExactPolicySpec("s3fifo", __doc__.split("\n")[0],
                       {"small-size-ratio": 0.1, "ghost-size-ratio": 0.9, "move-to-main-threshold": 2,
                        CACHE_BYTES: 0}, new_state, grow, S3FifoState)
