"""Replay a trace's allocations through the allocator model, without the simulator core.

For each request this computes the allocations a Redis 7.0 string keyspace makes and frees, in
Redis's order (MECHANICS §10.3-10.4, ``db.c``, ``object.c``): a new key allocates its value (raw: the
sds, then the robj; embstr up to 44 B: one block), the key copy (``sdsdup``) and the dictEntry (after
the table grew, if it had to); an overwrite allocates the new value and frees the old one (sds, then
robj); a DEL frees the key sds, the value and the entry. A GET miss is filled (look-aside). Bucket
arrays (8 B per bucket) are allocated when the dict doubles (``_dictExpandIfNeeded``: used >= size)
and the old array is freed at the next cron tick, when incremental rehashing has finished; the cron
also shrinks a table under 10% full (``htNeedsResize``). Every 100 ms of trace time the cron samples
the allocator (as ``cronUpdateMemoryStats`` does) and the background thread advances decay.

Scope: no TTLs, expiry or eviction (a TTL only adds its expires entry), which is what the ``frag_*``
reference runs are (noeviction, no limit, no TTL). The core's own wiring replaces this for real runs.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.decay import advance
from evictsim.keyspace.allocator.kernels import alloc_call as alloc
from evictsim.keyspace.allocator.kernels import free_call as free
from evictsim.keyspace.allocator.kernels import stats
from evictsim.keyspace.allocator.layout import P_PROCESS_RSS
from evictsim.traces.base import OP_DEL, OP_SET

DICT_ENTRY = 24
ROBJ = 16
EMBSTR_MAX = 44
DICT_MIN_SIZE = 4
MIN_FILL_PERCENT = 10
NO_HANDLE = np.iinfo(np.int64).min
# table[] slots: bucket count, used, handle of the bucket array, handle to free at the next tick
T_SIZE, T_USED, T_HANDLE, T_PENDING = 0, 1, 2, 3


@kernel
def _sds_alloc(length):
    if length < 32:
        return 1 + length + 1
    if length < 256:
        return 3 + length + 1
    if length < 65536:
        return 5 + length + 1
    return 9 + length + 1


@kernel
def _table_add(state, table, now_us):
    """One more entry: double the bucket array first if the dict is full (``_dictExpandIfNeeded``)."""
    if table[T_SIZE] == 0:
        table[T_SIZE] = DICT_MIN_SIZE
        table[T_HANDLE] = alloc(state, DICT_MIN_SIZE * 8, now_us)
    elif table[T_USED] >= table[T_SIZE]:
        if table[T_PENDING] != NO_HANDLE:
            free(state, table[T_PENDING], now_us)
        table[T_PENDING] = table[T_HANDLE]
        table[T_SIZE] *= 2
        table[T_HANDLE] = alloc(state, table[T_SIZE] * 8, now_us)
    table[T_USED] += 1


@kernel
def _table_cron(state, table, now_us):
    """The cron: finish a rehash (free the old array), shrink a table under 10% full."""
    if table[T_PENDING] != NO_HANDLE:
        free(state, table[T_PENDING], now_us)
        table[T_PENDING] = NO_HANDLE
    size = table[T_SIZE]
    if size > DICT_MIN_SIZE and table[T_USED] * 100 // size < MIN_FILL_PERCENT:
        target = DICT_MIN_SIZE
        while target < table[T_USED]:
            target *= 2
        table[T_PENDING] = table[T_HANDLE]
        table[T_SIZE] = target
        table[T_HANDLE] = alloc(state, target * 8, now_us)


@kernel
def _alloc_value(state, size, handles, k, now_us):
    """The value object: one embstr block, or the sds then its robj (``createRawStringObject``)."""
    if size <= EMBSTR_MAX:
        handles[k, 2] = alloc(state, ROBJ + 3 + size + 1, now_us)
        handles[k, 3] = NO_HANDLE
        return ROBJ + 3 + size + 1
    handles[k, 3] = alloc(state, _sds_alloc(size), now_us)
    handles[k, 2] = alloc(state, ROBJ, now_us)
    return _sds_alloc(size) + ROBJ


@kernel
def _free_value(state, handles, k, now_us):
    if handles[k, 3] != NO_HANDLE:
        free(state, handles[k, 3], now_us)
    free(state, handles[k, 2], now_us)


@kernel
def _usable(state, nbytes):
    from_lookup = state.lookup[(nbytes + 7) >> 3] if nbytes <= 16384 else -1
    if from_lookup >= 0:
        return state.class_size[from_lookup]
    i = 0
    while state.class_size[i] < nbytes:
        i += 1
    return state.class_size[i]


@kernel
def _value_usable(state, size):
    if size <= EMBSTR_MAX:
        return _usable(state, ROBJ + 3 + size + 1)
    return _usable(state, _sds_alloc(size)) + _usable(state, ROBJ)


# the compiled replay's bundles: the chunk's columns; the replayed keyspace (per-key handles and
# value sizes, both dicts, and Redis's used_memory so far as a 1-element array: zmalloc's count)
ReplayRequests = namedtuple("ReplayRequests", "time op key key_len size ttl_ms")
ReplayKeyspace = namedtuple("ReplayKeyspace", "handles value_size table expires used")


@kernel
def replay_kernel(state, requests, keyspace, tick_us, first_tick, out):
    """Replay requests, running the cron at ticks ``first_tick ..`` (``out.shape[0]`` of them: every
    tick after the last request too); ``out[j] = (t_us, allocated, active, resident, used_memory)``."""
    time, op, key, key_len, size, ttl_ms = requests
    handles, value_size, table, expires, used = keyspace
    n_ticks = out.shape[0]
    j = 0
    for i in range(len(op) + 1):
        now_us = np.int64(time[i] * 1e6) if i < len(op) else (first_tick + n_ticks) * tick_us
        while j < n_ticks and (first_tick + j) * tick_us <= now_us:
            t = (first_tick + j) * tick_us
            _table_cron(state, table, t)
            _table_cron(state, expires, t)
            advance(state, t)
            allocated, active, resident = stats(state)
            out[j, 0] = t
            out[j, 1] = allocated
            out[j, 2] = active
            out[j, 3] = resident
            out[j, 4] = used[0] + 8 * (table[T_SIZE] + expires[T_SIZE])
            j += 1
        if i == len(op):
            break
        k = key[i]
        present = value_size[k] >= 0
        if op[i] == OP_DEL:
            if present:
                if handles[k, 4] != NO_HANDLE:
                    free(state, handles[k, 4], now_us)
                    expires[T_USED] -= 1
                    used[0] -= _usable(state, DICT_ENTRY)
                free(state, handles[k, 1], now_us)
                _free_value(state, handles, k, now_us)
                free(state, handles[k, 0], now_us)
                table[T_USED] -= 1
                used[0] -= (_usable(state, _sds_alloc(key_len[i])) + _value_usable(state, value_size[k])
                         + _usable(state, DICT_ENTRY))
                value_size[k] = -1
            continue
        if present and op[i] != OP_SET:          # GET hit: nothing stays allocated
            continue
        if present:                               # overwrite: new value in, old value out
            old0, old1 = handles[k, 2], handles[k, 3]
            _alloc_value(state, size[i], handles, k, now_us)
            if old1 != NO_HANDLE:
                free(state, old1, now_us)
            free(state, old0, now_us)
            used[0] += _value_usable(state, size[i]) - _value_usable(state, value_size[k])
        else:
            _alloc_value(state, size[i], handles, k, now_us)
            handles[k, 1] = alloc(state, _sds_alloc(key_len[i]), now_us)
            _table_add(state, table, now_us)
            handles[k, 0] = alloc(state, DICT_ENTRY, now_us)
            used[0] += (_value_usable(state, size[i]) + _usable(state, _sds_alloc(key_len[i]))
                     + _usable(state, DICT_ENTRY))
        value_size[k] = size[i]
        if ttl_ms[i] > 0 and handles[k, 4] == NO_HANDLE:
            _table_add(state, expires, now_us)
            handles[k, 4] = alloc(state, DICT_ENTRY, now_us)
            used[0] += _usable(state, DICT_ENTRY)



class KeyspaceReplay:
    """The replayed keyspace (per-key handles, both dicts) and where its cron clock stands."""

    def __init__(self, state, n_keys: int, *, used_memory_base: int, tick_ms: int = 100):
        self.state, self.tick_ms = state, tick_ms
        self.handles = np.full((n_keys, 5), NO_HANDLE, np.int64)
        self.value_size = np.full(n_keys, -1, np.int64)
        self.table = np.array([0, 0, NO_HANDLE, NO_HANDLE], np.int64)
        self.expires = self.table.copy()
        self.used = np.array([used_memory_base], np.int64)
        self.next_tick = 0

    def run(self, chunk, until_s: float) -> dict:
        """Replay ``chunk`` (times >= the last call's ``until_s``) and the cron up to ``until_s``."""
        last_tick = int(np.floor(until_s * 1000 / self.tick_ms + 1e-9))
        n_ticks = max(0, last_tick - self.next_tick + 1)
        out = np.zeros((n_ticks, 5), np.int64)
        requests = ReplayRequests(chunk.time.astype(np.float64), chunk.op.astype(np.uint8),
                                  chunk.key.astype(np.int64), chunk.key_len.astype(np.int64),
                                  chunk.size.astype(np.int64), chunk.ttl_ms.astype(np.int64))
        keyspace = ReplayKeyspace(self.handles, self.value_size, self.table, self.expires, self.used)
        replay_kernel(self.state, requests, keyspace, np.int64(self.tick_ms * 1000),
                      np.int64(self.next_tick), out)
        self.next_tick += n_ticks
        rss = out[:, 3] + int(self.state.params[P_PROCESS_RSS])
        return {"t_s": out[:, 0] / 1e6, "allocator_allocated": out[:, 1], "allocator_active": out[:, 2],
                "allocator_resident": out[:, 3], "used_memory_rss": rss, "used_memory": out[:, 4]}


def replay(chunk, state, *, duration_s: float, used_memory_base: int, tick_ms: int = 100) -> dict:
    """Replay a whole ``RequestChunk`` into ``state``; the cron samples (bytes, seconds) as arrays."""
    n_keys = int(chunk.key.max()) + 1 if len(chunk) else 1
    keyspace = KeyspaceReplay(state, n_keys, used_memory_base=used_memory_base, tick_ms=tick_ms)
    return keyspace.run(chunk, duration_s)
