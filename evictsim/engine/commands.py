"""What one request does to the keyspace: GET (with the look-aside fill), SET and DEL, as Redis 7.0
executes them (db.c lookupKey / setKey / delGenericCommand; MECHANICS §2.1, §4), compiled.

Outcome codes are those of ``shared/reference`` (see :class:`evictsim.results.Result`), plus 11/12
for a GET miss that is not filled (explicit traces, whose client issues its own SETs).
"""
from __future__ import annotations

from evictsim.jit import kernel

from evictsim.engine.expire import heap_compact, heap_push
from evictsim.keyspace.clocks import lfu_minutes, lfu_new, lfu_touch
from evictsim.keyspace.memory import (DICT_ENTRY, argument_bytes, deferrable_bytes, key_bytes, sds_header,
                                      size_class)
from evictsim.keyspace.ops import (MAIN, PRESENT, add_used, delete_key, dict_find_step, dict_insert,
                                   expire_if_needed, generic_delete_lookups, remove_expire, set_expire)
from evictsim.metrics.counters import (C_EXPIRY_MODE, C_LAZYFREE_EXPIRE, C_LAZYFREE_SERVER_DEL,
                                       C_LAZYFREE_USER_DEL, C_LFU_DECAY_TIME, C_LFU_LOG_FACTOR, C_MAXMEMORY,
                                       C_POLICY, C_QUANTUM, C_SHARED_INT_OK, DELS, EXPIRY_EXACT,
                                       FILLS, GET_HITS, GETS, HEAP_SIZE, KEYSPACE_HITS, KEYSPACE_MISSES,
                                       LAZYFREE_PENDING_BYTES, LAZYFREE_PENDING_OBJECTS, LRU_CLOCK,
                                       LUA_VALUE_ALLOC, OVERHEAD_BYTES, REJECTED_WRITES, SETS, USED_MEMORY,
                                       C_SCRIPT_PROTOCOL)


@kernel
def uses_lfu(cfg):
    p = cfg[C_POLICY]
    return p == 2 or p == 5


@kernel
def lua_value_size(n, vtype, refused, cfg, st):
    """The SET value a Lua script hands Redis (script_lua.c's argument cache, MECHANICS §10.3).

    Argument objects of at most 64 bytes that no one kept are cached per argument position and
    reused for a later argument that fits in their allocation. The value is argument 2 of
    ``SET key value``: a refused (-OOM) SET leaves its value object cached, and the next SET whose
    value fits reuses that larger allocation, which the key then keeps. Returns the allocation the
    value gets (its byte length unless a cached object is reused). The cached object itself counts
    in used_memory while it waits.
    """
    if vtype != 0 or cfg[C_SCRIPT_PROTOCOL] == 0:
        return n
    quantum = cfg[C_QUANTUM]
    cached = st[LUA_VALUE_ALLOC]
    if cached >= n:
        alloc = cached
        st[LUA_VALUE_ALLOC] = -1
        held = argument_bytes(cached, quantum)
        st[OVERHEAD_BYTES] -= held
        st[USED_MEMORY] -= held
    elif n <= 44:
        alloc = n                          # embstr: alloc = length
    else:                                  # raw: sdsnewlen records the allocator's usable size
        alloc = size_class(sds_header(n) + n + 1, quantum) - sds_header(n) - 1
    if refused and n <= 64:
        if st[LUA_VALUE_ALLOC] >= 0:       # the smaller object cached before is freed
            old = argument_bytes(st[LUA_VALUE_ALLOC], quantum)
            st[OVERHEAD_BYTES] -= old
            st[USED_MEMORY] -= old
        st[LUA_VALUE_ALLOC] = alloc
        held = argument_bytes(alloc, quantum)
        st[OVERHEAD_BYTES] += held
        st[USED_MEMORY] += held
    return alloc if n <= 64 else n


@kernel
def set_key(k, key_len, size, vtype, ttl_ms, now_ms, cfg, st, flags, kbytes, expire, lru, nx, bk, ds,
            heap_t, heap_k, rng, seed):
    """``SET key value [PX ttl]``: add or overwrite. Returns True if a key (live or stale) was there."""
    quantum = cfg[C_QUANTUM]
    dict_find_step(bk, ds, nx, st, MAIN, seed)               # lookupKeyWrite
    was_present = (flags[k] & PRESENT) != 0
    live = was_present and not expire_if_needed(flags, kbytes, expire, nx, bk, ds, st, k, now_ms,
                                                 seed, quantum, cfg[C_LAZYFREE_EXPIRE] != 0)
    if live:
        dict_find_step(bk, ds, nx, st, MAIN, seed)           # dbOverwrite finds the entry again
    nbytes = key_bytes(key_len, size, vtype, quantum, cfg[C_SHARED_INT_OK])
    lfu = uses_lfu(cfg)
    if live:
        if lfu:       # the write lookup touches the old object; dbOverwrite copies its LFU field
            lru[k] = lfu_touch(lru[k], lfu_minutes(now_ms), cfg[C_LFU_DECAY_TIME], cfg[C_LFU_LOG_FACTOR],
                               rng)
        else:         # the new object carries its creation stamp
            lru[k] = st[LRU_CLOCK]
        deferred = 0
        if kbytes.shape[0] > 1:           # the old value: a background free with lazyfree-server-del
            if cfg[C_LAZYFREE_SERVER_DEL]:
                deferred = kbytes[1, k]
            kbytes[1, k] = deferrable_bytes(size, vtype, quantum)
        add_used(st, nbytes - kbytes[0, k], 0)
        kbytes[0, k] = nbytes
        if deferred > 0:
            st[USED_MEMORY] += deferred
            st[LAZYFREE_PENDING_BYTES] += deferred
            st[LAZYFREE_PENDING_OBJECTS] += 1
    else:
        # dbAdd: the value and the key's sds copy exist before dictAddRaw decides whether the table
        # may grow (dictExpandAllowed reads used_memory); the dictEntry is allocated after
        entry = size_class(DICT_ENTRY, quantum)
        add_used(st, nbytes - entry, 0)
        dict_insert(bk, ds, nx, st, MAIN, k, seed, cfg[C_MAXMEMORY])
        add_used(st, entry, 0)
        flags[k] = PRESENT
        kbytes[0, k] = nbytes
        if kbytes.shape[0] > 1:
            kbytes[1, k] = deferrable_bytes(size, vtype, quantum)
        lru[k] = lfu_new(lfu_minutes(now_ms)) if lfu else st[LRU_CLOCK]
    remove_expire(flags, nx, bk, ds, st, k, seed, quantum)  # SET without KEEPTTL
    if ttl_ms > 0:
        set_expire(flags, expire, nx, bk, ds, st, k, now_ms + ttl_ms, seed, cfg[C_MAXMEMORY], quantum)
        if cfg[C_EXPIRY_MODE] == EXPIRY_EXACT:
            if st[HEAP_SIZE] == len(heap_t):
                heap_compact(heap_t, heap_k, st, flags, expire)
            heap_push(heap_t, heap_k, st, now_ms + ttl_ms, k)
    return was_present


@kernel
def do_get(k, key_len, size, vtype, ttl_ms, now_ms, oom, fill, cfg, st, flags, kbytes, expire, lru, nx,
           bk, ds, heap_t, heap_k, rng, seed):
    """GET, then (look-aside) the fill SET on a miss unless the pre-command OOM state refuses it."""
    st[GETS] += 1
    dict_find_step(bk, ds, nx, st, MAIN, seed)
    lazy = 0
    if flags[k] & PRESENT:
        if expire_if_needed(flags, kbytes, expire, nx, bk, ds, st, k, now_ms, seed, cfg[C_QUANTUM],
                            cfg[C_LAZYFREE_EXPIRE] != 0):
            lazy = 1
        else:
            st[KEYSPACE_HITS] += 1
            st[GET_HITS] += 1
            if uses_lfu(cfg):
                lru[k] = lfu_touch(lru[k], lfu_minutes(now_ms), cfg[C_LFU_DECAY_TIME],
                                   cfg[C_LFU_LOG_FACTOR], rng)
            else:
                lru[k] = st[LRU_CLOCK]
            return 1
    st[KEYSPACE_MISSES] += 1
    if not fill:
        return 11 + lazy
    if oom:
        st[REJECTED_WRITES] += 1
        lua_value_size(size, vtype, True, cfg, st)
        return 3 + lazy
    st[FILLS] += 1
    set_key(k, key_len, lua_value_size(size, vtype, False, cfg, st), vtype, ttl_ms, now_ms, cfg, st, flags,
            kbytes, expire, lru, nx, bk, ds, heap_t, heap_k, rng, seed)
    return 2 * lazy


@kernel
def do_set(k, key_len, size, vtype, ttl_ms, now_ms, oom, cfg, st, flags, kbytes, expire, lru, nx, bk, ds,
           heap_t, heap_k, rng, seed):
    st[SETS] += 1
    if oom:
        st[REJECTED_WRITES] += 1
        lua_value_size(size, vtype, True, cfg, st)
        return 7
    existed = set_key(k, key_len, lua_value_size(size, vtype, False, cfg, st), vtype, ttl_ms, now_ms, cfg,
                      st, flags, kbytes, expire, lru, nx, bk, ds, heap_t, heap_k, rng, seed)
    return 6 if existed else 5


@kernel
def do_del(k, now_ms, cfg, st, flags, kbytes, expire, nx, bk, ds, seed):
    """DEL runs expireIfNeeded first: a stale key counts as expired and DEL returns 0."""
    st[DELS] += 1
    if expire_if_needed(flags, kbytes, expire, nx, bk, ds, st, k, now_ms, seed, cfg[C_QUANTUM],
                        cfg[C_LAZYFREE_EXPIRE] != 0):
        generic_delete_lookups(bk, ds, nx, st, k, seed)      # dbSyncDelete still runs: finds nothing
        return 9
    if (flags[k] & PRESENT) == 0:
        generic_delete_lookups(bk, ds, nx, st, k, seed)
        return 10
    delete_key(flags, kbytes, nx, bk, ds, st, k, seed, cfg[C_QUANTUM], cfg[C_LAZYFREE_USER_DEL] != 0)
    return 8
