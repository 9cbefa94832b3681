"""The compiled per-request loop and the server's periodic work (cron, event-loop iterations).

``process_requests`` serves a slice of requests in order. Before each command it runs
``performEvictions`` (when maxmemory is set); at every event-loop iteration boundary (one client batch,
``batch-interval`` of simulated time) it runs what Redis runs between batches: the eviction time proc
and ``beforeSleep``'s fast expire cycle and peak-memory update. ``server_cron`` is one ``serverCron``
tick: LRU clock, slow expire cycle, table shrink and incremental rehash. The SimPy engine calls both.

Every function takes the core bundle (:class:`~evictsim.keyspace.state.Core`) and the policy's state
bundle; numba compiles one specialisation per policy family (see :mod:`evictsim.policies.contract`).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.engine.evict import EVICT_FAIL, EVICT_RUNNING, perform_evictions
from evictsim.engine.expire import active_expire_cycle, expire_cycle, expire_due_exact, fast_cycle_starts
from evictsim.engine.redis_commands import Request, do_del, do_get, do_set
from evictsim.jit import kernel
from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.clocks import lru_clock
from evictsim.keyspace.flush import server_command, server_command_mask
from evictsim.keyspace.memory import argument_bytes, command_argv_bytes, expire_entry_bytes
from evictsim.keyspace.ops import EXPIRES, MAIN, add_used, delete_key, lazyfree_progress, prefetch_key
from evictsim.metrics.namespaces import TAG_EVICTED, count_tag
from evictsim.policies.contract import NO_NEXT_ACCESS, policy_overflow, policy_prefetch
from evictsim.metrics.counters import (C_ACTIVEREHASHING, C_BATCH_US, C_CLIENT_GROWTH, C_EVICT_LIMIT_US,
                                       C_EXPIRY_MODE, C_FILL_LOOKASIDE, C_HISTOGRAM_BYTES, C_LAZYFREE_EVICTION, C_LAZYFREE_EXPIRE,
                                       C_MAXMEMORY, C_QUANTUM, C_REHASH_BUCKETS_PER_CRON, C_SCRIPT_PROTOCOL,
                                       CF_LAZYFREE_BYTES_PER_US, CLIENT_STARTED, CMD_DBSIZE, CMD_DEL,
                                       CMD_EVALSHA, CMD_GET, CMD_SET, COMMANDS_SEEN, EVICT_PROC_ACTIVE,
                                       EVICT_PROC_LAST_US, EVICTED_KEYS, EXPIRY_EXACT, EXPIRY_REDIS, LRU_CLOCK,
                                       LAZYFREE_PENDING_BYTES, NEXT_LOOP_US, OVERHEAD_BYTES, REQUESTS, USED_MEMORY,
                                       USED_MEMORY_PEAK, EXPIRED_STALE_PERC, AVG_TTL, TIMELIMIT_EXIT)
from evictsim.outcomes import GET_MISS_FILLED, STALE_OFFSET
from evictsim.traces.base import OP_DEL, OP_GET, OP_SET

# A slice of the trace as the kernel reads it (times already absolute µs); ``next_access`` is the
# request index of each request's next access to the same key (Belady), or a 1-element placeholder.
Requests = namedtuple("Requests", "t_us op key key_len size ttl_ms vtype next_access")
# Where per-request results go when asked for (outcome codes; used_memory after eviction/command).
Recording = namedtuple("Recording", "outcomes memory keep_outcomes keep_memory")


@kernel
def update_peak(stats):
    if stats[USED_MEMORY] > stats[USED_MEMORY_PEAK]:
        stats[USED_MEMORY_PEAK] = stats[USED_MEMORY]


@kernel
def note_commands(mask, config, stats):
    """A latency histogram (``latency-tracking``) is allocated the first time a command name runs."""
    new = mask & ~stats[COMMANDS_SEEN]
    if new:
        stats[COMMANDS_SEEN] |= new
        n = 0
        while new:
            n += new & 1
            new >>= 1
        stats[OVERHEAD_BYTES] += n * config[C_HISTOGRAM_BYTES]
        stats[USED_MEMORY] += n * config[C_HISTOGRAM_BYTES]


@kernel
def run_eviction_proc(core, policy, now_us):
    """``evictionTimeProc``: a 0-ms timer, so while armed it runs on every event-loop iteration, back
    to back when the server is otherwise idle: as many budgets as fit since it last ran (at least one)."""
    stats = core.server.stats
    if stats[EVICT_PROC_ACTIVE] == 0:
        return
    budget = max(core.server.config[C_EVICT_LIMIT_US], 1)
    runs = max(1, (now_us - stats[EVICT_PROC_LAST_US]) // budget)
    while runs > 0:
        runs -= 1
        if perform_evictions(core, policy, now_us // 1000) != EVICT_RUNNING:
            stats[EVICT_PROC_ACTIVE] = 0
            break
    stats[EVICT_PROC_LAST_US] = now_us


@kernel(inline=True)
def event_loop_iteration(core, policy, now_us):
    """Between two client batches: the eviction time proc (if armed), then ``beforeSleep``. Inlined,
    with the two conditions asked before the calls: at 1,000 requests per second almost every
    request starts an iteration, and a call that passes the core and policy bundles costs ~0.7 µs
    even when it returns at once."""
    stats = core.server.stats
    if stats[EVICT_PROC_ACTIVE] != 0:
        run_eviction_proc(core, policy, now_us)
    update_peak(stats)
    if core.server.config[C_EXPIRY_MODE] == EXPIRY_REDIS and fast_cycle_starts(core, now_us):
        expire_cycle(core, policy, True, now_us)


@kernel
def command_mask(o, code, script):
    """Bits of the command names this request ran (their first use allocates a histogram)."""
    if o == OP_GET:
        mask = (1 << CMD_GET) | ((1 << CMD_SET) if code == GET_MISS_FILLED
                                 or code == GET_MISS_FILLED + STALE_OFFSET else 0)
    elif o == OP_SET:
        mask = 1 << CMD_SET
    elif o == OP_DEL:
        mask = 1 << CMD_DEL
    else:                                 # a server command is sent as itself, never in a script
        return server_command_mask(o)
    if script:
        mask |= (1 << CMD_EVALSHA) | (1 << CMD_DBSIZE)
    return mask


@kernel
def drain_overflow(core, policy, vtime):
    """Keys the policy gives up although memory is within maxmemory (a segment over its share):
    evicted through the core's delete path. Compiled away for policies without the hook."""
    k = policy_overflow(policy, core, vtime)
    while k != -1:
        count_tag(core, k, TAG_EVICTED, 1)
        core.server.stats[EVICTED_KEYS] += 1
        delete_key(core, policy, k, core.server.config[C_LAZYFREE_EVICTION] != 0, True)
        k = policy_overflow(policy, core, vtime)


# How many requests ahead the request loop asks for a key's state (``prefetch_request``): far enough
# that a miss to memory (~100 ns) has landed when the request comes, near enough that the lines are
# still in L1/L2.
PREFETCH_AHEAD = 16


@kernel(inline=True)
def prefetch_request(core, policy, k):
    """The key state and the policy field that serving key ``k`` reads first (``prefetch_key``)."""
    if k >= 0:
        prefetch_key(core, k)
        policy_prefetch(policy, k)


@kernel
def process_requests(requests, lo, hi, recording, core, policy):
    """Serve requests ``lo..hi-1`` (times in absolute wall-clock µs).

    With ``recording.keep_outcomes``, ``outcomes[i]`` gets request i's outcome code; with
    ``keep_memory``, ``memory[i]`` gets (used_memory after the eviction step, used_memory after the
    command, eviction result) for the invariant tests.
    """
    config = core.server.config
    stats = core.server.stats
    maxmemory = config[C_MAXMEMORY]
    fill = config[C_FILL_LOOKASIDE] != 0
    script = config[C_SCRIPT_PROTOCOL] != 0
    exact = config[C_EXPIRY_MODE] == EXPIRY_EXACT
    batch_us = config[C_BATCH_US]
    quantum = config[C_QUANTUM]
    has_next = len(requests.next_access) == len(requests.op)
    for i in range(lo, hi):
        if i + PREFETCH_AHEAD < hi:
            prefetch_request(core, policy, requests.key[i + PREFETCH_AHEAD])
        now_us = requests.t_us[i]
        now_ms = now_us // 1000
        if now_us >= stats[NEXT_LOOP_US]:
            event_loop_iteration(core, policy, now_us)
            stats[NEXT_LOOP_US] = now_us - now_us % batch_us + batch_us
        if exact:
            expire_due_exact(core, policy, now_ms, config[C_LAZYFREE_EXPIRE] != 0)
        lazyfree_progress(stats, now_us, core.server.costs[CF_LAZYFREE_BYTES_PER_US])   # bio thread
        if stats[CLIENT_STARTED] == 0:    # the client's buffers grow with its first pipelined batch
            stats[CLIENT_STARTED] = 1
            stats[OVERHEAD_BYTES] += config[C_CLIENT_GROWTH]
            stats[USED_MEMORY] += config[C_CLIENT_GROWTH]
        vtime = stats[REQUESTS]
        stats[REQUESTS] += 1
        o = requests.op[i]
        req = Request(requests.key[i], requests.key_len[i], requests.size[i], requests.vtype[i],
                      requests.ttl_ms[i], vtime, requests.next_access[i] if has_next else NO_NEXT_ACCESS)
        # the command's arguments are allocated before performEvictions and freed after the command;
        # a plain SET's value object moves into the keyspace (set_key counts it there)
        argv = command_argv_bytes(o, req.key_len, req.size, req.ttl_ms, script, quantum)
        stats[USED_MEMORY] += argv
        evict_result = 0
        if maxmemory > 0 and stats[USED_MEMORY] > maxmemory:
            evict_result = perform_evictions(core, policy, now_ms)
        oom = evict_result == EVICT_FAIL
        if recording.keep_memory:
            recording.memory[i, 0] = stats[USED_MEMORY]
            recording.memory[i, 2] = evict_result
        if o == OP_SET and not script:
            moved = argument_bytes(req.size, quantum)
            stats[USED_MEMORY] -= moved
            argv -= moved
        if o == OP_GET:
            code = do_get(core, policy, req, now_ms, oom, fill)
        elif o == OP_SET:
            code = do_set(core, policy, req, now_ms, oom)
        elif o == OP_DEL:
            code = do_del(core, policy, req.key, now_ms)
        else:
            code = server_command(core, policy, o)
        stats[USED_MEMORY] -= argv
        drain_overflow(core, policy, vtime)
        note_commands(command_mask(o, code, script), config, stats)
        if recording.keep_outcomes:
            recording.outcomes[i] = code
        if recording.keep_memory:
            recording.memory[i, 1] = stats[USED_MEMORY]


@kernel(inline=True)
def server_cron(core, policy, now_us):
    """One ``serverCron`` tick (MECHANICS §8), plus the event-loop iteration the timer wakes up.
    Inlined into the event loop, which runs one per tick; its parts that do work are calls."""
    config = core.server.config
    stats = core.server.stats
    stats[LRU_CLOCK] = lru_clock(now_us // 1000)
    if stats[EVICT_PROC_ACTIVE] != 0:
        run_eviction_proc(core, policy, now_us)
    if config[C_EXPIRY_MODE] == EXPIRY_EXACT:
        expire_due_exact(core, policy, now_us // 1000, config[C_LAZYFREE_EXPIRE] != 0)
    lazyfree_progress(stats, now_us, core.server.costs[CF_LAZYFREE_BYTES_PER_US])
    update_peak(stats)
    tables = core.tables
    if config[C_EXPIRY_MODE] == EXPIRY_REDIS:
        if ht.dict_size(tables, EXPIRES) == 0:
            idle_expire_cycle(core)
        else:
            active_expire_cycle(core, policy, False, now_us)
    for d in range(2):                        # tryResizeHashTables
        add_used(stats, 0, ht.resize_if_sparse(tables, d))
    for d in (MAIN, EXPIRES):                 # incrementallyRehash: the first rehashing dict, 1 ms
        if config[C_ACTIVEREHASHING] and ht.is_rehashing(tables, d):
            add_used(stats, 0, -ht.rehash(tables, d, config[C_REHASH_BUCKETS_PER_CRON])[1])
            break


@kernel(inline=True)
def idle_expire_cycle(core):
    """What the slow expire cycle does when the expires dict is empty (``expire_cycle``'s first
    iteration finds ``num == 0``): no time spent, avg_ttl 0, the stale estimate decays. Asked inline
    before the call: over a week-long trace without TTLs the cron ticks 6M times, and the call
    passing the core and policy bundles cost more than the cycle's work."""
    stats = core.server.stats
    fstats = core.server.fstats
    stats[TIMELIMIT_EXIT] = 0
    stats[AVG_TTL] = 0
    fstats[EXPIRED_STALE_PERC] = 0.0 * 0.05 + fstats[EXPIRED_STALE_PERC] * 0.95


@kernel
def expire_now(core, policy, now_us):
    """``expiry-mode exact``: delete every key whose time has passed, before a reading."""
    expire_due_exact(core, policy, now_us // 1000, core.server.config[C_LAZYFREE_EXPIRE] != 0)


@kernel
def count_stale(core, now_ms):
    """Keys logically expired but not yet reclaimed, and the bytes they hold.

    Only keys with a TTL can be stale, and they are exactly the expires dict's entries: walk its
    chains (buckets + keys with a TTL), not every key id, so a trace without TTLs costs nothing here
    and the sampler's cost follows the expiring keys, not the keyspace."""
    tables = core.tables
    if ht.dict_size(tables, EXPIRES) == 0:
        return 0, 0
    buckets, links, dicts = tables.buckets, tables.links, tables.dicts
    expire, charged = core.keys.expire, core.keys.charged
    entry = expire_entry_bytes(core.server.config[C_QUANTUM])
    stale = 0
    nbytes = 0
    span = dicts[EXPIRES, ht.SIZE0] + dicts[EXPIRES, ht.SIZE1]     # table 1 follows table 0
    for b in range(span):
        k = buckets[EXPIRES, b]
        while k != -1:
            if now_ms > expire[k]:
                stale += 1
                nbytes += charged[0, k] + entry
            k = links[EXPIRES, k]
    return stale, nbytes


@kernel(inline=True)
def cron_is_idle(core):
    """True when a serverCron tick would change nothing but the LRU clock: no key with a TTL (the
    expire cycle and exact expiry have nothing to do), no rehash under way or shrink due, the
    eviction proc not armed, no lazy free pending. The engine then jumps over the ticks before the
    next request (the tick of that request's window runs, so the clock is the same)."""
    tables = core.tables
    stats = core.server.stats
    if ht.dict_size(tables, EXPIRES) != 0 or stats[EVICT_PROC_ACTIVE] != 0:
        return False
    if stats[LAZYFREE_PENDING_BYTES] != 0:
        return False
    for d in range(2):
        if ht.is_rehashing(tables, d):
            return False
        size0 = tables.dicts[d, ht.SIZE0]
        if size0 > ht.INITIAL_SIZE and ht.dict_size(tables, d) * 100 // size0 < ht.MIN_FILL:
            return False
    return True


@kernel(inline=True)
def skip_idle_ticks(core, ticks):
    """What ``ticks`` idle serverCron ticks would have done, in closed form: the expire cycle finds
    no key and decays its stale-percentage estimate (×0.95 a tick, exactly as the cycle computes it;
    after ~15,000 ticks it is 0.0, so the loop is capped there)."""
    if core.server.config[C_EXPIRY_MODE] != EXPIRY_REDIS:
        return
    fstats = core.server.fstats
    for _ in range(min(ticks, 20000)):
        fstats[EXPIRED_STALE_PERC] = 0.0 * 0.05 + fstats[EXPIRED_STALE_PERC] * 0.95


def empty_outcomes() -> np.ndarray:
    return np.zeros(1, np.uint8)


def empty_memory_record() -> np.ndarray:
    return np.zeros((1, 3), np.int64)


def no_next_access() -> np.ndarray:
    return np.zeros(1, np.int64)
