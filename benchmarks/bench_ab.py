"""A refactor's speed, before and after, in one run: simulate-only requests/s of two source trees
of evictsim on the same in-memory trace, alternating runs, each in its own process.

    .venv/bin/python benchmarks/bench_ab.py --before ../evictsim-before --after . --requests 3000000

Each tree is imported through PYTHONPATH; the trace is ``bench_simulate_trace``'s Zipf (1M keys,
lognormal values, and a TTL on half the keys for ``volatile-ttl``), maxmemory at 25% of the
footprint as in ``bench_simulate.py``. The best of ``--repeat`` timed runs per tree and policy is
reported (after a warm-up run that pays compilation), as wall-clock ``simulate_s`` and as the
process's CPU seconds for the whole call (steadier on a machine others are loading).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {bench!r})
import evictsim
from bench_simulate_trace import load_arrays
chunk = load_arrays({npz!r})
warm = chunk.slice(0, 200_000)
evictsim.simulate(warm, maxmemory={mm}, policy={policy!r})
t0, c0 = time.perf_counter(), time.process_time()
res = evictsim.simulate(chunk, maxmemory={mm}, policy={policy!r})
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({{"wall": wall, "cpu": cpu, "simulate_s": res.summary["timing"]["simulate_s"],
                   "hit_ratio": res.summary["hit_ratio"], "evicted": res.summary["evicted_keys"]}}))
"""


def run_one(tree: Path, npz: Path, mm: int, policy: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    code = WORKER.format(bench=str(HERE), npz=str(npz), mm=mm, policy=policy)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=str(tree))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--requests", type=int, default=3_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--policies", default="allkeys-lru,allkeys-lfu,volatile-ttl")
    args = p.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_simulate_trace import TraceSpec, cached_trace
    cache = Path(tempfile.gettempdir()) / "evictsim-bench"
    trees = {"before": Path(args.before).resolve(), "after": Path(args.after).resolve()}
    print("| policy | trace | before req/s | after req/s | after/before | after/before (CPU s) | hit ratio equal |")
    print("|---|---|---:|---:|---:|---:|---|")
    for policy in args.policies.split(","):
        ttl = policy.startswith("volatile")
        spec = TraceSpec("zipf_ttl" if ttl else "zipf", args.requests, ttl_frac=0.5 if ttl else 0.0)
        paths = cached_trace(spec, cache)
        import evictsim
        from bench_simulate_trace import load_arrays
        once = load_arrays(paths["npz"])
        fp = evictsim.simulate(once, maxmemory=0, policy="noeviction").summary["used_memory"]
        mm = 977_024 + (fp - 977_024) // 4
        best = {"before": None, "after": None}
        cpu = {"before": None, "after": None}
        hits = {}
        for _ in range(args.repeat):
            for name, tree in trees.items():
                r = run_one(tree, paths["npz"], mm, policy)
                hits[name] = r["hit_ratio"]
                if best[name] is None or r["simulate_s"] < best[name]:
                    best[name] = r["simulate_s"]
                if cpu[name] is None or r["cpu"] < cpu[name]:
                    cpu[name] = r["cpu"]
        before, after = args.requests / best["before"], args.requests / best["after"]
        print(f"| {policy} | {spec.name} ({args.requests:,} req) | {before / 1e6:.2f} M | {after / 1e6:.2f} M | "
              f"{after / before:.3f} | {cpu['before'] / cpu['after']:.3f} | {hits['before'] == hits['after']} |", flush=True)


if __name__ == "__main__":
    main()
