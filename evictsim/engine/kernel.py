"""The compiled per-request loop and the server's periodic work (cron, event-loop iterations).

``process_requests`` serves a slice of requests in order. Before each command it runs
``performEvictions`` (when maxmemory is set); at every event-loop iteration boundary (one client batch,
``batch-interval`` of simulated time) it runs what Redis runs between batches: the eviction time proc
and ``beforeSleep``'s fast expire cycle and peak-memory update. ``server_cron`` is one ``serverCron``
tick: LRU clock, slow expire cycle, table shrink and incremental rehash. The SimPy engine calls both.
"""
from __future__ import annotations

import numpy as np
from evictsim.jit import kernel

from evictsim.engine.commands import do_del, do_get, do_set
from evictsim.engine.evict import EVICT_FAIL, EVICT_RUNNING, perform_evictions
from evictsim.engine.expire import active_expire_cycle, expire_due_exact
from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.clocks import lru_clock
from evictsim.keyspace.memory import argument_bytes, command_argv_bytes, expire_entry_bytes
from evictsim.keyspace.ops import EXPIRES, MAIN, add_used, lazyfree_progress
from evictsim.metrics.counters import (C_ACTIVEREHASHING, C_BATCH_US, C_CLIENT_GROWTH, C_EVICT_LIMIT_US,
                                       C_EXPIRY_MODE, C_FILL_LOOKASIDE, EVICT_PROC_LAST_US,
                                       C_LAZYFREE_EXPIRE, CF_LAZYFREE_BYTES_PER_US, C_HISTOGRAM_BYTES, C_MAXMEMORY, C_QUANTUM, C_REHASH_BUCKETS_PER_CRON,
                                       C_SCRIPT_PROTOCOL, CLIENT_STARTED, CMD_DBSIZE, CMD_DEL, CMD_EVALSHA,
                                       CMD_GET, CMD_SET, COMMANDS_SEEN, EVICT_PROC_ACTIVE, EXPIRY_EXACT,
                                       EXPIRY_REDIS, LRU_CLOCK, NEXT_LOOP_US, OVERHEAD_BYTES, REQUESTS,
                                       USED_MEMORY, USED_MEMORY_PEAK)

OP_GET, OP_SET, OP_DEL = 0, 1, 2


@kernel
def update_peak(st):
    if st[USED_MEMORY] > st[USED_MEMORY_PEAK]:
        st[USED_MEMORY_PEAK] = st[USED_MEMORY]


@kernel
def note_commands(mask, cfg, st):
    """A latency histogram (``latency-tracking``) is allocated the first time a command name runs."""
    new = mask & ~st[COMMANDS_SEEN]
    if new:
        st[COMMANDS_SEEN] |= new
        n = 0
        while new:
            n += new & 1
            new >>= 1
        st[OVERHEAD_BYTES] += n * cfg[C_HISTOGRAM_BYTES]
        st[USED_MEMORY] += n * cfg[C_HISTOGRAM_BYTES]


@kernel
def run_eviction_proc(now_us, cfg, cff, st, flags, kbytes, expire, lru, nx, bk, ds, pool_k, pool_s, samp,
                      rng, seed):
    """``evictionTimeProc``: a 0-ms timer, so while armed it runs on every event-loop iteration, back
    to back when the server is otherwise idle: as many budgets as fit since it last ran (at least one)."""
    if st[EVICT_PROC_ACTIVE] == 0:
        return
    budget = max(cfg[C_EVICT_LIMIT_US], 1)
    runs = max(1, (now_us - st[EVICT_PROC_LAST_US]) // budget)
    while runs > 0:
        runs -= 1
        r = perform_evictions(now_us // 1000, cfg, cff, st, flags, kbytes, expire, lru, nx, bk, ds, pool_k,
                              pool_s, samp, rng, seed)
        if r != EVICT_RUNNING:
            st[EVICT_PROC_ACTIVE] = 0
            break
    st[EVICT_PROC_LAST_US] = now_us


@kernel
def event_loop_iteration(now_us, cfg, cff, st, fst, flags, kbytes, expire, lru, nx, bk, ds, pool_k, pool_s,
                         samp, rng, seed):
    """Between two client batches: the eviction time proc (if armed), then ``beforeSleep``."""
    run_eviction_proc(now_us, cfg, cff, st, flags, kbytes, expire, lru, nx, bk, ds, pool_k, pool_s, samp,
                      rng, seed)
    update_peak(st)
    if cfg[C_EXPIRY_MODE] == EXPIRY_REDIS:
        active_expire_cycle(True, now_us, cfg, cff, st, fst, flags, kbytes, expire, nx, bk, ds, seed)


@kernel
def process_requests(t_us, op, key, key_len, size, ttl_ms, vtype, lo, hi, outcomes, record, mem,
                     record_mem, cfg, cff, st, fst, flags, kbytes, expire, lru, nx, bk, ds, pool_k, pool_s,
                     samp, heap_t, heap_k, rng, seed):
    """Serve requests ``lo..hi-1`` (times in absolute wall-clock µs).

    With ``record``, ``outcomes[i]`` gets request i's outcome code; with ``record_mem``, ``mem[i]`` gets
    (used_memory after the eviction step, used_memory after the command, eviction result) for the
    invariant tests.
    """
    maxmemory = cfg[C_MAXMEMORY]
    fill = cfg[C_FILL_LOOKASIDE] != 0
    script = cfg[C_SCRIPT_PROTOCOL] != 0
    exact = cfg[C_EXPIRY_MODE] == EXPIRY_EXACT
    batch_us = cfg[C_BATCH_US]
    quantum = cfg[C_QUANTUM]
    for i in range(lo, hi):
        now_us = t_us[i]
        now_ms = now_us // 1000
        if now_us >= st[NEXT_LOOP_US]:
            event_loop_iteration(now_us, cfg, cff, st, fst, flags, kbytes, expire, lru, nx, bk, ds, pool_k,
                                 pool_s, samp, rng, seed)
            st[NEXT_LOOP_US] = now_us - now_us % batch_us + batch_us
        if exact:
            expire_due_exact(now_ms, st, flags, kbytes, expire, nx, bk, ds, heap_t, heap_k, seed, quantum,
                             cfg[C_LAZYFREE_EXPIRE] != 0)
        lazyfree_progress(st, now_us, cff[CF_LAZYFREE_BYTES_PER_US])   # the bio thread runs alongside
        if st[CLIENT_STARTED] == 0:       # the client's buffers grow with its first pipelined batch
            st[CLIENT_STARTED] = 1
            st[OVERHEAD_BYTES] += cfg[C_CLIENT_GROWTH]
            st[USED_MEMORY] += cfg[C_CLIENT_GROWTH]
        st[REQUESTS] += 1
        o = op[i]
        # the command's arguments are allocated before performEvictions and freed after the command;
        # a plain SET's value object moves into the keyspace (set_key counts it there)
        argv = command_argv_bytes(o, key_len[i], size[i], ttl_ms[i], script, quantum)
        st[USED_MEMORY] += argv
        evict_result = 0
        if maxmemory > 0 and st[USED_MEMORY] > maxmemory:
            evict_result = perform_evictions(now_ms, cfg, cff, st, flags, kbytes, expire, lru, nx, bk, ds,
                                             pool_k, pool_s, samp, rng, seed)
        oom = evict_result == EVICT_FAIL
        if record_mem:
            mem[i, 0] = st[USED_MEMORY]
            mem[i, 2] = evict_result
        if o == OP_SET and not script:
            moved = argument_bytes(size[i], quantum)
            st[USED_MEMORY] -= moved
            argv -= moved
        k = key[i]
        if o == OP_GET:
            code = do_get(k, key_len[i], size[i], vtype[i], ttl_ms[i], now_ms, oom, fill, cfg, st, flags,
                          kbytes, expire, lru, nx, bk, ds, heap_t, heap_k, rng, seed)
            mask = (1 << CMD_GET) | ((1 << CMD_SET) if code == 0 or code == 2 else 0)
        elif o == OP_SET:
            code = do_set(k, key_len[i], size[i], vtype[i], ttl_ms[i], now_ms, oom, cfg, st, flags, kbytes,
                          expire, lru, nx, bk, ds, heap_t, heap_k, rng, seed)
            mask = 1 << CMD_SET
        else:
            code = do_del(k, now_ms, cfg, st, flags, kbytes, expire, nx, bk, ds, seed)
            mask = 1 << CMD_DEL
        if script:
            mask |= (1 << CMD_EVALSHA) | (1 << CMD_DBSIZE)
        st[USED_MEMORY] -= argv
        note_commands(mask, cfg, st)
        if record:
            outcomes[i] = code
        if record_mem:
            mem[i, 1] = st[USED_MEMORY]


@kernel
def server_cron(now_us, cfg, cff, st, fst, flags, kbytes, expire, lru, nx, bk, ds, pool_k, pool_s, samp,
                heap_t, heap_k, rng, seed):
    """One ``serverCron`` tick (MECHANICS §8), plus the event-loop iteration the timer wakes up."""
    st[LRU_CLOCK] = lru_clock(now_us // 1000)
    run_eviction_proc(now_us, cfg, cff, st, flags, kbytes, expire, lru, nx, bk, ds, pool_k, pool_s, samp,
                      rng, seed)
    if cfg[C_EXPIRY_MODE] == EXPIRY_EXACT:
        expire_due_exact(now_us // 1000, st, flags, kbytes, expire, nx, bk, ds, heap_t, heap_k, seed,
                         cfg[C_QUANTUM], cfg[C_LAZYFREE_EXPIRE] != 0)
    lazyfree_progress(st, now_us, cff[CF_LAZYFREE_BYTES_PER_US])
    update_peak(st)
    if cfg[C_EXPIRY_MODE] == EXPIRY_REDIS:
        active_expire_cycle(False, now_us, cfg, cff, st, fst, flags, kbytes, expire, nx, bk, ds, seed)
    for d in range(2):                        # tryResizeHashTables
        add_used(st, 0, ht.resize_if_sparse(bk, ds, d))
    for d in (MAIN, EXPIRES):                 # incrementallyRehash: the first rehashing dict, 1 ms
        if cfg[C_ACTIVEREHASHING] and ht.is_rehashing(ds, d):
            add_used(st, 0, -ht.rehash(bk, ds, nx, d, cfg[C_REHASH_BUCKETS_PER_CRON], seed)[1])
            break


@kernel
def count_stale(flags, expire, n, now_ms, quantum, kbytes):
    """Keys logically expired but not yet reclaimed, and the bytes they hold."""
    keys = 0
    nbytes = 0
    entry = expire_entry_bytes(quantum)
    for k in range(n):
        if (flags[k] & 2) and now_ms > expire[k]:
            keys += 1
            nbytes += kbytes[0, k] + entry
    return keys, nbytes


def empty_outcomes() -> np.ndarray:
    return np.zeros(1, np.uint8)


def empty_memory_record() -> np.ndarray:
    return np.zeros((1, 3), np.int64)
