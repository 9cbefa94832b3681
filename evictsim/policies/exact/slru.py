"""Segmented LRU with ``segments`` equal LRU segments by bytes, as libCacheSim 0.3.5's ``SLRU.c`` runs it.

A new key enters the lowest segment with room for it (segment 0 when none has). A hit in the top
segment moves the key to its head; a hit lower down promotes it to the head of the next segment up,
and any segment now over its share passes its LRU key down to the head of the one below, in cascade;
segment 0 over its share after such a cascade evicts its LRU keys (through ``overflow``). The victim
is the LRU key of the lowest non-empty segment. Objects larger than a segment are not admitted.

Parameters: ``segments`` 4, ``cache-bytes`` (set by the core).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.lists import (
    grow_links,
    grown,
    move_to_head,
    new_links,
    push_head,
    tail_of,
    unlink,
)
from evictsim.policies.exact.spec import CACHE_BYTES, ExactPolicySpec

SlruState = namedtuple("SlruState", "prev next ends segment size seg_bytes seg_cap meta")
N_SEGMENTS, COOLED_INTO_FIRST = 0, 1


def new_state(capacity: int, params: dict) -> SlruState:
    n = int(params["segments"])
    if not 1 <= n <= 64:
        raise ValueError(f"segments: expected 1..64, got {n}")
    seg_cap = np.full(n, int(params[CACHE_BYTES]) // n, np.int64)
    return SlruState(*new_links(capacity, n), np.full(capacity, -1, np.int16),
                     np.zeros(capacity, np.int64), np.zeros(n, np.int64), seg_cap,
                     np.array([n, 0], np.int64))


def grow(state: SlruState, capacity: int) -> SlruState:
    return SlruState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends,
                     grown(state.segment, capacity, -1), grown(state.size, capacity, 0),
                     state.seg_bytes, state.seg_cap,
                     state.meta)


@kernel(inline=True)
def _enter(state, seg, k):
    push_head(state.prev, state.next, state.ends, seg, k)
    state.segment[k] = seg
    state.seg_bytes[seg] += state.size[k]


@kernel(inline=True)
def _leave(state, k):
    seg = state.segment[k]
    unlink(state.prev, state.next, state.ends, seg, k)
    state.segment[k] = -1
    state.seg_bytes[seg] -= state.size[k]


@kernel
def admit(state, k, size, vtime):
    return size <= state.seg_cap[0]


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    top = state.meta[N_SEGMENTS] - 1
    seg = state.segment[k]
    if seg == top:
        move_to_head(state.prev, state.next, state.ends, seg, k)
        return
    _leave(state, k)
    _enter(state, seg + 1, k)
    for upper in range(seg + 1, 0, -1):     # each over-full segment cools into the one below
        while state.seg_bytes[upper] > state.seg_cap[upper]:
            moved = tail_of(state.ends, upper)
            _leave(state, moved)
            _enter(state, upper - 1, moved)
            if upper == 1:
                state.meta[COOLED_INTO_FIRST] = 1


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    state.size[k] = size
    for seg in range(state.meta[N_SEGMENTS]):
        if state.seg_bytes[seg] + size <= state.seg_cap[seg]:
            _enter(state, seg, k)
            return
    _enter(state, 0, k)


@kernel
def on_remove(state, k):
    if state.segment[k] >= 0:           # -1 here: just named by victim() or overflow()
        _leave(state, k)


@kernel
def victim(state, vtime):
    for seg in range(state.meta[N_SEGMENTS]):
        if state.seg_bytes[seg] > 0:
            k = tail_of(state.ends, seg)
            _leave(state, k)
            return k
    return -1


@kernel
def overflow(state, vtime):
    """After a cascade reached segment 0: its LRU keys while it is over its share."""
    if state.meta[COOLED_INTO_FIRST] == 0:
        return -1
    if state.seg_bytes[0] <= state.seg_cap[0]:
        state.meta[COOLED_INTO_FIRST] = 0
        return -1
    k = tail_of(state.ends, 0)
    _leave(state, k)
    return k


register_hooks(SlruState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               admit=admit, overflow=overflow, takes_core=False)
SPEC = ExactPolicySpec("slru", __doc__.split("\n")[0], {"segments": 4, CACHE_BYTES: 0},
                       new_state, grow, SlruState)
