"""The server commands of a trace: ``FLUSHALL [SYNC|ASYNC]`` and ``MEMORY PURGE`` (compiled).

``FLUSHALL`` follows Redis 7.0's ``flushallCommand`` → ``emptyData`` → ``emptyDbStructure`` (db.c):

* **sync** (``FLUSHALL SYNC``, or no argument with ``lazyfree-lazy-user-flush no``): ``dictEmpty`` of
  the main dict, then of expires. ``_dictClear`` walks table 0's buckets in order and each chain from
  its head, freeing per entry the key sds, the value (``decrRefCount``: the sds, then the robj) and
  the dictEntry; then it frees table 0's bucket array, then does the same for table 1 (while
  rehashing). The expires dict's entries share the key sds: only the entries and the arrays go. The
  dicts are left with no table at all (the next add creates one of 4 buckets), ``avg_ttl`` and the
  expire cycle's cursor are reset, and ``flushAllDataAndResetRDB`` then calls ``jemalloc_purge()``:
  every dirty page goes back to the OS at once (MECHANICS §12, §13). Nothing is counted as evicted,
  expired or deleted.
* **async** (``FLUSHALL ASYNC``, or no argument with ``lazyfree-lazy-user-flush yes``):
  ``emptyDbAsync`` swaps in new empty dicts and hands the old ones to the lazyfree thread: every byte
  stays in used_memory until the thread has freed it (``lazyfree_pending_objects`` += keys), and
  there is no purge. The allocator model sees the frees at once, as it does for every lazy free
  here (one thread cache: see the README's allocator section).

``MEMORY PURGE`` is ``jemalloc_purge()`` alone: the memory model's ``purge_pages`` (a no-op with the
size-class model; Redis counts nothing for it but its latency histogram).
"""
from __future__ import annotations

from evictsim.jit import kernel
from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.allocation import (
    PIECE_BUCKETS,
    PIECE_ENTRY,
    PIECE_EXPIRE,
    PIECE_KEY,
    purge_pages,
    release,
)
from evictsim.keyspace.charges import release_value
from evictsim.keyspace.memory import expire_entry_bytes
from evictsim.keyspace.ops import EXPIRES, HAS_TTL, MAIN, add_used, charge_key_bytes
from evictsim.metrics.counters import (
    AVG_TTL,
    C_LAZYFREE_USER_FLUSH,
    C_QUANTUM,
    CMD_FLUSHALL,
    CMD_MEMORY_PURGE,
    EXPIRES_CURSOR,
    HEAP_SIZE,
    LAZYFREE_PENDING_BYTES,
    LAZYFREE_PENDING_OBJECTS,
    USED_MEMORY,
)
from evictsim.metrics.namespaces import TAG_EXPIRES, TAG_KEYS, count_tag
from evictsim.outcomes import SERVER_COMMAND
from evictsim.policies.contract import policy_on_remove
from evictsim.traces.base import OP_FLUSHALL, OP_FLUSHALL_ASYNC, OP_MEMORY_PURGE


@kernel
def server_command(core, policy, op):
    """Run a server command of the trace (``op`` >= OP_FLUSHALL). Returns its outcome code."""
    if op == OP_MEMORY_PURGE:
        purge_pages(core.tables.memory)
        return SERVER_COMMAND
    if op == OP_FLUSHALL:
        lazy = core.server.config[C_LAZYFREE_USER_FLUSH] != 0     # getFlushCommandFlags
    else:
        lazy = op == OP_FLUSHALL_ASYNC
    flush_all(core, policy, lazy)
    if not lazy:
        purge_pages(core.tables.memory)                           # flushAllDataAndResetRDB
    return SERVER_COMMAND


@kernel
def server_command_mask(op):
    """The command-name bit whose first use allocates a latency histogram."""
    return 1 << (CMD_MEMORY_PURGE if op == OP_MEMORY_PURGE else CMD_FLUSHALL)


@kernel
def flush_all(core, policy, lazy):
    """``emptyDbStructure`` for db 0: every key and both dicts' tables freed (``lazy``: by the
    lazyfree thread later). Returns the number of keys removed."""
    stats = core.server.stats
    keys = core.keys
    removed = ht.dict_size(core.tables, MAIN)
    freed = _clear_dict(core, policy, MAIN) + _clear_dict(core, policy, EXPIRES)
    if lazy and freed > 0:             # emptyDbAsync: the old dicts go to the lazyfree thread
        stats[USED_MEMORY] += freed
        stats[LAZYFREE_PENDING_BYTES] += freed
        stats[LAZYFREE_PENDING_OBJECTS] += removed
    if keys.charged.shape[0] > 1:      # nothing of these keys is waiting to be deferred any more
        keys.charged[1, :] = 0
    stats[AVG_TTL] = 0
    stats[EXPIRES_CURSOR] = 0
    stats[HEAP_SIZE] = 0               # exact expiry: no key is left to expire
    return removed


@kernel
def _clear_dict(core, policy, d):
    """``dictEmpty``: ``_dictClear`` of table 0, then of table 1. Returns the bytes freed."""
    tables = core.tables
    ds = tables.dicts
    freed = 0
    if ds[d, ht.SIZE0] == 0:           # never created (or already empty): no table to free
        return 0
    for t in range(2 if ht.is_rehashing(tables, d) else 1):
        base = 0 if t == 0 else ds[d, ht.SIZE0]
        for b in range(base, base + ds[d, ht.SIZE0 + t]):
            k = tables.buckets[d, b]
            tables.buckets[d, b] = -1
            while k != -1:
                nxt = tables.links[d, k]
                tables.links[d, k] = -1
                freed += _free_entry(core, policy, d, k)
                k = nxt
        nbytes = 8 * ds[d, ht.SIZE0 + t]
        release(tables.memory, -1, PIECE_BUCKETS + d, nbytes)   # the older array: table 0 first
        add_used(core.server.stats, 0, -nbytes)
        freed += nbytes
    ds[d, ht.SIZE0] = 0
    ds[d, ht.SIZE1] = 0
    ds[d, ht.USED0] = 0
    ds[d, ht.USED1] = 0
    ds[d, ht.REHASHIDX] = -1
    return freed


@kernel
def _free_entry(core, policy, d, k):
    """One entry of dict ``d``: the key's pieces (main dict) or its expires entry. Returns bytes."""
    keys = core.keys
    memory = core.tables.memory
    if d == EXPIRES:
        release(memory, k, PIECE_EXPIRE, -1)
        keys.flags[k] = keys.flags[k] & (255 - HAS_TTL)
        entry = expire_entry_bytes(core.server.config[C_QUANTUM])
        charge_key_bytes(core, k, -entry)
        count_tag(core, k, TAG_EXPIRES, -1)
        return entry
    release(memory, k, PIECE_KEY, -1)                 # dictFreeKey: the key sds
    release_value(memory, k)                          # dictFreeVal: the value
    release(memory, k, PIECE_ENTRY, -1)               # the dictEntry
    policy_on_remove(policy, core, k)
    nbytes = keys.charged[0, k]
    keys.charged[0, k] = 0
    keys.flags[k] = keys.flags[k] & HAS_TTL           # the expires dict still holds its entry
    charge_key_bytes(core, k, -nbytes)
    count_tag(core, k, TAG_KEYS, -1)
    return nbytes
