"""Redis 7.0 eviction (evict.c; MECHANICS §5.3–5.4): ``performEvictions`` with its time budget,
the persistent 16-slot pool of ``evictionPoolPopulate``, and ``dictGetRandomKey`` for the random
policies. The pool is a Python list of 16 slots, each None or ``(key, score)``, ascending.

What a policy is comes from its registry entry (:func:`evictsim.policies.policy_spec`): ``evicts``,
and for the redis-pool family ``params["scope"]``/``params["rank"]``. A plug-in policy (any other
family) names its victims through its twin (``ks.twin``, :mod:`evictsim.oracle.policy`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from evictsim.policies import PolicySpec, policy_spec

from evictsim.oracle.clocks import estimate_object_idle_time, lfu_decr_and_return, lfu_time_in_minutes
from evictsim.oracle.db import Keyspace, db_generic_delete
from evictsim.oracle.dict import RedisDict, dict_find, dict_get_random_key, dict_get_some_keys
from evictsim.oracle.lazyfree import lazyfree_progress

EVPOOL_SIZE = 16
EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2
ULLONG_MAX_AS_INT64 = (1 << 63) - 1      # the kernel's TTL score base; same order as ULLONG_MAX


@dataclass
class Evictor:
    """The policy and the state ``performEvictions`` keeps across calls."""

    policy: str                  # maxmemory-policy name
    samples: int
    limit_us: int                # evictionTimeLimitUs; -1 = unlimited
    key_cost_us: float           # modelled CPU per evicted key
    lazyfree_eviction: bool
    decay_time: int
    rng: object
    pool: list = field(default_factory=lambda: [None] * EVPOOL_SIZE)
    proc_running: bool = False   # isEvictionProcRunning (the 0-ms eviction time proc)
    proc_last_us: int = 0        # when the proc last ran (or was started)
    evicted_keys: int = 0
    spec: PolicySpec = field(init=False)      # the registry's entry for ``policy``

    def __post_init__(self) -> None:
        self.spec = policy_spec(self.policy)

    @property
    def scope(self) -> str | None:
        """allkeys or volatile, as the policy registry declares it (None: noeviction, or a plug-in)."""
        return self.spec.params.get("scope")

    @property
    def rank(self) -> str | None:
        """lru, lfu, ttl or random (None: noeviction, or a plug-in)."""
        return self.spec.params.get("rank")

    def candidates(self, ks: Keyspace) -> RedisDict:
        return ks.main if self.scope == "allkeys" else ks.expires


def eviction_time_limit_us(tenacity: int) -> int:
    """``evictionTimeLimitUs``: 50·t µs to t=10, then ×1.15 per step; 100 = unlimited (§5.3)."""
    if tenacity <= 10:
        return 50 * tenacity
    if tenacity < 100:
        return int(500.0 * 1.15 ** (tenacity - 10))
    return -1


def eviction_score(ev: Evictor, ks: Keyspace, key: int, now_ms: int, lruclock: int) -> int:
    """Higher = better victim: idle ms (LRU), 255 − decayed counter (LFU), earlier expiry (TTL)."""
    rec = ks.keys[key]
    if ev.rank == "lru":
        return estimate_object_idle_time(lruclock, rec.lru)
    if ev.rank == "lfu":
        return 255 - lfu_decr_and_return(rec.lru, lfu_time_in_minutes(now_ms), ev.decay_time)
    return ULLONG_MAX_AS_INT64 - rec.expire


def eviction_pool_insert(pool: list, key: int, score: int) -> None:
    """Insert keeping the pool ascending; a new score goes left of equal ones (§5.4)."""
    k = 0
    while k < EVPOOL_SIZE and pool[k] is not None and pool[k][1] < score:
        k += 1
    if k == 0 and pool[-1] is not None:
        return                                   # worse than everything in a full pool
    if k < EVPOOL_SIZE and pool[k] is None:
        pass                                     # an empty slot: store there
    elif pool[-1] is None:
        pool.insert(k, None)                     # room on the right: shift k..14 right
        pool.pop()
    else:
        k -= 1                                   # full: drop slot 0, shift 1..k-1 left
        pool.pop(0)
        pool.insert(k, None)
    pool[k] = (key, score)


def eviction_pool_populate(ev: Evictor, ks: Keyspace, now_ms: int, lruclock: int) -> None:
    """``evictionPoolPopulate``: ``dictGetSomeKeys`` on the candidate dict, score, merge."""
    sampledict = ev.candidates(ks)
    for key in dict_get_some_keys(sampledict, ev.samples, ev.rng):
        if sampledict is ks.expires and ev.rank != "ttl":
            dict_find(ks.main, key)              # the value lives in the main dict
        eviction_pool_insert(ev.pool, key, eviction_score(ev, ks, key, now_ms, lruclock))


def pool_best_key(ev: Evictor, ks: Keyspace) -> int | None:
    """Scan from slot 15 down; each visited slot is emptied; a key no longer in the candidate
    dict is a ghost and the scan goes on. None if only ghosts were there."""
    d = ev.candidates(ks)
    for i in range(EVPOOL_SIZE - 1, -1, -1):
        if ev.pool[i] is None:
            continue
        key = ev.pool[i][0]
        found = dict_find(d, key)
        ev.pool[i] = None
        if found:
            return key
    return None


def select_victim(ev: Evictor, ks: Keyspace, now_ms: int, lruclock: int, vtime: int) -> int | None:
    if ks.twin is not None:                      # a plug-in policy: its twin names the victim
        key = ks.twin.victim(vtime)
        if key is None or key == -1:
            return None
        assert key in ks.keys, f"{ev.policy}: victim {key} is not a resident key"
        return key
    d = ev.candidates(ks)
    if ev.rank == "random":
        return dict_get_random_key(d, ev.rng)
    while True:
        if len(d) == 0:
            return None
        eviction_pool_populate(ev, ks, now_ms, lruclock)
        key = pool_best_key(ev, ks)
        if key is not None:
            return key


def perform_evictions(ev: Evictor, ks: Keyspace, now_ms: int, lruclock: int, vtime: int) -> int:
    """``performEvictions``: free ``used − maxmemory`` bytes; every 16 keys check the budget and,
    past it, start the eviction time proc and let the command through (EVICT_RUNNING).

    A policy that does not evict (noeviction) returns EVICT_FAIL at once, without waiting for
    pending lazy frees (``goto update_metrics``, MECHANICS §5.3 step 2). ``vtime``: the index of the
    request being served (of the last one served, when the eviction time proc runs)."""
    if ks.maxmemory <= 0 or ks.used_memory <= ks.maxmemory:
        return EVICT_OK
    if not ev.spec.evicts:
        return EVICT_FAIL
    tofree = ks.used_memory - ks.maxmemory
    freed = keys_freed = 0
    while freed < tofree:
        key = select_victim(ev, ks, now_ms, lruclock, vtime)
        if key is None:
            return wait_for_lazyfree(ev, ks)
        before = ks.used_memory          # evict.c measures used_memory around dbSyncDelete
        db_generic_delete(ks, key, "eviction")
        freed += before - ks.used_memory
        ev.evicted_keys += 1
        keys_freed += 1
        if keys_freed % 16 == 0:
            if ev.lazyfree_eviction and ks.used_memory <= ks.maxmemory:
                break
            if ev.limit_us >= 0 and keys_freed * ev.key_cost_us > ev.limit_us:
                if not ev.proc_running:          # startEvictionTimeProc
                    ev.proc_running = True
                    ev.proc_last_us = now_ms * 1000
                break
    return EVICT_RUNNING if ev.proc_running else EVICT_OK


def wait_for_lazyfree(ev: Evictor, ks: Keyspace) -> int:
    """Nothing left to evict (§5.3 step 6): while lazy frees are pending, wait up to the time
    budget for the lazyfree thread; EVICT_OK if that brings used_memory under maxmemory."""
    if ks.lazyfree.pending_bytes > 0 and ev.limit_us > 0:
        lazyfree_progress(ks.lazyfree, ks.lazyfree.last_us + ev.limit_us)
        if ks.used_memory <= ks.maxmemory:
            return EVICT_OK
    return EVICT_FAIL
