"""Speed and memory of trace readers and workload generators (figures for README_traces.md).

Each measurement runs in a fresh Python process (so peak RSS is its own) and streams the whole trace
the way the engine does: chunk by chunk, each chunk made engine-ready with ``normalized()``.

    python benchmarks/bench_traces.py                 # speed: readers and generators
    python benchmarks/bench_traces.py --memory 50000000   # + peak RSS at 5M and at 50M requests

Timing excludes interpreter start, imports and numba's first compilation; each figure is the best of
3 passes in one process (first-pass costs such as page faults on fresh memory are in "parse + write
the column cache", which is one pass). Peak RSS includes the ~250 MiB that importing numba, scipy
and pyarrow costs.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference" / "traces" / "zipf_ttl.csv.gz"
REPEATS = 3  # best of 3 passes in one process: the machine is shared, the minimum is the signal
GENERATORS = ["zipf", "uniform", "hotspot", "shifting", "scan", "diurnal", "namespaces", "ycsb"]


def consume(trace) -> int:
    n = 0
    for chunk in trace.chunks():
        n += len(chunk.normalized())
    return n


def measure(kind: str, arg: str, requests: int) -> dict:
    """One measurement in this process: kind is read, read-cached, or generate."""
    from evictsim.traces import _load_builtin_formats, open_trace
    from evictsim.workloads import build_workload
    _load_builtin_formats()                                  # imports are not reading
    consume(build_workload("zipf", {"requests": 1000}, seed=1))   # nor is loading numba's cache
    def one_pass() -> tuple[int, float]:
        start = time.perf_counter()
        if kind == "generate":
            n = consume(build_workload(arg, {"requests": requests}, seed=1))
        elif kind == "read-cached":
            n = consume(open_trace(arg, cache=True))
        else:
            n = consume(open_trace(arg, cache=kind == "read-first"))
        return n, time.perf_counter() - start

    if kind == "read-cached":
        consume(open_trace(arg, cache=True))  # makes the cache if the caller has not
    passes = 1 if kind == "read-first" else REPEATS
    n, seconds = min((one_pass() for _ in range(passes)), key=lambda r: r[1])
    return {"requests": n, "seconds": seconds, "rate": n / seconds,
            "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(kind: str, arg: str, requests: int = 0, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, arg, str(requests)], check=True,
                         capture_output=True, text=True, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(label: str, r: dict) -> str:
    return (f"| {label} | {r['requests']:,} | {r['seconds']:.2f} | {r['rate'] / 1e6:.1f} "
            f"| {r['max_rss_mib']:.0f} |")


def speed(tmp: Path) -> list[str]:
    from evictsim.traces import open_trace, write_trace
    env = {"EVICTSIM_CACHE_DIR": str(tmp / "cache")}
    lines = ["| what | requests | seconds | M requests/s | peak RSS MiB |", "|---|---:|---:|---:|---:|"]
    lines.append(row("native `.csv.gz` (zipf_ttl), parse", run_child("read", str(REFERENCE), env=env)))
    lines.append(row("native `.csv.gz`, parse + write the column cache",
                     run_child("read-first", str(REFERENCE), env=env)))
    lines.append(row("column cache (second run)", run_child("read-cached", str(REFERENCE), env=env)))
    source = open_trace(REFERENCE, cache=False)
    for name in ("zipf_ttl.csv.zst", "zipf_ttl.twr", "zipf_ttl.oracleGeneral.zst", "zipf_ttl.monitor.gz"):
        write_trace(source, tmp / name)
        lines.append(row(f"`{name.split('.', 1)[1]}`, parse", run_child("read", str(tmp / name), env=env)))
    for name in GENERATORS:
        lines.append(row(f"generator `{name}` (defaults)", run_child("generate", name, 5_000_000)))
    return lines


def memory(tmp: Path, big: int) -> list[str]:
    from evictsim.traces import write_trace
    from evictsim.workloads import build_workload
    env = {"EVICTSIM_CACHE_DIR": str(tmp / "cache")}
    lines = ["| what (zipf, 100k keys) | requests | seconds | M requests/s | peak RSS MiB |",
             "|---|---:|---:|---:|---:|"]
    for n in (big // 10, big):
        lines.append(row(f"generate {n:,}", run_child("generate", "zipf", n)))
    for n in (big // 10, big):
        path = tmp / f"zipf{n}.csv.gz"
        write_trace(build_workload("zipf", {"requests": n}, seed=1), path)
        lines.append(row(f"read native `.csv.gz` {n:,}", run_child("read", str(path), env=env)))
        run_child("read-first", str(path), env=env)
        lines.append(row(f"read column cache {n:,}", run_child("read-cached", str(path), env=env)))
        path.unlink()
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--memory", type=int, default=0, metavar="N",
                   help="also measure peak RSS at N/10 and N requests (e.g. 50000000)")
    args = p.parse_args()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        print("\n".join(speed(Path(tmp))))
        if args.memory:
            print()
            print("\n".join(memory(Path(tmp), args.memory)))


if __name__ == "__main__":
    main()
