"""The allocator model against real Redis: replay the ``frag_*`` reference traces and compare.

For each reference run (noeviction, no limit), the trace's allocations are replayed through the
jemalloc model (``evictsim.keyspace.allocator.replay``) starting from the run's own sample 0 (the
empty server's allocator figures and RSS: an initial condition, not a fit), and the model's cron
samples are compared with the real 1-s INFO series after the first 10 s: mean and worst relative
error of ``allocator_active`` and ``used_memory_rss``, mean and worst absolute error of
``allocator_frag_ratio`` and of ``mem_fragmentation_ratio``, and whether RSS stays flat where real RSS
stays flat. ``--engine`` runs the same comparison on a whole simulation run instead
(``allocator-model jemalloc``: the model behind the core's allocator hook, its columns in
timeseries.csv), with the same initial condition as config keys and the run's own policy and
maxmemory, so ``--runs`` may name any reference run (evictions and TTLs included). Usage::

    .venv/bin/python benchmarks/fidelity_allocator.py [--reference DIR] [--runs frag_resize,...] [--engine]
"""
from __future__ import annotations

import argparse
import json
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

DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
RUNS = ("frag_resize__noeviction__nolimit", "frag_delrefill__noeviction__nolimit")
SKIP_S = 10
FLAT_BYTES = 256 * 1024        # a 1-s RSS step under this counts as flat


def load_series(run_json: Path) -> dict:
    data = json.loads(run_json.read_text())
    return {"series": {k: np.asarray(v) for k, v in data["series"].items()},
            "trace": data["trace_file"]}


def model_run(reference: Path, name: str, quantum: int = 16) -> tuple[dict, dict, float]:
    run = load_series(reference / "redis-7.0.15" / f"{name}.json")
    s = run["series"]
    trace = open_trace(reference / run["trace"], cache=False)
    chunk = RequestChunk.concat(list(trace.chunks()))
    run["n_requests"] = len(chunk)
    state = new_allocator(quantum, max_slabs=1 << 18, max_large=1 << 10,
                          base_allocated=int(s["allocator_allocated"][0]),
                          base_active=int(s["allocator_active"][0]),
                          base_resident=int(s["allocator_resident"][0]),
                          process_baseline_rss=int(s["used_memory_rss"][0] - s["allocator_resident"][0]))
    started = time.perf_counter()
    ticks = replay(chunk, state, duration_s=float(np.ceil(s["t_nominal"][-1])) + 1,
                   used_memory_base=int(s["used_memory"][0]))
    elapsed = time.perf_counter() - started
    return run, ticks, elapsed


def engine_run(reference: Path, name: str, quantum: int = 16) -> tuple[dict, dict, float]:
    """The same run simulated end to end with ``allocator-model jemalloc``; its time series as ticks."""
    import evictsim

    data = json.loads((reference / "redis-7.0.15" / f"{name}.json").read_text())
    run = load_series(reference / "redis-7.0.15" / f"{name}.json")
    s = run["series"]
    trace = open_trace(reference / run["trace"], cache=False)
    starts = reference / "redis-7.0.15" / "start_times.json"
    start_time = json.loads(starts.read_text()).get(name, 0.0) if starts.exists() else 0.0
    config = {"maxmemory-samples": 5, "hz": 10, "lfu-log-factor": 10, "lfu-decay-time": 1,
              "jemalloc-quantum": quantum, "allocator-model": "jemalloc",
              "allocator-base-allocated": int(s["allocator_allocated"][0]),
              "allocator-base-active": int(s["allocator_active"][0]),
              "allocator-base-resident": int(s["allocator_resident"][0]),
              "process-baseline-rss": int(s["used_memory_rss"][0] - s["allocator_resident"][0])}
    result = evictsim.simulate(trace, maxmemory=int(data.get("maxmemory") or 0),
                               policy=data.get("policy", "noeviction"), start_time=start_time, config=config)
    ts = result.timeseries
    run["n_requests"] = int(ts["requests"][-1])
    ticks = {"t_s": ts["time"], **{c: ts[c] for c in ("allocator_allocated", "allocator_active",
                                                      "allocator_resident", "used_memory_rss",
                                                      "used_memory")}}
    return run, ticks, float(result.summary["timing"]["simulate_s"])


def compare(series: dict, ticks: dict) -> dict:
    """Errors of the model's samples at the real samples' whole seconds, after SKIP_S."""
    t = series["t_nominal"]
    keep = t >= SKIP_S
    idx = np.searchsorted(ticks["t_s"], t[keep] - 1e-9)
    out = {}
    for field in ("allocator_active", "used_memory_rss", "allocator_allocated"):
        real = series[field][keep].astype(float)
        model = ticks[field][idx].astype(float)
        rel = np.abs(model - real) / real
        out[field] = (float(rel.mean()), float(rel.max()))
    real_frag = series["allocator_active"][keep] / series["allocator_allocated"][keep]
    model_frag = ticks["allocator_active"][idx] / ticks["allocator_allocated"][idx]
    err = np.abs(model_frag - real_frag)
    out["allocator_frag_ratio"] = (float(err.mean()), float(err.max()))
    real_mfr = series["used_memory_rss"][keep] / series["used_memory"][keep]
    model_mfr = ticks["used_memory_rss"][idx] / ticks["used_memory"][idx]
    err = np.abs(model_mfr - real_mfr)
    out["mem_fragmentation_ratio"] = (float(err.mean()), float(err.max()))
    real_flat = np.abs(np.diff(series["used_memory_rss"][keep])) < FLAT_BYTES
    model_flat = np.abs(np.diff(ticks["used_memory_rss"][idx])) < FLAT_BYTES
    out["rss_flat_agreement"] = float(np.mean(real_flat == model_flat))
    out["rss_falls_real"] = int(np.sum(np.diff(series["used_memory_rss"][keep]) < -FLAT_BYTES))
    out["rss_falls_model"] = int(np.sum(np.diff(ticks["used_memory_rss"][idx]) < -FLAT_BYTES))
    return out


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
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--series", action="store_true", help="print real vs model every 5 s")
    parser.add_argument("--cost", action="store_true", help="also time alloc+free pairs")
    parser.add_argument("--engine", action="store_true",
                        help="a whole simulation run (allocator-model jemalloc) instead of the replay driver")
    args = parser.parse_args(argv)
    if args.cost:
        print(f"alloc+free pair: {measure_cost():.0f} ns (200k live regions, lognormal ~300 B sizes)")
    print("| run | active mean / worst | RSS mean / worst | allocated mean / worst | frag_ratio abs "
          "mean / worst | mem_frag_ratio abs mean / worst | RSS flat agree | replay s |")
    print("|---|---|---|---|---|---|---|---:|")
    for name in args.runs.split(","):
        run, ticks, elapsed = (engine_run if args.engine else model_run)(args.reference, name)
        elapsed = f"{elapsed:.1f} ({run['n_requests'] / elapsed / 1e6:.2f} M req/s)"
        r = compare(run["series"], ticks)
        pct = lambda v: f"{100 * v[0]:.2f}% / {100 * v[1]:.2f}%"
        print(f"| {name} | {pct(r['allocator_active'])} | {pct(r['used_memory_rss'])} | "
              f"{pct(r['allocator_allocated'])} | {r['allocator_frag_ratio'][0]:.3f} / "
              f"{r['allocator_frag_ratio'][1]:.3f} | {r['mem_fragmentation_ratio'][0]:.3f} / "
              f"{r['mem_fragmentation_ratio'][1]:.3f} | {100 * r['rss_flat_agreement']:.0f}% "
              f"(falls real {r['rss_falls_real']}, model {r['rss_falls_model']}) | {elapsed} |")
        if args.series:
            s = run["series"]
            for k in range(0, len(s["t_nominal"]), 5):
                j = int(np.searchsorted(ticks["t_s"], s["t_nominal"][k] - 1e-9))
                print(f"  t={s['t_nominal'][k]:4.0f} used {s['used_memory'][k]:>10} / {ticks['used_memory'][j]:>10}"
                      f"  alloc {s['allocator_allocated'][k]:>10} / {ticks['allocator_allocated'][j]:>10}"
                      f"  active {s['allocator_active'][k]:>10} / {ticks['allocator_active'][j]:>10}"
                      f"  resident {s['allocator_resident'][k]:>10} / {ticks['allocator_resident'][j]:>10}"
                      f"  rss {s['used_memory_rss'][k]:>10} / {ticks['used_memory_rss'][j]:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
