"""Active expiry: Redis 7.0's ``activeExpireCycle`` (expire.c; MECHANICS §7), and the ``exact`` mode's
expiry heap (keys vanish at their expire time: the ideal to compare Redis against).

The cycle walks the expires dict with a linear bucket cursor, 20 keys per loop (``active-expire-
effort`` scales it), deleting the expired ones, and repeats while more than 10% of a loop was expired;
it stops at its CPU budget (25% of a cron tick for the slow cycle, 1 ms for a fast one). CPU is
modelled per sampled key (``expire_key_cost_us``) and per visited bucket (a tenth of that). A fast
cycle runs only if the previous cycle hit its time limit (the 7.0 unit quirk: the stale-percentage
test compares a fraction with a percentage, so it never stops a fast cycle by itself).
"""
from __future__ import annotations

import numpy as np
from evictsim.jit import kernel

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.ops import EXPIRES, HAS_TTL, delete_key
from evictsim.metrics.namespaces import TAG_EXPIRED, count_tag
from evictsim.metrics.counters import (AVG_TTL, C_EFFORT, C_HZ, C_LAZYFREE_EXPIRE,
                                       CF_EXPIRE_KEY_COST_US,
                                       EXPIRE_CYCLE_CPU_US, EXPIRED_KEYS_ACTIVE,
                                       EXPIRED_KEYS_EXACT, EXPIRED_STALE_PERC, EXPIRED_TIME_CAP_REACHED_COUNT,
                                       EXPIRES_CURSOR, HEAP_SIZE, LAST_FAST_CYCLE_US, TIMELIMIT_EXIT)


@kernel
def _scan_loop(core, policy, num, now_ms, lazy):
    """One loop of the cycle: visit buckets at the cursor until ``num`` keys were sampled.

    Returns (sampled, expired, ttl_sum, ttl_samples, buckets_checked).
    """
    tables = core.tables
    bk, nx, ds = tables.buckets, tables.links, tables.dicts
    expire = core.keys.expire
    st = core.server.stats
    sampled = expired = ttl_samples = checked = 0
    ttl_sum = 0
    max_buckets = num * 20
    while sampled < num and checked < max_buckets:
        for table in range(2):
            if table == 1 and not ht.is_rehashing(tables, EXPIRES):
                break
            size = ds[EXPIRES, ht.SIZE0 + table]
            checked += 1
            if size == 0:
                continue
            e = bk[EXPIRES, table * ds[EXPIRES, ht.SIZE0] + (st[EXPIRES_CURSOR] & (size - 1))]
            while e != -1:
                nxt = nx[EXPIRES, e]
                ttl = expire[e] - now_ms
                if now_ms > expire[e]:
                    count_tag(core, e, TAG_EXPIRED, 1)
                    delete_key(core, policy, e, lazy, True)
                    st[EXPIRED_KEYS_ACTIVE] += 1
                    expired += 1
                if ttl > 0:
                    ttl_sum += ttl
                    ttl_samples += 1
                sampled += 1
                e = nxt
        st[EXPIRES_CURSOR] += 1
    return sampled, expired, ttl_sum, ttl_samples, checked


@kernel(inline=True)
def fast_cycle_starts(core, now_us):
    """Whether ``beforeSleep``'s fast cycle runs now (and, if so, note when it started): only after a
    cycle that hit its time limit or while the stale estimate is above acceptable, and never within
    two fast durations of the last one. Inlined into the request loop, which asks at every
    event-loop iteration and almost always hears no: the cycle itself is a call."""
    cfg, st = core.server.config, core.server.stats
    effort = cfg[C_EFFORT] - 1
    if st[TIMELIMIT_EXIT] == 0 and core.server.fstats[EXPIRED_STALE_PERC] < 10 - effort:
        return False
    if now_us < st[LAST_FAST_CYCLE_US] + 2 * (1000 + 250 * effort):
        return False
    st[LAST_FAST_CYCLE_US] = now_us
    return True


@kernel
def active_expire_cycle(core, policy, fast, now_us):
    """``activeExpireCycle``: the fast one (``fast``) asks :func:`fast_cycle_starts` first."""
    if fast and not fast_cycle_starts(core, now_us):
        return
    expire_cycle(core, policy, fast, now_us)


@kernel
def expire_cycle(core, policy, fast, now_us):
    """The cycle's work, once it runs (MECHANICS §5)."""
    server = core.server
    cfg, cff, st, fst = server.config, server.costs, server.stats, server.fstats
    tables = core.tables
    ds = tables.dicts
    effort = cfg[C_EFFORT] - 1
    keys_per_loop = 20 + 5 * effort
    fast_duration = 1000 + 250 * effort
    slow_perc = 25 + 2 * effort
    acceptable = 10 - effort
    timelimit = slow_perc * 1000000 // cfg[C_HZ] // 100
    if timelimit <= 0:
        timelimit = 1
    if fast:
        timelimit = fast_duration
    st[TIMELIMIT_EXIT] = 0
    cost = cff[CF_EXPIRE_KEY_COST_US]
    elapsed = 0.0
    iteration = 0
    total_sampled = total_expired = 0
    while True:
        iteration += 1
        num = ht.dict_size(tables, EXPIRES)
        if num == 0:
            st[AVG_TTL] = 0
            break
        slots = ds[EXPIRES, ht.SIZE0] + ds[EXPIRES, ht.SIZE1]
        if slots > ht.INITIAL_SIZE and num * 100 // slots < 1:
            break                                   # too sparse: wait for the cron shrink
        now_ms = (now_us + np.int64(elapsed)) // 1000
        sampled, expired, ttl_sum, ttl_samples, checked = _scan_loop(
            core, policy, min(num, keys_per_loop), now_ms, cfg[C_LAZYFREE_EXPIRE] != 0)
        total_expired += expired
        total_sampled += sampled
        if ttl_samples:
            avg = ttl_sum // ttl_samples
            if st[AVG_TTL] == 0:
                st[AVG_TTL] = avg
            st[AVG_TTL] = (st[AVG_TTL] // 50) * 49 + avg // 50
        elapsed += sampled * cost + checked * cost * 0.1
        if (iteration & 15) == 0 and elapsed > timelimit:
            st[TIMELIMIT_EXIT] = 1
            st[EXPIRED_TIME_CAP_REACHED_COUNT] += 1
            break
        if not (sampled == 0 or expired * 100 // sampled > acceptable):
            break
    st[EXPIRE_CYCLE_CPU_US] += np.int64(elapsed)
    perc = total_expired / total_sampled if total_sampled else 0.0
    fst[EXPIRED_STALE_PERC] = perc * 0.05 + fst[EXPIRED_STALE_PERC] * 0.95


# --- exact mode: a binary min-heap of (expire_ms, key) with lazy invalidation ---------------------

@kernel
def heap_push(heap, st, t, k):
    heap_t, heap_k = heap.times, heap.keys
    n = st[HEAP_SIZE]
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if heap_t[p] <= t:
            break
        heap_t[i] = heap_t[p]
        heap_k[i] = heap_k[p]
        i = p
    heap_t[i] = t
    heap_k[i] = k
    st[HEAP_SIZE] = n + 1


@kernel
def heap_pop(heap, st):
    heap_t, heap_k = heap.times, heap.keys
    n = st[HEAP_SIZE] - 1
    st[HEAP_SIZE] = n
    t = heap_t[n]
    k = heap_k[n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and heap_t[c + 1] < heap_t[c]:
            c += 1
        if heap_t[c] >= t:
            break
        heap_t[i] = heap_t[c]
        heap_k[i] = heap_k[c]
        i = c
    heap_t[i] = t
    heap_k[i] = k


@kernel
def heap_compact(core):
    """Drop entries whose key no longer has that expire time, then re-heapify."""
    heap = core.heap
    heap_t, heap_k = heap.times, heap.keys
    st = core.server.stats
    flags, expire = core.keys.flags, core.keys.expire
    n = st[HEAP_SIZE]
    m = 0
    for i in range(n):
        k = heap_k[i]
        if (flags[k] & HAS_TTL) and expire[k] == heap_t[i]:
            heap_t[m] = heap_t[i]
            heap_k[m] = k
            m += 1
    st[HEAP_SIZE] = 0
    for i in range(m):
        heap_push(heap, st, heap_t[i], heap_k[i])


@kernel
def expire_due_exact(core, policy, now_ms, lazy):
    """Delete every key whose expire time has passed (``now > when``), as if at that instant."""
    heap = core.heap
    heap_t, heap_k = heap.times, heap.keys
    st = core.server.stats
    flags, expire = core.keys.flags, core.keys.expire
    while st[HEAP_SIZE] > 0 and heap_t[0] < now_ms:
        t = heap_t[0]
        k = heap_k[0]
        heap_pop(heap, st)
        if (flags[k] & HAS_TTL) and expire[k] == t:
            count_tag(core, k, TAG_EXPIRED, 1)
            delete_key(core, policy, k, lazy, True)
            st[EXPIRED_KEYS_EXACT] += 1
