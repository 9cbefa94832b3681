"""What one request does to the keyspace: GET (with the look-aside fill), SET and DEL, as Redis 7.0
executes them (db.c lookupKey / setKey / delGenericCommand; MECHANICS §2.1, §4), compiled.

(The CLI's sub-commands live in :mod:`evictsim.commands`; these are the Redis commands.) Outcome
codes are the named constants of :mod:`evictsim.outcomes`. Functions take the core bundle, the
policy's state bundle and the request (:class:`Request`: key, key length, value size and type, TTL,
its index in the trace and the key's next request).
"""
from __future__ import annotations

from collections import namedtuple

from evictsim.jit import kernel

from evictsim.engine.expire import heap_compact, heap_push
from evictsim.keyspace.allocation import PIECE_ENTRY
from evictsim.keyspace.charges import charge_entry, charge_new_key, charge_value, release_value
from evictsim.keyspace.memory import argument_bytes, deferrable_bytes, key_part_bytes, sds_header, size_class
from evictsim.keyspace.ops import (MAIN, PRESENT, charge_key_bytes, delete_key, dict_find_step, dict_insert,
                                   expire_if_needed, generic_delete_lookups, remove_expire, set_expire)
from evictsim.metrics.counters import (C_EXPIRY_MODE, C_LAZYFREE_EXPIRE, C_LAZYFREE_SERVER_DEL,
                                       C_LAZYFREE_USER_DEL, C_LAZYFREE_EVICTION, C_MAIN_ENTRY, C_MAXMEMORY, C_QUANTUM, C_SCRIPT_PROTOCOL,
                                       C_SHARED_INT_OK, DELS, EVICTED_KEYS, EXPIRY_EXACT, FILLS, GET_HITS, GETS,
                                       HEAP_SIZE, KEYSPACE_HITS, KEYSPACE_MISSES, LAZYFREE_PENDING_BYTES,
                                       LAZYFREE_PENDING_OBJECTS, LUA_VALUE_ALLOC, OVERHEAD_BYTES,
                                       REJECTED_WRITES, SETS, USED_MEMORY)
from evictsim.metrics.namespaces import TAG_EVICTED, TAG_GETS, TAG_HITS, TAG_KEYS, count_tag
from evictsim.outcomes import (DEL_ABSENT, DEL_LIVE, DEL_STALE, GET_HIT, GET_MISS_FILLED, GET_MISS_NO_FILL,
                               GET_MISS_REFUSED, SET_CREATED, SET_OVERWROTE, SET_REFUSED, STALE_OFFSET)
from evictsim.policies.contract import policy_admit, policy_on_hit, policy_on_insert

Request = namedtuple("Request", "key key_len size vtype ttl_ms vtime next_vtime")
# what set_key found and did
SET_NEW, SET_EXISTED, SET_NEW_REFUSED_BY_POLICY = 0, 1, 2


@kernel
def lua_value_size(n, vtype, refused, config, stats):
    """The SET value a Lua script hands Redis (script_lua.c's argument cache, MECHANICS §10.3).

    Argument objects of at most 64 bytes that no one kept are cached per argument position and
    reused for a later argument that fits in their allocation. The value is argument 2 of
    ``SET key value``: a refused (-OOM) SET leaves its value object cached, and the next SET whose
    value fits reuses that larger allocation, which the key then keeps. Returns the allocation the
    value gets (its byte length unless a cached object is reused). The cached object itself counts
    in used_memory while it waits.
    """
    if vtype != 0 or config[C_SCRIPT_PROTOCOL] == 0:
        return n
    quantum = config[C_QUANTUM]
    cached = stats[LUA_VALUE_ALLOC]
    if cached >= n:
        alloc = cached
        stats[LUA_VALUE_ALLOC] = -1
        held = argument_bytes(cached, quantum)
        stats[OVERHEAD_BYTES] -= held
        stats[USED_MEMORY] -= held
    elif n <= 44:
        alloc = n                          # embstr: alloc = length
    else:                                  # raw: sdsnewlen records the allocator's usable size
        alloc = size_class(sds_header(n) + n + 1, quantum) - sds_header(n) - 1
    if refused and n <= 64:
        if stats[LUA_VALUE_ALLOC] >= 0:    # the smaller object cached before is freed
            old = argument_bytes(stats[LUA_VALUE_ALLOC], quantum)
            stats[OVERHEAD_BYTES] -= old
            stats[USED_MEMORY] -= old
        stats[LUA_VALUE_ALLOC] = alloc
        held = argument_bytes(alloc, quantum)
        stats[OVERHEAD_BYTES] += held
        stats[USED_MEMORY] += held
    return alloc if n <= 64 else n


@kernel
def set_key(core, policy, req, size, now_ms):
    """``SET key value [PX ttl]``: add or overwrite (``size`` is the value's allocation length).
    Returns SET_EXISTED if a key (live or stale) was there, SET_NEW, or SET_NEW_REFUSED_BY_POLICY
    when the policy's admission refused the new key (the caller evicts it after the command)."""
    config = core.server.config
    stats = core.server.stats
    keys = core.keys
    k = req.key
    vtype = req.vtype
    quantum = config[C_QUANTUM]
    shared_ok = config[C_SHARED_INT_OK]
    dict_find_step(core, MAIN)                                # lookupKeyWrite
    was_present = (keys.flags[k] & PRESENT) != 0
    result = SET_EXISTED if was_present else SET_NEW
    live = was_present and not expire_if_needed(core, policy, k, now_ms, config[C_LAZYFREE_EXPIRE] != 0)
    if live:
        dict_find_step(core, MAIN)                            # dbOverwrite finds the entry again
        policy_on_hit(policy, core, k, keys.charged[0, k], now_ms, req.vtime, req.next_vtime)
        charged = keys.charged
        deferred = 0
        if charged.shape[0] > 1:          # the old value: a background free with lazyfree-server-del
            if config[C_LAZYFREE_SERVER_DEL]:
                deferred = charged[1, k]
            charged[1, k] = deferrable_bytes(size, vtype, quantum)
        memory = core.tables.memory
        release_value(memory, k)
        nbytes = (key_part_bytes(req.key_len, quantum, config[C_MAIN_ENTRY])
                  + charge_value(memory, k, size, vtype, shared_ok))
        charge_key_bytes(core, k, nbytes - charged[0, k])
        charged[0, k] = nbytes
        if deferred > 0:
            stats[USED_MEMORY] += deferred
            stats[LAZYFREE_PENDING_BYTES] += deferred
            stats[LAZYFREE_PENDING_OBJECTS] += 1
    else:
        # dbAdd: the value and the key's sds copy exist before dictAddRaw decides whether the table
        # may grow (dictExpandAllowed reads used_memory); the dictEntry is allocated after
        before_entry = charge_new_key(core.tables.memory, k, req.key_len, size, vtype, shared_ok)
        charge_key_bytes(core, k, before_entry)
        dict_insert(core, MAIN, k, config[C_MAXMEMORY])
        entry = charge_entry(core.tables.memory, k, PIECE_ENTRY, config[C_MAIN_ENTRY])
        charge_key_bytes(core, k, entry)
        keys.flags[k] = PRESENT
        keys.charged[0, k] = before_entry + entry
        count_tag(core, k, TAG_KEYS, 1)
        if keys.charged.shape[0] > 1:
            keys.charged[1, k] = deferrable_bytes(size, vtype, quantum)
        if policy_admit(policy, core, k, keys.charged[0, k], req.vtime):
            policy_on_insert(policy, core, k, keys.charged[0, k], now_ms, req.vtime, req.next_vtime)
        else:
            result = SET_NEW_REFUSED_BY_POLICY
    remove_expire(core, k)                                    # SET without KEEPTTL
    if req.ttl_ms > 0:
        set_expire(core, k, now_ms + req.ttl_ms, config[C_MAXMEMORY])
        if config[C_EXPIRY_MODE] == EXPIRY_EXACT:
            heap = core.heap
            if stats[HEAP_SIZE] == len(heap.times):
                heap_compact(core)
            heap_push(heap, stats, now_ms + req.ttl_ms, k)
    return result


@kernel(inline=True)
def do_get(core, policy, req, now_ms, oom, fill):
    """GET, then (look-aside) the fill SET on a miss unless the pre-command OOM state refuses it.

    Inlined into the request loop: a call passes the whole core and policy bundles (each array is
    several machine words), which costs more than a hit or a refused miss does; the fill's
    ``set_key``, far more work, stays a call."""
    config = core.server.config
    stats = core.server.stats
    k = req.key
    stats[GETS] += 1
    count_tag(core, k, TAG_GETS, 1)
    dict_find_step(core, MAIN)
    lazy = 0
    if core.keys.flags[k] & PRESENT:
        if expire_if_needed(core, policy, k, now_ms, config[C_LAZYFREE_EXPIRE] != 0):
            lazy = 1
        else:
            stats[KEYSPACE_HITS] += 1
            stats[GET_HITS] += 1
            count_tag(core, k, TAG_HITS, 1)
            policy_on_hit(policy, core, k, core.keys.charged[0, k], now_ms, req.vtime, req.next_vtime)
            return GET_HIT
    stats[KEYSPACE_MISSES] += 1
    if not fill:
        return GET_MISS_NO_FILL + lazy
    if oom:
        stats[REJECTED_WRITES] += 1
        lua_value_size(req.size, req.vtype, True, config, stats)
        return GET_MISS_REFUSED + lazy
    stats[FILLS] += 1
    if set_key(core, policy, req, lua_value_size(req.size, req.vtype, False, config, stats),
               now_ms) == SET_NEW_REFUSED_BY_POLICY:
        evict_refused(core, policy, k)
    return GET_MISS_FILLED + STALE_OFFSET * lazy


@kernel(inline=True)
def do_set(core, policy, req, now_ms, oom):
    config = core.server.config
    stats = core.server.stats
    stats[SETS] += 1
    if oom:
        stats[REJECTED_WRITES] += 1
        lua_value_size(req.size, req.vtype, True, config, stats)
        return SET_REFUSED
    done = set_key(core, policy, req, lua_value_size(req.size, req.vtype, False, config, stats), now_ms)
    if done == SET_NEW_REFUSED_BY_POLICY:
        evict_refused(core, policy, req.key)
    return SET_OVERWROTE if done == SET_EXISTED else SET_CREATED


@kernel
def evict_refused(core, policy, k):
    """A key the policy's admission refused: stored by the command, then evicted (the policy never
    held it, so it is not told)."""
    count_tag(core, k, TAG_EVICTED, 1)
    core.server.stats[EVICTED_KEYS] += 1
    delete_key(core, policy, k, core.server.config[C_LAZYFREE_EVICTION] != 0, False)


@kernel(inline=True)
def do_del(core, policy, k, now_ms):
    """DEL runs expireIfNeeded first: a stale key counts as expired and DEL returns 0."""
    config = core.server.config
    core.server.stats[DELS] += 1
    if expire_if_needed(core, policy, k, now_ms, config[C_LAZYFREE_EXPIRE] != 0):
        generic_delete_lookups(core, k)                       # dbSyncDelete still runs: finds nothing
        return DEL_STALE
    if (core.keys.flags[k] & PRESENT) == 0:
        generic_delete_lookups(core, k)
        return DEL_ABSENT
    delete_key(core, policy, k, config[C_LAZYFREE_USER_DEL] != 0, True)
    return DEL_LIVE
