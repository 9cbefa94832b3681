"""FIFO: keys leave in insertion order; hits change nothing.

libCacheSim ``FIFO.c``. No parameters.
"""
from __future__ import annotations

from collections import namedtuple

from evictsim.jit import kernel
from evictsim.policies.contract import register_hooks
from evictsim.policies.exact.lists import grow_links, new_links, push_head, tail_of, unlink
from evictsim.policies.exact.spec import ExactPolicySpec

FifoState = namedtuple("FifoState", "prev next ends")


def new_state(capacity: int, params: dict) -> FifoState:
    return FifoState(*new_links(capacity, 1))


def grow(state: FifoState, capacity: int) -> FifoState:
    return FifoState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends)


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    pass


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    push_head(state.prev, state.next, state.ends, 0, k)


@kernel
def on_remove(state, k):
    unlink(state.prev, state.next, state.ends, 0, k)


@kernel
def victim(state, vtime):
    return tail_of(state.ends, 0)


register_hooks(FifoState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               takes_core=False)
SPEC = ExactPolicySpec("fifo", __doc__.split("\n")[0], {}, new_state, grow, FifoState)
