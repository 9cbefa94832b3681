"""2Q (Johnson & Shasha, VLDB'94) by bytes, as libCacheSim 0.3.5's ``TwoQ.c`` runs it.

New keys enter *Ain*, a FIFO of ``ain-size-ratio`` of the cache; while Ain is over its share its
oldest key is evicted into *Aout*, a ghost FIFO of ``aout-size-ratio`` of the cache (ids and sizes);
otherwise the victim is the LRU key of *Am*, the main LRU (the rest of the cache). A miss found in
Aout enters Am, which first evicts its own LRU keys until the newcomer fits Am's share (done here
through ``overflow``). Hits in Ain change nothing; hits in Am move the key to Am's head. Objects
larger than Ain's share are not admitted (libCacheSim's rule).

Parameters: ``ain-size-ratio`` 0.25, ``aout-size-ratio`` 0.5, ``cache-bytes`` (set by the core).
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
from evictsim.policies.exact.spec import CACHE_BYTES, ExactPolicySpec

TwoQState = namedtuple("TwoQState", "prev next ends where size meta")
NOWHERE, AIN, AM, AOUT = -1, 0, 1, 2
# meta: bytes per list (AIN, AM, AOUT), their capacities, the pending ghost hit, Am over its share
AIN_CAP, AM_CAP, AOUT_CAP, GHOST_HIT_KEY, GHOST_HIT_VTIME, AM_OVERFULL = 3, 4, 5, 6, 7, 8


def new_state(capacity: int, params: dict) -> TwoQState:
    cache = int(params[CACHE_BYTES])
    meta = np.zeros(9, np.int64)
    meta[AIN_CAP] = int(cache * float(params["ain-size-ratio"]))
    meta[AOUT_CAP] = int(cache * float(params["aout-size-ratio"]))
    meta[AM_CAP] = cache - meta[AIN_CAP]
    meta[GHOST_HIT_KEY] = -1
    return TwoQState(*new_links(capacity, 3), np.full(capacity, NOWHERE, np.int8),
                     np.zeros(capacity, np.int64), meta)


def grow(state: TwoQState, capacity: int) -> TwoQState:
    return TwoQState(grow_links(state.prev, capacity), grow_links(state.next, capacity), state.ends,
                     grown(state.where, capacity, NOWHERE), grown(state.size, capacity, 0), state.meta)


@kernel
def admit(state, k, size, vtime):
    if state.where[k] == AOUT:
        leave_list(state, k)
        state.meta[GHOST_HIT_KEY], state.meta[GHOST_HIT_VTIME] = k, vtime
    return size <= state.meta[AIN_CAP]


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    if state.where[k] == AM:
        move_to_head(state.prev, state.next, state.ends, AM, k)


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    state.size[k] = size
    if state.meta[GHOST_HIT_KEY] == k and state.meta[GHOST_HIT_VTIME] == vtime:
        state.meta[GHOST_HIT_KEY] = -1
        enter_list(state, AM, k)
        state.meta[AM_OVERFULL] = 1
    else:
        enter_list(state, AIN, k)


@kernel
def on_remove(state, k):
    where = state.where[k]
    if where == AIN or where == AM:     # an AOUT (or NOWHERE) key here was just named by victim()
        leave_list(state, k)


@kernel
def _remember(state, k):
    """Put an evicted Ain key in Aout (libCacheSim: ``Aout->get``, a FIFO by bytes)."""
    cap = state.meta[AOUT_CAP]
    if state.size[k] > cap:
        return
    while state.meta[AOUT] + state.size[k] > cap:
        leave_list(state, tail_of(state.ends, AOUT))
    enter_list(state, AOUT, k)


@kernel
def victim(state, vtime):
    if state.meta[AIN] > state.meta[AIN_CAP] or tail_of(state.ends, AM) < 0:
        k = tail_of(state.ends, AIN)
        if k >= 0:
            leave_list(state, k)
            _remember(state, k)
        return k
    k = tail_of(state.ends, AM)
    leave_list(state, k)
    return k


@kernel
def overflow(state, vtime):
    """After a ghost hit entered Am: Am's LRU keys while Am is over its share."""
    if state.meta[AM_OVERFULL] == 0:
        return -1
    if state.meta[AM] <= state.meta[AM_CAP]:
        state.meta[AM_OVERFULL] = 0
        return -1
    k = tail_of(state.ends, AM)
    leave_list(state, k)
    return k


register_hooks(TwoQState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               admit=admit, overflow=overflow, takes_core=False)
SPEC = ExactPolicySpec("twoq", __doc__.split("\n")[0],
                       {"ain-size-ratio": 0.25, "aout-size-ratio": 0.5, CACHE_BYTES: 0},
                       new_state, grow, TwoQState)
