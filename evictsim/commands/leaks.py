"""``evictsim leaks RUN_DIR``: which namespace's memory grows without traffic to explain it, and when
used_memory reaches maxmemory. Reads the run's namespaces.csv, timeseries.csv and summary.json;
writes RUN_DIR/leaks.json and RUN_DIR/namespaces_memory.png (stacked memory by namespace)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("leaks", help="rank namespaces by memory growth; forecast maxmemory",
                              description=__doc__.splitlines()[0])
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder with namespaces.csv")
    p.add_argument("--until", type=float, metavar="SECONDS", help="use only data up to this trace time")
    p.add_argument("--warmup", type=float, metavar="SECONDS", help="end of warm-up (default: found)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-plot", action="store_true", help="skip namespaces_memory.png")
    p.add_argument("--replay", metavar="TRACE",
                   help="first replay TRACE on the pure-Python oracle into RUN_DIR (exact per-namespace "
                        "series; slow, ~4k requests/s: for small traces until the engine writes them)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="with --replay: a Redis setting (maxmemory=2mb, maxmemory-policy=volatile-lru)")
    p.add_argument("--seed", type=int, default=0, help="with --replay: the simulator's seed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from evictsim import atomic
    from evictsim.errors import UserInputError
    from evictsim.leaks.analysis import analyse
    from evictsim.leaks.series import read_run
    from evictsim.leaks.text import render

    for flag in ("until", "warmup"):
        value = getattr(args, flag)
        if value is not None and not value >= 0:
            raise UserInputError(f"expected seconds >= 0, got {value}", source=f"--{flag}")
    if args.replay:
        _replay(args)
    elif args.set:
        raise UserInputError("--set needs --replay", source="--set")
    series = read_run(args.run_dir)
    report = analyse(series, until=args.until, warmup=args.warmup)
    out = Path(args.run_dir)
    atomic.write_json(out / "leaks.json", report)
    if not args.no_plot:
        from evictsim.leaks.plot import plot_namespaces
        plot_namespaces(series, out / "namespaces_memory.png", forecast_at=report["maxmemory_at_s"])
    print(json.dumps(report, indent=2, sort_keys=True) if args.json else render(report))
    return 0


def _replay(args: argparse.Namespace) -> None:
    from evictsim.config import RedisConfig, parse_set_option
    from evictsim.leaks.oracle_series import write_oracle_run
    from evictsim.traces import open_trace
    settings = {}
    for item in args.set:
        key, value = parse_set_option(item)
        settings[key] = value
    cfg = RedisConfig.from_mapping(settings, source="--set")
    write_oracle_run(open_trace(args.replay), cfg, args.run_dir, seed=args.seed)
