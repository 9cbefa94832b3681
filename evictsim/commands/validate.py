"""``evictsim validate``: replay a trace against a live redis-server and the simulator, compare them.

Starts a private redis-server (installing the Debian package when it is missing and we are root),
replays the trace in real time, simulates the same requests from the same wall-clock start and the
same baseline memory, and writes ``comparison.json`` (everything) and ``comparison.md`` (a table).
"""
from __future__ import annotations

import argparse

from evictsim import atomic
from evictsim.commands._checks import check_output_folder, finite_float, seed
from evictsim.config import parse_set_option
from evictsim.errors import UserInputError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="compare the simulator with a live redis-server on a trace",
                              description=__doc__.splitlines()[0])
    p.add_argument("--trace", required=True, help="trace file (FORMAT:PATH allowed)")
    p.add_argument("--maxmemory", required=True, help="e.g. 14443520 or 64mb")
    p.add_argument("--maxmemory-policy", required=True, help="e.g. allkeys-lru")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="another setting (redis.conf name); repeatable")
    p.add_argument("--max-time", type=finite_float, default=None, metavar="SECONDS",
                   help="replay only the requests before this trace time (the replay runs in real time)")
    p.add_argument("--seed", type=seed, default=0, help="simulator seed")
    p.add_argument("--out", required=True, help="folder for comparison.json and comparison.md")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from evictsim.errors import EvictsimError
    from evictsim.traces import open_trace
    from evictsim.validate.compare import markdown_table, run_comparison
    from evictsim.validate.replay import load_requests

    if args.max_time is not None and not args.max_time > 0:
        raise UserInputError(f"expected a positive number of seconds, got {args.max_time}", source="--max-time")
    from evictsim.config import RedisConfig
    config = {"maxmemory": args.maxmemory, "maxmemory-policy": args.maxmemory_policy}
    for key, value in config.items():                 # each flag checked under its own name
        RedisConfig.from_mapping({key: value}, source="--" + key)
    from evictsim.policies import POLICIES, policy_spec
    if policy_spec(args.maxmemory_policy, source="--maxmemory-policy").family != "redis-pool":
        redis_names = [n for n, spec in POLICIES.items() if spec.family == "redis-pool"]
        raise UserInputError(f"a live redis-server knows only its own policies: expected one of "
                             f"{', '.join(redis_names)}, got {args.maxmemory_policy!r}",
                             source="--maxmemory-policy")
    for item in args.set:
        key, value = parse_set_option(item)
        RedisConfig.from_mapping({key: value}, source="--set")
        config[key] = value
    out = check_output_folder(args.out, "--out")
    trace = open_trace(args.trace)
    requests = load_requests(trace.chunks(), args.max_time)
    names = getattr(trace, "key_names", None) or None
    key_names = [n.encode() if isinstance(n, str) else n for n in names] if names else None
    try:
        comparison = run_comparison(requests, config, key_names=key_names, seed=args.seed)
    except EvictsimError as exc:
        if isinstance(exc, UserInputError):
            raise
        raise UserInputError(str(exc), source="redis-server") from None
    comparison["trace"] = str(args.trace)
    atomic.write_json(out / "comparison.json", comparison)
    table = markdown_table(comparison)
    atomic.write_text(out / "comparison.md", f"# {args.trace}: redis-server vs evictsim\n\n"
                      f"`{args.maxmemory_policy}`, maxmemory {args.maxmemory}, "
                      f"{comparison['requests']:,} requests\n\n{table}")
    print(table, end="")
    return 0
