"""Running the allocator queue through the arena (:mod:`.model`'s ``drain``): each queued call is
placed under its key's row of handles, or freed from it, in the order Redis makes them.

Order of frees as Redis makes them: an overwrite allocates the new value before it frees the old one
(``dbOverwrite``), while the core releases the old value first and then charges the new. So a
released value waits in ``pending``: it is freed after the same key's next value allocation (the new
value's robj, its last allocation), or before any other call or cron tick.
"""
from __future__ import annotations

from evictsim.keyspace.allocation import PIECE_BUCKETS, PIECE_VALUE, PIECE_VALUE_SDS
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.decay import purge
from evictsim.keyspace.allocator.kernels import alloc, free
from evictsim.keyspace.allocator.layout import NO_HANDLE
from evictsim.keyspace.prefetch import prefetch

# pending[]: the key whose released value waits, its sds and robj handles
P_KEY, P_SDS, P_ROBJ = 0, 1, 2
# clock[]: the last cron tick's µs, and how many rows of ``log`` are filled
CLOCK_US, LOG_N = 0, 1
# log[] rows (only when the bundle was built with ``record`` > 0, for the tests: the allocation
# sequence a run made, to replay through the Python twin): (op, argument, handle)
LOG_ALLOC, LOG_FREE, LOG_CRON, LOG_PURGE = 0, 1, 2, 3
OP_ALLOC, OP_FREE = 0, 1
PURGE_KEY = -2                   # the queue entry of a jemalloc_purge() (no key, no piece)
PREFETCH_AHEAD = 16              # drain: how many calls ahead a key's row of handles is requested


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
def record_call(model, op, argument, handle):
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
        record_call(model, LOG_FREE, handle, handle)
        free(model.state, handle, model.clock[CLOCK_US])


@kernel
def flush_pending(model):
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
        flush_pending(model)
    record_call(model, LOG_PURGE, 0, 0)
    purge(model.state)


@kernel(inline=True)
def _place(model, k, piece, nbytes):
    """A region of ``nbytes``: its handle recorded under (key, piece)."""
    pending = model.pending
    value_piece = piece == PIECE_VALUE or piece == PIECE_VALUE_SDS
    if pending[P_KEY] >= 0 and not (value_piece and pending[P_KEY] == k):
        flush_pending(model)
    state = model.state
    handle = alloc(state, nbytes, model.clock[CLOCK_US])
    record_call(model, LOG_ALLOC, nbytes, handle)
    if k >= 0:
        old = model.handles[k, piece]
        model.handles[k, piece] = handle
        _free(model, old)                       # not expected: callers release before re-allocating
        if piece == PIECE_VALUE and pending[P_KEY] == k:
            flush_pending(model)                # the new value is in: the old one goes (dbOverwrite)
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
                    flush_pending(model)
                pending[P_KEY] = k
            pending[P_SDS if piece == PIECE_VALUE_SDS else P_ROBJ] = handle
            return
        if pending[P_KEY] >= 0:
            flush_pending(model)
    else:
        if pending[P_KEY] >= 0:
            flush_pending(model)
        d = piece - PIECE_BUCKETS
        handle = model.tables[d, 0]
        model.tables[d, 0] = model.tables[d, 1]
        model.tables[d, 1] = NO_HANDLE
    _free(model, handle)
