"""Active defragmentation (``activedefrag yes``): Redis 7.0's ``defrag.c`` over the jemalloc model.

Once a second (``run_with_period(1000)`` in the cron) ``computeDefragCycles`` reads the allocator's
fragmentation, ``frag% = active / allocated · 100 − 100`` and ``frag bytes = active − allocated``.
A cycle starts when ``frag% ≥ active-defrag-threshold-lower`` and ``frag bytes ≥
active-defrag-ignore-bytes``; its CPU share (``active_defrag_running``, percent) interpolates linearly
from ``active-defrag-cycle-min`` at the lower threshold to ``active-defrag-cycle-max`` at
``active-defrag-threshold-upper``, clamped, and only grows during a scan. Each cron tick the cycle
may run ``1e6 · running / hz / 100`` µs; at the end of a full scan it stops and re-evaluates
(starting the next scan at once if still fragmented).

The work done per ms of cycle time is a parameter, ``active-defrag-keys-per-ms`` (evictsim; default
1000: about 1 µs per key, a dictScan step plus a defrag hint per allocation: an assumption, not
a measurement, since Debian's jemalloc lacks the hint and so the feature). Per key the scan offers
every region of the key (dictEntry, key sds, expires entry, value robj, value sds) to
``activeDefragAlloc``: jemalloc's hint (``je_get_defrag_hint``, Redis's jemalloc 5.3 patch) says
move when the region is in a small-class slab that is not the bin's current slab, has a free
region, and is used no more than the bin's average non-full slab (+12.5%); then the region is
re-allocated without the thread cache (``zmalloc_no_tcache``: the current slab, else the oldest
non-full one) and the old one freed without it (an emptied slab is released: dirty pages). Counts
as INFO names them: ``active_defrag_hits`` (moved), ``active_defrag_misses`` (hint said no, or a
large allocation), ``active_defrag_key_hits`` / ``_key_misses`` (keys with / without a move).

Scan order: key ids in order (Redis's dictScan visits buckets in reverse-binary order: a key order
just as unrelated to where its regions live). The dicts' bucket arrays are not moved (7.0 does not
defrag them).
"""
from __future__ import annotations

import numpy as np

from evictsim.keyspace.allocator.bins import _bin_free, _bin_take
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.kernels import stats
from evictsim.keyspace.allocator.layout import NO_HANDLE

# defrag[] slots: settings, then state and counters
(D_ENABLED, D_IGNORE_BYTES, D_LOWER, D_UPPER, D_CYCLE_MIN, D_CYCLE_MAX, D_KEYS_PER_MS, D_HZ,
 D_RUNNING, D_CURSOR, D_HITS, D_MISSES, D_KEY_HITS, D_KEY_MISSES, D_NEXT_COMPUTE_US, D_CPU_US,
 D_NSLOTS) = range(17)
SCAN_ORDER = (0, 1, 4, 2, 3)      # PIECE_ENTRY, PIECE_KEY, PIECE_EXPIRE, PIECE_VALUE, PIECE_VALUE_SDS
COMPUTE_PERIOD_US = 1_000_000


def new_defrag(cfg) -> np.ndarray:
    """The defrag settings and counters of a run (all zero with ``activedefrag no``)."""
    d = np.zeros(D_NSLOTS, np.int64)
    if cfg.activedefrag:
        d[[D_ENABLED, D_IGNORE_BYTES, D_LOWER, D_UPPER, D_CYCLE_MIN, D_CYCLE_MAX, D_KEYS_PER_MS, D_HZ]] = (
            1, cfg.active_defrag_ignore_bytes, cfg.active_defrag_threshold_lower,
            cfg.active_defrag_threshold_upper, cfg.active_defrag_cycle_min, cfg.active_defrag_cycle_max,
            cfg.active_defrag_keys_per_ms, cfg.hz)
    return d


@kernel
def defrag_hint(state, slab):
    """``je_get_defrag_hint`` for a region of ``slab`` (a small-class slab id)."""
    cls = state.slab_class[slab]
    cur = state.bin_cur[cls]
    if slab == cur:
        return False
    free_in_slab = state.slab_nfree[slab]
    if free_in_slab == 0:
        return False
    nregs = state.nregs[cls]
    curslabs = state.bin_nonfull[cls]
    full_slabs = state.bin_curslabs[cls] - state.bin_nonfull[cls]
    curregs = state.bin_curregs[cls] - full_slabs * nregs
    if cur >= 0:                       # slabcur is no candidate: out of the average (jemalloc's way)
        curregs -= nregs - state.slab_nfree[cur]
        curslabs -= 1
    return (nregs - free_in_slab) * curslabs <= curregs + curregs // 8


@kernel
def compute_defrag_cycles(state, d):
    """``computeDefragCycles``: start (or speed up) a cycle when fragmented enough."""
    allocated, active, _ = stats(state)
    frag_pct = active / allocated * 100.0 - 100.0 if allocated > 0 else 0.0
    frag_bytes = active - allocated
    if d[D_RUNNING] == 0 and (frag_pct < d[D_LOWER] or frag_bytes < d[D_IGNORE_BYTES]):
        return
    lower, upper, lo, hi = d[D_LOWER], d[D_UPPER], d[D_CYCLE_MIN], d[D_CYCLE_MAX]
    cpu = int(lo + (frag_pct - lower) * (hi - lo) / (upper - lower)) if upper != lower else hi
    cpu = min(max(cpu, lo), hi)
    d[D_RUNNING] = max(d[D_RUNNING], cpu)


@kernel
def _defrag_key(state, handles, k, d):
    """Offer each region of key ``k`` to ``activeDefragAlloc``; True if one moved."""
    moved = False
    for piece in SCAN_ORDER:
        h = handles[k, piece]
        if h == NO_HANDLE:
            continue
        if h < 0 or not defrag_hint(state, h):      # a large extent: the hint is 0 for it
            d[D_MISSES] += 1
            continue
        new = _bin_take(state, state.slab_class[h])  # zmalloc_no_tcache, then zfree_no_tcache
        if new < 0:
            d[D_MISSES] += 1
            continue
        _bin_free(state, h)
        handles[k, piece] = new
        d[D_HITS] += 1
        moved = True
    return moved


@kernel
def active_defrag_cycle(state, handles, d, now_us):
    """``activeDefragCycle`` at one cron tick."""
    if now_us >= d[D_NEXT_COMPUTE_US]:
        compute_defrag_cycles(state, d)
        d[D_NEXT_COMPUTE_US] = now_us + COMPUTE_PERIOD_US
    if d[D_RUNNING] == 0:
        return
    budget = d[D_KEYS_PER_MS] * (10_000 * d[D_RUNNING] // d[D_HZ]) // 1000    # keys in this tick
    scanned = 0
    n = len(handles)
    while scanned < budget:
        k = d[D_CURSOR]
        if k >= n:                     # a full scan done: stop, and start another if still needed
            d[D_CURSOR] = 0
            d[D_RUNNING] = 0
            compute_defrag_cycles(state, d)
            break
        d[D_CURSOR] = k + 1
        if handles[k, 1] == NO_HANDLE:   # no key sds: no key with this id now
            continue
        scanned += 1
        if _defrag_key(state, handles, k, d):
            d[D_KEY_HITS] += 1
        else:
            d[D_KEY_MISSES] += 1
    d[D_CPU_US] += scanned * 1000 // d[D_KEYS_PER_MS]
