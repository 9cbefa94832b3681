"""Compiled jemalloc 5.3 model: the thread cache in front of the arena, and what allocating and
freeing do. The arena (bins of slabs, large extents, the pages under them) is :mod:`.bins`; dirty-page
decay :mod:`.decay`; the state's slots :mod:`.layout`.

One arena, one thread cache (Redis's main thread does every allocation when lazyfree is off), as
jemalloc 5.3 does it:

* **Thread cache** (``tcache.c``, ``cache_bin.h``). A LIFO stack per class up to ``tc_slots``. An
  empty stack is filled with ``slots >> lg_fill_div`` regions from the bin (the lowest first, popped
  first); a full stack flushes its oldest half to the bin. Cached regions count as allocated and pin
  their slabs. Every 64 KiB allocated, and every 64 KiB freed, one GC event visits the next class
  round-robin: if its stack never fell below ``low_water`` items since the last visit, 3/4 of those
  are flushed and the fill count halves; if it was refilled, the fill count doubles.
* **Large** allocations up to 32 KiB are thread-cached too (20 slots, flushed by half).

Handles: ``>= 0`` a slab id (small classes), ``<= -2`` ``-(large id + 2)``; ``-1`` (``NO_SLOT``)
means the state ran out of slab or extent slots (``counters[C_OVERFLOW]`` is set; ``grow`` it), and
freeing it does nothing. ``now_us`` is accepted by
``alloc``/``free`` for the core's convenience; time only matters to ``advance``.
"""
from __future__ import annotations

from evictsim.keyspace.allocator.bins import _arena_free, _bin_take, _large_new
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.layout import (
    C_ACTIVE_PAGES,
    C_ALLOC_SINCE_GC,
    C_ALLOCATED,
    C_DALLOC_SINCE_GC,
    C_DIRTY_PAGES,
    C_EDATA_HW,
    C_MAPPED_PAGES,
    C_NEXT_GC_BIN,
    C_TCACHE_BYTES,
    EDATA_BYTES,
    GC_INCR_BYTES,
    LOOKUP_MAX,
    NO_SLOT,
    P_BASE_ACTIVE,
    P_BASE_ALLOCATED,
    P_BASE_RESIDENT,
    P_NBINS,
    P_NHBINS,
    P_PROCESS_RSS,
    P_TCACHE,
    PAGE,
    RTREE_BYTES_PER_PAGE,
)


@kernel(inline=True)
def class_index(state, nbytes):
    """Size class of a request (``sz_size2index``): a table up to 16 KiB, a search above."""
    if nbytes <= LOOKUP_MAX:
        return state.lookup[(nbytes + 7) >> 3]
    sizes = state.class_size
    lo = 0
    hi = len(sizes) - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if sizes[mid] < nbytes:
            lo = mid + 1
        else:
            hi = mid
    return lo



@kernel(inline=True)
def _tc_flush(state, cls, remain):
    """Flush the oldest items of a cache bin to the arena, keeping ``remain`` (``tcache_bin_flush``)."""
    n = state.tc_n[cls]
    if n <= remain:
        return
    nflush = n - remain
    stack = state.tc_stack[cls]
    for i in range(nflush):
        _arena_free(state, stack[i])
    for i in range(remain):
        stack[i] = stack[i + nflush]
    state.tc_n[cls] = remain
    state.counters[C_TCACHE_BYTES] -= nflush * state.class_size[cls]
    state.tc_low[cls] = min(state.tc_low[cls], remain)


@kernel(inline=True)
def _tc_fill(state, cls, nfill):
    """Fill an empty cache bin with ``nfill`` regions; the first taken is popped first."""
    stack = state.tc_stack[cls]
    got = 0
    for i in range(nfill):
        slab = _bin_take(state, cls)
        if slab < 0:
            break
        stack[nfill - 1 - i] = slab
        got += 1
    if got < nfill:                          # out of slab slots: close the gap
        for i in range(got):
            stack[i] = stack[nfill - got + i]
    state.tc_n[cls] = got
    state.counters[C_TCACHE_BYTES] += got * state.class_size[cls]


@kernel(inline=True)
def _gc_event(state):
    """One thread-cache GC step on the next class (``tcache_event``)."""
    c = state.counters
    cls = c[C_NEXT_GC_BIN]
    low = state.tc_low[cls]
    small = cls < state.params[P_NBINS]
    if low > 0:
        n = state.tc_n[cls]
        if small:
            nflush = low - (low >> 2)
            _tc_flush(state, cls, n - nflush)
            if (state.tc_slots[cls] >> (state.tc_fill_div[cls] + 1)) >= 1:
                state.tc_fill_div[cls] += 1
        else:
            _tc_flush(state, cls, n - low + (low >> 2))
    elif small and state.tc_refilled[cls]:
        if state.tc_fill_div[cls] > 1:
            state.tc_fill_div[cls] -= 1
        state.tc_refilled[cls] = 0
    state.tc_low[cls] = state.tc_n[cls]
    c[C_NEXT_GC_BIN] = cls + 1 if cls + 1 < state.params[P_NHBINS] else 0


@kernel(inline=True)
def alloc(state, nbytes, now_us):
    """Allocate ``nbytes``; returns the handle of the region's slab (or large extent)."""
    cls = class_index(state, nbytes)
    usize = state.class_size[cls]
    c = state.counters
    c[C_ALLOC_SINCE_GC] += usize
    if c[C_ALLOC_SINCE_GC] >= GC_INCR_BYTES and state.params[P_TCACHE]:
        c[C_ALLOC_SINCE_GC] = 0
        _gc_event(state)
    if state.params[P_TCACHE] and cls < state.params[P_NHBINS]:
        n = state.tc_n[cls]
        if n == 0:
            if cls >= state.params[P_NBINS]:            # large bins are not filled
                return _large_new(state, cls)
            _tc_fill(state, cls, state.tc_slots[cls] >> state.tc_fill_div[cls])
            state.tc_refilled[cls] = 1
            n = state.tc_n[cls]
            if n == 0:
                return -1
        n -= 1
        state.tc_n[cls] = n
        state.tc_low[cls] = min(state.tc_low[cls], n)
        c[C_TCACHE_BYTES] -= usize
        return state.tc_stack[cls, n]
    if cls < state.params[P_NBINS]:
        return _bin_take(state, cls)
    return _large_new(state, cls)


@kernel(inline=True)
def handle_class(state, handle):
    if handle >= 0:
        return state.slab_class[handle]
    if handle == NO_SLOT:
        return -1
    return state.large_class[-handle - 2]


@kernel(inline=True)
def free(state, handle, now_us):
    """Free a region allocated by ``alloc`` (the handle it returned)."""
    cls = handle_class(state, handle)
    if cls < 0:
        return
    c = state.counters
    c[C_DALLOC_SINCE_GC] += state.class_size[cls]
    if c[C_DALLOC_SINCE_GC] >= GC_INCR_BYTES and state.params[P_TCACHE]:
        c[C_DALLOC_SINCE_GC] = 0
        _gc_event(state)
    if state.params[P_TCACHE] and cls < state.params[P_NHBINS]:
        if state.tc_n[cls] == state.tc_slots[cls]:
            _tc_flush(state, cls, state.tc_slots[cls] >> 1)   # lg_tcache_flush_{small,large}_div 1
        state.tc_stack[cls, state.tc_n[cls]] = handle
        state.tc_n[cls] += 1
        c[C_TCACHE_BYTES] += state.class_size[cls]
        return
    _arena_free(state, handle)


@kernel
def stats(state):
    """(allocator_allocated, allocator_active, allocator_resident) in bytes, base figures included."""
    c = state.counters
    p = state.params
    allocated = p[P_BASE_ALLOCATED] + c[C_ALLOCATED]
    active = p[P_BASE_ACTIVE] + c[C_ACTIVE_PAGES] * PAGE
    metadata = EDATA_BYTES * c[C_EDATA_HW] + RTREE_BYTES_PER_PAGE * c[C_MAPPED_PAGES]
    metadata = (metadata + PAGE - 1) // PAGE * PAGE
    resident = p[P_BASE_RESIDENT] + (c[C_ACTIVE_PAGES] + c[C_DIRTY_PAGES]) * PAGE + metadata
    return allocated, active, resident


@kernel
def rss(state):
    """used_memory_rss: the allocator's resident bytes plus the process baseline."""
    return stats(state)[2] + state.params[P_PROCESS_RSS]


@kernel
def alloc_call(state, nbytes, now_us):
    """``alloc`` as a separate compiled function: quicker to compile into many call sites, but each
    call passes the whole state (~150 ns more per call than the inlined ``alloc``)."""
    return alloc(state, nbytes, now_us)


@kernel
def free_call(state, handle, now_us):
    """``free`` as a separate compiled function (see ``alloc_call``)."""
    free(state, handle, now_us)
