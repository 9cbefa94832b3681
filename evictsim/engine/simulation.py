"""SimPy drives simulated time; each server's event loop runs compiled between its readings.

Each simulated server is one SimPy process (never one event per request, nor one per cron tick):
its event loop (:mod:`evictsim.engine.event_loop`) runs in one compiled call from one reading of the
time series to the next: every ``serverCron`` tick (LRU clock, slow expire cycle, rehash) and every
client window of requests (the kernel itself marks client-batch boundaries for the eviction proc and
the fast expire cycle), in the order that SimPy's own processes for the cron, the client and the
sampler took them (the event loop's docstring says how). At each reading (every ``sample-interval``
seconds, as the reference harness read INFO every trace second) the process waits on SimPy's clock
for that time, so several servers of one run (partitions, a cluster) advance side by side.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import simpy

from evictsim.config import RedisConfig
from evictsim.engine.cursor import ChunkCursor, Prefetcher
from evictsim.engine.event_loop import EventLoop
from evictsim.engine.router import RoutedStream, SingleRoute
from evictsim.engine.server import ServerModel
from evictsim.policies import policy_spec
from evictsim.metrics.timeseries import TimeSeries, summarize
from evictsim.steady_state import steady_fields
from evictsim.results import Result
from evictsim.traces.base import Trace

CHUNK_SIZE = 1 << 20


@dataclass
class InstanceSpec:
    """One simulated server of a run: its name (for results) and its own full configuration."""

    name: str
    config: RedisConfig


class _Instance:
    """One server with its cursor, series and SimPy processes (cron, sampler, client)."""

    def __init__(self, spec: InstanceSpec, index: int, stream: RoutedStream, trace: Trace, *, seed: int,
                 start_time: float, record_outcomes: bool, record_memory: bool, protocol_script: bool,
                 namespaces=None, future: np.ndarray | None = None):
        cfg = spec.config
        self.spec = spec
        n_names = namespaces.capacity if namespaces is not None else 0
        self.server = ServerModel(cfg, seed=seed, start_time=start_time, fill=trace.fill,
                                  n_keys_hint=getattr(trace, "n_keys_hint", None) if stream.single else None,
                                  protocol_script=protocol_script, n_namespaces=n_names)
        self.cursor = ChunkCursor(self.server, lambda: stream.next_for(index), record_outcomes,
                                   record_memory, None if namespaces is None else namespaces.fresh, future)
        self.series = TimeSeries(self.server, protocol_script=protocol_script,
                                 span_s=getattr(trace, "span_hint", None))
        self.loop = EventLoop(self.server, self.cursor, self.series, tick_us=int(round(1e6 / self.server.hz)),
                              sample_us=int(round(cfg.sample_interval * 1e6)))
        self.namespace_names = namespaces.names if namespaces is not None else []

    def processes(self, env: simpy.Environment, bar) -> None:
        env.process(self._run(env, bar))

    def _run(self, env, bar):
        cursor = self.cursor
        reported = 0
        for at_us in self.loop.run():
            if bar is not None:
                bar.update(cursor.served - reported)
                reported = cursor.served
            if at_us is None:
                return
            if at_us > env.now:
                yield env.timeout(at_us - env.now)

    def result(self, trace: Trace, *, seed: int, start_time: float, record_outcomes: bool,
               record_memory: bool, load_s: float, total_s: float) -> Result:
        server, cursor, series = self.server, self.cursor, self.series
        server.check_invariants()
        loop_s = total_s - load_s
        outcomes = np.concatenate(cursor.outcomes) if record_outcomes and cursor.outcomes else None
        summary = summarize(server, series, trace=trace, seed=seed, start_time=start_time,
                            timing={"load_s": round(load_s, 6), "simulate_s": round(loop_s, 6),
                                    "total_s": round(total_s, 6)})
        summary.update(steady_fields(series.columns(), server.cfg.maxmemory, cursor.ceiling))
        summary["warnings"] = run_warnings(server.cfg, summary, any_ttl=cursor.any_ttl)
        extras = {"state_bytes_per_key": server.ks.per_key_bytes(),
                  "table_row_bytes_per_key": server.ks.bk.nbytes / max(1, server.ks.capacity),
                  "kernel_s": self.loop.loop_s, "sampler_s": series.elapsed_s,
                  "simpy_overhead_s": max(0.0, loop_s - self.loop.loop_s - series.elapsed_s),
                  "key_names": getattr(trace, "key_names", None), "ceiling": cursor.ceiling}
        if record_memory:
            extras["memory"] = (np.concatenate(cursor.memory) if cursor.memory
                                else np.zeros((0, 3), np.int64))
        if series.namespace_rows:
            extras["namespaces"] = _named_rows(series.namespace_columns(), self.namespace_names)
            summary["namespaces"] = _namespace_summary(extras["namespaces"])
        return Result(summary=summary, timeseries=series.columns(), outcomes=outcomes, extras=extras)


def _named_rows(columns: dict, names: list[str]) -> dict:
    """Rows of the namespaces that were seen, with their names."""
    keep = columns["namespace"] < len(names)
    out = {k: v[keep] for k, v in columns.items()}
    out["namespace"] = np.asarray(names, dtype=object)[out["namespace"]]
    out["keys_no_ttl"] = out["keys"] - out.pop("expires")      # what leak forecasts read
    return out


def _namespace_summary(rows: dict) -> dict:
    """Each namespace's counters at the last sample, and its hit ratio."""
    last = rows["time"] == rows["time"][-1]
    out = {}
    for i in np.flatnonzero(last):
        entry = {k: int(v[i]) for k, v in rows.items() if k not in ("time", "namespace")}
        entry["hit_ratio"] = entry["keyspace_hits"] / entry["gets"] if entry["gets"] else None
        out[str(rows["namespace"][i])] = entry
    return out


def run_instances(trace: Trace, instances: list[InstanceSpec], *, router=None, seed: int, start_time: float,
                  record_outcomes: bool = False, progress: bool = False, protocol_script: bool = True,
                  record_memory: bool = False, namespaces=None) -> list[Result]:
    """Run several servers fed by one pass over ``trace``: ``router`` names each request's
    instance (default: all to the first). Each instance has its own config, cron, pool, clocks
    and counters, and behaves exactly as a standalone run of its share of the trace with the
    same seed. ``namespaces`` (an object with ``names`` and ``fresh(chunk)``: the ids and tags of
    the keys a chunk names first) turns on per-namespace counters. Returns one :class:`Result` per
    instance, in order."""
    wall0 = time.perf_counter()
    router = router if router is not None else SingleRoute()
    if router.instances != len(instances):
        raise ValueError(f"router has {router.instances} instances, {len(instances)} configured")
    if namespaces is not None and router.instances > 1:
        raise ValueError("per-namespace counters are per instance: run each partition on its own")
    futures = _futures(trace, router, instances)
    reader = Prefetcher(iter(trace.chunks(CHUNK_SIZE)))
    stream = RoutedStream(reader.next, router)
    env = simpy.Environment()
    bar = _progress_bar(progress, trace)
    try:
        runs = [_Instance(spec, i, stream, trace, seed=seed, start_time=start_time,
                          record_outcomes=record_outcomes, record_memory=record_memory,
                          protocol_script=protocol_script, namespaces=namespaces, future=futures[i])
                for i, spec in enumerate(instances)]
        for run in runs:
            run.processes(env, bar)
        env.run()
    finally:
        reader.close()
    if bar is not None:
        bar.close()
    total_s = time.perf_counter() - wall0
    load_s = sum(run.cursor.load_s for run in runs)
    results = [run.result(trace, seed=seed, start_time=start_time, record_outcomes=record_outcomes,
                          record_memory=record_memory, load_s=load_s, total_s=total_s) for run in runs]
    if not stream.single:
        for result, densifier in zip(results, stream.densifiers):
            result.extras["global_key_ids"] = densifier.names()
    return results


def _futures(trace: Trace, router, instances: list[InstanceSpec]) -> list[np.ndarray | None]:
    """Each request's next access for the instances whose policy reads the future (Belady)."""
    from evictsim.engine.future import check_replayable, next_accesses
    wanted = [policy_spec(spec.config.maxmemory_policy).needs_next_access for spec in instances]
    for spec in instances:
        check_replayable(trace, spec.config.maxmemory_policy)
    return next_accesses(trace, router, wanted, CHUNK_SIZE)


def run_simulation(trace: Trace, cfg: RedisConfig, *, seed: int, start_time: float,
                   record_outcomes: bool = False, progress: bool = False,
                   protocol_script: bool = True, record_memory: bool = False, namespaces=None) -> Result:
    """Run one simulation and return its :class:`Result`."""
    return run_instances(trace, [InstanceSpec("default", cfg)], seed=seed, start_time=start_time,
                         record_outcomes=record_outcomes, progress=progress,
                         protocol_script=protocol_script, record_memory=record_memory,
                         namespaces=namespaces)[0]


def run_warnings(cfg: RedisConfig, summary: dict, *, any_ttl: bool) -> list[str]:
    """Things a user would want pointed out: a configuration that could not do what it says."""
    out = []
    if policy_spec(cfg.maxmemory_policy).needs_ttl and not any_ttl and cfg.maxmemory:
        out.append(f"{cfg.maxmemory_policy} can only evict keys with a TTL and no request set one: once "
                   f"memory was full every write was refused ({summary['rejected_writes']} rejected)")
    return out


def _progress_bar(progress: bool, trace: Trace):
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=None, unit="req", unit_scale=True, desc=f"simulate {getattr(trace, 'name', '')}",
                mininterval=0.5, leave=False)
