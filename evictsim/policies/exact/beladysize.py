"""Size-aware Belady (libCacheSim ``BeladySize.c``): evict the largest ``size * distance to next request``.

The distance is counted as libCacheSim counts it, from the request after the current one
(``next - vtime - 1``). A key with no next request is never kept: it is not inserted (the evictions
made for it stand, as in libCacheSim) and a hit on it removes it. libCacheSim scores 128 keys drawn
at random; here ``samples = 0`` (the default) scores every resident key (exact, O(resident) per
eviction, first of equal scores wins), ``samples = N`` draws N with replacement from an xorshift
generator seeded by ``seed``. So results equal libCacheSim's where its 128 draws see every resident key.

Parameters: ``samples`` (default 0 = all), ``seed`` (default 1).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.policies.contract import NO_NEXT_ACCESS, register_hooks
from evictsim.policies.exact.spec import ExactPolicySpec

BeladySizeState = namedtuple("BeladySizeState", "members slot size next_access meta")
N_MEMBERS, DROP, SAMPLES, RNG = range(4)


def new_state(capacity: int, params: dict) -> BeladySizeState:
    meta = np.array([0, -1, int(params["samples"]), int(params["seed"]) or 1], np.int64)
    return BeladySizeState(np.zeros(capacity, np.int64), np.full(capacity, -1, np.int64),
                           np.zeros(capacity, np.int64), np.zeros(capacity, np.int64), meta)


def grow(state: BeladySizeState, capacity: int) -> BeladySizeState:
    def extend(array, fill):
        grown = np.full(capacity, fill, array.dtype)
        grown[:len(array)] = array
        return grown
    return BeladySizeState(extend(state.members, 0), extend(state.slot, -1), extend(state.size, 0),
                           extend(state.next_access, 0), state.meta)


@kernel
def on_hit(state, k, size, vtime, next_vtime):
    state.next_access[k] = next_vtime
    if next_vtime == NO_NEXT_ACCESS:
        state.meta[DROP] = k


@kernel
def on_insert(state, k, size, vtime, next_vtime):
    n = state.meta[N_MEMBERS]
    state.members[n] = k
    state.slot[k] = n
    state.meta[N_MEMBERS] = n + 1
    state.size[k] = size
    state.next_access[k] = next_vtime
    if next_vtime == NO_NEXT_ACCESS:
        state.meta[DROP] = k


@kernel
def on_remove(state, k):
    n = state.meta[N_MEMBERS] - 1
    moved = state.members[n]
    state.members[state.slot[k]] = moved
    state.slot[moved] = state.slot[k]
    state.slot[k] = -1
    state.meta[N_MEMBERS] = n
    if state.meta[DROP] == k:
        state.meta[DROP] = -1


@kernel(inline=True)
def _score(state, k, vtime):
    return state.size[k] * (state.next_access[k] - vtime - 1)


@kernel(inline=True)
def _draw(state, n):
    x = np.uint64(state.meta[RNG])          # xorshift64
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    state.meta[RNG] = np.int64(x & np.uint64(0x7FFFFFFFFFFFFFFF))
    return np.int64(x % np.uint64(n))


@kernel
def victim(state, vtime):
    n = state.meta[N_MEMBERS]
    best, best_score = -1, np.int64(-1)
    draws = state.meta[SAMPLES]
    if draws <= 0:
        for i in range(n):
            k = state.members[i]
            if _score(state, k, vtime) > best_score:
                best, best_score = k, _score(state, k, vtime)
    elif n > 0:
        for _ in range(draws):
            k = state.members[_draw(state, n)]
            if _score(state, k, vtime) > best_score:
                best, best_score = k, _score(state, k, vtime)
    return best


@kernel
def overflow(state, vtime):
    return state.meta[DROP]


register_hooks(BeladySizeState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               overflow=overflow, takes_core=False)
SPEC = ExactPolicySpec("beladysize", __doc__.split("\n")[0], {"samples": 0, "seed": 1},
                       new_state, grow, BeladySizeState, needs_next_access=True)
