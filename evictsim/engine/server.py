"""The simulated server: the keyspace arrays, the counters and the compiled kernels, wired together.

Python holds the state and hands arrays to the compiled functions; it never loops over requests.
The SimPy processes in :mod:`evictsim.engine.simulation` decide *when* each piece runs.
"""
from __future__ import annotations

import numpy as np

from evictsim.config import RedisConfig
from evictsim.engine import kernel
from evictsim.engine.evict import eviction_time_limit_us
from evictsim.engine.expire import expire_due_exact
from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.clocks import lru_clock
from evictsim.keyspace.memory import shared_integers_allowed
from evictsim.keyspace.rng import derive_seed
from evictsim.keyspace.state import KeyspaceArrays
from evictsim.metrics import counters as C
from evictsim.policies import POLICIES
from evictsim.policies.redis_pool import new_pool
from evictsim.traces.base import FILL_LOOK_ASIDE, RequestChunk

REHASH_BUCKETS_PER_CRON = 50_000   # dictRehashMilliseconds(1): ~500 batches of 100 buckets in 1 ms
_EXPIRY = {"redis": C.EXPIRY_REDIS, "lazy": C.EXPIRY_LAZY, "exact": C.EXPIRY_EXACT}


def effective_hz(cfg: RedisConfig) -> int:
    """``dynamic-hz``: double hz while clients/hz > 200, capped at 500."""
    hz = cfg.hz
    if cfg.dynamic_hz:
        while cfg.connected_clients // hz > 200 and hz < 500:
            hz = min(hz * 2, 500)
    return hz


def config_vectors(cfg: RedisConfig, fill: str, protocol_script: bool) -> tuple[np.ndarray, np.ndarray]:
    spec = POLICIES.get(cfg.maxmemory_policy, key="maxmemory-policy")
    c = np.zeros(C.N_CFG, np.int64)
    c[C.C_MAXMEMORY] = cfg.maxmemory
    c[C.C_POLICY] = spec.code
    c[C.C_SAMPLES] = cfg.maxmemory_samples
    c[C.C_EVICT_LIMIT_US] = eviction_time_limit_us(cfg.maxmemory_eviction_tenacity)
    c[C.C_HZ] = effective_hz(cfg)
    c[C.C_EFFORT] = cfg.active_expire_effort
    c[C.C_LFU_LOG_FACTOR] = cfg.lfu_log_factor
    c[C.C_LFU_DECAY_TIME] = cfg.lfu_decay_time
    c[C.C_LAZYFREE_EVICTION] = cfg.lazyfree_lazy_eviction
    c[C.C_LAZYFREE_EXPIRE] = cfg.lazyfree_lazy_expire
    c[C.C_LAZYFREE_SERVER_DEL] = cfg.lazyfree_lazy_server_del
    c[C.C_LAZYFREE_USER_DEL] = cfg.lazyfree_lazy_user_del
    c[C.C_EXPIRY_MODE] = _EXPIRY[cfg.expiry_mode]
    c[C.C_QUANTUM] = cfg.jemalloc_quantum
    c[C.C_FILL_LOOKASIDE] = fill == FILL_LOOK_ASIDE
    c[C.C_SHARED_INT_OK] = shared_integers_allowed(cfg.maxmemory, cfg.maxmemory_policy)
    c[C.C_HISTOGRAM_BYTES] = cfg.latency_histogram_bytes if cfg.latency_tracking else 0
    c[C.C_CLIENT_GROWTH] = cfg.client_buffer_growth
    c[C.C_SCRIPT_PROTOCOL] = protocol_script
    c[C.C_BATCH_US] = max(1, int(round(cfg.batch_interval * 1e6)))
    c[C.C_REHASH_BUCKETS_PER_CRON] = REHASH_BUCKETS_PER_CRON
    c[C.C_ACTIVEREHASHING] = cfg.activerehashing
    f = np.zeros(C.N_CFF, np.float64)
    f[C.CF_EXPIRE_KEY_COST_US] = cfg.expire_key_cost_us
    f[C.CF_EVICT_KEY_COST_US] = cfg.evict_key_cost_us
    f[C.CF_LAZYFREE_BYTES_PER_US] = cfg.lazyfree_bytes_per_s / 1e6
    return c, f


class ServerModel:
    """One simulated redis-server (db 0): state arrays + the operations the engine schedules."""

    def __init__(self, cfg: RedisConfig, *, seed: int, start_time: float, fill: str,
                 n_keys_hint: int | None = None, protocol_script: bool = True):
        self.cfg = cfg
        self.start_us = int(round(start_time * 1e6))
        self.hz = effective_hz(cfg)
        self.cfgv, self.cffv = config_vectors(cfg, fill, protocol_script)
        lazyfree = (cfg.lazyfree_lazy_eviction or cfg.lazyfree_lazy_expire or cfg.lazyfree_lazy_server_del
                    or cfg.lazyfree_lazy_user_del)
        self.ks = KeyspaceArrays(n_keys_hint or 1024, deferred_row=lazyfree)
        self.st, self.fst = C.new_state()
        self.pool_k, self.pool_s = new_pool()
        self.samp = np.zeros((2, 64), np.int64)     # sampled keys and their scores (eviction scratch)
        self.rng = np.array([derive_seed(seed, "server-rng")], dtype=np.uint64)
        self.hash_seed = np.uint64(derive_seed(seed, "hash-seed"))
        self.heap_t = np.zeros(0, np.int64)
        self.heap_k = np.zeros(0, np.int32)
        self.st[C.USED_MEMORY] = cfg.baseline_memory
        self.st[C.OVERHEAD_BYTES] = cfg.baseline_memory
        self.st[C.USED_MEMORY_PEAK] = cfg.baseline_memory
        self.st[C.LRU_CLOCK] = lru_clock(self.start_us // 1000)
        self.st[C.NEXT_LOOP_US] = self.start_us
        self.st[C.LAZYFREE_LAST_US] = self.start_us
        self.st[C.LUA_VALUE_ALLOC] = -1          # the Lua argument cache's value slot starts empty
        self.max_key = -1

    # --- requests ------------------------------------------------------------------------------
    def prepare(self, chunk: RequestChunk) -> np.ndarray:
        """Grow arrays for the chunk's key ids; return its times as absolute wall-clock µs."""
        mk = chunk.max_key
        if mk > self.max_key:
            self.max_key = mk
            self.ks.ensure(mk)
            if self.cfg.expiry_mode == "exact":
                self._grow_heap(2 * self.ks.capacity)
        return self.start_us + np.rint(chunk.time * 1e6).astype(np.int64)

    def _grow_heap(self, n: int) -> None:
        if len(self.heap_t) < n:
            self.heap_t = np.concatenate([self.heap_t, np.zeros(n - len(self.heap_t), np.int64)])
            self.heap_k = np.concatenate([self.heap_k, np.zeros(n - len(self.heap_k), np.int32)])

    def serve(self, t_us: np.ndarray, chunk: RequestChunk, lo: int, hi: int,
              outcomes: np.ndarray | None, memory: np.ndarray | None = None) -> None:
        ks = self.ks
        record = outcomes is not None
        kernel.process_requests(
            t_us, chunk.op, chunk.key, chunk.key_len, chunk.size, chunk.ttl_ms, chunk.vtype, lo, hi,
            outcomes if record else kernel.empty_outcomes(), record,
            memory if memory is not None else kernel.empty_memory_record(), memory is not None,
            self.cfgv, self.cffv, self.st,
            self.fst, ks.flags, ks.kbytes, ks.expire, ks.lru, ks.nx, ks.bk, ks.ds, self.pool_k,
            self.pool_s, self.samp, self.heap_t, self.heap_k, self.rng, self.hash_seed)

    # --- periodic work -------------------------------------------------------------------------
    def cron(self, now_us: int) -> None:
        ks = self.ks
        kernel.server_cron(now_us, self.cfgv, self.cffv, self.st, self.fst, ks.flags, ks.kbytes,
                           ks.expire, ks.lru, ks.nx, ks.bk, ks.ds, self.pool_k, self.pool_s, self.samp,
                           self.heap_t, self.heap_k, self.rng, self.hash_seed)

    def expire_exact(self, now_us: int) -> None:
        """``expiry-mode exact``: delete every key whose time has passed, before a reading."""
        if self.cfg.expiry_mode == "exact":
            ks = self.ks
            expire_due_exact(now_us // 1000, self.st, ks.flags, ks.kbytes, ks.expire, ks.nx, ks.bk, ks.ds,
                             self.heap_t, self.heap_k, self.hash_seed, self.cfg.jemalloc_quantum,
                             self.cfg.lazyfree_lazy_expire)

    def stale(self, now_us: int) -> tuple[int, int]:
        n = self.max_key + 1
        keys, nbytes = kernel.count_stale(self.ks.flags, self.ks.expire, n, now_us // 1000,
                                          self.cfg.jemalloc_quantum, self.ks.kbytes)
        return int(keys), int(nbytes)

    def note_info_command(self) -> None:
        """The monitoring INFO's own latency histogram (first INFO after the baseline reading)."""
        kernel.note_commands(np.int64(1 << C.CMD_INFO), self.cfgv, self.st)

    # --- checks --------------------------------------------------------------------------------
    def check_invariants(self) -> None:
        """used_memory = overhead + Σ key bytes + tables; dict counts match the per-key flags."""
        ks, st = self.ks, self.st
        n = self.max_key + 1
        flags = ks.flags[:n]
        present = int(np.count_nonzero(flags & 1))
        with_ttl = int(np.count_nonzero(flags & 2))
        entry = 32 if self.cfg.jemalloc_quantum == 16 else 24
        key_bytes = int(ks.kbytes[0, :n].sum(dtype=np.int64)) + with_ttl * entry
        tables = ht.table_bytes(ks.ds)
        problems = []
        if ht.dict_size(ks.ds, 0) != present:
            problems.append(f"main dict holds {ht.dict_size(ks.ds, 0)} keys, flags say {present}")
        if ht.dict_size(ks.ds, 1) != with_ttl:
            problems.append(f"expires dict holds {ht.dict_size(ks.ds, 1)} keys, flags say {with_ttl}")
        if st[C.KEY_BYTES] != key_bytes:
            problems.append(f"key bytes {st[C.KEY_BYTES]} != recomputed {key_bytes}")
        if st[C.TABLE_BYTES] != tables:
            problems.append(f"table bytes {st[C.TABLE_BYTES]} != recomputed {tables}")
        if st[C.USED_MEMORY] != st[C.OVERHEAD_BYTES] + key_bytes + tables + st[C.LAZYFREE_PENDING_BYTES]:
            problems.append("used_memory != overhead + key bytes + table bytes + pending lazy frees")
        if problems:
            raise AssertionError("keyspace invariant broken: " + "; ".join(problems))
