"""The allocator model against real Redis: replay the reference traces and compare.

Without ``--engine``, each ``frag_*`` run's allocations (noeviction, no limit) are replayed through the
jemalloc model alone (``evictsim.keyspace.allocator.replay``) starting from the run's own sample 0 (the
empty server's allocator figures and RSS: an initial condition, not a fit). ``--engine`` simulates
whole runs instead (``allocator-model jemalloc``: the model behind the core's allocator hook, its
columns in timeseries.csv), with the same initial condition as config keys and the run's own policy,
maxmemory and start time, by default every reference run (evictions and TTLs included): the
comparison that ``tests/test_allocator_fidelity.py`` asserts
(``evictsim.validate.allocator_fidelity``). Both compare the model's cron samples with the real 1-s
INFO series after the first 10 s: mean and worst relative error of ``allocator_active`` and
``used_memory_rss``, mean and worst absolute error of ``allocator_frag_ratio`` and of
``mem_fragmentation_ratio``, and whether RSS stays flat where real RSS stays flat. The reference is
the repository's ``tests/data/reference`` unless ``--reference`` names another. Usage::

    .venv/bin/python benchmarks/fidelity_allocator.py [--reference DIR] [--runs all|NAME,...] [--engine]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evictsim.keyspace.allocator import alloc, free
from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.replay import replay
from evictsim.keyspace.allocator.state import new_allocator
from evictsim.traces import open_trace
from evictsim.traces.base import RequestChunk
from evictsim.validate.allocator_fidelity import (
    FRAG_RUNS,
    REF,
    TABLE_HEAD,
    compare,
    format_row,
    load_run,
    run_names,
    simulate,
)


def model_run(reference: Path, name: str, quantum: int = 16) -> tuple[dict, dict, float]:
    """The trace's allocations replayed through the model alone (no eviction, no expiry: frag runs)."""
    run = load_run(name, reference)
    s = run.series
    chunk = RequestChunk.concat(list(open_trace(run.trace, cache=False).chunks()))
    state = new_allocator(quantum, max_slabs=1 << 18, max_large=1 << 10,
                          base_allocated=int(s["allocator_allocated"][0]),
                          base_active=int(s["allocator_active"][0]),
                          base_resident=int(s["allocator_resident"][0]),
                          process_baseline_rss=int(s["used_memory_rss"][0] - s["allocator_resident"][0]))
    started = time.perf_counter()
    ticks = replay(chunk, state, duration_s=float(np.ceil(s["t_nominal"][-1])) + 1,
                   used_memory_base=int(s["used_memory"][0]))
    ticks["requests"] = np.full(len(ticks["t_s"]), len(chunk))
    return s, ticks, time.perf_counter() - started


def engine_run(reference: Path, name: str, quantum: int = 16) -> tuple[dict, dict, float]:
    """The same run simulated end to end with ``allocator-model jemalloc``; its time series as ticks."""
    run = load_run(name, reference)
    ticks, elapsed = simulate(run, quantum)
    return run.series, ticks, elapsed


@kernel
def _churn(state, sizes, live, order, now_us):
    """Steady-state churn: free a random live region, allocate one of the next size (compiled, as the
    core will call the model)."""
    for i in range(len(order)):
        slot = order[i]
        free(state, live[slot], now_us)
        live[slot] = alloc(state, sizes[i], now_us)


def measure_cost(n_live: int = 200_000, n_ops: int = 2_000_000) -> float:
    """ns per alloc+free pair on a warm model holding ``n_live`` regions (lognormal sizes ~300 B)."""
    rng = np.random.default_rng(1)
    sizes = np.clip(rng.lognormal(np.log(300), 1.0, n_ops + n_live), 16, 8192).astype(np.int64)
    state = new_allocator(16, max_slabs=1 << 18)
    live = np.array([alloc(state, int(s), 0) for s in sizes[:n_live]], np.int64)
    order = rng.integers(0, n_live, n_ops)
    _churn(state, sizes[:1000], live, order[:1000], 0)          # compile
    started = time.perf_counter()
    _churn(state, sizes[n_live:], live, order, 0)
    return (time.perf_counter() - started) / n_ops * 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REF)
    parser.add_argument("--runs", help="comma-separated run names, or 'all' (default: all with --engine, "
                                       "else the frag runs)")
    parser.add_argument("--series", action="store_true", help="print real vs model every 5 s")
    parser.add_argument("--cost", action="store_true", help="also time alloc+free pairs")
    parser.add_argument("--engine", action="store_true",
                        help="a whole simulation run (allocator-model jemalloc) instead of the replay driver")
    args = parser.parse_args(argv)
    runs = args.runs or ("all" if args.engine else ",".join(FRAG_RUNS))
    names = run_names(args.reference) if runs == "all" else runs.split(",")
    if args.cost:
        print(f"alloc+free pair: {measure_cost():.0f} ns (200k live regions, lognormal ~300 B sizes)")
    print(TABLE_HEAD)
    for name in names:
        series, ticks, elapsed = (engine_run if args.engine else model_run)(args.reference, name)
        rate = int(ticks["requests"][-1]) / elapsed / 1e6
        print(format_row(name, compare(series, ticks), f"{elapsed:.1f} ({rate:.2f} M req/s)"), flush=True)
        if args.series:
            print_series(series, ticks)
    return 0


def print_series(s: dict, ticks: dict) -> None:
    for k in range(0, len(s["t_nominal"]), 5):
        j = int(np.searchsorted(ticks["t_s"], s["t_nominal"][k] - 1e-9))
        print(f"  t={s['t_nominal'][k]:4.0f} used {s['used_memory'][k]:>10} / {ticks['used_memory'][j]:>10}"
              f"  alloc {s['allocator_allocated'][k]:>10} / {ticks['allocator_allocated'][j]:>10}"
              f"  active {s['allocator_active'][k]:>10} / {ticks['allocator_active'][j]:>10}"
              f"  resident {s['allocator_resident'][k]:>10} / {ticks['allocator_resident'][j]:>10}"
              f"  rss {s['used_memory_rss'][k]:>10} / {ticks['used_memory_rss'][j]:>10}")


if __name__ == "__main__":
    raise SystemExit(main())
