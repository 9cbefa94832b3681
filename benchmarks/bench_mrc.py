"""What does a miss-ratio curve cost, beside one full simulation at one size? (issue 10, MRC cost)

    .venv/bin/python benchmarks/bench_mrc.py                     # reference zipf + the 10M-request trace
    .venv/bin/python benchmarks/bench_mrc.py --requests 2000000  # a smaller benchmark trace

For each trace, in one process and interleaved (best of ``--repeat``): ``evictsim.simulate`` of the
gzip CSV at one maxmemory (allkeys-lru; parsing included), and ``evictsim.mrc`` of the same file with
``--points`` sizes (allkeys-lru, ``method=auto``: miniature simulations; parsing included), then
SHARDS for exact LRU on the same points for comparison. The parse cache is off so both read the CSV.
The curve's hit ratio at that maxmemory (linear between its points) is set beside the full run's.
Traces: ``tests/data/reference/traces/zipf.csv.gz`` (1.2M requests, 86k keys, maxmemory 14443520 as
the reference runs' mm25) and the ``bench_simulate.py`` trace (Zipf 1.0 over 1M keys, maxmemory at
25% of the footprint the curve estimates).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ["EVICTSIM_TRACE_CACHE"] = "off"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_simulate_trace import TraceSpec, cached_trace  # noqa: E402

REFERENCE = HERE.parent / "tests" / "data" / "reference" / "traces" / "zipf.csv.gz"
POLICY = "allkeys-lru"


def warm_up() -> None:
    """Pay numba's compilations (simulate with and without outcomes, the stack kernels) up front."""
    import evictsim
    evictsim.mrc(str(REFERENCE), POLICY, sizes=[4 << 20, 8 << 20], sample_rate=0.01)
    evictsim.mrc(str(REFERENCE), POLICY, sizes=[4 << 20], method="shards", sample_rate=0.01)
    evictsim.simulate(str(REFERENCE), maxmemory=8 << 20, policy=POLICY)


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def measure(path: str, maxmemory: int | None, points: int, repeat: int) -> dict:
    import evictsim
    full_s, curve_s, shards_s = [], [], []
    curve = full = None
    for _ in range(repeat):
        seconds, curve = timed(lambda: evictsim.mrc(path, POLICY, points=points))
        curve_s.append(seconds)
        if maxmemory is None:       # 25% of the footprint the curve estimated, above the fixed bytes
            maxmemory = int(curve.summary["fixed_bytes"] + curve.summary["footprint_bytes"] // 4)
        seconds, full = timed(lambda: evictsim.simulate(path, maxmemory=maxmemory, policy=POLICY))
        full_s.append(seconds)
        seconds, _ = timed(lambda: evictsim.mrc(path, POLICY, sizes=list(curve.maxmemory), method="shards"))
        shards_s.append(seconds)
    at_size = float(np.interp(maxmemory, curve.maxmemory, curve.hit_ratio))
    return {"trace": Path(path).name, "requests": curve.summary["trace_requests"],
            "keys": curve.summary["trace_keys"], "maxmemory": maxmemory, "points": len(curve.rows),
            "method": curve.summary["method"], "sample_rate": curve.summary["sample_rate"],
            "sampled_keys": curve.summary["sampled_keys"], "full_s": min(full_s), "mrc_s": min(curve_s),
            "shards_s": min(shards_s), "full_all": full_s, "mrc_all": curve_s,
            "hit_ratio_full": full.hit_ratio, "hit_ratio_curve": at_size}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=10_000_000, help="benchmark trace length")
    p.add_argument("--keys", type=int, default=1_000_000)
    p.add_argument("--points", type=int, default=50)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "evictsim-bench"))
    args = p.parse_args()
    t0 = time.perf_counter()
    bench = cached_trace(TraceSpec("zipf", args.requests, n_keys=args.keys), Path(args.cache_dir))["csv"]
    print(f"benchmark trace ready in {time.perf_counter() - t0:.1f} s: {bench}", flush=True)
    warm_up()
    rows = [measure(str(REFERENCE), 14443520, args.points, args.repeat),
            measure(str(bench), None, args.points, args.repeat)]
    print("| trace | requests | keys | points | method, sample | full simulation, one size | "
          "curve (auto) | ratio | SHARDS exact LRU, same points | hit ratio full / curve at that size |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['trace']} | {r['requests']:,} | {r['keys']:,} | {r['points']} | {r['method']}, rate "
              f"{r['sample_rate']:.3g} ({r['sampled_keys']:,} keys) | {r['full_s']:.2f} s | {r['mrc_s']:.2f} s | "
              f"{r['mrc_s'] / r['full_s']:.2f}× | {r['shards_s']:.2f} s | {100 * r['hit_ratio_full']:.3f}% / "
              f"{100 * r['hit_ratio_curve']:.3f}% (maxmemory {r['maxmemory']:,}) |")
    for r in rows:
        print(f"{r['trace']}: full runs {['%.2f' % s for s in r['full_all']]}, curves {['%.2f' % s for s in r['mrc_all']]}")


if __name__ == "__main__":
    main()
