"""GET (with the look-aside fill), SET and DEL as Redis 7.0 runs them (db.c ``lookupKey``,
t_string.c ``setGenericCommand``, ``delGenericCommand``; MECHANICS §2.1, §4), returning the
outcome codes of :class:`evictsim.results.Result` (plus 11/12: a GET miss with no fill). A plug-in
policy's twin (``ks.twin``) hears of hits and inserts here, where the kernel calls its hooks.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from evictsim.oracle.clocks import lfu_new_object, lfu_time_in_minutes, update_lfu
from evictsim.oracle.db import (KeyRecord, Keyspace, db_add, db_generic_delete, expire_if_needed,
                                remove_expire, set_expire)
from evictsim.oracle.dict import dict_find
from evictsim.oracle.memory import (EMBSTR_MAX, VT_STRING, lazyfree_deferrable_bytes, main_entry_bytes,
                                    sds_header, size_class, value_bytes)
from evictsim.oracle.policy import NO_NEXT_ACCESS


@dataclass
class Request:
    key: int
    key_len: int
    size: int
    vtype: int
    ttl_ms: int
    vtime: int = 0                        # the request's index, set by the server as it serves it
    next_vtime: int = NO_NEXT_ACCESS      # the key's next request (policies that need_next_access)


@dataclass
class Context:
    """What a command reads besides the keyspace: the clock, the policy family, the RNG."""

    now_ms: int
    lruclock: int            # server.lruclock, as of the last cron tick
    lfu: bool                # the policy is *-lfu: the lru field holds LFU state
    lfu_decay_time: int
    lfu_log_factor: int
    shared_ok: bool
    rng: object
    on_expire_set: Callable[[int, int], None] | None = None   # exact mode: schedule the deletion


def touch(rec: KeyRecord, ctx: Context) -> None:
    """The access-time update of a successful ``lookupKey`` (§2, §3)."""
    if ctx.lfu:
        rec.lru = update_lfu(rec.lru, lfu_time_in_minutes(ctx.now_ms), ctx.lfu_decay_time,
                             ctx.lfu_log_factor, ctx.rng)
    else:
        rec.lru = ctx.lruclock


def lookup_key(ks: Keyspace, key: int, ctx: Context) -> KeyRecord | None:
    """``lookupKey``: find in the main dict, lazily expire, touch a live key. Reads and writes
    look up alike; hits and misses are counted by the caller, for reads only (§2.1)."""
    if not dict_find(ks.main, key):
        return None
    if expire_if_needed(ks, key, ctx.now_ms):
        return None
    rec = ks.keys[key]
    touch(rec, ctx)
    return rec


def set_key(ks: Keyspace, req: Request, ctx: Context) -> bool:
    """``SET key value [PX ttl]``: ``lookupKeyWrite``, then ``dbOverwrite`` or ``dbAdd``,
    ``removeExpire``, ``setExpire``. Returns True if a key (live or expired) was there."""
    was_there = req.key in ks.keys
    old = lookup_key(ks, req.key, ctx)
    nbytes = main_entry_bytes(req.key_len, req.size, req.vtype, ks.quantum, ctx.shared_ok, ks.main_entry)
    deferrable = lazyfree_deferrable_bytes(req.size, req.vtype, ks.quantum)
    if old is not None:
        db_overwrite(ks, req.key, old, nbytes, deferrable, ctx)
        if ks.twin is not None:
            ks.twin.on_hit(req.key, req.size, req.vtime, req.next_vtime)
    else:
        lru = lfu_new_object(lfu_time_in_minutes(ctx.now_ms)) if ctx.lfu else ctx.lruclock
        db_add(ks, req.key, KeyRecord(nbytes, lru, deferrable=deferrable))
        if ks.twin is not None:
            ks.twin.on_insert(req.key, req.size, req.vtime, req.next_vtime)
    remove_expire(ks, req.key)
    if req.ttl_ms > 0:
        set_expire(ks, req.key, ctx.now_ms + req.ttl_ms)
        if ctx.on_expire_set is not None:
            ctx.on_expire_set(req.key, ctx.now_ms + req.ttl_ms)
    return was_there


def db_overwrite(ks: Keyspace, key: int, old: KeyRecord, nbytes: int, deferrable: int, ctx: Context) -> None:
    """``dbOverwrite``: the new value replaces the old one. Under LFU it inherits the old (just
    touched) lru field; otherwise it keeps its creation stamp, i.e. the current LRU clock. The old
    value is freed like a server-side delete (``lazyfree-lazy-server-del``)."""
    in_main = dict_find(ks.main, key)     # a lookup with a side effect: a rehash step
    assert in_main
    if not ctx.lfu:
        old.lru = ctx.lruclock
    ks.key_bytes += nbytes - old.nbytes
    ks.lazyfree.free_async(old.deferrable if ks.lazy["server_del"] else 0, ks.now_us)
    old.nbytes = nbytes
    old.deferrable = deferrable


def lua_set_value(ks: Keyspace, req: Request, refused: bool) -> Request:
    """The value object a Lua script's ``redis.call('SET', k, v, ...)`` hands Redis.

    script_lua.c caches argument objects of at most 64 bytes that nobody kept (``freeLuaRedisArgv``)
    and reuses one for a later argument at the same position that fits in its ``sdsalloc``
    (``luaArgsToRedisArgv``). Only a refused SET leaves its value (position 2) unowned; the next SET
    with a value that fits takes that object, and the key keeps its larger allocation. The cached
    object is counted in used_memory while it waits. Returns the request with the size that decides
    the value's bytes.
    """
    if not ks.script or req.vtype != VT_STRING:
        return req
    n = req.size
    cached = ks.lua_value_alloc
    if cached is not None and cached >= n:
        alloc = cached
        ks.lua_value_alloc = None
        ks.overhead -= value_bytes(cached, VT_STRING, ks.quantum, False)
    elif n <= EMBSTR_MAX:
        alloc = n                                   # embstr: sdshdr8 alloc = len
    else:
        header = sds_header(n)                      # sdsnewlen: alloc = usable size − header − NUL
        alloc = size_class(header + n + 1, ks.quantum) - header - 1
    if refused and n <= 64:
        if ks.lua_value_alloc is not None:
            ks.overhead -= value_bytes(ks.lua_value_alloc, VT_STRING, ks.quantum, False)
        ks.lua_value_alloc = alloc
        ks.overhead += value_bytes(alloc, VT_STRING, ks.quantum, False)
    return replace(req, size=alloc) if n <= 64 else req


def get_command(ks: Keyspace, req: Request, ctx: Context, stats: dict, *, oom: bool, fill: bool) -> int:
    """The reference client's GET: a read lookup; on a miss, the fill SET (refused if the
    pre-command eviction failed: a deny-oom write inside an unflagged script, §5.1)."""
    stats["gets"] += 1
    expired_before = ks.expired_lazy
    rec = lookup_key(ks, req.key, ctx)
    lazy = ks.expired_lazy - expired_before
    if rec is not None:
        stats["keyspace_hits"] += 1
        stats["get_hits"] += 1
        if ks.twin is not None:
            ks.twin.on_hit(req.key, req.size, req.vtime, req.next_vtime)
        return 1
    stats["keyspace_misses"] += 1
    if not fill:
        return 11 + lazy
    if oom:
        stats["rejected_writes"] += 1
        lua_set_value(ks, req, refused=True)
        return 3 + lazy
    stats["fills"] += 1
    set_key(ks, lua_set_value(ks, req, refused=False), ctx)
    return 2 * lazy


def set_command(ks: Keyspace, req: Request, ctx: Context, stats: dict, *, oom: bool) -> int:
    stats["sets"] += 1
    if oom:
        stats["rejected_writes"] += 1
        lua_set_value(ks, req, refused=True)
        return 7
    return 6 if set_key(ks, lua_set_value(ks, req, refused=False), ctx) else 5


def del_command(ks: Keyspace, req: Request, ctx: Context, stats: dict) -> int:
    """``delGenericCommand``: ``expireIfNeeded`` first (a stale key counts as expired and DEL
    returns 0), then ``dbSyncDelete``, which steps the dicts even when the key is absent or was
    just expired."""
    stats["dels"] += 1
    if expire_if_needed(ks, req.key, ctx.now_ms):
        db_generic_delete(ks, req.key)           # steps the dicts; the key is already gone
        return 9
    existed = req.key in ks.keys
    db_generic_delete(ks, req.key, "user_del")
    return 8 if existed else 10
