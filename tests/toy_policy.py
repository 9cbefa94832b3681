"""A test-only policy registered from outside the package: MRU (evict the most recently used key).

It proves the seam: one module, no change under ``evictsim/``, and the policy runs through
``evictsim simulate``, the API and the oracle. State: a doubly linked recency list over key ids
(``prev``/``next``, -1 = none) and ``ends`` = [head (most recent), tail, resident count].
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.keyspace.state import _grow
from evictsim.policies import POLICIES, PolicySpec, register_policy
from evictsim.policies.contract import HOOKS, register_hooks

MruState = namedtuple("MruState", "prev next ends")
HEAD, TAIL, COUNT = 0, 1, 2


def new_state(capacity, cfg=None):
    return MruState(np.full(capacity, -1, np.int32), np.full(capacity, -1, np.int32),
                    np.array([-1, -1, 0], np.int64))


def grow(state, capacity):
    return state._replace(prev=_grow(state.prev, capacity, -1), next=_grow(state.next, capacity, -1))


@kernel
def _unlink(state, k):
    p, n = state.prev[k], state.next[k]
    if p != -1:
        state.next[p] = n
    else:
        state.ends[HEAD] = n
    if n != -1:
        state.prev[n] = p
    else:
        state.ends[TAIL] = p
    state.prev[k] = -1
    state.next[k] = -1
    state.ends[COUNT] -= 1


@kernel
def _push_head(state, k):
    head = state.ends[HEAD]
    state.prev[k] = -1
    state.next[k] = head
    if head != -1:
        state.prev[head] = k
    else:
        state.ends[TAIL] = k
    state.ends[HEAD] = k
    state.ends[COUNT] += 1


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    _unlink(state, k)
    _push_head(state, k)


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    _push_head(state, k)


@kernel
def on_remove(state, k):
    _unlink(state, k)


@kernel
def victim(state, vtime):
    return state.ends[HEAD]


class MruTwin:
    """The same policy in plain Python, for the oracle."""

    def __init__(self, cfg=None):
        self.order: list[int] = []          # most recent first

    def on_hit(self, k, size, vtime, next_vtime):
        self.order.remove(k)
        self.order.insert(0, k)

    def on_insert(self, k, size, vtime, next_vtime):
        self.order.insert(0, k)

    def on_remove(self, k):
        self.order.remove(k)

    def victim(self, vtime):
        return self.order[0] if self.order else None


def register() -> None:
    if "test-mru" in POLICIES:
        return
    if MruState not in HOOKS:
        register_hooks(MruState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
                       takes_core=False)
    register_policy(PolicySpec("test-mru", "test", new_state, grow, doc="MRU (test-only plug-in).",
                               params={"oracle_twin": MruTwin}))
