"""The allocator model's state: one named bundle of arrays that compiled code mutates in place.

Sizes: slab and large-extent slots are preallocated (``max_slabs``, ``max_large``); ``grow`` copies a
state into a larger one between kernel calls (ids are kept, so handles stay valid). ``headroom``
tells the caller how many slots are left; ``counters[C_OVERFLOW]`` is set when an allocation found no
slot (the allocation is then counted but not placed; the caller should grow and treat the run as
suspect).

Parameters a person may change (their redis.conf / jemalloc names): ``quantum`` (jemalloc
``--with-lg-quantum``: 16 on Debian's build, 8 on Redis's bundled one), ``dirty_decay_ms``
(``dirty_decay_ms``, 10 s; 0 purges at once, -1 never), ``tcache`` (``opt.tcache``),
``background_thread`` (redis.conf ``jemalloc-bg-thread``, default yes), and the process
baseline (what the allocator does not see: binary, libraries, stacks; ``process_baseline_rss``) with
the allocator's own start-up figures (``base_allocated/active/resident``), measured on a fresh
redis-server 7.0.15 (see ``baseline.py``).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

# the slot names, re-exported: callers that build or read a state import them from here
from evictsim.keyspace.allocator.layout import (  # noqa: F401
    C_ACTIVE_PAGES,
    C_ALLOC_SINCE_GC,
    C_ALLOCATED,
    C_BG_WAKE_US,
    C_BG_WOKEN,
    C_DALLOC_SINCE_GC,
    C_DIRTY_PAGES,
    C_EDATA_HW,
    C_EPOCH_US,
    C_FREE_LARGE,
    C_FREE_SLABS,
    C_LIVE_EXTENTS,
    C_MAPPED_PAGES,
    C_NCOUNTERS,
    C_NEXT_GC_BIN,
    C_NLARGE,
    C_NSLABS,
    C_NUNPURGED,
    C_OVERFLOW,
    C_PURGED_PAGES,
    C_RETAINED_PAGES,
    C_SN,
    C_TCACHE_BYTES,
    C_TO_PURGE_NEW,
    NSTEPS,
    P_BASE_ACTIVE,
    P_BASE_ALLOCATED,
    P_BASE_RESIDENT,
    P_BG_THREAD,
    P_DECAY_MS,
    P_NBINS,
    P_NHBINS,
    P_NPARAMS,
    P_PROCESS_RSS,
    P_TCACHE,
    SLEEP_FOREVER,
    SMOOTHSTEP_BFP,
)
from evictsim.keyspace.allocator.size_classes import size_class_table

AllocatorState = namedtuple("AllocatorState", [
    "params", "counters", "class_size", "lookup", "slab_pages", "nregs", "tc_slots",
    "slab_class", "slab_nfree", "slab_sn", "heap_child", "heap_sibling", "heap_prev", "slab_in_heap",
    "free_slabs", "bin_cur", "bin_root", "bin_curregs", "bin_curslabs", "bin_nonfull",
    "tc_stack", "tc_n", "tc_low", "tc_fill_div", "tc_refilled",
    "large_class", "free_large", "backlog", "h_steps",
])

# Measured on a fresh Debian redis-server 7.0.15 (jemalloc 5.3.0), first INFO after start:
# ../shared/reference/redis-7.0.15/frag_baseline.json, stage "start: first command", and
# re-measured by tests/test_allocator_live.py. Not fitted to any replay.
DEFAULT_BASE_ALLOCATED = 1_690_848
DEFAULT_BASE_ACTIVE = 1_826_816
DEFAULT_BASE_RESIDENT = 4_231_168
DEFAULT_PROCESS_RSS = 11_939_840 - 4_231_168     # RSS - allocator_resident of the same server


def smootherstep_table() -> np.ndarray:
    """jemalloc's ``h_steps``: smootherstep(i/NSTEPS) for i = 1..NSTEPS in 24-bit fixed point."""
    x = np.arange(1, NSTEPS + 1, dtype=np.float64) / NSTEPS
    h = x * x * x * (x * (x * 6.0 - 15.0) + 10.0)
    return np.round(h * (1 << SMOOTHSTEP_BFP)).astype(np.int64)


def new_allocator(quantum: int = 16, *, max_slabs: int = 1 << 16, max_large: int = 1 << 12,
                  dirty_decay_ms: int = 10_000, tcache: bool = True, background_thread: bool = True,
                  base_allocated: int = DEFAULT_BASE_ALLOCATED, base_active: int = DEFAULT_BASE_ACTIVE,
                  base_resident: int = DEFAULT_BASE_RESIDENT,
                  process_baseline_rss: int = DEFAULT_PROCESS_RSS) -> AllocatorState:
    """An empty jemalloc arena with its thread cache; the base_* figures are added to the stats."""
    table = size_class_table(quantum)
    nbins, nhbins = table.nbins, table.nhbins
    params = np.zeros(P_NPARAMS, np.int64)
    params[[P_NBINS, P_NHBINS, P_DECAY_MS, P_TCACHE]] = nbins, nhbins, dirty_decay_ms, int(tcache)
    params[P_BG_THREAD] = int(background_thread)
    params[[P_BASE_ALLOCATED, P_BASE_ACTIVE, P_BASE_RESIDENT, P_PROCESS_RSS]] = (
        base_allocated, base_active, base_resident, process_baseline_rss)
    counters = np.zeros(C_NCOUNTERS, np.int64)
    counters[C_FREE_SLABS] = max_slabs
    counters[C_FREE_LARGE] = max_large
    counters[C_BG_WAKE_US] = SLEEP_FOREVER
    return AllocatorState(
        params, counters, table.size.copy(), table.lookup.copy(), table.slab_pages.copy(),
        table.nregs.copy(), table.tcache_slots.copy(),
        np.full(max_slabs, -1, np.int32), np.zeros(max_slabs, np.int32), np.zeros(max_slabs, np.int64),
        np.full(max_slabs, -1, np.int32), np.full(max_slabs, -1, np.int32),
        np.full(max_slabs, -1, np.int32), np.zeros(max_slabs, np.int8),
        np.arange(max_slabs - 1, -1, -1, dtype=np.int32),
        np.full(nbins, -1, np.int32), np.full(nbins, -1, np.int32), np.zeros(nbins, np.int64),
        np.zeros(nbins, np.int64), np.zeros(nbins, np.int64),
        np.zeros((nhbins, int(table.tcache_slots.max())), np.int64), np.zeros(nhbins, np.int64),
        np.zeros(nhbins, np.int64), np.ones(nhbins, np.int64), np.zeros(nhbins, np.int8),
        np.full(max_large, -1, np.int32), np.arange(max_large - 1, -1, -1, dtype=np.int32),
        np.zeros(NSTEPS, np.int64), smootherstep_table(),
    )


def headroom(state: AllocatorState) -> tuple[int, int]:
    """(free slab slots, free large-extent slots)."""
    return int(state.counters[C_FREE_SLABS]), int(state.counters[C_FREE_LARGE])


def _grown_ids(used: np.ndarray, free: np.ndarray, nfree: int, new_size: int) -> np.ndarray:
    """A free-id stack for the larger arrays: the new ids first (popped last), the old free ones on top."""
    old_size = len(used)
    stack = np.empty(new_size, np.int32)
    fresh = np.arange(new_size - 1, old_size - 1, -1, dtype=np.int32)
    stack[:len(fresh)] = fresh
    stack[len(fresh):len(fresh) + nfree] = free[:nfree]
    return stack


def grow(state: AllocatorState, *, max_slabs: int | None = None,
         max_large: int | None = None) -> AllocatorState:
    """A copy of ``state`` with more slab / large slots (default: twice as many). Handles stay valid."""
    ns = max_slabs or 2 * len(state.slab_class)
    nl = max_large or 2 * len(state.large_class)

    def widen(a: np.ndarray, size: int, fill: int) -> np.ndarray:
        out = np.full(size, fill, a.dtype)
        out[:len(a)] = a
        return out

    counters = state.counters.copy()
    free_slabs = _grown_ids(state.slab_class, state.free_slabs, int(counters[C_FREE_SLABS]), ns)
    free_large = _grown_ids(state.large_class, state.free_large, int(counters[C_FREE_LARGE]), nl)
    counters[C_FREE_SLABS] += ns - len(state.slab_class)
    counters[C_FREE_LARGE] += nl - len(state.large_class)
    return state._replace(
        counters=counters,
        slab_class=widen(state.slab_class, ns, -1), slab_nfree=widen(state.slab_nfree, ns, 0),
        slab_sn=widen(state.slab_sn, ns, 0), heap_child=widen(state.heap_child, ns, -1),
        heap_sibling=widen(state.heap_sibling, ns, -1), heap_prev=widen(state.heap_prev, ns, -1),
        slab_in_heap=widen(state.slab_in_heap, ns, 0), free_slabs=free_slabs,
        large_class=widen(state.large_class, nl, -1), free_large=free_large,
        bin_cur=state.bin_cur.copy(), bin_root=state.bin_root.copy(),
        bin_curregs=state.bin_curregs.copy(), bin_curslabs=state.bin_curslabs.copy(),
        bin_nonfull=state.bin_nonfull.copy(), tc_stack=state.tc_stack.copy(), tc_n=state.tc_n.copy(),
        tc_low=state.tc_low.copy(), tc_fill_div=state.tc_fill_div.copy(),
        tc_refilled=state.tc_refilled.copy(), backlog=state.backlog.copy(), params=state.params.copy())
