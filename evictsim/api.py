"""Notebook and library entry points. The CLI, the experiment runner and tests all call these.

``simulate(trace, maxmemory=..., policy=..., **redis_config) -> Result``: ``trace`` is a path
(``FORMAT:PATH`` allowed), a :class:`~evictsim.traces.base.Trace`, or a
:class:`~evictsim.traces.base.RequestChunk`; ``redis_config`` takes redis.conf names with
underscores (``maxmemory_samples=10``) or a ``config={"maxmemory-samples": 10}`` mapping.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from evictsim.config import RedisConfig
from evictsim.results import Result
from evictsim.traces.base import ArrayTrace, RequestChunk, Trace

DEFAULT_START_TIME = 1_700_000_000.0   # wall clock at trace time 0 unless given (LRU/LFU clocks)


def resolve_trace(trace: Any) -> Trace:
    if isinstance(trace, RequestChunk):
        return ArrayTrace(trace)
    if isinstance(trace, (str, Path)):
        from evictsim.traces import open_trace
        return open_trace(trace)
    return trace


def resolve_config(maxmemory: Any = None, policy: str | None = None,
                   config: Mapping[str, Any] | RedisConfig | None = None, **redis_config: Any) -> RedisConfig:
    values: dict[str, Any] = {}
    if isinstance(config, RedisConfig):
        values.update(config.to_mapping())
    elif config:
        values.update(config)
    values.update({k.replace("_", "-"): v for k, v in redis_config.items()})
    if maxmemory is not None:
        values["maxmemory"] = maxmemory
    if policy is not None:
        values["maxmemory-policy"] = policy
    return RedisConfig.from_mapping(values)


def simulate(trace: Any, maxmemory: Any = None, policy: str | None = None, *, seed: int = 0,
             start_time: float | None = None, record_outcomes: bool = False, progress: bool = False,
             config: Mapping[str, Any] | RedisConfig | None = None, protocol: str = "script",
             record_memory: bool = False, **redis_config: Any) -> Result:
    """Simulate a Redis server serving ``trace``; return counters, time series and (optionally)
    per-request outcome codes. Same inputs and seed → identical result.

    ``protocol="script"`` models the reference harness (each request one EVALSHA of a Lua script,
    INFO read every second); ``"plain"`` models a client sending GET/SET/DEL directly. The difference
    is which command names allocate latency histograms (~25 KB each). ``record_memory`` puts, per
    request, used_memory after the eviction step and after the command into ``extras["memory"]``.
    """
    if protocol not in ("script", "plain"):
        from evictsim.errors import UserInputError
        raise UserInputError(f"expected script or plain, got {protocol!r}", key="protocol")
    from evictsim.engine.simulation import run_simulation

    cfg = resolve_config(maxmemory, policy, config, **redis_config)
    return run_simulation(resolve_trace(trace), cfg, seed=seed,
                          start_time=DEFAULT_START_TIME if start_time is None else float(start_time),
                          record_outcomes=record_outcomes, progress=progress,
                          protocol_script=protocol == "script", record_memory=record_memory)
