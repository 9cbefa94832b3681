"""The jemalloc model behind the allocator hook (``allocator-model jemalloc``): the memory-model bundle
a run's kernels allocate through (:mod:`evictsim.keyspace.allocation`).

The bundle, :class:`Jemalloc`, holds the allocator state (:mod:`.state`), the region handle of every
key's pieces (``handles[k, piece]``, grown with the keyspace) and of the two dicts' bucket arrays
(``tables[d, 0..1]``: table 0 and, while rehashing, table 1), the model's clock (the last cron tick)
and the cron's memory sample. The hook's usable size is the region's jemalloc class, so used_memory
is the same as with the size-class model (a test asserts it).

Order of frees as Redis makes them: an overwrite allocates the new value before it frees the old one
(``dbOverwrite``: the value arrives as the command's argument), while the core releases the old value
first and then charges the new. So a released value waits: it is freed after the same key's next
value allocation (the new value's robj, its last allocation), or before any other hook call or cron
tick. A delete (key sds, value, entry) therefore frees in ``dbGenericDelete``'s order too.

The cron (``memory_cron``): the background thread's decay up to the tick (``advance``) and, every
100 ms, the sample that INFO prints (``cronUpdateMemoryStats``: allocator stats, RSS and the
used_memory that ``mem_fragmentation_ratio`` divides by).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.keyspace.allocation import (N_PIECES, N_SERVER_PIECES, PIECE_BUCKETS, PIECE_VALUE,
                                          PIECE_VALUE_SDS, ModelHooks, register_model)
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.decay import advance
from evictsim.keyspace.allocator.kernels import (C_ALLOCATED, C_BG_WAKE_US, C_DIRTY_PAGES, C_OVERFLOW,
                                                 C_TCACHE_BYTES, P_BG_THREAD,
                                                 P_DECAY_MS, SLEEP_FOREVER, alloc_call, class_index,
                                                 free_call)
from evictsim.keyspace.allocator.metrics import (S_ACTIVE, S_ALLOCATED, S_NSLOTS, S_RESIDENT, S_RSS,
                                                 S_USED_MEMORY, info_fields, sample)
from evictsim.keyspace.allocator.state import grow, headroom, new_allocator

Jemalloc = namedtuple("Jemalloc", "state handles tables pending clock sample log")

NO_HANDLE = np.iinfo(np.int64).min
CRON_STATS_US = 100_000          # cronUpdateMemoryStats: run_with_period(100)
S_NEXT_US = S_NSLOTS             # sample[]: when the next cron sample is due
# pending[]: the key whose released value waits, its sds and robj handles
P_KEY, P_SDS, P_ROBJ = 0, 1, 2
# clock[]: the last cron tick's µs, and how many rows of ``log`` are filled
CLOCK_US, LOG_N = 0, 1
# log[] rows (only when the bundle was built with ``record`` > 0, for the tests: the allocation
# sequence a run made, to replay through the Python twin): (op, argument, handle)
LOG_ALLOC, LOG_FREE, LOG_CRON = 0, 1, 2
# Room kept before each kernel call: a request makes at most ~6 allocations, and a thread-cache fill
# of a class with few regions per slab can open several slabs for one of them.
SLABS_PER_REQUEST = 8
LARGE_PER_REQUEST = 2
SLAB_MARGIN, LARGE_MARGIN = 1024, 64
COLUMNS = ("used_memory_rss", "allocator_allocated", "allocator_active", "allocator_resident",
           "allocator_frag_ratio", "mem_fragmentation_ratio")


def new_jemalloc_model(cfg, capacity: int, record: int = 0) -> Jemalloc:
    """An empty arena with the config's jemalloc settings and baselines, handles for ``capacity``
    keys; ``record``: log that many allocator calls (0: none; the log's shape keeps the type)."""
    state = new_allocator(cfg.jemalloc_quantum, max_slabs=4 * SLAB_MARGIN, max_large=4 * LARGE_MARGIN,
                          dirty_decay_ms=cfg.dirty_decay_ms, background_thread=cfg.jemalloc_bg_thread,
                          base_allocated=cfg.allocator_base_allocated,
                          base_active=cfg.allocator_base_active,
                          base_resident=cfg.allocator_base_resident,
                          process_baseline_rss=cfg.process_baseline_rss)
    pending = np.array([-1, NO_HANDLE, NO_HANDLE], np.int64)
    return Jemalloc(state, np.full((capacity, N_PIECES), NO_HANDLE, np.int64),
                    np.full((N_SERVER_PIECES, 2), NO_HANDLE, np.int64), pending,
                    np.zeros(2, np.int64), np.zeros(S_NSLOTS + 1, np.int64),
                    np.zeros((max(record, 1), 3), np.int64))


@kernel
def _record(model, op, argument, handle):
    """One row of the test log (a no-op with the one-row placeholder log of a normal run)."""
    log = model.log
    n = model.clock[LOG_N]
    if len(log) > 1 and n < len(log):
        log[n, 0] = op
        log[n, 1] = argument
        log[n, 2] = handle
        model.clock[LOG_N] = n + 1


@kernel
def _free(model, handle):
    if handle != NO_HANDLE:
        _record(model, LOG_FREE, handle, handle)
        free_call(model.state, handle, model.clock[CLOCK_US])


@kernel
def _flush(model):
    """Free the value that waits (sds, then robj: ``freeStringObject``)."""
    pending = model.pending
    if pending[P_KEY] < 0:
        return
    _free(model, pending[P_SDS])
    _free(model, pending[P_ROBJ])
    pending[P_KEY] = -1
    pending[P_SDS] = NO_HANDLE
    pending[P_ROBJ] = NO_HANDLE


@kernel
def jemalloc_allocate(model, k, piece, nbytes):
    """A region of ``nbytes``: its handle recorded under (key, piece); returns its usable size."""
    pending = model.pending
    value_piece = piece == PIECE_VALUE or piece == PIECE_VALUE_SDS
    if pending[P_KEY] >= 0 and not (value_piece and pending[P_KEY] == k):
        _flush(model)
    state = model.state
    handle = alloc_call(state, nbytes, model.clock[CLOCK_US])
    _record(model, LOG_ALLOC, nbytes, handle)
    if k >= 0:
        old = model.handles[k, piece]
        model.handles[k, piece] = handle
        _free(model, old)                       # not expected: callers release before re-allocating
        if piece == PIECE_VALUE and pending[P_KEY] == k:
            _flush(model)                       # the new value is in: the old one goes (dbOverwrite)
    else:
        d = piece - PIECE_BUCKETS
        if model.tables[d, 0] == NO_HANDLE:
            model.tables[d, 0] = handle         # a dict's first table
        else:
            _free(model, model.tables[d, 1])
            model.tables[d, 1] = handle         # the table it rehashes into
    return state.class_size[class_index(state, nbytes)]


@kernel
def jemalloc_release(model, k, piece, usable):
    """Free the region recorded under (key, piece); a dict's older bucket array for k = -1."""
    pending = model.pending
    if k >= 0:
        handle = model.handles[k, piece]
        model.handles[k, piece] = NO_HANDLE
        if piece == PIECE_VALUE or piece == PIECE_VALUE_SDS:
            if pending[P_KEY] != k:
                _flush(model)
                pending[P_KEY] = k
            pending[P_SDS if piece == PIECE_VALUE_SDS else P_ROBJ] = handle
            return
        _flush(model)
    else:
        _flush(model)
        d = piece - PIECE_BUCKETS
        handle = model.tables[d, 0]
        model.tables[d, 0] = model.tables[d, 1]
        model.tables[d, 1] = NO_HANDLE
    _free(model, handle)


@kernel
def jemalloc_cron(model, now_us, used_memory):
    """One serverCron tick: decay up to ``now_us``, then (every 100 ms) the cron's memory sample."""
    _flush(model)
    model.clock[CLOCK_US] = now_us
    _record(model, LOG_CRON, now_us, 0)
    advance(model.state, now_us)
    if now_us >= model.sample[S_NEXT_US]:
        sample(model.state, used_memory, model.sample)
        model.sample[S_NEXT_US] = now_us + CRON_STATS_US


def _idle(model: Jemalloc) -> bool:
    """Nothing due on the model's clock: no dirty page waiting for the background thread (or decay
    off), so skipped cron ticks would change nothing."""
    c, p = model.state.counters, model.state.params
    if model.pending[P_KEY] >= 0:
        return False
    if p[P_DECAY_MS] <= 0:
        return True
    return c[C_DIRTY_PAGES] == 0 and (not p[P_BG_THREAD] or c[C_BG_WAKE_US] == SLEEP_FOREVER)


def _fitted(model: Jemalloc, capacity: int, n_requests: int) -> Jemalloc:
    """Handles for ``capacity`` keys, and slab / extent slots for ``n_requests`` more requests."""
    changes = {}
    if len(model.handles) < capacity:
        handles = np.full((max(capacity, len(model.handles) * 3 // 2), N_PIECES), NO_HANDLE, np.int64)
        handles[:len(model.handles)] = model.handles
        changes["handles"] = handles
    free_slabs, free_large = headroom(model.state)
    need_slabs = SLABS_PER_REQUEST * n_requests + SLAB_MARGIN
    need_large = LARGE_PER_REQUEST * n_requests + LARGE_MARGIN
    if free_slabs < need_slabs or free_large < need_large:
        slabs, large = len(model.state.slab_class), len(model.state.large_class)
        changes["state"] = grow(model.state, max_slabs=max(2 * slabs, slabs + need_slabs - free_slabs),
                                max_large=max(2 * large, large + need_large - free_large))
    return model._replace(**changes) if changes else model


def _fields(model: Jemalloc) -> dict:
    """The allocator columns at the last cron sample, as INFO prints them."""
    if model.state.counters[C_OVERFLOW]:
        raise AssertionError("the allocator model ran out of slab slots: a region was not placed")
    s = [int(v) for v in model.sample]
    info = info_fields(s[S_USED_MEMORY], s[S_ALLOCATED], s[S_ACTIVE], s[S_RESIDENT], s[S_RSS])
    return {name: info[name] for name in COLUMNS}


@kernel
def live_bytes(model):
    """Bytes in regions the keyspace holds (the value that waits freed first): allocated minus the
    thread cache's and the start-up figure. Every byte the byte model charges is one of them."""
    _flush(model)
    c = model.state.counters
    return c[C_ALLOCATED] - c[C_TCACHE_BYTES]


def _cron(model: Jemalloc, now_us: int, used_memory: int) -> None:
    jemalloc_cron(model, np.int64(now_us), np.int64(used_memory))


register_model(Jemalloc, jemalloc_allocate, jemalloc_release,
               ModelHooks(cron=_cron, idle=_idle, fitted=_fitted, fields=_fields,
                          live_bytes=lambda model: int(live_bytes(model))))
