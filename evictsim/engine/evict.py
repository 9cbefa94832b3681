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
from evictsim.metrics.counters import (C_EVICT_LIMIT_US, C_LAZYFREE_EVICTION, C_MAXMEMORY, C_POLICY,
                                       CF_EVICT_KEY_COST_US, CF_LAZYFREE_BYTES_PER_US, EVICT_CALLS,
                                       EVICT_PROC_ACTIVE, EVICT_PROC_LAST_US, EVICTED_KEYS, LAZYFREE_LAST_US,
                                       LAZYFREE_PENDING_BYTES, REQUESTS, USED_MEMORY)
from evictsim.metrics.namespaces import TAG_EVICTED, count_tag
from evictsim.policies.contract import policy_victim

EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2


@kernel(inline=True)
def perform_evictions(core, policy, now_ms):
    """Free until used_memory <= maxmemory, the policy naming each victim, the core deleting it."""
    config = core.server.config
    costs = core.server.costs
    stats = core.server.stats
    maxmemory = config[C_MAXMEMORY]
    if maxmemory <= 0 or stats[USED_MEMORY] <= maxmemory:
        return EVICT_OK
    if config[C_POLICY] == 0:
        return EVICT_FAIL          # noeviction: FAIL at once, no wait for pending lazy frees
    stats[EVICT_CALLS] += 1
    tofree = stats[USED_MEMORY] - maxmemory
    limit_us = config[C_EVICT_LIMIT_US]
    cost = costs[CF_EVICT_KEY_COST_US]
    lazy = config[C_LAZYFREE_EVICTION] != 0
    freed = 0
    keys_freed = 0
    while freed < tofree:
        k = policy_victim(policy, core, now_ms, stats[REQUESTS] - 1)
        if k == -1:
            return _wait_for_lazyfree(core, maxmemory)
        before = stats[USED_MEMORY]      # Redis measures the used_memory delta around the delete,
        count_tag(core, k, TAG_EVICTED, 1)                      # so a table freed by its rehash
        delete_key(core, policy, k, lazy, True)                       # step counts
        freed += before - stats[USED_MEMORY]
        stats[EVICTED_KEYS] += 1
        keys_freed += 1
        if keys_freed % 16 == 0:
            if lazy and stats[USED_MEMORY] <= maxmemory:
                break
            if limit_us >= 0 and keys_freed * cost > limit_us:
                if stats[EVICT_PROC_ACTIVE] == 0:
                    stats[EVICT_PROC_ACTIVE] = 1
                    stats[EVICT_PROC_LAST_US] = now_ms * 1000
                break
    return EVICT_RUNNING if stats[EVICT_PROC_ACTIVE] else EVICT_OK


@kernel(inline=True)
def _wait_for_lazyfree(core, maxmemory):
    """Nothing left to evict: while background frees are pending, wait up to the time budget for
    them (§5.3 step 6); OK if that brings used_memory under maxmemory, else FAIL."""
    limit_us = core.server.config[C_EVICT_LIMIT_US]
    stats = core.server.stats
    if stats[LAZYFREE_PENDING_BYTES] > 0 and limit_us > 0:
        lazyfree_progress(stats, stats[LAZYFREE_LAST_US] + limit_us, core.server.costs[CF_LAZYFREE_BYTES_PER_US])
        if stats[USED_MEMORY] <= maxmemory:
            return EVICT_OK
    return EVICT_FAIL


def eviction_time_limit_us(tenacity: int) -> int:
    """``evictionTimeLimitUs``: 50·t µs up to t=10, then ×1.15 per step; t=100 is unlimited (-1)."""
    if tenacity <= 10:
        return 50 * tenacity
    if tenacity < 100:
        return int(500.0 * 1.15 ** (tenacity - 10))
    return -1
