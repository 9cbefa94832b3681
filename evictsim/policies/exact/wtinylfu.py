"""W-TinyLFU (Einziger et al., ACM ToS 2017), by bytes, shaped as Caffeine's simulator runs it.

A window LRU (``window-ratio`` of the cache, 1%) takes every new key; the main cache is a segmented
LRU (probation and protected, ``protected-ratio`` 80% of main): a hit in probation promotes the key
to protected, whose LRU keys fall back to probation when it is over its share. When the window is
over its share its LRU key (the candidate) moves to probation if main has room; otherwise it duels
main's victim (probation's LRU key, else protected's): the candidate enters only if its TinyLFU
estimate is strictly higher (``sketch``: 4-bit count-min, doorkeeper, halving every
``sample-factor`` x width accesses), else it is evicted. Caffeine inserts first and evicts after;
here, before an insert that does not fit, the window first makes room for the newcomer by the same
moves and duels, and only then is main's LRU key (the window's when main is empty) evicted; an
object larger than the window that does not fit is admitted only if it beats main's victim. Every request is recorded in the sketch.

Not libCacheSim's ``WTinyLFU.c`` (its own count-min and SLRU main), so its numbers differ.
Parameters: ``window-ratio`` 0.01, ``protected-ratio`` 0.8, ``sketch-width`` 0 (= the key capacity
at creation, at least 16, rounded up to a power of two), ``sample-factor`` 10, ``cache-bytes``.
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
from evictsim.policies.exact.sketch import new_sketch, sketch_estimate, sketch_record
from evictsim.policies.exact.spec import CACHE_BYTES, ExactPolicySpec

WTinyLfuState = namedtuple("WTinyLfuState", "prev next ends where size meta counters doorkeeper sketch")
NOWHERE, WINDOW, PROBATION, PROTECTED = -1, 0, 1, 2
# meta[0..2]: bytes per list; then capacities and the incoming object (noted by admit)
WINDOW_CAP, MAIN_CAP, PROTECTED_CAP, INCOMING_SIZE, INCOMING_VTIME = 3, 4, 5, 6, 7


def new_state(capacity: int, params: dict) -> WTinyLfuState:
    cache = int(params[CACHE_BYTES])
    meta = np.zeros(8, np.int64)
    meta[INCOMING_VTIME] = -1
    meta[WINDOW_CAP] = int(cache * float(params["window-ratio"]))
    meta[MAIN_CAP] = cache - meta[WINDOW_CAP]
    meta[PROTECTED_CAP] = int(meta[MAIN_CAP] * float(params["protected-ratio"]))
    width = int(params["sketch-width"]) or capacity
    counters, doorkeeper, sketch = new_sketch(width, 0)
    sketch[1] = int(params["sample-factor"]) * len(doorkeeper)
    return WTinyLfuState(*new_links(capacity, 3), np.full(capacity, NOWHERE, np.int8),
                         np.zeros(capacity, np.int64), meta, counters, doorkeeper, sketch)


def grow(state: WTinyLfuState, capacity: int) -> WTinyLfuState:
    return state._replace(prev=grow_links(state.prev, capacity), next=grow_links(state.next, capacity),
                          where=grown(state.where, capacity, NOWHERE), size=grown(state.size, capacity, 0))


@kernel(inline=True)
def _main_victim(state):
    k = tail_of(state.ends, PROBATION)
    return k if k >= 0 else tail_of(state.ends, PROTECTED)


@kernel
def admit(state, k, size, vtime):
    """Record the access; an object larger than the window is at once a candidate (Caffeine puts
    it in the window, which then overflows): it enters only if it beats main's victim."""
    sketch_record(state.counters, state.doorkeeper, state.sketch, k)
    state.meta[INCOMING_SIZE], state.meta[INCOMING_VTIME] = size, vtime
    if size <= state.meta[WINDOW_CAP]:
        return True
    rival = _main_victim(state)
    main_bytes = state.meta[PROBATION] + state.meta[PROTECTED]
    if rival < 0 or main_bytes + state.meta[WINDOW] + size <= state.meta[WINDOW_CAP] + state.meta[MAIN_CAP]:
        return True
    return (sketch_estimate(state.counters, state.doorkeeper, state.sketch, k)
            > sketch_estimate(state.counters, state.doorkeeper, state.sketch, rival))


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    sketch_record(state.counters, state.doorkeeper, state.sketch, k)
    where = state.where[k]
    if where == PROBATION:
        leave_list(state, k)
        enter_list(state, PROTECTED, k)
        while state.meta[PROTECTED] > state.meta[PROTECTED_CAP]:
            demoted = tail_of(state.ends, PROTECTED)
            leave_list(state, demoted)
            enter_list(state, PROBATION, demoted)
    else:
        move_to_head(state.prev, state.next, state.ends, where, k)


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    state.size[k] = size
    enter_list(state, WINDOW, k)


@kernel
def on_remove(state, k):
    if state.where[k] != NOWHERE:
        leave_list(state, k)


@kernel
def _shrink_window(state, incoming):
    """Make the window fit ``incoming`` more bytes: its LRU keys move to probation while main has
    room, else duel main's victim; returns the loser (evicted) or -1 once the window fits."""
    while tail_of(state.ends, WINDOW) >= 0 and state.meta[WINDOW] + incoming > state.meta[WINDOW_CAP]:
        candidate = tail_of(state.ends, WINDOW)
        main_bytes = state.meta[PROBATION] + state.meta[PROTECTED]
        if main_bytes + state.size[candidate] <= state.meta[MAIN_CAP]:
            leave_list(state, candidate)
            enter_list(state, PROBATION, candidate)
            continue
        rival = _main_victim(state)
        if rival < 0 or (sketch_estimate(state.counters, state.doorkeeper, state.sketch, candidate)
                         <= sketch_estimate(state.counters, state.doorkeeper, state.sketch, rival)):
            leave_list(state, candidate)
            return candidate
        leave_list(state, rival)
        return rival
    return -1


@kernel
def victim(state, vtime):
    incoming = state.meta[INCOMING_SIZE] if state.meta[INCOMING_VTIME] == vtime else 0
    k = _shrink_window(state, incoming)
    if k >= 0:
        return k
    k = _main_victim(state)
    if k < 0:
        k = tail_of(state.ends, WINDOW)
    if k >= 0:
        leave_list(state, k)
    return k


@kernel
def overflow(state, vtime):
    return _shrink_window(state, 0)


register_hooks(WTinyLfuState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               admit=admit, overflow=overflow, takes_core=False)
SPEC = ExactPolicySpec("wtinylfu", __doc__.split("\n")[0],
                       {"window-ratio": 0.01, "protected-ratio": 0.8, "sketch-width": 0,
                        "sample-factor": 10, CACHE_BYTES: 0}, new_state, grow, WTinyLfuState)
