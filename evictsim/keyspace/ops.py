"""The keyspace's one path for adding, overwriting, expiring and deleting keys (compiled).

Everything that changes a key goes through here, so ``used_memory``, the two hash tables, the
per-key arrays, the counters and the policy stay consistent: ``used_memory = overhead + key bytes +
table bytes`` at every step (checked at the end of each run), and the policy hears of every removal
(``policy_on_remove`` in :func:`delete_key`, the one delete path). Functions take the
:class:`~evictsim.keyspace.state.Core` bundle (keys, tables with the memory model, server counters)
and, where a key can leave, the policy's state bundle.
"""
from __future__ import annotations

from evictsim.jit import kernel

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.charges import charge_entry, release_key
from evictsim.keyspace.allocation import PIECE_EXPIRE, release
from evictsim.keyspace.memory import DICT_ENTRY, expire_entry_bytes
from evictsim.keyspace.prefetch import prefetch, prefetch_cell
from evictsim.metrics.counters import (C_QUANTUM, EXPIRED_KEYS_LAZY, KEY_BYTES, LAZYFREE_LAST_US,
                                       LAZYFREE_PENDING_BYTES, LAZYFREE_PENDING_OBJECTS, LAZYFREED_BYTES,
                                       LAZYFREED_OBJECTS, TABLE_BYTES, USED_MEMORY)
from evictsim.metrics.namespaces import TAG_BYTES, TAG_EXPIRED, TAG_EXPIRES, TAG_KEYS, count_tag
from evictsim.policies.contract import policy_on_remove

PRESENT, HAS_TTL = 1, 2
MAIN, EXPIRES = 0, 1


@kernel(inline=True)
def prefetch_key(core, k):
    """Ask for what serving or deleting key ``k`` reads first: its flags (present? a TTL?), its
    charged bytes and the main dict's bucket it hashes to. Each is a random position in an array as
    large as the keyspace (tens of MB with a million keys); a hint never changes a result."""
    prefetch(core.keys.flags, k)
    prefetch_cell(core.keys.charged, 0, k)
    ht.prefetch_bucket(core.tables, MAIN, k)


@kernel
def add_used(stats, key_delta, table_delta):
    stats[KEY_BYTES] += key_delta
    stats[TABLE_BYTES] += table_delta
    stats[USED_MEMORY] += key_delta + table_delta


@kernel(inline=True)
def charge_key_bytes(core, k, delta):
    """A key's bytes changed by ``delta``: the instance's and its namespace's totals."""
    add_used(core.server.stats, delta, 0)
    count_tag(core, k, TAG_BYTES, delta)


@kernel(inline=True)
def dict_find_step(core, d):
    """The rehash step a ``dictFind`` does on a non-empty rehashing dict."""
    tables = core.tables
    if ht.dict_size(tables, d) > 0 and ht.is_rehashing(tables, d):
        add_used(core.server.stats, 0, -ht.rehash_step(tables, d))


@kernel(inline=True)
def dict_insert(core, d, k, maxmemory):
    """``dictAddRaw``: rehash step, expansion check (with the maxmemory veto), head insert."""
    tables = core.tables
    stats = core.server.stats
    if ht.is_rehashing(tables, d):
        add_used(stats, 0, -ht.rehash_step(tables, d))
    add_used(stats, 0, ht.expand_if_needed(tables, d, stats[USED_MEMORY], maxmemory))
    ht.link(tables, d, k)


@kernel(inline=True)
def dict_remove(core, d, k):
    """``dictDelete``/``dictUnlink``: rehash step, then unlink."""
    tables = core.tables
    if ht.dict_size(tables, d) == 0:
        return False
    if ht.is_rehashing(tables, d):
        add_used(core.server.stats, 0, -ht.rehash_step(tables, d))
    return ht.unlink(tables, d, k)


@kernel(inline=True)
def delete_key(core, policy, k, lazy, tell_policy):
    """``dbSyncDelete`` / ``dbAsyncDelete``: drop the key from both dicts and free its bytes; the
    policy hears of it (``tell_policy`` False only for a key its admission refused: it never held it).

    Returns the bytes freed now. With ``lazy`` (the lazyfree setting of this kind of delete) a big
    aggregate value goes to the background free queue instead: it stays in used_memory until the
    lazyfree thread gets to it. String values are always freed synchronously (free effort 1, below
    LAZYFREE_THRESHOLD 64), so for them the settings change nothing, as in Redis.
    """
    keys = core.keys
    stats = core.server.stats
    charged = keys.charged
    total = charged[0, k]
    deferred = 0
    if lazy and charged.shape[0] > 1:
        deferred = charged[1, k]
        charged[1, k] = 0
    freed = total - deferred
    generic_delete_lookups(core, k)
    has_ttl = (keys.flags[k] & HAS_TTL) != 0
    if has_ttl:
        entry = expire_entry_bytes(core.server.config[C_QUANTUM])
        freed += entry
        total += entry
        count_tag(core, k, TAG_EXPIRES, -1)
    if tell_policy:
        policy_on_remove(policy, core, k)
    release_key(core.tables.memory, k, has_ttl)
    keys.flags[k] = 0
    charged[0, k] = 0
    charge_key_bytes(core, k, -total)
    count_tag(core, k, TAG_KEYS, -1)
    if deferred > 0:
        stats[USED_MEMORY] += deferred
        stats[LAZYFREE_PENDING_BYTES] += deferred
        stats[LAZYFREE_PENDING_OBJECTS] += 1
    return freed


@kernel(inline=True)
def generic_delete_lookups(core, k):
    """``dbGenericDelete``'s dict work: ``dictDelete(expires)`` whenever expires is non-empty (even
    for a key without a TTL: a rehash step), then ``dictUnlink`` from the main dict."""
    if ht.dict_size(core.tables, EXPIRES) > 0:
        dict_remove(core, EXPIRES, k)
    dict_remove(core, MAIN, k)


@kernel
def lazyfree_progress(stats, now_us, bytes_per_us):
    """The lazyfree (bio) thread frees queued values at ``bytes_per_us`` since it last ran. Its
    clock never goes back; with nothing queued it idles at ``now`` (it starts on a value when the
    value is queued)."""
    if now_us <= stats[LAZYFREE_LAST_US]:
        return
    pending = stats[LAZYFREE_PENDING_BYTES]
    if pending > 0:
        done = min(pending, int((now_us - stats[LAZYFREE_LAST_US]) * bytes_per_us))
        if done > 0:
            stats[LAZYFREE_PENDING_BYTES] -= done
            stats[USED_MEMORY] -= done
            stats[LAZYFREED_BYTES] += done
            if stats[LAZYFREE_PENDING_BYTES] == 0:
                stats[LAZYFREED_OBJECTS] += stats[LAZYFREE_PENDING_OBJECTS]
                stats[LAZYFREE_PENDING_OBJECTS] = 0
    stats[LAZYFREE_LAST_US] = now_us


@kernel
def is_stale(keys, k, now_ms):
    """``keyIsExpired``: strictly past its expire time (alive at T, dead at T+1 ms)."""
    return (keys.flags[k] & HAS_TTL) != 0 and now_ms > keys.expire[k]


@kernel(inline=True)
def get_expire_lookups(core, k):
    """``getExpire``'s dict work: find the key in expires (if non-empty); when found, Redis asserts
    it is in the main dict with another (always evaluated) ``dictFind``."""
    if ht.dict_size(core.tables, EXPIRES) > 0:
        dict_find_step(core, EXPIRES)
        if core.keys.flags[k] & HAS_TTL:
            dict_find_step(core, MAIN)


@kernel
def expire_stale_key(core, policy, k, lazy):
    """The rare half of ``expireIfNeeded``: delete a key found stale on access, counted as lazy."""
    count_tag(core, k, TAG_EXPIRED, 1)
    delete_key(core, policy, k, lazy, True)
    core.server.stats[EXPIRED_KEYS_LAZY] += 1


@kernel(inline=True)
def expire_if_needed(core, policy, k, now_ms, lazy):
    """Lazy expiry on access (``expireIfNeeded``). Returns True if the key was deleted as expired.

    Inlined into every command: a call passes the whole core and policy bundles (each array is
    several machine words), which on a GET hit costs more than the check itself. Only the deletion,
    taken rarely, stays a call."""
    get_expire_lookups(core, k)
    if is_stale(core.keys, k, now_ms):
        expire_stale_key(core, policy, k, lazy)
        return True
    return False


@kernel(inline=True)
def set_expire(core, k, when_ms, maxmemory):
    """``setExpire``: add the expires entry if missing, store the absolute time."""
    keys = core.keys
    dict_find_step(core, MAIN)
    if (keys.flags[k] & HAS_TTL) == 0:
        dict_insert(core, EXPIRES, k, maxmemory)
        keys.flags[k] |= HAS_TTL
        charge_key_bytes(core, k, charge_entry(core.tables.memory, k, PIECE_EXPIRE, DICT_ENTRY))
        count_tag(core, k, TAG_EXPIRES, 1)
    keys.expire[k] = when_ms


@kernel(inline=True)
def remove_expire(core, k):
    """``removeExpire``: a SET without KEEPTTL drops the TTL."""
    if ht.dict_size(core.tables, EXPIRES) == 0:
        return
    if dict_remove(core, EXPIRES, k):
        keys = core.keys
        keys.flags[k] = keys.flags[k] & (255 - HAS_TTL)
        release(core.tables.memory, k, PIECE_EXPIRE, -1)
        charge_key_bytes(core, k, -expire_entry_bytes(core.server.config[C_QUANTUM]))
        count_tag(core, k, TAG_EXPIRES, -1)
