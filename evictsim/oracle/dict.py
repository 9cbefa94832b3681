"""Redis 7.0's ``dict`` (dict.c; MECHANICS §6, §9) as Python lists: each table a list of buckets,
each bucket a list of keys with the chain head first (``dictAddRaw`` and rehashing insert at the
head). Two tables while rehashing; one bucket moved per step; bucket arrays cost 8 B per slot.

Functions are named after their dict.c counterparts and follow them statement by statement.
"""
from __future__ import annotations

from typing import Callable

from evictsim.keyspace.rng import py_key_hash

DICT_HT_INITIAL_SIZE = 4
HASHTABLE_MAX_LOAD_FACTOR = 1.618        # server.c dictExpandAllowed
HASHTABLE_MIN_FILL = 10                  # percent, server.h (cron shrink)

ExpandAllowed = Callable[[int, float], bool]    # (bytes of the new table, used/size) -> allowed


class RedisDict:
    """``dict``: ``table[0]``, ``table[1]`` (empty list = not allocated), ``used``, ``rehashidx``."""

    def __init__(self, hash_seed: int):
        self.hash_seed = hash_seed
        self.table: list[list[list[int]]] = [[], []]
        self.used = [0, 0]
        self.rehashidx = -1

    def __len__(self) -> int:                       # dictSize
        return self.used[0] + self.used[1]

    def size(self, t: int) -> int:
        return len(self.table[t])

    def slots(self) -> int:                         # dictSlots
        return self.size(0) + self.size(1)

    def is_rehashing(self) -> bool:
        return self.rehashidx != -1

    def bucket(self, t: int, key: int) -> list[int]:
        return self.table[t][py_key_hash(key, self.hash_seed) & (self.size(t) - 1)]

    def chain_of(self, key: int) -> list[int] | None:
        """The chain that holds ``key`` now (it lives in exactly one table), or None."""
        for t in (0, 1):
            if self.size(t) and key in self.bucket(t, key):
                return self.bucket(t, key)
        return None

    def next_entry(self, key: int) -> int | None:
        """``de->next`` as it is now: the key after ``key`` in its chain (None at the tail)."""
        chain = self.chain_of(key)
        i = chain.index(key)
        return chain[i + 1] if i + 1 < len(chain) else None

    def keys(self) -> list[int]:
        return [k for t in (0, 1) for chain in self.table[t] for k in chain]


def next_power(size: int) -> int:
    """``_dictNextExp`` as a size: the smallest power of two >= size, at least 4."""
    s = DICT_HT_INITIAL_SIZE
    while s < size:
        s *= 2
    return s


def dict_rehash(d: RedisDict, n: int) -> bool:
    """``dictRehash``: move up to n buckets, visiting at most 10·n empty ones. True if more to do."""
    if not d.is_rehashing():
        return False
    empty_visits = n * 10
    while n > 0 and d.used[0] != 0:
        n -= 1
        while not d.table[0][d.rehashidx]:
            d.rehashidx += 1
            empty_visits -= 1
            if empty_visits == 0:
                return True
        chain = d.table[0][d.rehashidx]
        for key in chain:                            # head to tail, each to the head of its new chain
            d.bucket(1, key).insert(0, key)
            d.used[0] -= 1
            d.used[1] += 1
        d.table[0][d.rehashidx] = []
        d.rehashidx += 1
    if d.used[0] == 0:                               # done: free table 0, table 1 becomes table 0
        d.table = [d.table[1], []]
        d.used = [d.used[1], 0]
        d.rehashidx = -1
        return False
    return True


def dict_rehash_step(d: RedisDict) -> None:
    """``_dictRehashStep``: one bucket, done by every find, add, delete and random-key call."""
    if d.is_rehashing():
        dict_rehash(d, 1)


def dict_expand(d: RedisDict, size: int) -> bool:
    """``_dictExpand``: allocate table 0 (first time) or table 1 and start rehashing."""
    if d.is_rehashing() or d.used[0] > size:
        return False
    new = next_power(size)
    if new == d.size(0):
        return False
    if d.size(0) == 0:
        d.table[0] = [[] for _ in range(new)]
    else:
        d.table[1] = [[] for _ in range(new)]
        d.rehashidx = 0
    return True


def dict_expand_if_needed(d: RedisDict, expand_allowed: ExpandAllowed) -> None:
    """``_dictExpandIfNeeded`` with ``dictTypeExpandAllowed`` (the maxmemory veto, §9)."""
    if d.is_rehashing():
        return
    if d.size(0) == 0:
        dict_expand(d, DICT_HT_INITIAL_SIZE)
        return
    if d.used[0] >= d.size(0):       # also covers used/size > dict_force_resize_ratio
        if expand_allowed(8 * next_power(d.used[0] + 1), d.used[0] / d.size(0)):
            dict_expand(d, d.used[0] + 1)


def dict_add(d: RedisDict, key: int, expand_allowed: ExpandAllowed) -> None:
    """``dictAddRaw`` of a new key: rehash step, expansion check, head insert (table 1 while rehashing)."""
    dict_rehash_step(d)
    dict_expand_if_needed(d, expand_allowed)
    t = 1 if d.is_rehashing() else 0
    d.bucket(t, key).insert(0, key)
    d.used[t] += 1


def dict_find(d: RedisDict, key: int) -> bool:
    """``dictFind``: nothing on an empty dict; otherwise a rehash step, then the lookup."""
    if len(d) == 0:
        return False
    dict_rehash_step(d)
    return d.chain_of(key) is not None


def dict_delete(d: RedisDict, key: int) -> bool:
    """``dictGenericDelete`` (dictDelete / dictUnlink): rehash step, then unlink if present."""
    if len(d) == 0:
        return False
    dict_rehash_step(d)
    for t in (0, 1) if d.is_rehashing() else (0,):
        chain = d.bucket(t, key)
        if key in chain:
            chain.remove(key)
            d.used[t] -= 1
            return True
    return False


def dict_get_some_keys(d: RedisDict, count: int, rng) -> list[int]:
    """``dictGetSomeKeys`` (7.0.12+): consecutive buckets from a random start, with reservoir
    sampling over chain tails; may return fewer keys than asked, and duplicates (§6)."""
    count = min(count, len(d))
    maxsteps = count * 10
    for _ in range(count):
        if not d.is_rehashing():
            break
        dict_rehash_step(d)
    tables = 2 if d.is_rehashing() else 1
    maxsizemask = max(d.size(0), d.size(1) if tables == 2 else 0) - 1
    i = rng.next() & maxsizemask
    emptylen = 0
    stored = 0
    out: list[int] = []
    while stored < count and maxsteps > 0:
        maxsteps -= 1
        for j in range(tables):
            if tables == 2 and j == 0 and i < d.rehashidx:
                # table 0 below rehashidx is empty; past table 1's end both are: jump
                if i >= d.size(1):
                    i = d.rehashidx
                else:
                    continue
            if i >= d.size(j):
                continue
            chain = d.table[j][i]
            if not chain:
                emptylen += 1
                if emptylen >= 5 and emptylen > count:
                    i = rng.next() & maxsizemask
                    emptylen = 0
                continue
            emptylen = 0
            for key in chain:
                if stored < count:
                    out.append(key)
                else:
                    r = rng.next() % (stored + 1)
                    if r < count:
                        out[r] = key
                stored += 1
            if stored >= count:
                return out
        i = (i + 1) & maxsizemask
    return out


def dict_get_random_key(d: RedisDict, rng) -> int | None:
    """``dictGetRandomKey``: a random non-empty bucket, then a uniform element of its chain."""
    if len(d) == 0:
        return None
    dict_rehash_step(d)
    if d.is_rehashing():
        s0 = d.size(0)
        while True:     # no keys below rehashidx in table 0
            h = d.rehashidx + rng.next() % (d.slots() - d.rehashidx)
            chain = d.table[1][h - s0] if h >= s0 else d.table[0][h]
            if chain:
                break
    else:
        mask = d.size(0) - 1
        while True:
            chain = d.table[0][rng.next() & mask]
            if chain:
                break
    return chain[rng.next() % len(chain)]


def dict_resize(d: RedisDict) -> None:
    """``tryResizeHashTables`` → ``htNeedsResize`` + ``dictResize`` (cron only; 7.0 never shrinks
    on delete): a table under 10% full shrinks to the smallest power of two holding its keys."""
    size, used = d.slots(), len(d)
    if size > DICT_HT_INITIAL_SIZE and used * 100 // size < HASHTABLE_MIN_FILL and not d.is_rehashing():
        dict_expand(d, max(d.used[0], DICT_HT_INITIAL_SIZE))
