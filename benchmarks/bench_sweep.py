"""How long does a sweep take, and what does the experiment runner itself cost per run?

    .venv/bin/python benchmarks/bench_sweep.py                     # 24 runs × 2M requests
    .venv/bin/python benchmarks/bench_sweep.py --requests 200000   # quick smoke run
    .venv/bin/python benchmarks/bench_sweep.py --requests 10000000 --sizes 8mb,16mb,32mb,64mb \
        --replications 4 --no-dask                                  # issue 9's 64 runs × 10M

The sweep: Zipf(0.99) over 100k keys, lognormal values (median 300 B), TTLs of 1-10 min; four
policies (allkeys-lru, allkeys-lfu, allkeys-random, volatile-ttl) × three sizes (8, 16, 32 MiB) × two
replications = 24 runs, through ``run_experiment`` exactly as ``evictsim run`` calls it (without the
plots, which are timed separately). Each configuration runs in its own fresh output folder with
1 and 2 local workers, and with Dask on a 2-worker LocalCluster.

Where the time goes, per run:

* engine: ``summary.json`` ``timing.total_s`` (trace generation/loading + simulation, as the engine
  measures it);
* worker: the worker's wall time for the run (building the workload object + the engine);
* runner overhead: the sweep's wall time × workers − Σ engine time, divided by the runs: everything
  that is not simulating (expansion and validation, process start-up, shipping results back, writing
  run folders and tables), spread over the runs.

A warm-up run first fills numba's on-disk cache so no measurement pays compilation.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

EXPERIMENT = """\
name: bench_sweep
workload:
  generator: zipf
  keys: 100000
  alpha: 0.99
  requests: {requests}
  rate: 20000
  value-size: {{dist: lognormal, median: 300, sigma: 1.0}}
  ttl: {{dist: uniform, min: 60, max: 600}}
redis:
  maxmemory-policy: allkeys-lru
sweep:
  redis.maxmemory-policy: [allkeys-lru, allkeys-lfu, allkeys-random, volatile-ttl]
  redis.maxmemory: [{sizes}]
replications: {replications}
"""


def run_once(path: Path, out: Path, **kw) -> dict:
    from evictsim.experiments import run_experiment
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    report = run_experiment(path, out, progress=False, report=False, **kw)
    wall = time.perf_counter() - start
    assert report.ok and report.completed == len(report.runs), report.failed
    engine = 0.0
    for run_dir in (out / "runs").iterdir():
        engine += json.loads((run_dir / "summary.json").read_text())["timing"]["total_s"]
    return {"runs": len(report.runs), "wall_s": wall, "engine_s": engine, "worker_s": report.worker_s}


def timed_plots(out: Path) -> float:
    from evictsim.report import build_report
    start = time.perf_counter()
    build_report(out)
    return time.perf_counter() - start


def row(label: str, workers: int, m: dict) -> str:
    n = m["runs"]
    overhead = (m["wall_s"] * workers - m["engine_s"]) / n
    return (f"| {label} | {workers} | {m['wall_s']:.1f} | {m['engine_s'] / n:.2f} | {m['worker_s'] / n:.2f} | "
            f"{overhead * 1000:.0f} | {overhead / (m['engine_s'] / n):.0%} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2_000_000)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--workers", default="1,2", help="comma-separated pool sizes to measure (first = 1)")
    ap.add_argument("--sizes", default="8mb,16mb,32mb", help="comma-separated maxmemory values swept")
    ap.add_argument("--replications", type=int, default=2, help="seeds per configuration")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    path = work / "bench_sweep.yaml"
    path.write_text(EXPERIMENT.format(requests=args.requests, sizes=", ".join(args.sizes.split(",")),
                                      replications=args.replications))

    import evictsim
    from evictsim.workloads import build_workload
    warm = build_workload("zipf", {"keys": 1000, "requests": 5000, "ttl": 60}, seed=0)
    for policy in ("allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-ttl"):
        evictsim.simulate(warm, maxmemory="1mb", policy=policy)      # fill numba's cache

    counts = [int(w) for w in args.workers.split(",")]
    results = [("local, in-process" if n == 1 else "local process pool", n,
                run_once(path, work / f"w{n}", workers=n)) for n in counts]
    if not args.no_dask:
        from dask.distributed import LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            results.append(("Dask LocalCluster (started beforehand)", 2,
                            run_once(path, work / "dask", executor="dask", scheduler=c.scheduler_address)))
    plots_s = timed_plots(work / f"w{counts[-1]}")

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}; {results[0][2]['runs']} runs of {args.requests:,} requests\n")
    print("| executor | workers | sweep wall (s) | engine per run (s) | worker per run (s) | "
          "runner overhead per run (ms) | overhead / engine |")
    print("|---|---|---|---|---|---|---|")
    for label, workers, m in results:
        print(row(label, workers, m))
    one = results[0][2]["wall_s"]
    speedups = ", ".join(f"{n} workers {one / m['wall_s']:.2f}×" for _, n, m in results[1:])
    print(f"\nspeed-up against 1 worker: {speedups}; plots + report afterwards: {plots_s:.1f} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
