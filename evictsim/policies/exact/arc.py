"""ARC (Megiddo & Modha, FAST'03) by bytes, as libCacheSim 0.3.5's ``ARC.c`` runs it.

Two LRU lists of resident keys, L1 (seen once recently) and L2 (seen at least twice), each with a
ghost list of keys it evicted (ids and sizes), and a target ``p`` for L1's bytes. A hit in L1 moves
the key to L2's head; a miss found in a ghost adapts ``p`` (L1 ghost: ``+max(|B2|/|B1|, 1)`` up to
the cache size; L2 ghost: ``-max(|B1|/|B2|, 1)`` down to 0, in bytes), leaves the ghost and is
inserted in L2. Victims follow libCacheSim's ``_ARC_replace`` / ``_ARC_evict_miss_on_all_queues``
(case IV of the paper with the incoming object's size), including its tie rule ``|T1| == p`` after a
hit in L2's ghost. Ghost sizes are libCacheSim's: L1 + its ghost within the cache, all four lists
within twice the cache.

Parameters: ``cache-bytes`` (set by the core).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.lists import (
    enter_list,
    grow_links,
    grown,
    leave_list,
    move_to_head,
    new_links,
    tail_of,
)
from evictsim.policies.exact.spec import CACHE_BYTES, ExactPolicySpec

ArcState = namedtuple("ArcState", "prev next ends where size meta target")
NOWHERE, T1, T2, B1, B2 = -1, 0, 1, 2, 3
# meta: bytes per list (T1, T2, B1, B2), cache bytes, ghost-hit flags and the vtime they belong to,
# the incoming object's size and vtime (noted by admit)
CACHE, IN_B1, IN_B2, GHOST_VTIME, INCOMING_SIZE, INCOMING_VTIME = 4, 5, 6, 7, 8, 9


def new_state(capacity: int, params: dict) -> ArcState:
    meta = np.zeros(10, np.int64)
    meta[CACHE] = int(params[CACHE_BYTES])
    meta[GHOST_VTIME] = meta[INCOMING_VTIME] = -1
    return ArcState(*new_links(capacity, 4), np.full(capacity, NOWHERE, np.int8),
                    np.zeros(capacity, np.int64), meta, np.zeros(1, np.float64))


def grow(state: ArcState, capacity: int) -> ArcState:
    return ArcState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends,
                    grown(state.where, capacity, NOWHERE), grown(state.size, capacity, 0), state.meta, state.target)


@kernel
def admit(state, k, size, vtime):
    meta = state.meta
    where = state.where[k]
    if where == B1 or where == B2:
        meta[GHOST_VTIME] = vtime
        meta[IN_B1] = 1 if where == B1 else 0
        meta[IN_B2] = 1 - meta[IN_B1]
        if where == B1:
            delta = max(meta[B2] / meta[B1], 1.0)
            state.target[0] = min(state.target[0] + delta, meta[CACHE])
        else:
            delta = max(meta[B1] / meta[B2], 1.0)
            state.target[0] = max(state.target[0] - delta, 0.0)
        leave_list(state, k)
    meta[INCOMING_SIZE], meta[INCOMING_VTIME] = size, vtime
    return True


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    state.meta[IN_B1] = state.meta[IN_B2] = 0
    if state.where[k] == T1:
        leave_list(state, k)
        enter_list(state, T2, k)
    else:
        move_to_head(state.prev, state.next, state.ends, T2, k)


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    meta = state.meta
    state.size[k] = size
    if meta[GHOST_VTIME] == vtime and (meta[IN_B1] or meta[IN_B2]):
        enter_list(state, T2, k)
        meta[IN_B1] = meta[IN_B2] = 0
        meta[GHOST_VTIME] = -1
    else:
        enter_list(state, T1, k)


@kernel
def on_remove(state, k):
    where = state.where[k]
    if where == T1 or where == T2:      # a ghost (or NOWHERE) key here was just named by victim()
        leave_list(state, k)


@kernel
def _replace(state):
    """The paper's REPLACE: move T1's or T2's LRU key to its ghost; returns it."""
    meta = state.meta
    p = state.target[0]
    from_t1 = meta[T1] > 0 and (meta[T1] > p or (meta[T1] == p and meta[IN_B2] != 0))
    lst = T1 if from_t1 or meta[T2] == 0 else T2
    k = tail_of(state.ends, lst)
    leave_list(state, k)
    enter_list(state, B1 if lst == T1 else B2, k)
    return k


@kernel
def _drop_ghost_tail(state, ghost):
    leave_list(state, tail_of(state.ends, ghost))


@kernel
def victim(state, vtime):
    meta = state.meta
    if meta[T1] + meta[T2] == 0:
        return -1
    if meta[GHOST_VTIME] == vtime and (meta[IN_B1] or meta[IN_B2]):
        return _replace(state)
    incoming = meta[INCOMING_SIZE] if meta[INCOMING_VTIME] == vtime else 0
    if meta[T1] + meta[B1] + incoming > meta[CACHE]:
        if meta[B1] > 0:
            _drop_ghost_tail(state, B1)
            return _replace(state)
        k = tail_of(state.ends, T1)
        leave_list(state, k)
        return k
    if meta[T1] + meta[B1] + meta[T2] + meta[B2] >= 2 * meta[CACHE] and meta[B2] > 0:
        _drop_ghost_tail(state, B2)
    return _replace(state)


register_hooks(ArcState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               admit=admit, takes_core=False)
SPEC = ExactPolicySpec("arc", __doc__.split("\n")[0], {CACHE_BYTES: 0}, new_state, grow, ArcState)
