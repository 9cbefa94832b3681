"""The keyspace of db 0 (db.c): the main dict, the expires dict, per-key records, and
``used_memory`` = overhead + bytes of every key + 8 B per bucket of both dicts (MECHANICS §10.4).

Every change to a key goes through the functions here, named after db.c: ``db_add``,
``db_generic_delete``, ``set_expire``, ``remove_expire``, ``get_expire``, ``expire_if_needed``.
Each makes the dict lookups Redis 7.0 makes, and so runs the same incremental-rehash steps
(MECHANICS §9: every find, add, delete or random-key call does one bucket step). Every removal
(``db_generic_delete`` of a present key) is told to a plug-in policy's twin, if there is one.
"""
from __future__ import annotations

from dataclasses import dataclass

from evictsim.oracle.dict import (HASHTABLE_MAX_LOAD_FACTOR, RedisDict, dict_add, dict_delete,
                                  dict_find)
from evictsim.oracle.lazyfree import LazyFreeQueue
from evictsim.oracle.memory import DICT_ENTRY, expire_entry_bytes, size_class


@dataclass
class KeyRecord:
    """What Redis keeps for a key: its bytes in the main dict, the 24-bit ``lru`` field (LRU stamp
    or LFU ldt<<8|counter), and the absolute expire time in ms (None: no TTL)."""

    nbytes: int
    lru: int
    expire: int | None = None
    deferrable: int = 0          # the part a lazy free would leave to the lazyfree thread


class Keyspace:
    """db 0 plus the memory it costs."""

    def __init__(self, hash_seed: int, *, maxmemory: int, quantum: int, overhead: int,
                 lazyfree: LazyFreeQueue, lazy: dict[str, bool], twin=None, main_entry: int = DICT_ENTRY):
        self.main = RedisDict(hash_seed)
        self.expires = RedisDict(hash_seed)
        self.keys: dict[int, KeyRecord] = {}
        self.maxmemory = maxmemory
        self.quantum = quantum
        self.main_entry = main_entry        # bytes of a db->dict entry: 24, 40 in cluster mode
        self.overhead = overhead            # baseline + client buffers + latency histograms
        self.script = True                  # requests arrive as Lua scripts (the argument cache applies)
        self.lua_value_alloc: int | None = None   # sdsalloc of the cached SET-value object, if any
        self.key_bytes = 0                  # Σ main-entry bytes + TTL entries
        self.lazyfree = lazyfree
        self.lazy = lazy                    # lazyfree-lazy-{eviction,expire,server-del,user-del}
        self.expired_lazy = 0
        self.now_us = 0                     # the simulated time of the event being processed
        self.twin = twin                    # a plug-in policy's twin (evictsim.oracle.policy); None: Redis's

    @property
    def table_bytes(self) -> int:
        return 8 * (self.main.slots() + self.expires.slots())

    @property
    def used_memory(self) -> int:
        return self.overhead + self.key_bytes + self.table_bytes + self.lazyfree.pending_bytes

    def recount_key_bytes(self) -> int:
        """Σ over the records, from scratch (the incremental sum must equal it)."""
        entry = expire_entry_bytes(self.quantum)
        return sum(r.nbytes + (entry if r.expire is not None else 0) for r in self.keys.values())

    def expand_allowed(self, more_mem: int, used_ratio: float) -> bool:
        """server.c ``dictExpandAllowed``: below load 1.618 a doubling must fit under maxmemory."""
        if used_ratio <= HASHTABLE_MAX_LOAD_FACTOR:
            return not (self.maxmemory > 0 and self.used_memory + more_mem > self.maxmemory)
        return True

    def is_expired(self, key: int, now_ms: int) -> bool:
        """``keyIsExpired`` without lookups: strictly past the expire time (§1)."""
        rec = self.keys.get(key)
        return rec is not None and rec.expire is not None and now_ms > rec.expire


def db_add(ks: Keyspace, key: int, rec: KeyRecord) -> None:
    """``dbAdd``: the key's sds copy (and the value) are allocated before ``dictAddRaw`` checks
    whether the table may grow; the dictEntry comes after."""
    entry = size_class(ks.main_entry, ks.quantum)
    ks.key_bytes += rec.nbytes - entry
    dict_add(ks.main, key, ks.expand_allowed)
    ks.key_bytes += entry
    ks.keys[key] = rec


def db_generic_delete(ks: Keyspace, key: int, kind: str | None = None) -> int:
    """``dbGenericDelete``: out of ``expires``, then out of the main dict. With the lazyfree setting
    of this ``kind`` of delete on (``dbAsyncDelete``), a big aggregate value goes to the lazyfree
    thread. Returns the bytes freed now (entry, key, value, TTL entry; never bucket arrays).

    ``dictDelete(expires)`` runs whenever ``expires`` is non-empty, even for a key without a TTL or
    one that is not there (a rehash step either way)."""
    rec = ks.keys.get(key)
    if len(ks.expires) > 0:
        dict_delete(ks.expires, key)
    found = dict_delete(ks.main, key)
    if rec is None:
        assert not found
        return 0
    assert found, f"key {key} has a record but is not in the main dict"
    if ks.twin is not None:
        ks.twin.on_remove(key)
    del ks.keys[key]
    total = rec.nbytes + (expire_entry_bytes(ks.quantum) if rec.expire is not None else 0)
    ks.key_bytes -= total
    deferred = rec.deferrable if kind is not None and ks.lazy[kind] else 0
    ks.lazyfree.free_async(deferred, ks.now_us)
    return total - deferred


def get_expire(ks: Keyspace, key: int) -> int | None:
    """``getExpire``: find the key in ``expires``; Redis then asserts it is in the main dict too
    (an always-evaluated ``dictFind``)."""
    if len(ks.expires) == 0:
        return None
    found = dict_find(ks.expires, key)
    if found:
        in_main = dict_find(ks.main, key)     # a lookup with a side effect: a rehash step
        assert in_main
    rec = ks.keys.get(key)
    assert found == (rec is not None and rec.expire is not None)
    return rec.expire if found else None


def expire_if_needed(ks: Keyspace, key: int, now_ms: int) -> bool:
    """``expireIfNeeded`` (lazy expiry, §4): delete the key if its time has passed; True if so."""
    when = get_expire(ks, key)
    if when is None or not now_ms > when:
        return False
    db_generic_delete(ks, key, "expire")
    ks.expired_lazy += 1
    return True


def remove_expire(ks: Keyspace, key: int) -> None:
    """``removeExpire`` (SET without KEEPTTL): ``dictDelete(expires)``."""
    if dict_delete(ks.expires, key):
        ks.keys[key].expire = None
        ks.key_bytes -= expire_entry_bytes(ks.quantum)


def set_expire(ks: Keyspace, key: int, when_ms: int) -> None:
    """``setExpire``: find the key in the main dict, add it to ``expires``, store the time."""
    rec = ks.keys[key]
    in_main = dict_find(ks.main, key)     # a lookup with a side effect: a rehash step
    assert in_main
    if rec.expire is None:
        dict_add(ks.expires, key, ks.expand_allowed)
        ks.key_bytes += expire_entry_bytes(ks.quantum)
    rec.expire = when_ms
