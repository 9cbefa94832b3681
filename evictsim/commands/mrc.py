"""``evictsim mrc``: a miss-ratio curve (hit ratio against maxmemory) → mrc.csv, mrc.png, summary.json.

SHARDS for exact LRU, miniature simulations for every other policy, full simulations as the
reference (``--method``); ``auto`` says on stderr which it chose and why. Settings as for
``simulate`` (``--set``, ``--config``); nothing is written into ``--out`` unless the curve succeeded.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evictsim.errors import UserInputError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("mrc", help="miss-ratio curve of a policy on a trace",
                              description=__doc__.splitlines()[0])
    p.add_argument("--trace", required=True, metavar="PATH", help="trace file (FORMAT:PATH allowed)")
    p.add_argument("--maxmemory-policy", metavar="NAME", help="allkeys-lru, allkeys-lfu, volatile-ttl, ...")
    sizes = p.add_mutually_exclusive_group(required=True)
    sizes.add_argument("--sizes", metavar="S1,S2,...", help="maxmemory values, e.g. 4mb,8mb,16mb")
    sizes.add_argument("--points", type=int, metavar="N", help="N even sizes up to the trace's footprint")
    p.add_argument("--method", default="auto", metavar="NAME", help="auto (default), shards, minisim, full")
    sample = p.add_mutually_exclusive_group()
    sample.add_argument("--sample-rate", type=float, metavar="R", help="SHARDS fixed rate in (0, 1]")
    sample.add_argument("--sample-size", type=int, metavar="K", help="SHARDS fixed size: keys kept")
    p.add_argument("--target", type=float, action="append", default=[], metavar="HIT_RATIO",
                   help="mark the smallest maxmemory reaching this hit ratio (e.g. 0.95); repeatable")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting by its redis.conf name; repeatable")
    p.add_argument("--config", metavar="REDIS.CONF", help="read the modelled directives of a redis.conf")
    p.add_argument("--start-time", type=float, metavar="UNIX_SECONDS",
                   help="wall-clock time at trace time 0 (LRU clock and LFU decay follow it)")
    p.add_argument("--protocol", choices=("script", "plain"), default="script",
                   help="how the client talks to Redis (see simulate)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample's hash and the simulators")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--no-plots", action="store_true", help="skip mrc.png")
    p.set_defaults(func=run, maxmemory=None, baseline_memory=None)


def run(args: argparse.Namespace) -> int:
    import evictsim
    from evictsim.commands.simulate import resolve_settings
    from evictsim.traces import open_trace

    settings = resolve_settings(args)
    if settings.get("maxmemory") is not None:
        raise UserInputError("the curve chooses maxmemory itself: use --sizes or --points", source="--set")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserInputError("exists and is not a folder", source="--out")
    curve = evictsim.mrc(open_trace(args.trace), config=settings, sizes=args.sizes, points=args.points,
                         method=args.method, sample_rate=args.sample_rate, sample_size=args.sample_size,
                         seed=args.seed, start_time=args.start_time, protocol=args.protocol,
                         targets=args.target)
    curve.summary["trace_name"] = Path(args.trace.split(":", 1)[-1]).name
    s = curve.summary
    sys.stderr.write(f"evictsim: mrc: {s['method']}: {s['method_reason']}; sample rate {s['sample_rate']:.4g} "
                     f"({s['sampled_keys']} of {s['trace_keys']} keys)\n")
    curve.write(out)
    if not args.no_plots:
        from evictsim.mrc.plot import plot_curve
        plot_curve(out)
    for row in curve.rows:
        print(f"maxmemory {row['maxmemory']:>12}: hit ratio {100 * row['hit_ratio']:7.3f}%  "
              f"byte hit ratio {100 * row['byte_hit_ratio']:7.3f}%")
    print(f"no limit: hit ratio {100 * s['no_limit_hit_ratio']:.3f}%; {len(curve.rows)} points in "
          f"{s['seconds']:.2f} s → {out}")
    for warning in s["warnings"]:
        sys.stderr.write(f"evictsim: warning: {warning}\n")
    for target in s["targets"]:
        size = target["maxmemory"]
        print(f"target {100 * target['hit_ratio']:.2f}%: " + ("not reached" if size is None else f"maxmemory {size}"))
    return 0
