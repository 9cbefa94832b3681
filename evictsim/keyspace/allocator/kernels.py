"""Compiled jemalloc 5.3 model: bins of slabs, the thread cache, large extents, dirty-page decay.

One arena, one thread cache (Redis's main thread does every allocation when lazyfree is off), as
jemalloc 5.3 does it:

* **Bins** (``arena.c``, ``bin.c``). A small class allocates from ``slabcur``; when that is full it
  takes the minimum of the non-full heap (lowest serial number: the oldest slab), else opens a new
  slab. A region freed into a full slab that is older than ``slabcur`` swaps with it
  (``arena_bin_lower_slab``), otherwise joins the heap; a slab whose regions are all free is released
  at once (``arena_dalloc_bin_slab``): its pages become dirty.
* **Thread cache** (``tcache.c``, ``cache_bin.h``). A LIFO stack per class up to ``tc_slots``. An
  empty stack is filled with ``slots >> lg_fill_div`` regions from the bin (the lowest first, popped
  first); a full stack flushes its oldest half to the bin. Cached regions count as allocated and pin
  their slabs. Every 64 KiB allocated, and every 64 KiB freed, one GC event visits the next class
  round-robin: if its stack never fell below ``low_water`` items since the last visit, 3/4 of those
  are flushed and the fill count halves; if it was refilled, the fill count doubles.
* **Large** allocations (>= 16 KiB) are page runs of ``usize + 1 page`` (``cache_oblivious``); those up
  to 32 KiB are thread-cached too (20 slots, flushed by half).
* **Pages.** New extents reuse dirty pages first (still resident), then retained (purged, mapped)
  ones, then map fresh ones. Emptied slabs and freed extents become dirty; ``decay.py`` purges them.

Handles: ``>= 0`` a slab id (small classes), ``<= -2`` ``-(large id + 2)``; ``-1`` (``NO_SLOT``)
means the state ran out of slab or extent slots (``counters[C_OVERFLOW]`` is set; ``grow`` it), and
freeing it does nothing. ``now_us`` is accepted by
``alloc``/``free`` for the core's convenience; time only matters to ``advance``.
"""
from __future__ import annotations

import numpy as np

from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.heap import heap_delete, heap_insert, heap_merge_children

PAGE = 4096
NSTEPS = 200                 # SMOOTHSTEP_NSTEPS: decay epochs per decay window
SMOOTHSTEP_BFP = 24          # fixed-point bits of jemalloc's h_steps table
GC_INCR_BYTES = 65536        # opt.tcache_gc_incr_bytes
EDATA_BYTES = 128            # EDATA_ALIGNMENT: one extent descriptor in jemalloc's base allocator
RTREE_BYTES_PER_PAGE = 8     # one rtree leaf element per mapped page
LOOKUP_MAX = 16384

# counters[] slots
(C_ALLOCATED, C_ACTIVE_PAGES, C_DIRTY_PAGES, C_RETAINED_PAGES, C_MAPPED_PAGES, C_SN, C_FREE_SLABS,
 C_FREE_LARGE, C_ALLOC_SINCE_GC, C_DALLOC_SINCE_GC, C_NEXT_GC_BIN, C_EPOCH_US, C_NUNPURGED,
 C_PURGED_PAGES, C_LIVE_EXTENTS, C_EDATA_HW, C_OVERFLOW, C_NSLABS, C_NLARGE, C_TCACHE_BYTES,
 C_BG_WAKE_US, C_BG_WOKEN, C_TO_PURGE_NEW, C_NCOUNTERS) = range(24)
# params[] slots
(P_NBINS, P_NHBINS, P_DECAY_MS, P_TCACHE, P_BASE_ALLOCATED, P_BASE_ACTIVE, P_BASE_RESIDENT,
 P_PROCESS_RSS, P_BG_THREAD, P_NPARAMS) = range(10)
SLEEP_FOREVER = -1               # counters[C_BG_WAKE_US] while the background thread idles
NO_SLOT = -1                     # the handle alloc returns when no slab / extent slot was left
# Where a caller records handles (a row per key): int32 (slab and extent ids are far below 2**31),
# half the bytes of a table as large as the keyspace, and this value for "no region".
HANDLE_DTYPE = np.int32
NO_HANDLE = np.iinfo(HANDLE_DTYPE).min


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
def _take_pages(state, pages):
    """Pages for a new extent: dirty ones first (already resident), then retained, then fresh."""
    c = state.counters
    reuse = min(c[C_DIRTY_PAGES], pages)
    c[C_DIRTY_PAGES] -= reuse
    rest = pages - reuse
    retained = min(c[C_RETAINED_PAGES], rest)
    c[C_RETAINED_PAGES] -= retained
    c[C_MAPPED_PAGES] += rest - retained
    c[C_ACTIVE_PAGES] += pages
    c[C_LIVE_EXTENTS] += 1
    c[C_EDATA_HW] = max(c[C_EDATA_HW], c[C_LIVE_EXTENTS])


@kernel(inline=True)
def _release_pages(state, pages):
    c = state.counters
    c[C_ACTIVE_PAGES] -= pages
    c[C_LIVE_EXTENTS] -= 1
    if state.params[P_DECAY_MS] == 0:
        c[C_RETAINED_PAGES] += pages
        c[C_PURGED_PAGES] += pages
    else:
        c[C_DIRTY_PAGES] += pages


@kernel(inline=True)
def _new_slab(state, cls):
    c = state.counters
    if c[C_FREE_SLABS] == 0:
        c[C_OVERFLOW] = 1
        return -1
    c[C_FREE_SLABS] -= 1
    slab = state.free_slabs[c[C_FREE_SLABS]]
    state.slab_class[slab] = cls
    state.slab_nfree[slab] = state.nregs[cls]
    state.slab_sn[slab] = c[C_SN]
    c[C_SN] += 1
    state.slab_in_heap[slab] = 0
    _take_pages(state, state.slab_pages[cls])
    state.bin_curslabs[cls] += 1
    c[C_NSLABS] += 1
    return slab


@kernel(inline=True)
def _bin_take(state, cls):
    """One region from the bin (``arena_slab_reg_alloc`` after ``arena_bin_refill_slabcur``)."""
    slab = state.bin_cur[cls]
    if slab < 0 or state.slab_nfree[slab] == 0:
        root = state.bin_root[cls]
        if root >= 0:
            state.bin_root[cls] = heap_merge_children(root, state.slab_sn, state.heap_child,
                                                      state.heap_sibling, state.heap_prev)
            state.slab_in_heap[root] = 0
            state.bin_nonfull[cls] -= 1
            slab = root
        else:
            slab = _new_slab(state, cls)
            if slab < 0:
                return -1
        state.bin_cur[cls] = slab
    state.slab_nfree[slab] -= 1
    state.bin_curregs[cls] += 1
    state.counters[C_ALLOCATED] += state.class_size[cls]
    return slab


@kernel(inline=True)
def _bin_free(state, slab):
    """A region back to its slab (``arena_dalloc_bin_locked_step``)."""
    if slab < 0:
        return
    cls = state.slab_class[slab]
    state.slab_nfree[slab] += 1
    state.bin_curregs[cls] -= 1
    state.counters[C_ALLOCATED] -= state.class_size[cls]
    nfree = state.slab_nfree[slab]
    if nfree == state.nregs[cls]:            # empty: dissociate and release the slab
        if state.bin_cur[cls] == slab:
            state.bin_cur[cls] = -1
        elif state.slab_in_heap[slab]:
            state.bin_root[cls] = heap_delete(state.bin_root[cls], slab, state.slab_sn, state.heap_child,
                                              state.heap_sibling, state.heap_prev)
            state.slab_in_heap[slab] = 0
            state.bin_nonfull[cls] -= 1
        state.slab_class[slab] = -1
        _release_pages(state, state.slab_pages[cls])
        state.bin_curslabs[cls] -= 1
        state.counters[C_NSLABS] -= 1
        state.free_slabs[state.counters[C_FREE_SLABS]] = slab
        state.counters[C_FREE_SLABS] += 1
    elif nfree == 1 and state.bin_cur[cls] != slab:    # was full: lower it (arena_bin_lower_slab)
        cur = state.bin_cur[cls]
        if cur >= 0 and state.slab_sn[cur] > state.slab_sn[slab]:
            if state.slab_nfree[cur] > 0:
                _heap_add(state, cls, cur)
            state.bin_cur[cls] = slab
        else:
            _heap_add(state, cls, slab)


@kernel(inline=True)
def _heap_add(state, cls, slab):
    state.bin_root[cls] = heap_insert(state.bin_root[cls], slab, state.slab_sn, state.heap_child,
                                      state.heap_sibling, state.heap_prev)
    state.slab_in_heap[slab] = 1
    state.bin_nonfull[cls] += 1


@kernel(inline=True)
def _large_new(state, cls):
    c = state.counters
    if c[C_FREE_LARGE] == 0:
        c[C_OVERFLOW] = 1
        return NO_SLOT
    c[C_FREE_LARGE] -= 1
    ident = state.free_large[c[C_FREE_LARGE]]
    state.large_class[ident] = cls
    _take_pages(state, state.class_size[cls] // PAGE + 1)
    c[C_ALLOCATED] += state.class_size[cls]
    c[C_NLARGE] += 1
    return -(ident + 2)


@kernel(inline=True)
def _arena_free(state, handle):
    if handle >= 0:
        _bin_free(state, handle)
        return
    if handle == NO_SLOT:
        return
    ident = -handle - 2
    cls = state.large_class[ident]
    if cls < 0:
        return
    state.large_class[ident] = -1
    _release_pages(state, state.class_size[cls] // PAGE + 1)
    state.counters[C_ALLOCATED] -= state.class_size[cls]
    state.counters[C_NLARGE] -= 1
    state.free_large[state.counters[C_FREE_LARGE]] = ident
    state.counters[C_FREE_LARGE] += 1


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
