"""The keyspace's one path for adding, overwriting, expiring and deleting keys (compiled).

Everything that changes a key goes through here, so ``used_memory``, the two hash tables, the
per-key arrays and the counters stay consistent: ``used_memory = overhead + key bytes + table bytes``
at every step (checked at the end of each run). Per-key arrays (indexed by dense key id):
``flags`` (PRESENT, HAS_TTL), ``kbytes[0]`` (main-dict bytes charged: entry + key sds + value; a second
row ``kbytes[1]``, present only when a lazyfree setting is on, holds the part a lazy free defers),
``expire`` (absolute wall ms), ``lru`` (LRU stamp or LFU field, as Redis's 24-bit ``lru``).
"""
from __future__ import annotations

from evictsim.jit import kernel

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.memory import expire_entry_bytes
from evictsim.metrics.counters import (EXPIRED_KEYS_LAZY, KEY_BYTES,
                                       LAZYFREE_LAST_US, LAZYFREE_PENDING_BYTES, LAZYFREE_PENDING_OBJECTS,
                                       LAZYFREED_BYTES, LAZYFREED_OBJECTS, TABLE_BYTES, USED_MEMORY)

PRESENT, HAS_TTL = 1, 2
MAIN, EXPIRES = 0, 1


@kernel
def add_used(st, key_delta, table_delta):
    st[KEY_BYTES] += key_delta
    st[TABLE_BYTES] += table_delta
    st[USED_MEMORY] += key_delta + table_delta


@kernel
def dict_find_step(bk, ds, nx, st, d, seed):
    """The rehash step a ``dictFind`` does on a non-empty rehashing dict."""
    if ht.dict_size(ds, d) > 0 and ht.is_rehashing(ds, d):
        add_used(st, 0, -ht.rehash_step(bk, ds, nx, d, seed))


@kernel
def dict_insert(bk, ds, nx, st, d, k, seed, maxmemory):
    """``dictAddRaw``: rehash step, expansion check (with the maxmemory veto), head insert."""
    if ht.is_rehashing(ds, d):
        add_used(st, 0, -ht.rehash_step(bk, ds, nx, d, seed))
    add_used(st, 0, ht.expand_if_needed(bk, ds, d, st[USED_MEMORY], maxmemory))
    ht.link(bk, ds, nx, d, k, seed)


@kernel
def dict_remove(bk, ds, nx, st, d, k, seed):
    """``dictDelete``/``dictUnlink``: rehash step, then unlink."""
    if ht.dict_size(ds, d) == 0:
        return False
    if ht.is_rehashing(ds, d):
        add_used(st, 0, -ht.rehash_step(bk, ds, nx, d, seed))
    return ht.unlink(bk, ds, nx, d, k, seed)


@kernel
def delete_key(flags, kbytes, nx, bk, ds, st, k, seed, quantum, lazy):
    """``dbSyncDelete`` / ``dbAsyncDelete``: drop the key from both dicts and free its bytes.

    Returns the bytes freed now. With ``lazy`` (the lazyfree setting of this kind of delete) a big
    aggregate value goes to the background free queue instead: it stays in used_memory until the
    lazyfree thread gets to it. String values are always freed synchronously (free effort 1, below
    LAZYFREE_THRESHOLD 64), so for them the settings change nothing, as in Redis.
    """
    total = kbytes[0, k]
    deferred = 0
    if lazy and kbytes.shape[0] > 1:
        deferred = kbytes[1, k]
        kbytes[1, k] = 0
    freed = total - deferred
    generic_delete_lookups(bk, ds, nx, st, k, seed)
    if flags[k] & HAS_TTL:
        freed += expire_entry_bytes(quantum)
        total += expire_entry_bytes(quantum)
    flags[k] = 0
    kbytes[0, k] = 0
    add_used(st, -total, 0)
    if deferred > 0:
        st[USED_MEMORY] += deferred
        st[LAZYFREE_PENDING_BYTES] += deferred
        st[LAZYFREE_PENDING_OBJECTS] += 1
    return freed


@kernel
def generic_delete_lookups(bk, ds, nx, st, k, seed):
    """``dbGenericDelete``'s dict work: ``dictDelete(expires)`` whenever expires is non-empty (even
    for a key without a TTL: a rehash step), then ``dictUnlink`` from the main dict."""
    if ht.dict_size(ds, EXPIRES) > 0:
        dict_remove(bk, ds, nx, st, EXPIRES, k, seed)
    dict_remove(bk, ds, nx, st, MAIN, k, seed)


@kernel
def lazyfree_progress(st, now_us, bytes_per_us):
    """The lazyfree (bio) thread frees queued values at ``bytes_per_us`` since it last ran. Its
    clock never goes back; with nothing queued it idles at ``now`` (it starts on a value when the
    value is queued)."""
    if now_us <= st[LAZYFREE_LAST_US]:
        return
    pending = st[LAZYFREE_PENDING_BYTES]
    if pending > 0:
        done = min(pending, int((now_us - st[LAZYFREE_LAST_US]) * bytes_per_us))
        if done > 0:
            st[LAZYFREE_PENDING_BYTES] -= done
            st[USED_MEMORY] -= done
            st[LAZYFREED_BYTES] += done
            if st[LAZYFREE_PENDING_BYTES] == 0:
                st[LAZYFREED_OBJECTS] += st[LAZYFREE_PENDING_OBJECTS]
                st[LAZYFREE_PENDING_OBJECTS] = 0
    st[LAZYFREE_LAST_US] = now_us


@kernel
def is_stale(flags, expire, k, now_ms):
    """``keyIsExpired``: strictly past its expire time (alive at T, dead at T+1 ms)."""
    return (flags[k] & HAS_TTL) != 0 and now_ms > expire[k]


@kernel
def get_expire_lookups(flags, nx, bk, ds, st, k, seed):
    """``getExpire``'s dict work: find the key in expires (if non-empty); when found, Redis asserts
    it is in the main dict with another (always evaluated) ``dictFind``."""
    if ht.dict_size(ds, EXPIRES) > 0:
        dict_find_step(bk, ds, nx, st, EXPIRES, seed)
        if flags[k] & HAS_TTL:
            dict_find_step(bk, ds, nx, st, MAIN, seed)


@kernel
def expire_if_needed(flags, kbytes, expire, nx, bk, ds, st, k, now_ms, seed, quantum, lazy):
    """Lazy expiry on access (``expireIfNeeded``). Returns True if the key was deleted as expired."""
    get_expire_lookups(flags, nx, bk, ds, st, k, seed)
    if is_stale(flags, expire, k, now_ms):
        delete_key(flags, kbytes, nx, bk, ds, st, k, seed, quantum, lazy)
        st[EXPIRED_KEYS_LAZY] += 1
        return True
    return False


@kernel
def set_expire(flags, expire, nx, bk, ds, st, k, when_ms, seed, maxmemory, quantum):
    """``setExpire``: add the expires entry if missing, store the absolute time."""
    dict_find_step(bk, ds, nx, st, MAIN, seed)
    if (flags[k] & HAS_TTL) == 0:
        dict_insert(bk, ds, nx, st, EXPIRES, k, seed, maxmemory)
        flags[k] |= HAS_TTL
        add_used(st, expire_entry_bytes(quantum), 0)
    expire[k] = when_ms


@kernel
def remove_expire(flags, nx, bk, ds, st, k, seed, quantum):
    """``removeExpire``: a SET without KEEPTTL drops the TTL."""
    if ht.dict_size(ds, EXPIRES) == 0:
        return
    if dict_remove(bk, ds, nx, st, EXPIRES, k, seed):
        flags[k] = flags[k] & (255 - HAS_TTL)
        add_used(st, -expire_entry_bytes(quantum), 0)
