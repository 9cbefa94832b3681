"""What per-namespace counters cost: simulate-only time (``summary["timing"]["simulate_s"]``) of one
trace with namespaces off and on (64 key prefixes), in one process, the two alternating, best of N.

    .venv/bin/python benchmarks/bench_namespaces.py                          # 2M requests, 64 prefixes
    .venv/bin/python benchmarks/bench_namespaces.py --requests 200000 --repeat 1   # smoke run

The trace: the ``namespaces`` generator with 64 prefixes ``ns00:`` .. ``ns63:`` (equal shares, 4,000
keys each, Zipf 0.9, 200-B values, half of them with a 60-s TTL), held in memory as one chunk with its
key names, so neither run pays for generating it. maxmemory is a quarter of what its keys cost, under
allkeys-lru, so eviction and expiry (which the namespace counters also count) run throughout. The
first call of each mode is a warm-up (numba compiles nothing new: the namespace table is an argument).
On a shared machine the wall time of identical runs swings by tens of %, so the process's CPU time
around each call is reported too, as the median ratio of the runs paired by round.
Both modes must give the same counters: the script checks it, so a faster "on" that changed results
cannot pass.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # the evictsim of this checkout

COUNTERS = ("keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys", "used_memory", "keys")


def build_trace(requests: int, prefixes: int, seed: int):
    from evictsim.traces.base import ArrayTrace, RequestChunk
    from evictsim.workloads import build_workload
    spaces = [{"prefix": f"ns{i:02d}:", "share": 1.0, "keys": 4000, "alpha": 0.9, "value-size": 200,
               "ttl": 60, "ttl-fraction": 0.5} for i in range(prefixes)]
    trace = build_workload("namespaces", {"requests": requests, "rate": 100_000, "namespaces": spaces}, seed)
    parts = [c.normalized() for c in trace.chunks()]
    chunk = RequestChunk(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                           ("time", "op", "key", "key_len", "size", "ttl_ms")))
    names = trace.key_namer.names_for(np.arange(chunk.max_key + 1)).to_pylist()
    return ArrayTrace(chunk, name=f"namespaces-{prefixes}", key_names=names)


def footprint(trace) -> int:
    from evictsim.keyspace.memory import key_bytes_array
    chunk = trace.requests
    last = len(chunk) - 1 - np.unique(chunk.key[::-1], return_index=True)[1]
    return int(key_bytes_array(chunk.key_len[last], chunk.size[last], chunk.ttl_ms[last] > 0).sum())


def run(trace, maxmemory: int, namespaces) -> dict:
    import evictsim
    cpu = time.process_time()
    result = evictsim.simulate(trace, maxmemory=maxmemory, policy="allkeys-lru", namespaces=namespaces)
    return {"simulate_s": result.summary["timing"]["simulate_s"], "cpu_s": time.process_time() - cpu,
            "counters": {k: result.summary[k] for k in COUNTERS},
            "namespaces": len(result.summary.get("namespaces", {}))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2_000_000)
    ap.add_argument("--prefixes", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per mode (best counts)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    trace = build_trace(args.requests, args.prefixes, args.seed)
    maxmemory = 1_000_000 + footprint(trace) // 4
    import evictsim
    print(f"evictsim from {Path(evictsim.__file__).parent}")
    print(f"trace: {len(trace.requests):,} requests, {trace.requests.max_key + 1:,} keys, "
          f"{args.prefixes} prefixes, built in {time.perf_counter() - t0:.1f} s; maxmemory {maxmemory:,} B")
    modes = {"off": None, "on": True}
    for mode in modes.values():                          # warm-up: kernels loaded, caches primed
        run(trace, maxmemory, mode)
    wall: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    seen: dict[str, dict] = {}
    for _ in range(args.repeat):                         # alternating, so drift hits both alike
        for name, mode in modes.items():
            out = run(trace, maxmemory, mode)
            wall[name].append(out["simulate_s"])
            cpu[name].append(out["cpu_s"])
            seen[name] = out
    if seen["off"]["counters"] != seen["on"]["counters"]:
        raise SystemExit(f"namespaces changed the results: {seen['off']['counters']} vs {seen['on']['counters']}")
    best = {m: min(v) for m, v in wall.items()}
    # on a shared machine wall time swings by tens of % between identical runs; the process's CPU
    # time does not, and the median of the paired (same round) ratios is robust to a slow round
    paired = sorted(on / off for on, off in zip(cpu["on"], cpu["off"]))
    cpu_overhead = paired[len(paired) // 2] - 1
    overhead = best["on"] / best["off"] - 1
    print(json.dumps({"requests": len(trace.requests), "namespaces_counted": seen["on"]["namespaces"],
                      "simulate_s_off": wall["off"], "simulate_s_on": wall["on"],
                      "cpu_s_off": [round(x, 3) for x in cpu["off"]], "cpu_s_on": [round(x, 3) for x in cpu["on"]],
                      "best_off_s": round(best["off"], 3), "best_on_s": round(best["on"], 3),
                      "overhead_best_simulate_s": round(overhead, 4),
                      "overhead_median_paired_cpu": round(cpu_overhead, 4)}, indent=1))
    print(f"namespaces on costs {100 * overhead:+.1f}% of simulate-only time (timing.simulate_s, best of "
          f"{args.repeat}: {best['off']:.2f} s off, {best['on']:.2f} s on); {100 * cpu_overhead:+.1f}% of CPU "
          f"time (median of {args.repeat} paired runs)")


if __name__ == "__main__":
    main()
