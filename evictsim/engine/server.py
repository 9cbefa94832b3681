"""The simulated server: the keyspace arrays, the counters and the compiled kernels, wired together.

Python holds the state and hands arrays to the compiled functions; it never loops over requests.
The SimPy processes in :mod:`evictsim.engine.simulation` decide *when* each piece runs.
"""
from __future__ import annotations

import numba
import numpy as np

from evictsim.config import RedisConfig
from evictsim.engine import event_loop, kernel
from evictsim.engine.evict import eviction_time_limit_us
from evictsim.jit import entry_point
from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.allocation import fitted, memory_arena, memory_cron, memory_live_bytes, new_model
from evictsim.keyspace.clocks import lru_clock
from evictsim.keyspace.memory import main_entry_request, shared_integers_allowed
from evictsim.keyspace.rng import derive_seed
from evictsim.keyspace.state import Core, ExpiryHeap, KeyspaceArrays, Server
from evictsim.metrics import counters as C
from evictsim.metrics.readings import take_reading
from evictsim.metrics.namespaces import TAG_BYTES, TAG_EXPIRES, TAG_KEYS, new_tag_stats
from evictsim.policies import policy_spec
from evictsim.traces.base import FILL_LOOK_ASIDE, RequestChunk

# requests one event-loop call may serve when the memory model needs room per request (its queue)
LOOP_REQUESTS_WITH_QUEUE = 1 << 16
REHASH_BUCKETS_PER_CRON = 50_000   # dictRehashMilliseconds(1): ~500 batches of 100 buckets in 1 ms
_INT = numba.types.int64
_EXPIRY = {"redis": C.EXPIRY_REDIS, "lazy": C.EXPIRY_LAZY, "exact": C.EXPIRY_EXACT}


def effective_hz(cfg: RedisConfig) -> int:
    """``dynamic-hz``: double hz while clients/hz > 200, capped at 500."""
    hz = cfg.hz
    if cfg.dynamic_hz:
        while cfg.connected_clients // hz > 200 and hz < 500:
            hz = min(hz * 2, 500)
    return hz


def config_vectors(cfg: RedisConfig, fill: str, protocol_script: bool) -> tuple[np.ndarray, np.ndarray]:
    spec = policy_spec(cfg.maxmemory_policy)
    c = np.zeros(C.N_CFG, np.int64)
    c[C.C_MAXMEMORY] = cfg.maxmemory
    c[C.C_POLICY] = 1 if spec.evicts else 0          # 0: noeviction (refuse writes instead)
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
    c[C.C_LAZYFREE_USER_FLUSH] = cfg.lazyfree_lazy_user_flush
    c[C.C_EXPIRY_MODE] = _EXPIRY[cfg.expiry_mode]
    c[C.C_QUANTUM] = cfg.jemalloc_quantum
    c[C.C_FILL_LOOKASIDE] = fill == FILL_LOOK_ASIDE
    c[C.C_SHARED_INT_OK] = shared_integers_allowed(cfg.maxmemory, spec.no_shared_integers)
    c[C.C_HISTOGRAM_BYTES] = cfg.latency_histogram_bytes if cfg.latency_tracking else 0
    c[C.C_CLIENT_GROWTH] = cfg.client_buffer_growth
    c[C.C_SCRIPT_PROTOCOL] = protocol_script
    c[C.C_BATCH_US] = max(1, int(round(cfg.batch_interval * 1e6)))
    c[C.C_REHASH_BUCKETS_PER_CRON] = REHASH_BUCKETS_PER_CRON
    c[C.C_ACTIVEREHASHING] = cfg.activerehashing
    c[C.C_MAIN_ENTRY] = main_entry_request(cfg.cluster_enabled)
    f = np.zeros(C.N_CFF, np.float64)
    f[C.CF_EXPIRE_KEY_COST_US] = cfg.expire_key_cost_us
    f[C.CF_EVICT_KEY_COST_US] = cfg.evict_key_cost_us
    f[C.CF_LAZYFREE_BYTES_PER_US] = cfg.lazyfree_bytes_per_s / 1e6
    return c, f


class ServerModel:
    """One simulated redis-server (db 0): state arrays + the operations the engine schedules.

    The compiled kernels receive two bundles, rebuilt whenever a chunk brings new key ids and the
    arrays grow: ``core`` (keys, tables with the memory model, counters, expiry heap) and ``policy`` (the
    policy's own state, built by its :class:`~evictsim.policies.PolicySpec`).
    """

    def __init__(self, cfg: RedisConfig, *, seed: int, start_time: float, fill: str,
                 n_keys_hint: int | None = None, protocol_script: bool = True, n_namespaces: int = 0):
        self.cfg = cfg
        self.spec = policy_spec(cfg.maxmemory_policy)
        self.start_us = int(round(start_time * 1e6))
        self.hz = effective_hz(cfg)
        self.cfgv, self.cffv = config_vectors(cfg, fill, protocol_script)
        lazyfree = (cfg.lazyfree_lazy_eviction or cfg.lazyfree_lazy_expire or cfg.lazyfree_lazy_server_del
                    or cfg.lazyfree_lazy_user_del)
        self.ks = KeyspaceArrays(n_keys_hint or 1024, deferred_row=lazyfree,
                                 seed=derive_seed(seed, "hash-seed"))
        self.policy_state = self.spec.new_state(self.ks.capacity, cfg)
        self.st, self.fst = C.new_state()
        self.tag_stats = new_tag_stats(n_namespaces)
        self.rng = np.array([derive_seed(seed, "server-rng")], dtype=np.uint64)
        self.heap = ExpiryHeap(np.zeros(0, np.int64), np.zeros(0, np.int32))
        self.memory = new_model(cfg, self.ks.capacity)      # allocator-model: the allocator hook's bundle
        self.st[C.USED_MEMORY] = cfg.baseline_memory
        self.st[C.OVERHEAD_BYTES] = cfg.baseline_memory
        self.st[C.USED_MEMORY_PEAK] = cfg.baseline_memory
        self.st[C.LRU_CLOCK] = lru_clock(self.start_us // 1000)
        self.st[C.NEXT_LOOP_US] = self.start_us
        self.st[C.LAZYFREE_LAST_US] = self.start_us
        self.st[C.LUA_VALUE_ALLOC] = -1          # the Lua argument cache's value slot starts empty
        self.max_key = -1
        self.loop_requests = (1 << 62) if cfg.allocator_model == "none" else LOOP_REQUESTS_WITH_QUEUE
        self._bundle()

    def _bundle(self) -> None:
        server = Server(self.cfgv, self.cffv, self.st, self.fst, self.rng, self.tag_stats)
        self.core = Core(self.ks.keys_bundle(), self.ks.tables_bundle(self.memory), server, self.heap)
        # kernels are called through entry points resolved for these bundles' types (jit.entry_point)
        self._core_type = numba.typeof(self.core)
        self._policy_type = numba.typeof(self.policy_state)
        self._entries: dict[str, object] = {}
        self._serve_key: tuple | None = None

    def _entry(self, name: str, *rest_types):
        """The kernel ``name`` of :mod:`~evictsim.engine.kernel`, taking the core and the policy state
        first, resolved once per bundle."""
        entry = self._entries.get(name)
        if entry is None:
            head = (self._core_type, self._policy_type)
            entry = self._entries[name] = entry_point(getattr(kernel, name), head + rest_types)
        return entry

    # --- requests ------------------------------------------------------------------------------
    def prepare(self, chunk: RequestChunk) -> np.ndarray:
        """Grow arrays for the chunk's key ids; return its times as absolute wall-clock µs."""
        mk = chunk.max_key
        if mk > self.max_key:
            self.max_key = mk
            if self.ks.ensure(mk):
                self.policy_state = self.spec.grow(self.policy_state, self.ks.capacity)
            if self.cfg.expiry_mode == "exact":
                self._grow_heap(2 * self.ks.capacity)
            self._bundle()
        return self.start_us + np.rint(chunk.time * 1e6).astype(np.int64)

    def tag_keys(self, keys: np.ndarray, tags: np.ndarray) -> None:
        """Namespace index of each key id in ``keys`` (before they are served: counters per tag)."""
        self.ks.tags[keys] = tags

    def _grow_heap(self, n: int) -> None:
        times, keys = self.heap
        if len(times) < n:
            self.heap = ExpiryHeap(np.concatenate([times, np.zeros(n - len(times), np.int64)]),
                                   np.concatenate([keys, np.zeros(n - len(keys), np.int32)]))

    def _request_bundles(self, t_us: np.ndarray, chunk: RequestChunk, outcomes, memory, next_access):
        """The chunk's arrays (and the recording arrays) as the kernels take them, built once per
        chunk: the cached tuples keep these arrays alive, so their ids cannot be reused."""
        key = (id(t_us), id(chunk.op), id(chunk.key), id(chunk.key_len), id(chunk.size), id(chunk.ttl_ms),
               id(chunk.vtype), id(outcomes), id(memory), id(next_access))
        if key != self._serve_key:
            requests = kernel.Requests(t_us, chunk.op, chunk.key, chunk.key_len, chunk.size, chunk.ttl_ms,
                                       chunk.vtype,
                                       kernel.no_next_access() if next_access is None else next_access)
            recording = kernel.Recording(outcomes if outcomes is not None else kernel.empty_outcomes(),
                                         memory if memory is not None else kernel.empty_memory_record(),
                                         outcomes is not None, memory is not None)
            self._serve_args = (requests, recording)
            self._request_types = (numba.typeof(requests), numba.typeof(recording))
            self._serve = self._loop = None
            self._serve_key = key
        return self._serve_args

    def _fit_memory(self, n_requests: int) -> None:
        model = fitted(self.memory, self.ks.capacity, n_requests)    # room for these keys and requests
        if model is not self.memory:
            self.memory = model
            self._bundle()

    def serve(self, t_us: np.ndarray, chunk: RequestChunk, lo: int, hi: int,
              outcomes: np.ndarray | None, memory: np.ndarray | None = None,
              next_access: np.ndarray | None = None) -> None:
        self._fit_memory(hi - lo)
        requests, recording = self._request_bundles(t_us, chunk, outcomes, memory, next_access)
        if self._serve is None:
            requests_type, recording_type = self._request_types
            self._serve = entry_point(kernel.process_requests, (requests_type, _INT, _INT, recording_type,
                                                                self._core_type, self._policy_type))
        self._serve(requests, lo, hi, recording, self.core, self.policy_state)

    def run_loop(self, t_us: np.ndarray, chunk: RequestChunk, outcomes: np.ndarray | None,
                 memory: np.ndarray | None, next_access: np.ndarray | None, readings: np.ndarray,
                 sched: np.ndarray) -> int:
        """Run the compiled event loop (:mod:`evictsim.engine.event_loop`) from ``sched`` over this
        chunk until it stops; returns why. A memory model that keeps per-call room (the jemalloc
        model's queue) bounds how many requests one call may serve."""
        pos = int(sched[event_loop.POS])
        serve_hi = min(len(t_us), pos + self.loop_requests)
        self._fit_memory(serve_hi - pos)
        requests, recording = self._request_bundles(t_us, chunk, outcomes, memory, next_access)
        arena = memory_arena(self.memory)
        if self._loop is None:
            requests_type, recording_type = self._request_types
            self._loop = entry_point(event_loop.run_event_loop,
                                     (requests_type, _INT, recording_type, self._core_type, self._policy_type,
                                      numba.typeof(arena), numba.typeof(readings), numba.typeof(sched)))
        return int(self._loop(requests, serve_hi, recording, self.core, self.policy_state, arena, readings,
                              sched))

    def take_reading(self, readings: np.ndarray, row: int, now_us: int, rel_us: int, info_note: bool) -> None:
        """Row ``row`` of ``readings`` (:mod:`evictsim.metrics.readings`), taken from Python."""
        arena = memory_arena(self.memory)
        entry = self._entries.get("take_reading")
        if entry is None:
            entry = self._entries["take_reading"] = entry_point(
                take_reading, (self._core_type, self._policy_type, numba.typeof(arena), numba.typeof(readings),
                               _INT, _INT, _INT, numba.types.boolean))
        entry(self.core, self.policy_state, arena, readings, row, now_us, rel_us, info_note)

    # --- periodic work -------------------------------------------------------------------------
    def cron(self, now_us: int) -> None:
        """One serverCron tick called from Python (the call-overhead benchmark; runs tick inside the
        compiled event loop)."""
        self._entry("server_cron", _INT)(self.core, self.policy_state, now_us)
        memory_cron(self.memory, now_us, self.st[C.USED_MEMORY])   # the allocator model's clock

    # --- checks --------------------------------------------------------------------------------
    def check_invariants(self) -> None:
        """used_memory = overhead + Σ key bytes + tables; dict counts match the per-key flags;
        namespace rows add up to the instance's keys and bytes."""
        ks, st = self.ks, self.st
        n = self.max_key + 1
        flags = ks.flags[:n]
        present = int(np.count_nonzero(flags & 1))
        with_ttl = int(np.count_nonzero(flags & 2))
        entry = 32 if self.cfg.jemalloc_quantum == 16 else 24
        key_bytes = int(ks.kbytes[0, :n].sum(dtype=np.int64)) + with_ttl * entry
        tables = ht.table_bytes(ks.ds)
        main, expires = ks.dict_sizes()
        problems = []
        if main != present:
            problems.append(f"main dict holds {main} keys, flags say {present}")
        if expires != with_ttl:
            problems.append(f"expires dict holds {expires} keys, flags say {with_ttl}")
        if st[C.KEY_BYTES] != key_bytes:
            problems.append(f"key bytes {st[C.KEY_BYTES]} != recomputed {key_bytes}")
        if st[C.TABLE_BYTES] != tables:
            problems.append(f"table bytes {st[C.TABLE_BYTES]} != recomputed {tables}")
        live = memory_live_bytes(self.memory)      # the allocator model's regions: exactly these bytes
        if live is not None and live != key_bytes + tables:
            problems.append(f"allocator model holds {live} bytes in live regions, keys and tables "
                            f"{key_bytes + tables}")
        if st[C.USED_MEMORY] != st[C.OVERHEAD_BYTES] + key_bytes + tables + st[C.LAZYFREE_PENDING_BYTES]:
            problems.append("used_memory != overhead + key bytes + table bytes + pending lazy frees")
        if len(self.tag_stats) > 1:
            if int(self.tag_stats[:, TAG_KEYS].sum()) != present:
                problems.append("namespace key counts do not add up to the keyspace's")
            if int(self.tag_stats[:, TAG_BYTES].sum()) != key_bytes:
                problems.append("namespace bytes do not add up to the keyspace's key bytes")
            if int(self.tag_stats[:, TAG_EXPIRES].sum()) != with_ttl:
                problems.append("namespace keys with a TTL do not add up to the expires dict's")
        if problems:
            raise AssertionError("keyspace invariant broken: " + "; ".join(problems))
