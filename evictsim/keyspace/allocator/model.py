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

The queue runs in Redis's order of frees (:mod:`.drain`: an overwrite's old value waits for the new
one), so a delete (key sds, value, entry) frees in ``dbGenericDelete``'s order too.

The cron (``memory_cron``): the queue, the background thread's decay up to the tick (``advance``),
with ``activedefrag yes`` the defrag cycle (:mod:`.defrag`, over the keys' handles), and, every
100 ms, the sample that INFO prints (``cronUpdateMemoryStats``: allocator stats, RSS and the
used_memory that ``mem_fragmentation_ratio`` divides by). A queued ``jemalloc_purge()``
(``queue_purge``: MEMORY PURGE, a synchronous FLUSHALL) runs in its place in the queue.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.keyspace.allocation import N_PIECES, N_SERVER_PIECES, ModelHooks, register_model
from evictsim.keyspace.allocator.columns import reading_columns, reading_slots
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.decay import advance
from evictsim.keyspace.allocator.defrag import D_ENABLED, active_defrag_cycle, new_defrag
from evictsim.keyspace.allocator.drain import (
    CLOCK_US,
    LOG_CRON,
    OP_ALLOC,
    OP_FREE,
    P_KEY,
    PURGE_KEY,
    drain,
    flush_pending,
    record_call,
)
from evictsim.keyspace.allocator.layout import (
    C_ALLOCATED,
    C_BG_WAKE_US,
    C_DIRTY_PAGES,
    C_OVERFLOW,
    C_TCACHE_BYTES,
    HANDLE_DTYPE,
    NO_HANDLE,
    P_BG_THREAD,
    P_DECAY_MS,
    SLEEP_FOREVER,
)
from evictsim.keyspace.allocator.metrics import S_NSLOTS, sample
from evictsim.keyspace.allocator.state import grow, headroom, new_allocator
from evictsim.keyspace.memory import size_class

Arena = namedtuple("Arena", "state handles tables pending clock sample log defrag")


class Jemalloc(namedtuple("JemallocQueue", "quantum queue count")):
    """The kernels' bundle: ``queue[i] = (k << 4 | piece << 1 | op, nbytes)``, ``count = (entries,
    overflowed)``. No ``__slots__``: the instance's ``arena`` attribute is the model (numba reads the
    fields only)."""

    arena: Arena


CRON_STATS_US = 100_000          # cronUpdateMemoryStats: run_with_period(100)
S_NEXT_US = S_NSLOTS             # sample[]: when the next cron sample is due
# Room kept before each kernel call: a request makes at most ~6 allocations, and a thread-cache fill
# of a class with few regions per slab can open several slabs for one of them. The queue holds one
# kernel call's allocator calls: ~6 per request, and at most 5 frees per key that can leave.
SLABS_PER_REQUEST = 8
LARGE_PER_REQUEST = 2
SLAB_MARGIN, LARGE_MARGIN = 1024, 64
QUEUE_PER_REQUEST, QUEUE_PER_KEY, QUEUE_MARGIN = 8, 5, 1024



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
def tick(queue, count, model, now_us, used_memory):
    """One serverCron tick: the queue, decay up to ``now_us``, then (every 100 ms) the cron's memory
    sample."""
    drain(queue, count, model)
    flush_pending(model)
    model.clock[CLOCK_US] = now_us
    record_call(model, LOG_CRON, now_us, 0)
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
    flush_pending(model)
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
