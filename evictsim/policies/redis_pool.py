"""Redis 7.0's sampled eviction: the persistent 16-slot pool (``evictionPoolPopulate``) and the
victim choice of ``performEvictions`` for the LRU, LFU, TTL and random policies (MECHANICS §5.3–5.4),
as one policy family of the compiled contract (:mod:`evictsim.policies.contract`).

The pool is kept across calls; scores are frozen at sampling time (a key touched after it entered
the pool can still be evicted on its old score); the same key can fill two slots (the second is a
ghost when popped); among equal scores the earliest inserted is evicted first. Sampling goes through
the hash-table model (``dictGetSomeKeys``/``dictGetRandomKey``), not uniform draws.

The state keeps each key's 24-bit ``lru`` field (Redis's ``robj.lru``: the LRU stamp in seconds, or
the LFU field: minutes << 8 | log counter), the pool, a sample buffer and the family's parameters
(rank, candidate dict, samples, LFU factors): one compiled specialisation serves all eight names.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from evictsim.jit import kernel
from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.clocks import idle_ms, lfu_decr, lfu_minutes, lfu_new, lfu_touch
from evictsim.keyspace.prefetch import prefetch
from evictsim.keyspace.ops import EXPIRES, HAS_TTL, MAIN, PRESENT, add_used, dict_find_step
from evictsim.keyspace.state import _grow
from evictsim.metrics.counters import LRU_CLOCK
from evictsim.policies.contract import register_hooks

EVPOOL_SIZE = 16
SAMPLE_BUFFER = 64
INT64_MAX = np.iinfo(np.int64).max
RANK_NONE, RANK_LRU, RANK_LFU, RANK_RANDOM, RANK_TTL = 0, 1, 2, 3, 4
# params slots
P_RANK, P_DICT, P_SAMPLES, P_LOG_FACTOR, P_DECAY_TIME = 0, 1, 2, 3, 4

RedisPoolState = namedtuple("RedisPoolState", "field pool_keys pool_scores samples params")


def new_state(capacity: int, *, rank: int, volatile: bool, samples: int, lfu_log_factor: int,
              lfu_decay_time: int) -> RedisPoolState:
    params = np.array([rank, EXPIRES if volatile else MAIN, samples, lfu_log_factor, lfu_decay_time],
                      np.int64)
    return RedisPoolState(np.zeros(capacity, np.int32), np.full(EVPOOL_SIZE, -1, np.int32),
                          np.zeros(EVPOOL_SIZE, np.int64), np.zeros((2, SAMPLE_BUFFER), np.int64), params)


def grow_state(state: RedisPoolState, capacity: int) -> RedisPoolState:
    return state._replace(field=_grow(state.field, capacity, 0))


@kernel
def score(state, core, k, now_ms):
    """Higher = better victim: idle ms (LRU), 255 − decayed counter (LFU), earlier expiry (TTL)."""
    rank = state.params[P_RANK]
    if rank == RANK_LRU:
        return idle_ms(core.server.stats[LRU_CLOCK], state.field[k])
    if rank == RANK_LFU:
        return 255 - lfu_decr(state.field[k], lfu_minutes(now_ms), state.params[P_DECAY_TIME])
    return INT64_MAX - core.keys.expire[k]


@kernel
def pool_insert(pool_k, pool_s, k, s):
    """Insert (key, score) keeping the pool ascending; ties go left of equal scores."""
    i = 0
    while i < EVPOOL_SIZE and pool_k[i] != -1 and pool_s[i] < s:
        i += 1
    last = EVPOOL_SIZE - 1
    if i == 0 and pool_k[last] != -1:
        return                                  # worse than everything in a full pool
    if i < EVPOOL_SIZE and pool_k[i] == -1:
        pass                                    # empty slot: store here
    elif pool_k[last] == -1:
        for j in range(last, i, -1):            # room at the right end: shift right
            pool_k[j] = pool_k[j - 1]
            pool_s[j] = pool_s[j - 1]
    else:
        i -= 1                                  # full: drop slot 0, shift left
        for j in range(0, i):
            pool_k[j] = pool_k[j + 1]
            pool_s[j] = pool_s[j + 1]
    pool_k[i] = k
    pool_s[i] = s


@kernel(inline=True)
def pool_populate(state, core, now_ms):
    """``evictionPoolPopulate``: sample the candidate dict and merge the samples into the pool.

    ``samples[0]`` receives the sampled keys, ``samples[1]`` their scores. All scores are read first,
    in a loop of independent loads whose cache misses overlap (with a million keys they are the cost
    of eviction); the rehash steps and pool insertions then follow in Redis's order (a score depends
    on neither).
    """
    d = state.params[P_DICT]
    keys = state.samples[0]
    scores = state.samples[1]
    count, freed = ht.get_some_keys(core.tables, d, keys, state.params[P_SAMPLES], core.server.rng)
    add_used(core.server.stats, 0, -freed)
    for j in range(count):
        scores[j] = score(state, core, keys[j], now_ms)
    ttl_rank = state.params[P_RANK] == RANK_TTL
    for j in range(count):
        if d == EXPIRES and not ttl_rank:
            dict_find_step(core, MAIN)                # the value is looked up in the main dict
        pool_insert(state.pool_keys, state.pool_scores, keys[j], scores[j])


@kernel(inline=True)
def pool_pop_victim(state, core):
    """Scan the pool from the best slot; each popped slot is cleared; ghosts are skipped.

    Returns the victim key id, or -1 if every occupied slot was a ghost (or the pool is empty).
    """
    d = state.params[P_DICT]
    need = HAS_TTL if d == EXPIRES else PRESENT
    pool_k = state.pool_keys
    for i in range(EVPOOL_SIZE - 1, -1, -1):
        k = pool_k[i]
        if k == -1:
            continue
        dict_find_step(core, d)
        pool_k[i] = -1
        state.pool_scores[i] = 0
        if core.keys.flags[k] & need:
            return k
    return -1


@kernel(inline=True)
def victim(state, core, now_ms):
    """One victim for ``performEvictions``, or -1 when the candidate dict is empty."""
    d = state.params[P_DICT]
    if state.params[P_RANK] == RANK_RANDOM:
        k, freed = ht.get_random_key(core.tables, d, core.server.rng)
        add_used(core.server.stats, 0, -freed)
        return k
    while True:
        if ht.dict_size(core.tables, d) == 0:
            return -1
        pool_populate(state, core, now_ms)
        k = pool_pop_victim(state, core)
        if k != -1:
            return k


@kernel
def on_hit(state, core, k, size, now_ms, vtime, next_vtime):
    """A lookup touches the object: LFU's logarithmic counter (with decay), else the LRU stamp.
    An overwrite does the same (the write lookup touches the old object; dbOverwrite keeps it)."""
    if state.params[P_RANK] == RANK_LFU:
        state.field[k] = lfu_touch(state.field[k], lfu_minutes(now_ms), state.params[P_DECAY_TIME],
                                   state.params[P_LOG_FACTOR], core.server.rng)
    else:
        state.field[k] = core.server.stats[LRU_CLOCK]


@kernel
def on_insert(state, core, k, size, now_ms, vtime, next_vtime):
    """A new object: LFU_INIT_VAL at the current minute, or the current LRU stamp."""
    if state.params[P_RANK] == RANK_LFU:
        state.field[k] = lfu_new(lfu_minutes(now_ms))
    else:
        state.field[k] = core.server.stats[LRU_CLOCK]


@kernel
def on_remove(state, core, k):
    """Nothing: the pool keeps a removed key as a ghost (skipped when popped), as Redis does."""
    return None


@kernel(inline=True)
def prefetch_field(state, k):
    """The field ``on_hit`` and ``on_insert`` write (a random position: 4 MB per million keys)."""
    prefetch(state.field, k)


register_hooks(RedisPoolState, on_hit=on_hit, on_insert=on_insert, on_remove=on_remove, victim=victim,
               prefetch=prefetch_field)
