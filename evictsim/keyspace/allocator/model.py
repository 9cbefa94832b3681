"""The jemalloc model behind the allocator hook (``allocator-model jemalloc``): the memory-model bundle
a run's kernels allocate through (:mod:`evictsim.keyspace.allocation`).

What the kernels see is small on purpose: :class:`Jemalloc` is a queue of the allocator calls
(key, piece, bytes) and the quantum. The hook appends to it and returns the usable size at once (the
jemalloc class of the request: the same as the size-class model, so used_memory does not change; a
test asserts it), and the model itself, the :class:`Arena`, runs the queue in order, in one compiled
loop, before each kernel call and at each cron tick (``drain``). So a request pays an append, and
the arena's ~35 arrays are handed to compiled code once per call, not to every function that
allocates (which cost ~4x the simulation time when they were part of the kernels' bundle).

The arena holds the allocator state (:mod:`.state`), the region handle of every key's pieces
(``handles[k, piece]``, grown with the keyspace) and of the two dicts' bucket arrays (``tables[d,
0..1]``: table 0 and, while rehashing, table 1), the model's clock (the last cron tick) and the
cron's memory sample.

Order of frees as Redis makes them: an overwrite allocates the new value before it frees the old one
(``dbOverwrite``: the value arrives as the command's argument), while the core releases the old value
first and then charges the new. So a released value waits: it is freed after the same key's next
value allocation (the new value's robj, its last allocation), or before any other call or cron
tick. A delete (key sds, value, entry) therefore frees in ``dbGenericDelete``'s order too.

The cron (``memory_cron``): the queue, the background thread's decay up to the tick (``advance``),
with ``activedefrag yes`` the defrag cycle (:mod:`.defrag`, over the keys' handles), and, every
100 ms, the sample that INFO prints (``cronUpdateMemoryStats``: allocator stats, RSS and the
used_memory that ``mem_fragmentation_ratio`` divides by). A queued ``jemalloc_purge()``
(``queue_purge``: MEMORY PURGE, a synchronous FLUSHALL) runs in its place in the queue.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.keyspace.allocation import (N_PIECES, N_SERVER_PIECES, PIECE_BUCKETS, PIECE_VALUE,
                                          PIECE_VALUE_SDS, ModelHooks, register_model)
from evictsim.keyspace.allocator.columns import reading_columns, reading_slots
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.decay import advance, purge
from evictsim.keyspace.allocator.defrag import D_ENABLED, active_defrag_cycle, new_defrag
from evictsim.keyspace.allocator.kernels import (C_ALLOCATED, C_BG_WAKE_US, C_DIRTY_PAGES, C_OVERFLOW,
                                                 C_TCACHE_BYTES, HANDLE_DTYPE, NO_HANDLE, P_BG_THREAD,
                                                 P_DECAY_MS, SLEEP_FOREVER, alloc, free)
from evictsim.keyspace.allocator.metrics import S_NSLOTS, sample
from evictsim.keyspace.allocator.state import grow, headroom, new_allocator
from evictsim.keyspace.memory import size_class
from evictsim.keyspace.prefetch import prefetch

Arena = namedtuple("Arena", "state handles tables pending clock sample log defrag")


class Jemalloc(namedtuple("JemallocQueue", "quantum queue count")):
    """The kernels' bundle: ``queue[i] = (k << 4 | piece << 1 | op, nbytes)``, ``count = (entries,
    overflowed)``. No ``__slots__``: the instance's ``arena`` attribute is the model (numba reads the
    fields only)."""

    arena: Arena


CRON_STATS_US = 100_000          # cronUpdateMemoryStats: run_with_period(100)
S_NEXT_US = S_NSLOTS             # sample[]: when the next cron sample is due
# pending[]: the key whose released value waits, its sds and robj handles
P_KEY, P_SDS, P_ROBJ = 0, 1, 2
# clock[]: the last cron tick's µs, and how many rows of ``log`` are filled
CLOCK_US, LOG_N = 0, 1
# log[] rows (only when the bundle was built with ``record`` > 0, for the tests: the allocation
# sequence a run made, to replay through the Python twin): (op, argument, handle)
LOG_ALLOC, LOG_FREE, LOG_CRON, LOG_PURGE = 0, 1, 2, 3
# Room kept before each kernel call: a request makes at most ~6 allocations, and a thread-cache fill
# of a class with few regions per slab can open several slabs for one of them. The queue holds one
# kernel call's allocator calls: ~6 per request, and at most 5 frees per key that can leave.
SLABS_PER_REQUEST = 8
LARGE_PER_REQUEST = 2
SLAB_MARGIN, LARGE_MARGIN = 1024, 64
QUEUE_PER_REQUEST, QUEUE_PER_KEY, QUEUE_MARGIN = 8, 5, 1024
OP_ALLOC, OP_FREE = 0, 1
PURGE_KEY = -2                   # the queue entry of a jemalloc_purge() (no key, no piece)
PREFETCH_AHEAD = 16              # drain: how many calls ahead a key's row of handles is requested



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
    arena = Arena(state, np.full((capacity, N_PIECES), NO_HANDLE, HANDLE_DTYPE),
                  np.full((N_SERVER_PIECES, 2), NO_HANDLE, np.int64), pending,
                  np.zeros(2, np.int64), np.zeros(S_NSLOTS + 1, np.int64),
                  np.zeros((max(record, 1), 3), np.int64), new_defrag(cfg))
    return _bundle(cfg.jemalloc_quantum, _queue_length(capacity, 0), arena)


def _queue_length(capacity: int, n_requests: int) -> int:
    return QUEUE_PER_REQUEST * n_requests + QUEUE_PER_KEY * capacity + QUEUE_MARGIN


def _bundle(quantum: int, length: int, arena: Arena) -> Jemalloc:
    model = Jemalloc(np.int64(quantum), np.zeros((length, 2), np.int64), np.zeros(2, np.int64))
    model.arena = arena
    return model


@kernel
def queue_allocate(model, k, piece, nbytes):
    """The hook: queue the allocation, return its usable size (its jemalloc class)."""
    _enqueue(model, k * 16 + piece * 2 + OP_ALLOC, nbytes)
    return size_class(nbytes, model.quantum)


@kernel
def queue_release(model, k, piece, usable):
    _enqueue(model, k * 16 + piece * 2 + OP_FREE, 0)


@kernel
def queue_purge(model):
    """``jemalloc_purge()``, in its place among the queued calls."""
    _enqueue(model, PURGE_KEY * 16 + OP_ALLOC, 0)


@kernel(inline=True)
def _enqueue(model, code, nbytes):
    n = model.count[0]
    if n < len(model.queue):
        model.queue[n, 0] = code
        model.queue[n, 1] = nbytes
        model.count[0] = n + 1
    else:                                # sized by fitted(): never expected; the invariant would fail
        model.count[1] = 1


@kernel
def drain(queue, count, arena):
    """Run the queued calls through the arena, in order. Each call reads or writes its key's row of
    ``handles``, a random row of a table as large as the keyspace (a cache miss): the row of the
    call ``PREFETCH_AHEAD`` entries on is requested first, so those misses overlap."""
    n = count[0]
    handles = arena.handles
    for i in range(n):
        if i + PREFETCH_AHEAD < n:
            ahead = queue[i + PREFETCH_AHEAD, 0] >> 4
            if ahead >= 0:
                prefetch(handles, ahead)
        code = queue[i, 0]
        k = code >> 4
        piece = (code >> 1) & 7
        if k == PURGE_KEY:
            _purge(arena)
        elif code & 1 == OP_ALLOC:
            _place(arena, k, piece, queue[i, 1])
        else:
            _unplace(arena, k, piece)
    count[0] = 0


@kernel(inline=True)
def _record(model, op, argument, handle):
    """One row of the test log (a no-op with the one-row placeholder log of a normal run)."""
    log = model.log
    n = model.clock[LOG_N]
    if len(log) > 1 and n < len(log):
        log[n, 0] = op
        log[n, 1] = argument
        log[n, 2] = handle
        model.clock[LOG_N] = n + 1


@kernel(inline=True)
def _free(model, handle):
    if handle != NO_HANDLE:
        _record(model, LOG_FREE, handle, handle)
        free(model.state, handle, model.clock[CLOCK_US])


@kernel
def _flush(model):
    """Free the value that waits (sds, then robj: ``freeStringObject``). Callers test
    ``pending[P_KEY] >= 0`` first: most calls would find nothing to do."""
    pending = model.pending
    if pending[P_KEY] < 0:
        return
    _free(model, pending[P_SDS])
    _free(model, pending[P_ROBJ])
    pending[P_KEY] = -1
    pending[P_SDS] = NO_HANDLE
    pending[P_ROBJ] = NO_HANDLE


@kernel
def _purge(model):
    """Every dirty page purged, after the value that waits is freed (it was freed before the purge)."""
    if model.pending[P_KEY] >= 0:
        _flush(model)
    _record(model, LOG_PURGE, 0, 0)
    purge(model.state)


@kernel(inline=True)
def _place(model, k, piece, nbytes):
    """A region of ``nbytes``: its handle recorded under (key, piece)."""
    pending = model.pending
    value_piece = piece == PIECE_VALUE or piece == PIECE_VALUE_SDS
    if pending[P_KEY] >= 0 and not (value_piece and pending[P_KEY] == k):
        _flush(model)
    state = model.state
    handle = alloc(state, nbytes, model.clock[CLOCK_US])
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


@kernel(inline=True)
def _unplace(model, k, piece):
    """Free the region recorded under (key, piece); a dict's older bucket array for k = -1."""
    pending = model.pending
    if k >= 0:
        handle = model.handles[k, piece]
        model.handles[k, piece] = NO_HANDLE
        if piece == PIECE_VALUE or piece == PIECE_VALUE_SDS:
            if pending[P_KEY] != k:
                if pending[P_KEY] >= 0:
                    _flush(model)
                pending[P_KEY] = k
            pending[P_SDS if piece == PIECE_VALUE_SDS else P_ROBJ] = handle
            return
        if pending[P_KEY] >= 0:
            _flush(model)
    else:
        if pending[P_KEY] >= 0:
            _flush(model)
        d = piece - PIECE_BUCKETS
        handle = model.tables[d, 0]
        model.tables[d, 0] = model.tables[d, 1]
        model.tables[d, 1] = NO_HANDLE
    _free(model, handle)


@kernel
def tick(queue, count, model, now_us, used_memory):
    """One serverCron tick: the queue, decay up to ``now_us``, then (every 100 ms) the cron's memory
    sample."""
    drain(queue, count, model)
    _flush(model)
    model.clock[CLOCK_US] = now_us
    _record(model, LOG_CRON, now_us, 0)
    advance(model.state, now_us)
    if model.defrag[D_ENABLED]:
        active_defrag_cycle(model.state, model.handles, model.defrag, now_us)   # databasesCron
    if now_us >= model.sample[S_NEXT_US]:
        sample(model.state, used_memory, model.sample)
        model.sample[S_NEXT_US] = now_us + CRON_STATS_US


@kernel
def cron_tick(model, arena, now_us, used_memory):
    """The compiled event loop's serverCron tick on the model's clock (``tick`` on the bundle's queue)."""
    tick(model.queue, model.count, arena, now_us, used_memory)


@kernel
def quiet(model, arena):
    """Nothing due on the model's clock: nothing queued or waiting, no dirty page waiting for the
    background thread (or decay off), so skipped cron ticks would change nothing."""
    c, p = arena.state.counters, arena.state.params
    if model.count[0] or arena.pending[P_KEY] >= 0 or arena.defrag[D_ENABLED]:
        return False
    if p[P_DECAY_MS] <= 0:
        return True
    return c[C_DIRTY_PAGES] == 0 and (p[P_BG_THREAD] == 0 or c[C_BG_WAKE_US] == SLEEP_FOREVER)


@kernel
def reading(model, arena, readings, row, col):
    """What a reading copies: the last cron sample (``cronUpdateMemoryStats``), as INFO prints it,
    then the defrag counters as they stand."""
    sample, defrag = arena.sample, arena.defrag
    for j in range(len(sample)):
        readings[row, col + j] = sample[j]
    col += len(sample)
    for j in range(len(defrag)):
        readings[row, col + j] = defrag[j]


def _columns(model: Jemalloc, rows: np.ndarray) -> dict:
    _check(model)
    return reading_columns(model.arena, rows)


def _fitted(model: Jemalloc, capacity: int, n_requests: int) -> Jemalloc:
    """Run the queue; handles for ``capacity`` keys, slab / extent slots and queue room for
    ``n_requests`` more requests (a new bundle only when the queue had to grow)."""
    arena = model.arena
    drain(model.queue, model.count, arena)
    changes = {}
    if len(arena.handles) < capacity:
        handles = np.full((max(capacity, len(arena.handles) * 3 // 2), N_PIECES), NO_HANDLE, HANDLE_DTYPE)
        handles[:len(arena.handles)] = arena.handles
        changes["handles"] = handles
    free_slabs, free_large = headroom(arena.state)
    need_slabs = SLABS_PER_REQUEST * n_requests + SLAB_MARGIN
    need_large = LARGE_PER_REQUEST * n_requests + LARGE_MARGIN
    if free_slabs < need_slabs or free_large < need_large:
        slabs, large = len(arena.state.slab_class), len(arena.state.large_class)
        changes["state"] = grow(arena.state, max_slabs=max(2 * slabs, slabs + need_slabs - free_slabs),
                                max_large=max(2 * large, large + need_large - free_large))
    if changes:
        model.arena = arena._replace(**changes)
    need = _queue_length(capacity, n_requests)
    if len(model.queue) >= need and not model.count[1]:
        return model
    grown = _bundle(int(model.quantum), max(need, len(model.queue) * 3 // 2), model.arena)
    grown.count[1] = model.count[1]
    return grown


def _check(model: Jemalloc) -> None:
    if model.count[1] or model.arena.state.counters[C_OVERFLOW]:
        raise AssertionError("the allocator model ran out of queue or slab slots: a call was lost")


@kernel
def live_bytes(queue, count, model):
    """Bytes in regions the keyspace holds (the queue run, the value that waits freed first):
    allocated minus the thread cache's and the start-up figure. Every byte the byte model charges
    is one of them."""
    drain(queue, count, model)
    _flush(model)
    c = model.state.counters
    return c[C_ALLOCATED] - c[C_TCACHE_BYTES]


def _live_bytes(model: Jemalloc) -> int:
    _check(model)
    return int(live_bytes(model.queue, model.count, model.arena))


def _cron(model: Jemalloc, now_us: int, used_memory: int) -> None:
    tick(model.queue, model.count, model.arena, np.int64(now_us), np.int64(used_memory))


register_model(Jemalloc, queue_allocate, queue_release,
               ModelHooks(cron=_cron, fitted=_fitted, live_bytes=_live_bytes,
                          arena=lambda model: model.arena, reading_slots=lambda model: reading_slots(model.arena),
                          columns=_columns),
               tick_impl=cron_tick, quiet_impl=quiet, reading_impl=reading, purge_impl=queue_purge)
