"""Notebook and library entry points. The CLI, the experiment runner and tests all call these.

``simulate(trace, maxmemory=..., policy=..., **redis_config) -> Result``: ``trace`` is a path
(``FORMAT:PATH`` allowed), a generator name (``"zipf"``, parameters in ``workload={"keys": 100000}``),
a workload spec file (``workloads/zipf.yaml``), a :class:`~evictsim.traces.base.Trace`, or a
:class:`~evictsim.traces.base.RequestChunk`; ``redis_config`` takes redis.conf names with
underscores (``maxmemory_samples=10``) or a ``config={"maxmemory-samples": 10}`` mapping.
``run_experiment(path_or_experiment, out_dir)`` runs a YAML experiment (sweeps, replications, report).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from evictsim.config import RedisConfig
from evictsim.results import Result
from evictsim.traces.base import ArrayTrace, RequestChunk, Trace

DEFAULT_START_TIME = 1_700_000_000.0   # wall clock at trace time 0 unless given (LRU/LFU clocks)


def resolve_trace(trace: Any, workload: Mapping[str, Any] | None = None, seed: int = 0) -> Trace:
    """A Trace from what a user names: a chunk, a trace file, a generator name or a workload spec
    file (its ``seed:`` wins over ``seed``; ``workload`` parameters override the file's)."""
    if isinstance(trace, RequestChunk):
        return ArrayTrace(trace)
    if isinstance(trace, (str, Path)):
        generator = generator_spec(str(trace), workload, seed)
        if generator is not None:
            from evictsim.workloads import build_workload
            name, params, gen_seed, source = generator
            return build_workload(name, params, gen_seed, source=source)
        if workload:
            from evictsim.errors import UserInputError
            raise UserInputError("parameters are for a generator or a workload spec file, not a trace",
                                 key="workload")
        from evictsim.traces import open_trace
        return open_trace(trace)
    return trace


def generator_spec(name: str, params: Mapping[str, Any] | None, seed: int):
    """(generator, params, seed, source) when ``name`` is a generator or a ``.yaml`` spec, else None."""
    from evictsim.workloads import WORKLOADS, _load_builtin
    from evictsim.workloads.spec import load_spec
    if name.endswith((".yaml", ".yml")):
        generator, spec_params, spec_seed, source = load_spec(name)
        return generator, {**spec_params, **(params or {})}, spec_seed, source
    _load_builtin()
    if name in WORKLOADS and not Path(name).exists():
        return name, dict(params or {}), seed, None
    return None


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
    from evictsim.config import check_policy_params
    return check_policy_params(RedisConfig.from_mapping(values), source=None)   # clock-bits: clock's


def simulate(trace: Any, maxmemory: Any = None, policy: str | None = None, *, seed: int = 0,
             start_time: float | None = None, record_outcomes: bool = False, progress: bool = False,
             config: Mapping[str, Any] | RedisConfig | None = None, protocol: str = "script",
             record_memory: bool = False, workload: Mapping[str, Any] | None = None,
             warmup: Any = None, namespaces: Any = None, **redis_config: Any) -> Result:
    """Simulate a Redis server serving ``trace``; return counters, time series and (optionally)
    per-request outcome codes. Same inputs and seed → identical result.

    ``workload`` holds a generator's parameters (``simulate("zipf", workload={"keys": 100000})``).
    ``warmup`` (seconds or ``"30s"``) fixes where the steady state starts instead of detecting it
    (the first eviction, or the working set seen): ``result.steady_hit_ratio`` and
    ``result.steady_ceiling_hit_ratio`` are measured after it. Compiling the kernels (the first run
    in a process) is timed apart, as ``timing.compile_s``, not in ``simulate_s``.

    ``namespaces`` (True for the key prefix up to the first ``:``, or ``"sess:*,cache:*"``, or
    ``"re:PATTERN"``) counts GETs, hits, keys, bytes, evictions and expirations per namespace:
    ``result.summary["namespaces"]`` and ``result.extras["namespaces"]`` (written as namespaces.csv).

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
    warmup_s = None if warmup is None else _warmup_seconds(warmup)
    from evictsim.engine.future import check_replayable
    check_replayable(trace, cfg.maxmemory_policy)        # before anything reads a pipe
    source = resolve_trace(trace, workload, seed)
    if cfg.memory_accounting == "object-bytes":
        from evictsim.engine.object_bytes_run import run_object_bytes
        return run_object_bytes(source, cfg, seed=seed,
                                start_time=DEFAULT_START_TIME if start_time is None else float(start_time))
    compile_s = warm_kernels()
    tagger = None
    if namespaces is not None and namespaces is not False:
        from evictsim.metrics.namespace_tags import NamespaceTagger, parse_namespaces
        tagger = NamespaceTagger(source, parse_namespaces(namespaces))
    result = run_simulation(source, cfg, seed=seed,
                            start_time=DEFAULT_START_TIME if start_time is None else float(start_time),
                            record_outcomes=record_outcomes, progress=progress,
                            protocol_script=protocol == "script", record_memory=record_memory,
                            namespaces=tagger)
    result.summary.setdefault("timing", {})["compile_s"] = round(compile_s, 6)
    if warmup_s is not None:
        from evictsim.steady_state import steady_fields
        result.summary.update(steady_fields(result.timeseries, cfg.maxmemory, result.extras.get("ceiling"),
                                            warmup_s=warmup_s))
    return result


def _warmup_seconds(value: Any) -> float:
    from evictsim.steady_state import parse_duration
    return parse_duration(value, key="warmup")


_WARM = [False]


def warm_kernels() -> float:
    """Compile (or load from the cache) every kernel once per process, on a three-request trace, so a
    run's ``simulate_s`` measures simulating; returns the seconds it took (0 once warm)."""
    if _WARM[0]:
        return 0.0
    import time

    import numpy as np
    from evictsim.engine.simulation import run_simulation
    from evictsim.jit import kernels_cached
    if not kernels_cached():
        import sys
        sys.stderr.write("evictsim: compiling kernels (first run only; cached afterwards)\n")
        sys.stderr.flush()
    t0 = time.perf_counter()
    tiny = RequestChunk(time=np.array([0.0, 0.001, 0.002]), op=np.array([0, 1, 2], np.uint8),
                        key=np.array([0, 1, 0], np.int32), key_len=np.full(3, 8, np.uint16),
                        size=np.array([10, 10, 0], np.int32), ttl_ms=np.array([0, 5, 0], np.int64))
    run_simulation(ArrayTrace(tiny), RedisConfig.from_mapping({"maxmemory-policy": "allkeys-lru"}),
                   seed=0, start_time=DEFAULT_START_TIME)
    _WARM[0] = True
    return time.perf_counter() - t0


def run_experiment(experiment: Any, out_dir: str | Path | None = None, **options: Any):
    """Run a YAML experiment (a path or a loaded :class:`~evictsim.experiments.config.Experiment`):
    every unfinished run, then ``summary.csv``, ``aggregate.csv``, plots and ``report.md``/``.html``
    under ``out_dir`` (default ``results/NAME``). Returns a report of what ran. ``workers=``,
    ``executor="local"|"dask"``, ``progress=``, ``report=`` as :func:`evictsim.experiments.runner.run_experiment`."""
    from evictsim.experiments.runner import run_experiment as run
    return run(experiment, out_dir, **options)


def mrc(trace: Any, policy: str | None = None, **options: Any):
    """A miss-ratio curve of ``policy`` on ``trace`` in Redis bytes: see :func:`evictsim.mrc.profile.mrc`
    (``sizes=`` or ``points=``, ``method=``, ``sample_rate=`` / ``sample_size=``, redis settings)."""
    from evictsim.mrc import mrc as profile_mrc
    return profile_mrc(trace, policy, **options)
