"""SIEVE (Zhang et al., NSDI'24; libCacheSim ``Sieve.c``): FIFO order, a visited bit, a moving hand.

A hit sets the key's visited bit. To evict, the hand walks from where it stopped (the tail at first)
towards the head, clearing visited bits, wrapping to the tail, and evicts the first unvisited key;
it then rests on that key's newer neighbour. New keys enter at the head. No parameters.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.lists import grow_links, new_links, push_head, tail_of, unlink
from evictsim.policies.exact.spec import ExactPolicySpec

SieveState = namedtuple("SieveState", "prev next ends visited hand")


def new_state(capacity: int, params: dict) -> SieveState:
    return SieveState(*new_links(capacity, 1), np.zeros(capacity, np.uint8), np.full(1, -1, np.int64))


def grow(state: SieveState, capacity: int) -> SieveState:
    visited = np.zeros(capacity, np.uint8)
    visited[:len(state.visited)] = state.visited
    return SieveState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends,
                      visited, state.hand)


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    state.visited[k] = 1


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    push_head(state.prev, state.next, state.ends, 0, k)
    state.visited[k] = 0


@kernel
def on_remove(state, k):
    if state.hand[0] == k:
        state.hand[0] = state.prev[k]
    unlink(state.prev, state.next, state.ends, 0, k)


@kernel
def victim(state, vtime):
    k = state.hand[0] if state.hand[0] >= 0 else tail_of(state.ends, 0)
    if k < 0:
        return -1
    while state.visited[k] > 0:
        state.visited[k] = 0
        k = state.prev[k] if state.prev[k] >= 0 else tail_of(state.ends, 0)
    state.hand[0] = state.prev[k]
    return k


register_hooks(SieveState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               takes_core=False)
SPEC = ExactPolicySpec("sieve", __doc__.split("\n")[0], {}, new_state, grow, SieveState)
