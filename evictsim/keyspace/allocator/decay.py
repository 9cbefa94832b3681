"""Dirty-page decay and jemalloc's background thread (``decay.c``, ``background_thread.c``, 5.3).

Dirty pages (emptied slabs, freed extents) stay resident until purged. Time is cut into 200 epochs
per ``dirty_decay_ms``; each epoch's new dirty pages enter a backlog, the allowed dirty count is the
backlog weighted by smootherstep (``h_steps``), and the background thread purges down to it when it
wakes. It sleeps until about 1024 pages are due (at least 100 ms), for ever when nothing is dirty,
and is woken early by an influx of dirty pages. ``purge`` (MEMORY PURGE, a synchronous FLUSHALL)
purges every dirty page at once. With muzzy_decay_ms 0, purged pages go straight to retained.
"""
from __future__ import annotations

from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.layout import (
    C_BG_WAKE_US,
    C_BG_WOKEN,
    C_DIRTY_PAGES,
    C_EPOCH_US,
    C_NUNPURGED,
    C_PURGED_PAGES,
    C_RETAINED_PAGES,
    C_TO_PURGE_NEW,
    NSTEPS,
    P_BG_THREAD,
    P_DECAY_MS,
    SLEEP_FOREVER,
    SMOOTHSTEP_BFP,
)

BG_MIN_INTERVAL_US = 100_000     # BACKGROUND_THREAD_MIN_INTERVAL_NS
PURGE_NPAGES_THRESHOLD = 1024    # ARENA_DEFERRED_PURGE_NPAGES_THRESHOLD


@kernel
def _advance_epoch(state, now_us):
    """``decay_maybe_advance_epoch``: returns the pages new since the last epoch, -1 if none passed."""
    c = state.counters
    interval = state.params[P_DECAY_MS] * 1000 // NSTEPS
    if now_us < c[C_EPOCH_US] + interval:
        return -1
    nadvance = (now_us - c[C_EPOCH_US]) // interval
    c[C_EPOCH_US] += nadvance * interval
    backlog = state.backlog
    if nadvance >= NSTEPS:
        backlog[:NSTEPS - 1] = 0
    else:
        for i in range(NSTEPS - nadvance):
            backlog[i] = backlog[i + nadvance]
        for i in range(NSTEPS - nadvance, NSTEPS - 1):
            backlog[i] = 0
    current = c[C_DIRTY_PAGES]
    delta = current - c[C_NUNPURGED] if current > c[C_NUNPURGED] else 0
    backlog[NSTEPS - 1] = delta
    limit = _npages_limit(state)
    c[C_NUNPURGED] = max(current, limit)
    return delta


@kernel
def _npages_limit(state):
    limit = 0
    for i in range(NSTEPS):
        limit += state.backlog[i] * state.h_steps[i]
    return limit >> SMOOTHSTEP_BFP


@kernel
def _purge_to_limit(state):
    c = state.counters
    limit = _npages_limit(state)
    current = c[C_DIRTY_PAGES]
    if current > limit:
        c[C_DIRTY_PAGES] = limit
        c[C_RETAINED_PAGES] += current - limit
        c[C_PURGED_PAGES] += current - limit


@kernel
def _npurge_after(state, epochs):
    """``decay_npurge_after_interval``: pages the limit drops by over ``epochs`` more epochs."""
    total = 0
    for i in range(epochs):
        total += state.backlog[i] * state.h_steps[i]
    for i in range(epochs, NSTEPS):
        total += state.backlog[i] * (state.h_steps[i] - state.h_steps[i - epochs])
    return total >> SMOOTHSTEP_BFP


@kernel
def _us_until_purge(state):
    """``decay_ns_until_purge`` (in µs): how long the background thread may sleep."""
    interval = state.params[P_DECAY_MS] * 1000 // NSTEPS
    current = state.counters[C_DIRTY_PAGES]
    if current == 0:
        empty = True
        for i in range(NSTEPS):
            if state.backlog[i] > 0:
                empty = False
                break
        if empty:
            return SLEEP_FOREVER
    if current <= PURGE_NPAGES_THRESHOLD:
        return interval * NSTEPS
    lb = 2
    ub = NSTEPS
    npurge_lb = _npurge_after(state, lb)
    if npurge_lb > PURGE_NPAGES_THRESHOLD:
        return interval * lb
    npurge_ub = _npurge_after(state, ub)
    if npurge_ub < PURGE_NPAGES_THRESHOLD:
        return interval * ub
    while npurge_lb + PURGE_NPAGES_THRESHOLD < npurge_ub and lb + 2 < ub:
        target = (lb + ub) // 2
        npurge = _npurge_after(state, target)
        if npurge > PURGE_NPAGES_THRESHOLD:
            ub = target
            npurge_ub = npurge
        else:
            lb = target
            npurge_lb = npurge
    return interval * (ub + lb) // 2


@kernel
def _purge_in(state, remaining_us, npages_new):
    """``decay_npages_purge_in``: of ``npages_new`` new pages, how many are purged within the sleep."""
    interval = state.params[P_DECAY_MS] * 1000 // NSTEPS
    n_epoch = remaining_us // interval
    if n_epoch >= NSTEPS:
        return npages_new
    h = state.h_steps
    return (npages_new * (h[NSTEPS - 1] - h[NSTEPS - 1 - n_epoch])) >> SMOOTHSTEP_BFP


@kernel
def advance(state, now_us):
    """Time passes to ``now_us`` (call it from the cron, every 100 ms): the application side advances
    decay epochs (jemalloc's decay ticker) and may wake the background thread early
    (``arena_maybe_do_deferred_work``); the background thread, when its sleep is over, purges down to
    the decay limit and sleeps until ~1024 more pages are due (``decay_ns_until_purge``), at least
    100 ms, or for ever when nothing is dirty. Without the background thread, every epoch advance
    purges (``PAC_PURGE_ON_EPOCH_ADVANCE``)."""
    if state.params[P_DECAY_MS] <= 0:
        return
    c = state.counters
    npages_new = _advance_epoch(state, now_us)
    if not state.params[P_BG_THREAD]:
        if npages_new >= 0:
            _purge_to_limit(state)
        return
    wake = c[C_BG_WAKE_US]
    if wake == SLEEP_FOREVER:
        if c[C_DIRTY_PAGES] > 0:               # new dirty pages signal the idle thread
            c[C_BG_WAKE_US] = now_us
            c[C_BG_WOKEN] = 1
    elif npages_new > 0 and wake > c[C_EPOCH_US]:
        remaining = wake - c[C_EPOCH_US]
        c[C_TO_PURGE_NEW] += _purge_in(state, remaining, npages_new)
        if c[C_TO_PURGE_NEW] > PURGE_NPAGES_THRESHOLD:
            c[C_TO_PURGE_NEW] = 0
            if remaining >= BG_MIN_INTERVAL_US:
                c[C_BG_WAKE_US] = now_us
    if c[C_BG_WAKE_US] != SLEEP_FOREVER and now_us >= c[C_BG_WAKE_US]:
        if not c[C_BG_WOKEN]:                  # a thread woken from idling only plans its sleep
            _purge_to_limit(state)
        c[C_BG_WOKEN] = 0
        sleep = _us_until_purge(state)
        if sleep == SLEEP_FOREVER:
            c[C_BG_WAKE_US] = SLEEP_FOREVER
        else:
            c[C_BG_WAKE_US] = now_us + max(sleep, BG_MIN_INTERVAL_US)


@kernel
def purge(state):
    """Purge every dirty page now (``jemalloc_purge``: MEMORY PURGE, a synchronous FLUSHALL)."""
    c = state.counters
    c[C_RETAINED_PAGES] += c[C_DIRTY_PAGES]
    c[C_PURGED_PAGES] += c[C_DIRTY_PAGES]
    c[C_DIRTY_PAGES] = 0
