"""Where runs execute: in this process, a local process pool, or a Dask cluster.

Every executor calls the same :func:`execute_run` (which calls ``evictsim.simulate``, the engine's one
code path) and yields outcomes as they finish. Workers only compute: they return the
:class:`~evictsim.results.Result` to the runner, which writes the files, so a Dask cluster needs no
shared file system and a killed runner leaves no half-written folder behind.
"""
from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
from collections import OrderedDict
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from evictsim.errors import UserInputError
from evictsim.experiments.sweep import RunSpec
from evictsim.registry import Registry

SimulateFn = Callable[..., Any]
EXECUTORS: Registry = Registry("executor")
_TRACE_CACHE: "OrderedDict[str, Any]" = OrderedDict()   # per worker process: recent workloads
_TRACE_CACHE_SIZE = 2


@dataclass
class RunOutcome:
    """What came back for one run: a result, or the error that stopped it."""

    spec: RunSpec
    result: Any = None
    error: str | None = None          # one line
    details: str | None = None        # traceback, for errors that are not user errors
    wall_s: float = 0.0               # worker wall time: building the workload + simulating


def execute_run(spec: RunSpec, simulate_fn: SimulateFn | None = None) -> RunOutcome:
    """Build the workload and simulate one run. Never raises: failures are part of the outcome."""
    start = time.perf_counter()
    try:
        if simulate_fn is None:
            from evictsim import simulate as simulate_fn
        trace = _cached_trace(spec)
        if hasattr(simulate_fn, "wrap"):              # run --rewrite-keys/--scale-*: commands/_whatif.py
            trace = simulate_fn.wrap(trace, spec.seed)
        # namespaces: only when set, so a simulate_fn without the keyword (tests, plug-ins) still works
        namespaces = getattr(spec, "namespaces", None)
        extra = {} if namespaces is None else {"namespaces": namespaces}
        if getattr(spec, "partitions", None) is not None:
            from evictsim.partitions import parse_partitions, run_partitions
            plan = parse_partitions(spec.partitions, source="partitions", base=spec.redis)
            result = run_partitions(trace, plan, seed=spec.seed, **extra)
        else:
            result = simulate_fn(trace, config=spec.redis, seed=spec.seed, **extra)
        return RunOutcome(spec, result=result, wall_s=time.perf_counter() - start)
    except UserInputError as exc:
        return RunOutcome(spec, error=str(exc), wall_s=time.perf_counter() - start)
    except Exception as exc:  # an engine bug must not take the other 99 runs down with it
        return RunOutcome(spec, error=f"{type(exc).__name__}: {exc}", details=traceback.format_exc(),
                          wall_s=time.perf_counter() - start)


def _cached_trace(spec: RunSpec) -> Any:
    """Runs of one replication share a workload; build it once per worker process."""
    import json
    key = json.dumps([spec.workload.fingerprint(), spec.seed], sort_keys=True, default=str)
    if key in _TRACE_CACHE:
        _TRACE_CACHE.move_to_end(key)
        return _TRACE_CACHE[key]
    trace = spec.workload.build(spec.seed)
    _TRACE_CACHE[key] = trace
    while len(_TRACE_CACHE) > _TRACE_CACHE_SIZE:
        _TRACE_CACHE.popitem(last=False)
    return trace


def _worker_init() -> None:
    """Set up a pool worker: Ctrl-C reaches the whole process group, and the runner alone handles it
    and stops the workers; and a worker dies with the runner, even a runner killed by SIGKILL (which
    runs no clean-up: each idle worker would otherwise keep its ~265 MB until killed by hand)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent exits (``prctl``). Elsewhere, a
    daemon thread polls the parent pid once a second and exits when the process is re-parented."""
    import os
    spawner = multiprocessing.parent_process()      # the runner, if it died before this line ran
    parent = spawner.pid if spawner is not None and spawner.pid else os.getppid()
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:      # the parent died before prctl took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=watch, name="evictsim-parent-watch", daemon=True).start()


@EXECUTORS.register("local")
def run_local(specs: list[RunSpec], workers: int, simulate_fn: SimulateFn | None,
              scheduler: str | None = None) -> Iterator[RunOutcome]:
    """One worker: in this process, in order. More: a process pool (spawned, so no fork hazards)."""
    if scheduler:
        raise UserInputError("--scheduler needs --executor dask", source="--scheduler")
    if workers <= 1:
        for spec in specs:
            yield execute_run(spec, simulate_fn)
        return
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    try:
        futures = {pool.submit(execute_run, spec, simulate_fn): spec for spec in specs}
        pending: set[Future] = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield _outcome(fut, futures[fut])
        pool.shutdown(wait=True)
    finally:
        _stop_pool(pool)


def _outcome(fut: Future, spec: RunSpec) -> RunOutcome:
    """A worker killed under a run (the OOM killer, a segfault) fails that run, not the sweep."""
    try:
        return fut.result()
    except BrokenProcessPool:
        return RunOutcome(spec, error="a worker process died (killed, or out of memory?); "
                                      "rerun the same command to retry")


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """On Ctrl-C (or any early exit) cancel queued runs and stop the running ones now."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle on workers
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()


@EXECUTORS.register("dask")
def run_dask(specs: list[RunSpec], workers: int, simulate_fn: SimulateFn | None,
             scheduler: str | None = None) -> Iterator[RunOutcome]:
    """Runs on ``dask.distributed``: the cluster at ``scheduler``, else a LocalCluster of ``workers``."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UserInputError("the dask executor needs dask[distributed]: pip install 'evictsim[dask]'",
                             source="--executor") from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise UserInputError(f"cannot reach the Dask scheduler: {exc}", source="--scheduler") from None
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(execute_run, spec, simulate_fn, key=f"evictsim-run-{spec.run_id}",
                                 pure=False) for spec in specs]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
