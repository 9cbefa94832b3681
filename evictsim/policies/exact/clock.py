"""CLOCK with an n-bit reference counter (libCacheSim ``Clock.c``).

A hit raises the key's counter by one up to ``2**clock-bits - 1``; a new key starts at ``init-freq``.
To evict, the hand looks at the oldest key: a non-zero counter is decremented and the key goes back
to the head (a second chance), until a key with counter 0 is found.

Parameters: ``clock-bits`` (default 1: classic CLOCK), ``init-freq`` (default 0).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.lists import grow_links, move_to_head, new_links, push_head, tail_of, unlink
from evictsim.policies.exact.spec import ExactPolicySpec

ClockState = namedtuple("ClockState", "prev next ends counter config")
MAX_COUNT, INIT_COUNT = 0, 1


def new_state(capacity: int, params: dict) -> ClockState:
    bits = int(params["clock-bits"])
    if not 1 <= bits <= 16:
        raise ValueError(f"clock-bits: expected 1..16, got {bits}")
    config = np.array([(1 << bits) - 1, int(params["init-freq"])], np.int64)
    return ClockState(*new_links(capacity, 1), np.zeros(capacity, np.int64), config)


def grow(state: ClockState, capacity: int) -> ClockState:
    counter = np.zeros(capacity, np.int64)
    counter[:len(state.counter)] = state.counter
    return ClockState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends,
                      counter, state.config)


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    if state.counter[k] < state.config[MAX_COUNT]:
        state.counter[k] += 1


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    push_head(state.prev, state.next, state.ends, 0, k)
    state.counter[k] = state.config[INIT_COUNT]


@kernel
def on_remove(state, k):
    unlink(state.prev, state.next, state.ends, 0, k)


@kernel
def victim(state, vtime):
    k = tail_of(state.ends, 0)
    while k >= 0 and state.counter[k] >= 1:
        state.counter[k] -= 1
        move_to_head(state.prev, state.next, state.ends, 0, k)
        k = tail_of(state.ends, 0)
    return k


register_hooks(ClockState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               takes_core=False)
SPEC = ExactPolicySpec("clock", __doc__.split("\n")[0], {"clock-bits": 1, "init-freq": 0},
                       new_state, grow, ClockState)
