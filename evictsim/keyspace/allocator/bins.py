"""The arena side of the jemalloc 5.3 model: bins of slabs, large extents and the pages under them.

* **Bins** (``arena.c``, ``bin.c``). A small class allocates from ``slabcur``; when that is full it
  takes the minimum of the non-full heap (lowest serial number: the oldest slab), else opens a new
  slab. A region freed into a full slab that is older than ``slabcur`` swaps with it
  (``arena_bin_lower_slab``), otherwise joins the heap; a slab whose regions are all free is released
  at once (``arena_dalloc_bin_slab``): its pages become dirty.
* **Large** allocations (>= 16 KiB) are page runs of ``usize + 1 page`` (``cache_oblivious``).
* **Pages.** New extents reuse dirty pages first (still resident), then retained (purged, mapped)
  ones, then map fresh ones. Emptied slabs and freed extents become dirty; ``decay.py`` purges them.

The thread cache in front of all this is :mod:`.kernels`.
"""
from __future__ import annotations

from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.heap import heap_delete, heap_insert, heap_merge_children
from evictsim.keyspace.allocator.layout import (
    C_ACTIVE_PAGES,
    C_ALLOCATED,
    C_DIRTY_PAGES,
    C_EDATA_HW,
    C_FREE_LARGE,
    C_FREE_SLABS,
    C_LIVE_EXTENTS,
    C_MAPPED_PAGES,
    C_NLARGE,
    C_NSLABS,
    C_OVERFLOW,
    C_PURGED_PAGES,
    C_RETAINED_PAGES,
    C_SN,
    NO_SLOT,
    P_DECAY_MS,
    PAGE,
)


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
