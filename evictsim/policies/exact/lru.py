"""Exact LRU: one recency list; a hit moves the key to the head, the victim is the tail.

libCacheSim ``LRU.c``. No parameters.
"""
from __future__ import annotations

from collections import namedtuple

from evictsim.jit import kernel
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.lists import grow_links, move_to_head, new_links, push_head, tail_of, unlink
from evictsim.policies.exact.spec import ExactPolicySpec

LruState = namedtuple("LruState", "prev next ends")


def new_state(capacity: int, params: dict) -> LruState:
    return LruState(*new_links(capacity, 1))


def grow(state: LruState, capacity: int) -> LruState:
    return LruState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends)


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    move_to_head(state.prev, state.next, state.ends, 0, k)


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    push_head(state.prev, state.next, state.ends, 0, k)


@kernel
def on_remove(state, k):
    unlink(state.prev, state.next, state.ends, 0, k)


@kernel
def victim(state, vtime):
    return tail_of(state.ends, 0)


register_hooks(LruState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               takes_core=False)
SPEC = ExactPolicySpec("lru", __doc__.split("\n")[0], {}, new_state, grow, LruState)
