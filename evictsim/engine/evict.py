"""``performEvictions`` (evict.c, Redis 7.0; MECHANICS §5.3), compiled.

Runs before every command when maxmemory is set. Frees until ``used_memory <= maxmemory``, checking
its time budget (tenacity: 500 µs by default) every 16 victims; past the budget it arms the eviction
time proc (run once per event-loop iteration) and lets the command through (EVICT_RUNNING). Only
EVICT_FAIL (nothing left to evict, or noeviction) makes deny-oom writes fail with -OOM.
Modelled CPU: ``evict_key_cost_us`` per victim.
"""
from __future__ import annotations

from evictsim.jit import kernel

from evictsim.keyspace.ops import delete_key, lazyfree_progress
from evictsim.metrics.counters import (C_EVICT_LIMIT_US, C_LAZYFREE_EVICTION, C_LFU_DECAY_TIME,
                                       C_MAXMEMORY, C_POLICY, C_QUANTUM, C_SAMPLES,
                                       CF_EVICT_KEY_COST_US, CF_LAZYFREE_BYTES_PER_US, EVICT_CALLS,
                                       EVICT_PROC_ACTIVE, EVICT_PROC_LAST_US, EVICTED_KEYS, LAZYFREE_LAST_US,
                                       LAZYFREE_PENDING_BYTES, USED_MEMORY)
from evictsim.policies.redis_pool import select_victim

EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2


@kernel
def perform_evictions(now_ms, cfg, cff, st, flags, kbytes, expire, lru, nx, bk, ds, pool_k, pool_s,
                      samp, rng, seed):
    maxmemory = cfg[C_MAXMEMORY]
    if maxmemory <= 0 or st[USED_MEMORY] <= maxmemory:
        return EVICT_OK
    policy = cfg[C_POLICY]
    if policy == 0:
        return EVICT_FAIL          # noeviction: FAIL at once, no wait for pending lazy frees
    st[EVICT_CALLS] += 1
    tofree = st[USED_MEMORY] - maxmemory
    limit_us = cfg[C_EVICT_LIMIT_US]
    cost = cff[CF_EVICT_KEY_COST_US]
    freed = 0
    keys_freed = 0
    while freed < tofree:
        k = select_victim(policy, cfg[C_SAMPLES], samp, pool_k, pool_s, flags, lru, expire, nx, bk, ds,
                          st, now_ms, cfg[C_LFU_DECAY_TIME], rng, seed)
        if k == -1:
            return _wait_for_lazyfree(cfg, cff, st, maxmemory)
        before = st[USED_MEMORY]         # Redis measures the used_memory delta around the delete,
        delete_key(flags, kbytes, nx, bk, ds, st, k, seed, cfg[C_QUANTUM],   # so a table freed by
                   cfg[C_LAZYFREE_EVICTION] != 0)                             # its rehash step counts
        freed += before - st[USED_MEMORY]
        st[EVICTED_KEYS] += 1
        keys_freed += 1
        if keys_freed % 16 == 0:
            if cfg[C_LAZYFREE_EVICTION] and st[USED_MEMORY] <= maxmemory:
                break
            if limit_us >= 0 and keys_freed * cost > limit_us:
                if st[EVICT_PROC_ACTIVE] == 0:
                    st[EVICT_PROC_ACTIVE] = 1
                    st[EVICT_PROC_LAST_US] = now_ms * 1000
                break
    return EVICT_RUNNING if st[EVICT_PROC_ACTIVE] else EVICT_OK


@kernel
def _wait_for_lazyfree(cfg, cff, st, maxmemory):
    """Nothing left to evict: while background frees are pending, wait up to the time budget for
    them (§5.3 step 6); OK if that brings used_memory under maxmemory, else FAIL."""
    limit_us = cfg[C_EVICT_LIMIT_US]
    if st[LAZYFREE_PENDING_BYTES] > 0 and limit_us > 0:
        lazyfree_progress(st, st[LAZYFREE_LAST_US] + limit_us, cff[CF_LAZYFREE_BYTES_PER_US])
        if st[USED_MEMORY] <= maxmemory:
            return EVICT_OK
    return EVICT_FAIL


def eviction_time_limit_us(tenacity: int) -> int:
    """``evictionTimeLimitUs``: 50·t µs up to t=10, then ×1.15 per step; t=100 is unlimited (-1)."""
    if tenacity <= 10:
        return 50 * tenacity
    if tenacity < 100:
        return int(500.0 * 1.15 ** (tenacity - 10))
    return -1
