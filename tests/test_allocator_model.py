"""The compiled allocator model against its pure-Python twin, plus invariants and mechanisms that
follow from jemalloc's rules (slab release only when empty, lowest slab first, decay along
smootherstep, thread cache pinning)."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evictsim.keyspace.allocator import advance, alloc, free, grow, new_allocator, purge, stats
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.layout import C_DIRTY_PAGES, C_OVERFLOW
from evictsim.keyspace.allocator.twin import TwinAllocator

SIZES = [1, 8, 15, 24, 33, 48, 70, 100, 130, 300, 500, 1000, 2100, 5000, 9000, 14000, 16384, 20000,
         33000, 70000, 300000]

ops = st.lists(st.one_of(
    st.tuples(st.just("alloc"), st.sampled_from(SIZES), st.integers(1, 40)),
    st.tuples(st.just("free"), st.floats(0, 1), st.integers(1, 40)),
    st.tuples(st.just("advance"), st.integers(0, 3000), st.just(0)),
    st.tuples(st.just("purge"), st.just(0), st.just(0)),
), min_size=1, max_size=60)


def check_invariants(state):
    allocated, active, resident = stats(state)
    assert 0 <= allocated <= active <= resident
    assert state.counters[C_DIRTY_PAGES] >= 0
    live = state.slab_class >= 0
    cls = state.slab_class[live]
    nfree = state.slab_nfree[live]
    assert np.all(nfree >= 0) and np.all(nfree < state.nregs[cls]), "an empty slab was kept"
    used = np.bincount(cls, weights=state.nregs[cls] - nfree, minlength=len(state.bin_curregs))
    assert np.array_equal(used.astype(np.int64), state.bin_curregs)
    in_heap = live & (state.slab_in_heap == 1)
    assert np.all(state.slab_nfree[in_heap] > 0)
    assert np.array_equal(np.bincount(state.slab_class[in_heap], minlength=len(state.bin_nonfull)),
                          state.bin_nonfull)
    for c in range(len(state.bin_root)):      # heap order: a parent's serial number is the smaller
        root = state.bin_root[c]
        stack = [root] if root >= 0 else []
        while stack:
            node = stack.pop()
            child = state.heap_child[node]
            while child >= 0:
                assert state.slab_sn[child] >= state.slab_sn[node]
                stack.append(child)
                child = state.heap_sibling[child]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops, st.sampled_from([(16, 10_000, True, True), (8, 10_000, True, True), (16, 0, True, True),
                             (16, 5_000, False, True), (16, 1_000, True, False)]))
def test_compiled_model_equals_twin(sequence, config):
    quantum, decay_ms, tcache, bg_thread = config
    state = new_allocator(quantum, max_slabs=8192, max_large=512, dirty_decay_ms=decay_ms, tcache=tcache,
                          background_thread=bg_thread, base_allocated=0, base_active=0, base_resident=0)
    twin = TwinAllocator(quantum, dirty_decay_ms=decay_ms, tcache=tcache, background_thread=bg_thread)
    live: list[int] = []
    now = 0
    for kind, arg, repeat in sequence:
        for _ in range(repeat):
            if kind == "alloc":
                handle = alloc(state, arg, now)
                assert handle == twin.alloc(arg)
                live.append(handle)
            elif kind == "free" and live:
                handle = live.pop(int(arg * (len(live) - 1)))
                free(state, handle, now)
                twin.free(handle)
        if kind == "advance":
            now += arg * 1000
            advance(state, now)
            twin.advance(now)
        elif kind == "purge":
            purge(state)
            twin.purge()
        assert stats(state) == twin.stats()
        check_invariants(state)
    assert state.counters[C_OVERFLOW] == 0


@kernel
def _alloc_many(state, size, out):
    for i in range(len(out)):
        out[i] = alloc(state, size, 0)


@kernel
def _free_many(state, handles):
    for i in range(len(handles)):
        free(state, handles[i], 0)


def fill(state, n, size):
    """n allocations of ``size`` in one compiled loop (a Python call per allocation is ~50 µs)."""
    out = np.empty(n, np.int64)
    _alloc_many(state, size, out)
    return out


def free_all(state, handles):
    _free_many(state, np.asarray(handles, np.int64))


def test_random_half_freed_keeps_slabs_fifo_freed_releases_them():
    """MECHANICS §13: a random half deleted empties almost no slab; deleting in allocation order does."""
    rng = np.random.default_rng(3)
    state = new_allocator(16, base_allocated=0, base_active=0, base_resident=0)
    handles = fill(state, 100_000, 100)           # 112-B class: 256 regions per 7-page slab
    _, active_full, _ = stats(state)
    free_all(state, handles[rng.permutation(len(handles))[:50_000]])
    _, active_half, _ = stats(state)
    assert active_half > 0.99 * active_full
    state = new_allocator(16, base_allocated=0, base_active=0, base_resident=0)
    handles = fill(state, 100_000, 100)
    free_all(state, handles[:50_000])
    _, active_fifo, _ = stats(state)
    assert active_fifo < 0.52 * active_full


def test_holes_reused_only_by_the_same_class():
    state = new_allocator(16, base_allocated=0, base_active=0, base_resident=0)
    handles = fill(state, 50_000, 100)
    free_all(state, handles[::2])
    _, before, _ = stats(state)
    fill(state, 20_000, 100)                      # same class: fills holes, no new pages
    _, same, _ = stats(state)
    assert same == before
    fill(state, 20_000, 200)                      # 224-B class: all new slabs
    _, other, _ = stats(state)
    assert other - same >= 20_000 * 224


def test_dirty_pages_decay_along_smootherstep():
    """After whole slabs empty, resident falls over dirty_decay_ms (~half gone at 5 s), in batches of
    about 1024 pages (the background thread sleeps until that many are due); the last batch, under
    the threshold, waits for the thread's long sleep, as the live server's RSS does."""
    state = new_allocator(16, base_allocated=0, base_active=0, base_resident=0)
    free_all(state, fill(state, 200_000, 100))
    dirty0 = int(state.counters[C_DIRTY_PAGES])
    assert dirty0 > 0.95 * 200_000 * 112 / 4096
    left, steps = [], []
    previous = dirty0
    for t_ms in range(0, 20_001, 100):            # the cron calls advance every 100 ms
        advance(state, t_ms * 1000)
        dirty = int(state.counters[C_DIRTY_PAGES])
        if dirty < previous:
            steps.append(previous - dirty)
        previous = dirty
        if t_ms % 1000 == 0:
            left.append(dirty / dirty0)
    assert left[1] > 0.95 and 0.35 < left[5] < 0.65 and left[10] < 0.1 and left[20] == 0
    assert all(a >= b for a, b in zip(left, left[1:]))
    assert min(steps[:-1]) > 0.75 * 1024 and len(steps) < 15   # the sleep search stops near 1024
    purge(state)
    assert state.counters[C_DIRTY_PAGES] == 0
    off = new_allocator(16, background_thread=False, base_allocated=0, base_active=0, base_resident=0)
    free_all(off, fill(off, 200_000, 100))
    for t_ms in range(0, 10_001, 100):            # no thread: every epoch purges, no batching
        advance(off, t_ms * 1000)
    assert off.counters[C_DIRTY_PAGES] == 0


def test_thread_cache_pins_slabs_after_everything_is_freed():
    """Freed regions sit in the thread cache (up to its slots) and keep their slabs active: why RSS
    after FLUSHALL + purge stays well above the empty server (frag_summary.md)."""
    rng = np.random.default_rng(5)
    state = new_allocator(16, base_allocated=0, base_active=0, base_resident=0)
    handles = np.concatenate([fill(state, 30_000, s) for s in (100, 300, 1000)])
    free_all(state, handles[rng.permutation(len(handles))])   # a dict's order, not allocation order
    purge(state)
    allocated, active, _ = stats(state)
    # at most 200 + 128 + 20 regions stay cached, but scattered they pin ~one slab each
    assert 0 < allocated <= 200 * 112 + 128 * 320 + 20 * 1024
    assert active > 2_000_000 and active > 40 * allocated
    off = new_allocator(16, tcache=False, base_allocated=0, base_active=0, base_resident=0)
    free_all(off, np.concatenate([fill(off, 30_000, s) for s in (100, 300, 1000)]))
    assert stats(off)[:2] == (0, 0)


def test_grow_keeps_handles_valid():
    state = new_allocator(16, max_slabs=64, max_large=4, base_allocated=0, base_active=0,
                          base_resident=0)
    handles = fill(state, 3000, 1000)             # 4 regions per slab: needs > 64 slabs
    assert state.counters[C_OVERFLOW] == 1 and handles[-1] == -1
    big = fill(state, 6, 40_000)                  # large extents: ids 0..3, then no slot
    assert list(big[:4]) == [-2, -3, -4, -5] and list(big[4:]) == [-1, -1]
    free_all(state, handles)
    free_all(state, big)                          # freeing "no slot" handles does nothing
    assert stats(state)[0] <= 200 * 1024 + 20 * 40_960
    state = new_allocator(16, max_slabs=64, max_large=4, base_allocated=0, base_active=0,
                          base_resident=0)
    handles = fill(state, 200, 1000)
    state = grow(state, max_slabs=4096)
    handles = np.concatenate([handles, fill(state, 3000, 1000)])
    free_all(state, handles)
    assert state.counters[C_OVERFLOW] == 0
    assert stats(state)[0] <= 200 * 1024          # only thread-cached regions remain
