"""Intrusive doubly-linked lists over per-key ``prev``/``next`` arrays, several lists per policy.

A key is on at most one list at a time, so one pair of arrays serves all of a policy's queues;
``ends`` holds each list's head at ``2*l`` and tail at ``2*l + 1`` (-1 when empty). The head is the
newest entry and the tail the oldest, as in libCacheSim's ``prepend_obj_to_head``/``q_tail``.
"""
from __future__ import annotations

import numpy as np

from evictsim.jit import kernel


def new_links(capacity: int, n_lists: int):
    """Fresh ``prev``, ``next`` (per key) and ``ends`` (per list) arrays, all empty."""
    return (np.full(capacity, -1, np.int64), np.full(capacity, -1, np.int64),
            np.full(2 * n_lists, -1, np.int64))


def grown(array: np.ndarray, capacity: int, fill) -> np.ndarray:
    """``array`` extended to ``capacity`` entries, the new ones ``fill`` (every policy's ``grow``)."""
    out = np.full(capacity, fill, array.dtype)
    out[:len(array)] = array
    return out


def grow_links(array: np.ndarray, capacity: int) -> np.ndarray:
    """``array`` extended to ``capacity`` entries, the new ones -1 (unlinked)."""
    return grown(array, capacity, -1)


NOWHERE = -1        # ``where[k]`` of a key on no list


@kernel(inline=True)
def enter_list(state, lst, k):
    """Put ``k`` at the head of list ``lst`` and add its size to the list's bytes (``meta[lst]``):
    the shared move of the policies whose state has ``prev/next/ends/where/size/meta``."""
    push_head(state.prev, state.next, state.ends, lst, k)
    state.where[k] = lst
    state.meta[lst] += state.size[k]


@kernel(inline=True)
def leave_list(state, k):
    """Take ``k`` off its list and its size off the list's bytes."""
    lst = state.where[k]
    unlink(state.prev, state.next, state.ends, lst, k)
    state.where[k] = NOWHERE
    state.meta[lst] -= state.size[k]


@kernel(inline=True)
def push_head(prev, nxt, ends, lst, k):
    head = ends[2 * lst]
    prev[k] = -1
    nxt[k] = head
    if head >= 0:
        prev[head] = k
    else:
        ends[2 * lst + 1] = k
    ends[2 * lst] = k


@kernel(inline=True)
def unlink(prev, nxt, ends, lst, k):
    before, after = prev[k], nxt[k]
    if before >= 0:
        nxt[before] = after
    else:
        ends[2 * lst] = after
    if after >= 0:
        prev[after] = before
    else:
        ends[2 * lst + 1] = before
    prev[k] = -1
    nxt[k] = -1


@kernel(inline=True)
def move_to_head(prev, nxt, ends, lst, k):
    unlink(prev, nxt, ends, lst, k)
    push_head(prev, nxt, ends, lst, k)


@kernel(inline=True)
def tail_of(ends, lst):
    return ends[2 * lst + 1]


@kernel(inline=True)
def head_of(ends, lst):
    return ends[2 * lst]
