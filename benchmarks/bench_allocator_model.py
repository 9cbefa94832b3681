"""What the jemalloc model costs: simulate-only time with ``allocator-model none`` and ``jemalloc``.

    .venv/bin/python benchmarks/bench_allocator_model.py [--requests 2000000] [--maxmemory BYTES]

One benchmark trace of ``bench_simulate_trace.py`` (Zipf 1.0, lognormal values, 100k req/s; arrays
already in memory), ``allkeys-lru`` at ``--maxmemory`` (default: 25% of the footprint, computed
the way ``bench_simulate.py`` does). Both models are warmed up first (numba's compilation is not
timed); then the two runs alternate ``--repeat`` times and the best of each is reported, as wall
seconds and as this process's CPU seconds (the machine may be shared: CPU time is the steadier).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from bench_simulate_trace import TraceSpec, cached_trace, load_arrays  # noqa: E402

import evictsim  # noqa: E402
from evictsim.config import RedisConfig  # noqa: E402


def footprint_maxmemory(chunk) -> int:
    """Baseline + 25% of what the distinct keys cost in Redis (``bench_simulate.maxmemory_for``)."""
    _, first = np.unique(chunk.key, return_index=True)
    idx = np.sort(first)
    once = type(chunk)(time=np.linspace(0.0, 0.5, len(idx)), op=chunk.op[idx], key=chunk.key[idx],
                       key_len=chunk.key_len[idx], size=chunk.size[idx], ttl_ms=chunk.ttl_ms[idx])
    used = int(evictsim.simulate(once, maxmemory=0, policy="noeviction").summary["used_memory"])
    baseline = RedisConfig().baseline_memory
    return baseline + (used - baseline) // 4


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000_000)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--maxmemory", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache-dir", default="/tmp/evictsim-bench")
    args = parser.parse_args(argv)
    paths = cached_trace(TraceSpec("zipf", args.requests, n_keys=args.keys), Path(args.cache_dir))
    chunk = load_arrays(paths["npz"])
    maxmemory = args.maxmemory or footprint_maxmemory(chunk)
    models = ("none", "jemalloc")
    warm = chunk.slice(0, min(200_000, len(chunk)))
    for model in models:
        evictsim.simulate(warm, maxmemory=maxmemory, policy="allkeys-lru", allocator_model=model)
    best = {m: (float("inf"), float("inf")) for m in models}
    results = {}
    for _ in range(args.repeat):
        for model in models:
            wall, cpu = time.perf_counter(), time.process_time()
            results[model] = evictsim.simulate(chunk, maxmemory=maxmemory, policy="allkeys-lru",
                                               allocator_model=model)
            took = (time.perf_counter() - wall, time.process_time() - cpu)
            best[model] = tuple(min(a, b) for a, b in zip(best[model], took))
    assert results["none"].summary["used_memory"] == results["jemalloc"].summary["used_memory"]
    print(f"trace zipf_{args.requests} ({args.keys:,} keys), allkeys-lru, maxmemory {maxmemory:,} B, "
          f"best of {args.repeat}")
    print("| allocator-model | wall s | CPU s | requests/s (CPU) | final used_memory_rss |")
    print("|---|---:|---:|---:|---:|")
    for model in models:
        wall, cpu = best[model]
        rss = results[model].timeseries.get("used_memory_rss")
        print(f"| {model} | {wall:.2f} | {cpu:.2f} | {args.requests / cpu:,.0f} | "
              f"{'-' if rss is None else f'{int(rss[-1]):,}'} |")
    ratio = best["jemalloc"][1] / best["none"][1]
    print(f"jemalloc / none CPU time: {ratio:.2f}x ({100 * (ratio - 1):+.0f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
