"""Exact LFU: evict the key with the fewest requests since it was inserted.

Tie rule (libCacheSim ``LFU.c``'s, from its frequency buckets): among the least-frequent keys, the
one that reached that count earliest goes first. A key's count starts at 1 on insertion and is
forgotten when it leaves. Kept as a max-heap on ``-(count * 2**40 + vtime of the last count
change)``. No parameters.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.exact.heap import grow_heap, heap_change, heap_insert, heap_remove, heap_top, new_heap
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.spec import ExactPolicySpec

LfuState = namedtuple("LfuState", "slots position rank count")
STAMP_BITS = 40


def new_state(capacity: int, params: dict) -> LfuState:
    return LfuState(*new_heap(capacity), np.zeros(capacity, np.int64), np.zeros(capacity, np.int64))


def grow(state: LfuState, capacity: int) -> LfuState:
    rank = np.zeros(capacity, np.int64)
    rank[:len(state.rank)] = state.rank
    count = np.zeros(capacity, np.int64)
    count[:len(state.count)] = state.count
    return LfuState(*grow_heap(state.slots, state.position, capacity), rank, count)


@kernel(inline=True)
def _rank(count, vtime):
    return -((count << STAMP_BITS) + vtime)


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    state.count[k] += 1
    heap_change(state.slots, state.position, state.rank, k, _rank(state.count[k], vtime))


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    state.count[k] = 1
    state.rank[k] = _rank(1, vtime)
    heap_insert(state.slots, state.position, state.rank, k)


@kernel
def on_remove(state, k):
    heap_remove(state.slots, state.position, state.rank, k)
    state.count[k] = 0


@kernel
def victim(state, vtime):
    return heap_top(state.slots)


register_hooks(LfuState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               takes_core=False)
SPEC = ExactPolicySpec("lfu", __doc__.split("\n")[0], {}, new_state, grow, LfuState)
