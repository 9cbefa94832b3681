"""One simulated redis-server in plain Python: the keyspace, the evictor, the expire cycle, the
counters, and the three things the event loop runs (MECHANICS §8): a client command
(``process_command``: eviction first, then the command), an event-loop iteration between client
batches (the eviction time proc, then ``beforeSleep``: peak update and the fast expire cycle) and
a ``serverCron`` tick (LRU clock, slow expire cycle, table shrink, 1 ms of incremental rehash).
"""
from __future__ import annotations

from evictsim.config import RedisConfig
from evictsim.traces.base import OP_GET, OP_SET
from evictsim.engine.server import REHASH_BUCKETS_PER_CRON
from evictsim.keyspace.rng import PyRng, derive_seed
from evictsim.oracle.clocks import get_lru_clock
from evictsim.oracle.commands import Context, Request, del_command, get_command, set_command
from evictsim.oracle.db import Keyspace
from evictsim.oracle.dict import dict_rehash, dict_resize
from evictsim.oracle.evict import EVICT_FAIL, EVICT_OK, EVICT_RUNNING, Evictor, eviction_time_limit_us
from evictsim.oracle.evict import perform_evictions
from evictsim.oracle.expire import ExpireState, active_expire_cycle, exact_schedule, expire_due_exact
from evictsim.oracle.lazyfree import LazyFreeQueue, lazyfree_progress
from evictsim.oracle.memory import (CLUSTER_ENTRY_METADATA, DICT_ENTRY, VT_STRING, argv_bytes, expire_entry_bytes,
                                    shared_integers_allowed, value_bytes)
from evictsim.oracle.policy import make_twin

STAT_NAMES = ("requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "rejected_writes",
              "sets", "dels", "fills")


def effective_hz(cfg: RedisConfig) -> int:
    """``dynamic-hz``: hz doubles while clients/hz > 200, up to 500 (§8)."""
    hz = cfg.hz
    while cfg.dynamic_hz and cfg.connected_clients // hz > 200 and hz < 500:
        hz = min(2 * hz, 500)
    return hz


class OracleServer:
    def __init__(self, cfg: RedisConfig, *, seed: int, start_us: int, fill: bool, protocol_script: bool):
        self.cfg = cfg
        self.hz = effective_hz(cfg)
        self.fill = fill
        self.protocol_script = protocol_script
        self.mode = cfg.expiry_mode
        self.rng = PyRng(derive_seed(seed, "server-rng"))
        self.lazyfree = LazyFreeQueue(cfg.lazyfree_bytes_per_s / 1e6, start_us)
        lazy = {"eviction": cfg.lazyfree_lazy_eviction, "expire": cfg.lazyfree_lazy_expire,
                "server_del": cfg.lazyfree_lazy_server_del, "user_del": cfg.lazyfree_lazy_user_del}
        self.ks = Keyspace(derive_seed(seed, "hash-seed"), maxmemory=cfg.maxmemory,
                           quantum=cfg.jemalloc_quantum, overhead=cfg.baseline_memory,
                           lazyfree=self.lazyfree, lazy=lazy,
                           main_entry=DICT_ENTRY + (CLUSTER_ENTRY_METADATA if cfg.cluster_enabled else 0))
        self.ks.script = protocol_script
        self.ev = Evictor(cfg.maxmemory_policy, cfg.maxmemory_samples,
                          eviction_time_limit_us(cfg.maxmemory_eviction_tenacity), cfg.evict_key_cost_us,
                          cfg.lazyfree_lazy_eviction, cfg.lfu_decay_time, self.rng)
        self.ks.twin = make_twin(self.ev.spec, cfg)     # a plug-in policy's pure-Python twin, or None
        self.es = ExpireState(cfg.active_expire_effort, self.hz, cfg.expire_key_cost_us)
        self.stats = dict.fromkeys(STAT_NAMES, 0)
        self.peak = self.ks.used_memory
        self.lruclock = get_lru_clock(start_us // 1000)
        self.next_loop_us = start_us
        self.batch_us = max(1, int(round(cfg.batch_interval * 1e6)))
        self.client_started = False
        self.commands_seen: set[str] = set()
        self.shared_ok = shared_integers_allowed(cfg.maxmemory, cfg.maxmemory_policy)

    # --- the pieces of the event loop ----------------------------------------------------------
    def process_command(self, req: Request, op: int, now_us: int) -> tuple[int, int, int]:
        """One request. Returns (outcome, used_memory after the eviction step, eviction result).
        Sets ``req.vtime``: the request's 0-based index, as counted here."""
        now_ms = now_us // 1000
        self.ks.now_us = now_us
        if now_us >= self.next_loop_us:           # the first request of a new client batch
            self.event_loop_iteration(now_us)
            self.next_loop_us = now_us - now_us % self.batch_us + self.batch_us
        if self.mode == "exact":
            expire_due_exact(self.es, self.ks, now_ms)
        if self.lazyfree.pending_bytes > 0:     # the lazyfree thread works alongside the main thread
            lazyfree_progress(self.lazyfree, now_us)
        if not self.client_started:               # the client's buffers grow with its first batch
            self.client_started = True
            self.ks.overhead += self.cfg.client_buffer_growth
        req.vtime = self.stats["requests"]
        self.stats["requests"] += 1
        # the arguments exist while eviction runs and during the command; a plain SET's value object
        # then lives on as the key's value (counted by the keyspace)
        argv = argv_bytes(op, req.key_len, req.size, req.ttl_ms, self.protocol_script, self.ks.quantum)
        self.ks.overhead += argv
        result = EVICT_OK
        if self.ks.maxmemory > 0 and self.ks.used_memory > self.ks.maxmemory:
            result = perform_evictions(self.ev, self.ks, now_ms, self.lruclock, req.vtime)
        after_eviction = self.ks.used_memory
        oom = result == EVICT_FAIL
        if op == OP_SET and not self.protocol_script:
            moved = value_bytes(req.size, VT_STRING, self.ks.quantum, False)
            self.ks.overhead -= moved
            argv -= moved
        ctx = self.context(now_ms)
        if op == OP_GET:
            code = get_command(self.ks, req, ctx, self.stats, oom=oom, fill=self.fill)
            names = ["GET", "SET"] if code in (0, 2) else ["GET"]
        elif op == OP_SET:
            code = set_command(self.ks, req, ctx, self.stats, oom=oom)
            names = ["SET"]
        else:
            code = del_command(self.ks, req, ctx, self.stats)
            names = ["DEL"]
        if self.protocol_script:
            names += ["EVALSHA", "DBSIZE"]
        self.ks.overhead -= argv
        self.note_commands(names)
        return code, after_eviction, result

    def context(self, now_ms: int) -> Context:
        exact = self.mode == "exact"
        return Context(now_ms, self.lruclock, self.ev.rank == "lfu", self.cfg.lfu_decay_time,
                       self.cfg.lfu_log_factor, self.shared_ok, self.rng,
                       (lambda k, when: exact_schedule(self.es, k, when)) if exact else None)

    def note_commands(self, names: list[str]) -> None:
        """``latency-tracking``: a histogram is allocated the first time a command name runs."""
        new = set(names) - self.commands_seen
        self.commands_seen |= new
        if self.cfg.latency_tracking:
            self.ks.overhead += len(new) * self.cfg.latency_histogram_bytes

    def eviction_time_proc(self, now_us: int) -> None:
        """``evictionTimeProc``: a 0-ms time event, so while armed it runs on every event-loop
        iteration, back to back while the server is otherwise idle: here, as many time budgets as
        fit since it last ran (at least one), until it stops returning EVICT_RUNNING."""
        if not self.ev.proc_running:
            return
        vtime = self.stats["requests"] - 1      # the last request served (-1 before the first)
        runs = max(1, (now_us - self.ev.proc_last_us) // max(self.ev.limit_us, 1))
        for _ in range(runs):
            if perform_evictions(self.ev, self.ks, now_us // 1000, self.lruclock, vtime) != EVICT_RUNNING:
                self.ev.proc_running = False
                break
        self.ev.proc_last_us = now_us

    def event_loop_iteration(self, now_us: int) -> None:
        """Between client batches: ``evictionTimeProc`` if armed, then ``beforeSleep``."""
        self.ks.now_us = now_us
        self.eviction_time_proc(now_us)
        self.update_peak()
        if self.mode == "redis":
            active_expire_cycle(self.es, self.ks, now_us, fast=True)

    def server_cron(self, now_us: int) -> None:
        """One ``serverCron`` tick, in Redis's order (§8)."""
        self.ks.now_us = now_us
        self.lruclock = get_lru_clock(now_us // 1000)
        self.eviction_time_proc(now_us)          # the event-loop iteration the cron timer wakes
        if self.mode == "exact":
            expire_due_exact(self.es, self.ks, now_us // 1000)
        lazyfree_progress(self.lazyfree, now_us)
        self.update_peak()
        if self.mode == "redis":
            active_expire_cycle(self.es, self.ks, now_us, fast=False)
        for d in (self.ks.main, self.ks.expires):                # tryResizeHashTables
            dict_resize(d)
        # incrementallyRehash: 1 ms for the first rehashing dict (the kernel ignores activerehashing)
        if self.cfg.activerehashing:
            for d in (self.ks.main, self.ks.expires):
                if d.is_rehashing():
                    dict_rehash(d, REHASH_BUCKETS_PER_CRON)
                    break

    def update_peak(self) -> None:
        self.peak = max(self.peak, self.ks.used_memory)

    # --- readings -------------------------------------------------------------------------------
    def info(self, now_us: int) -> dict:
        """What the sampler reads (an INFO): the counters, memory, keyspace and stale keys."""
        self.ks.now_us = now_us
        if self.mode == "exact":
            expire_due_exact(self.es, self.ks, now_us // 1000)
        self.update_peak()
        now_ms = now_us // 1000
        entry = expire_entry_bytes(self.ks.quantum)
        stale = [r for r in self.ks.keys.values() if r.expire is not None and now_ms > r.expire]
        lazy, active = self.ks.expired_lazy, self.es.expired_active + self.es.expired_exact
        return {**{k: self.stats[k] for k in STAT_NAMES if k not in ("sets", "dels", "fills")},
                "evicted_keys": self.ev.evicted_keys, "expired_keys": lazy + active,
                "expired_keys_lazy": lazy, "expired_keys_active": active,
                "used_memory": self.ks.used_memory, "used_memory_peak": self.peak,
                "keys": len(self.ks.main), "expires": len(self.ks.expires),
                "stale_keys": len(stale), "stale_bytes": sum(r.nbytes + entry for r in stale),
                "lazyfree_pending_objects": self.lazyfree.pending_objects,
                "lazyfreed_objects": self.lazyfree.freed_objects,
                "lazyfree_pending_bytes": self.lazyfree.pending_bytes}

    def check(self) -> None:
        """The oracle's own invariants: dicts hold exactly the records; byte sums recount."""
        ks = self.ks
        assert sorted(ks.main.keys()) == sorted(ks.keys)
        assert sorted(ks.expires.keys()) == sorted(k for k, r in ks.keys.items() if r.expire is not None)
        assert ks.key_bytes == ks.recount_key_bytes()


__all__ = ["OracleServer", "EVICT_OK", "EVICT_RUNNING", "EVICT_FAIL"]
