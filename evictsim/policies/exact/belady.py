"""Belady's MIN: evict the key whose next request is farthest in the future (libCacheSim ``Belady.c``).

Needs each request's next access (computed from the trace when the format has none). Keys that are
never requested again all tie at "infinitely far"; the tie goes to whichever the max-heap holds on
top, with the heap moving entries exactly as libCacheSim's ``pqueue.c`` (see ``heap``), so the same
key is evicted as there. No parameters.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.exact.heap import grow_heap, heap_change, heap_insert, heap_remove, heap_top, new_heap
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.spec import ExactPolicySpec

BeladyState = namedtuple("BeladyState", "slots position next_access")


def new_state(capacity: int, params: dict) -> BeladyState:
    return BeladyState(*new_heap(capacity), np.zeros(capacity, np.int64))


def grow(state: BeladyState, capacity: int) -> BeladyState:
    next_access = np.zeros(capacity, np.int64)
    next_access[:len(state.next_access)] = state.next_access
    return BeladyState(*grow_heap(state.slots, state.position, capacity), next_access)


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    heap_change(state.slots, state.position, state.next_access, k, next_vtime)


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    state.next_access[k] = next_vtime
    heap_insert(state.slots, state.position, state.next_access, k)


@kernel
def on_remove(state, k):
    heap_remove(state.slots, state.position, state.next_access, k)


@kernel
def victim(state, vtime):
    return heap_top(state.slots)


register_hooks(BeladyState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               takes_core=False)
SPEC = ExactPolicySpec("belady", __doc__.split("\n")[0], {}, new_state, grow, BeladyState,
                       needs_next_access=True)
