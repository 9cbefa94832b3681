"""Redis 7.0's sampled eviction: the persistent 16-slot pool (``evictionPoolPopulate``) and the
victim choice of ``performEvictions`` for the LRU, LFU, TTL and random policies (MECHANICS §5.3–5.4).

The pool is kept across calls; scores are frozen at sampling time (a key touched after it entered
the pool can still be evicted on its old score); the same key can fill two slots (the second is a
ghost when popped); among equal scores the earliest inserted is evicted first. Sampling goes through
the hash-table model (``dictGetSomeKeys``/``dictGetRandomKey``), not uniform draws.
"""
from __future__ import annotations

import numpy as np
from evictsim.jit import kernel

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.clocks import idle_ms, lfu_decr, lfu_minutes
from evictsim.keyspace.ops import EXPIRES, HAS_TTL, MAIN, PRESENT, add_used, dict_find_step
from evictsim.metrics.counters import LRU_CLOCK
from evictsim.policies import RANK_LFU, RANK_LRU, RANK_RANDOM, RANK_TTL

EVPOOL_SIZE = 16
INT64_MAX = np.iinfo(np.int64).max


def new_pool() -> tuple[np.ndarray, np.ndarray]:
    return np.full(EVPOOL_SIZE, -1, np.int32), np.zeros(EVPOOL_SIZE, np.int64)


@kernel
def policy_rank(policy):
    if policy == 1 or policy == 4:
        return RANK_LRU
    if policy == 2 or policy == 5:
        return RANK_LFU
    if policy == 3 or policy == 6:
        return RANK_RANDOM
    if policy == 7:
        return RANK_TTL
    return 0


@kernel
def candidate_dict(policy):
    return EXPIRES if policy >= 4 else MAIN


@kernel
def score(rank, k, lru, expire, st, now_ms, decay_time):
    """Higher = better victim: idle ms (LRU), 255 − decayed counter (LFU), earlier expiry (TTL)."""
    if rank == RANK_LRU:
        return idle_ms(st[LRU_CLOCK], lru[k])
    if rank == RANK_LFU:
        return 255 - lfu_decr(lru[k], lfu_minutes(now_ms), decay_time)
    return INT64_MAX - expire[k]


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


@kernel
def pool_populate(policy, samples, samp, pool_k, pool_s, flags, lru, expire, nx, bk, ds, st,
                  now_ms, decay_time, rng, seed):
    """``evictionPoolPopulate``: sample the candidate dict and merge the samples into the pool.

    ``samp[0]`` receives the sampled keys, ``samp[1]`` their scores. All scores are read first, in a
    loop of independent loads whose cache misses overlap (with a million keys they are the cost of
    eviction); the rehash steps and pool insertions then follow in Redis's order (a score depends
    on neither).
    """
    d = candidate_dict(policy)
    rank = policy_rank(policy)
    keys = samp[0]
    scores = samp[1]
    count, freed = ht.get_some_keys(bk, ds, nx, d, keys, samples, rng, seed)
    add_used(st, 0, -freed)
    for j in range(count):
        scores[j] = score(rank, keys[j], lru, expire, st, now_ms, decay_time)
    for j in range(count):
        if d == EXPIRES and rank != RANK_TTL:
            dict_find_step(bk, ds, nx, st, MAIN, seed)   # the value is looked up in the main dict
        pool_insert(pool_k, pool_s, keys[j], scores[j])


@kernel
def pool_pop_victim(policy, pool_k, pool_s, flags, nx, bk, ds, st, seed):
    """Scan the pool from the best slot; each popped slot is cleared; ghosts are skipped.

    Returns the victim key id, or -1 if every occupied slot was a ghost (or the pool is empty).
    """
    d = candidate_dict(policy)
    need = HAS_TTL if d == EXPIRES else PRESENT
    for i in range(EVPOOL_SIZE - 1, -1, -1):
        k = pool_k[i]
        if k == -1:
            continue
        dict_find_step(bk, ds, nx, st, d, seed)
        pool_k[i] = -1
        pool_s[i] = 0
        if flags[k] & need:
            return k
    return -1


@kernel
def select_victim(policy, samples, samp, pool_k, pool_s, flags, lru, expire, nx, bk, ds, st, now_ms,
                  decay_time, rng, seed):
    """One victim for ``performEvictions``, or -1 when the candidate dict is empty."""
    d = candidate_dict(policy)
    if policy_rank(policy) == RANK_RANDOM:
        k, freed = ht.get_random_key(bk, ds, nx, d, rng, seed)
        add_used(st, 0, -freed)
        return k
    while True:
        if ht.dict_size(ds, d) == 0:
            return -1
        pool_populate(policy, samples, samp, pool_k, pool_s, flags, lru, expire, nx, bk, ds, st,
                      now_ms, decay_time, rng, seed)
        k = pool_pop_victim(policy, pool_k, pool_s, flags, nx, bk, ds, st, seed)
        if k != -1:
            return k
