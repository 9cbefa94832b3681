"""Per-call overhead of the compiled kernels, as MRC miniature simulations and partitions pay it:
they call the request loop many times on short slices (one router, many small instances).

    .venv/bin/python benchmarks/bench_call_overhead.py

A ``ServerModel`` (allkeys-lru, 1 MB) is fed a small Zipf trace. Each measurement calls one kernel
``--calls`` times and reports µs per call: ``serve`` of a 1-request slice (the Python side builds the
``Requests``/``Recording`` bundles, numba unboxes the ``Core`` and policy bundles) against the same
requests served in one call, so the difference is the per-call overhead; an empty slice; one
``server_cron`` tick through ``ServerModel.cron`` (a resolved entry point, ``evictsim.jit.entry_point``)
and the same tick through numba's dispatcher, which types every argument at every call.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def make_server(policy: str):
    from evictsim.config import RedisConfig
    from evictsim.engine.server import ServerModel
    from evictsim.traces.base import FILL_LOOK_ASIDE
    cfg = RedisConfig(maxmemory=1_000_000, maxmemory_policy=policy)
    return ServerModel(cfg, seed=1, start_time=0.0, fill=FILL_LOOK_ASIDE)


def trace(n: int):
    from evictsim.traces.base import OP_GET, RequestChunk
    rng = np.random.default_rng(7)
    keys = (rng.zipf(1.2, n) % 5000).astype(np.int32)
    return RequestChunk(time=np.arange(n) * 1e-4, op=np.full(n, OP_GET, np.uint8), key=keys,
                        key_len=np.full(n, 10, np.uint16), size=np.full(n, 200, np.int32),
                        ttl_ms=np.zeros(n, np.int64)).normalized()


def per_call_us(fn, calls: int) -> float:
    best = float("inf")
    for _ in range(3):                   # best of 3: the machine may be shared
        t = time.perf_counter()
        for i in range(calls):
            fn(i)
        best = min(best, time.perf_counter() - t)
    return best / calls * 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=20_000)
    p.add_argument("--policy", default="allkeys-lru")
    args = p.parse_args(argv)
    from evictsim.engine import kernel
    chunk = trace(args.calls)
    server = make_server(args.policy)
    t_us = server.prepare(chunk)
    server.serve(t_us, chunk, 0, 100, None)              # compile / load from the cache
    server.cron(int(t_us[0]))

    bulk = make_server(args.policy)
    bulk_t = bulk.prepare(chunk)
    t = time.perf_counter()
    bulk.serve(bulk_t, chunk, 0, len(chunk), None)
    one_pass_us = (time.perf_counter() - t) / len(chunk) * 1e6

    fresh = make_server(args.policy)
    fresh_t = fresh.prepare(chunk)
    sliced_us = per_call_us(lambda i: fresh.serve(fresh_t, chunk, i, i + 1, None), args.calls)
    empty_us = per_call_us(lambda i: server.serve(t_us, chunk, 0, 0, None), args.calls)
    cron_us = per_call_us(lambda i: server.cron(int(t_us[-1])), args.calls)
    raw_us = per_call_us(lambda i: kernel.server_cron(server.core, server.policy_state, int(t_us[-1])),
                         args.calls)
    print(f"| kernel call ({args.policy}) | µs per call |")
    print("|---|---:|")
    print(f"| serve, 1-request slices | {sliced_us:.2f} |")
    print(f"| serve, all requests in one call (per request) | {one_pass_us:.3f} |")
    print(f"| per-call overhead (difference) | {sliced_us - one_pass_us:.2f} |")
    print(f"| serve, empty slice | {empty_us:.2f} |")
    print(f"| server_cron, one tick (ServerModel.cron) | {cron_us:.2f} |")
    print(f"| server_cron through numba's dispatcher (type dispatch per call) | {raw_us:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
