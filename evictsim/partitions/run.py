"""The partitioned run: one trace, several independent simulated Redis instances.

Each partition's sub-trace is run through the ordinary engine
(:func:`evictsim.engine.simulation.run_simulation`) with the run's seed and start time, so a partition
is exactly ``evictsim simulate`` of its share of the trace. Totals add the partitions' counters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evictsim.partitions.cluster_memory import CLUSTER_SLOT_METADATA_BYTES
from evictsim.partitions.routing import SubTrace, split_trace
from evictsim.partitions.rules import PartitionPlan
from evictsim.results import Result

# Counters that add up across instances (INFO names); used_memory adds too: separate processes.
ADDITIVE = ("requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys",
            "expired_keys", "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory",
            "keys", "expires", "stale_keys", "stale_bytes", "sets", "dels", "fills", "maxmemory")


@dataclass
class PartitionedResult:
    """Per-partition :class:`Result` objects (plan order) and the totals over them."""

    plan: PartitionPlan
    results: dict[str, Result]
    summary: dict[str, Any]
    outcomes: np.ndarray | None = None
    subtraces: dict[str, SubTrace] = field(default_factory=dict)
    timeseries: dict[str, np.ndarray] = field(default_factory=dict)   # the instances summed

    @property
    def hit_ratio(self) -> float | None:
        return self.summary["hit_ratio"]

    def write(self, out_dir, *, parquet: bool = False, outcomes: bool = False) -> None:
        """Like :meth:`Result.write` (the experiment runner calls it): the summed time series and
        summary at the top, each partition's own files under ``partitions/NAME/``."""
        from evictsim.partitions.outputs import write_partitioned
        write_partitioned(self, out_dir, outcomes=outcomes, parquet=parquet)


def run_partitions(trace, plan: PartitionPlan, *, seed: int = 0, start_time: float | None = None,
                   record_outcomes: bool = False, protocol: str = "script",
                   subtraces: list[SubTrace] | None = None, namespaces: Any = None) -> PartitionedResult:
    """Split ``trace`` by ``plan`` (or reuse ``subtraces`` from an earlier split) and simulate each.
    ``namespaces`` (as :func:`evictsim.simulate` takes it) counts per namespace inside each partition
    (each partition's ``namespaces.csv``)."""
    from evictsim.api import DEFAULT_START_TIME
    from evictsim.engine.simulation import run_simulation

    subs = subtraces if subtraces is not None else split_trace(trace, plan)
    start = DEFAULT_START_TIME if start_time is None else float(start_time)
    rule = None
    if namespaces is not None and namespaces is not False:
        from evictsim.metrics.namespace_tags import NamespaceTagger, parse_namespaces
        rule = parse_namespaces(namespaces)
    results = {}
    for part, sub in zip(plan.partitions, subs):
        tagger = None if rule is None else NamespaceTagger(sub, rule)
        results[part.name] = run_simulation(sub, part.config, seed=seed, start_time=start,
                                            record_outcomes=record_outcomes,
                                            protocol_script=protocol == "script", namespaces=tagger)
    outcomes = _merge_outcomes(plan, results, subs) if record_outcomes else None
    summary = total_summary(plan, results, trace, seed=seed, start_time=start)
    series = total_timeseries(list(results.values()))
    summary["used_memory_peak"] = int(series["used_memory"].max()) if len(series["time"]) else 0
    return PartitionedResult(plan, results, summary, outcomes, dict(zip(plan.names, subs)), series)


def total_timeseries(results: list[Result]) -> dict[str, np.ndarray]:
    """The instances' time series summed at every sample time of any of them (each holds its last
    sample after its own end), with the interval hit ratio recomputed from the summed counters."""
    from evictsim.results import TIMESERIES_COLUMNS
    times = np.unique(np.concatenate([r.timeseries["time"] for r in results]))
    out = {c: np.zeros(len(times), np.int64) for c in TIMESERIES_COLUMNS
           if c not in ("time", "hit_ratio_interval")}
    for r in results:
        at = np.searchsorted(r.timeseries["time"], times, side="right") - 1
        seen = at >= 0
        for c in out:
            out[c][seen] += np.asarray(r.timeseries[c], np.int64)[at[seen]]
    gets, hits = np.diff(out["gets"], prepend=0), np.diff(out["get_hits"], prepend=0)
    out["hit_ratio_interval"] = np.where(gets > 0, hits / np.maximum(gets, 1), np.nan)
    out["time"] = times.astype(np.float64)
    return out


def total_summary(plan: PartitionPlan, results: dict[str, Result], trace, *, seed: int,
                  start_time: float) -> dict[str, Any]:
    """summary.json of a partitioned run: counters summed, ratios derived, each partition's own
    summary under ``partitions``."""
    parts = {name: r.summary for name, r in results.items()}
    totals: dict[str, Any] = {k: int(sum(s[k] for s in parts.values())) for k in ADDITIVE}
    totals["used_memory_peak_sum"] = int(sum(s["used_memory_peak"] for s in parts.values()))
    totals["hit_ratio"] = totals["get_hits"] / totals["gets"] if totals["gets"] else None
    policies = sorted({s["maxmemory_policy"] for s in parts.values()})
    totals["maxmemory_policy"] = "partitioned:" + "+".join(policies)
    totals["config"] = {"maxmemory-policy": totals["maxmemory_policy"], "maxmemory": totals["maxmemory"]}
    totals.update(seed=seed, start_time=start_time, partitions=parts,
                  partition_names=plan.names, partition_source=plan.source,
                  trace={"name": getattr(trace, "name", ""), "fill": trace.fill},
                  timing={k: round(sum(s["timing"][k] for s in parts.values()), 6)
                          for k in ("load_s", "simulate_s", "total_s")},
                  warnings=[f"{name}: {w}" for name, s in parts.items() for w in s.get("warnings", [])])
    if plan.cluster is not None:
        node = plan.partitions[0].config
        totals["cluster"] = {**plan.cluster, "slot_metadata_bytes_per_key":
                             CLUSTER_SLOT_METADATA_BYTES if node.cluster_enabled else 0,
                             "slot_metadata_modelled": node.cluster_enabled,
                             "node_baseline_memory": node.baseline_memory}
    return totals


def _merge_outcomes(plan: PartitionPlan, results: dict[str, Result], subs: list[SubTrace]) -> np.ndarray:
    n = sum(len(s) for s in subs)
    out = np.full(n, 255, np.uint8)
    for part, sub in zip(plan.partitions, subs):
        if sub.positions:
            out[np.concatenate(sub.positions)] = results[part.name].outcomes
    return out
