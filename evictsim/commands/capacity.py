"""``evictsim capacity``: the smallest maxmemory that reaches a target steady-state hit ratio.

``evictsim capacity --trace T --target 0.95 --maxmemory-policy allkeys-lru`` (or ``--workload zipf
--set keys=100000``) runs the trace once with no limit (the ceiling and the footprint), then bisects
over maxmemory with full simulations and prints one line: the answer, the hit ratio there and the
ceiling, or why no size reaches the target.
"""
from __future__ import annotations

import argparse
import sys

from evictsim.commands._checks import finite_float, seed


def _target(text: str) -> float:
    value = finite_float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a hit ratio in (0, 1], like 0.95, got {text!r}")
    return value


def _tolerance(text: str) -> float:
    value = finite_float(text)
    if not 0.0001 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0.0001, 0.5], got {text!r}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("capacity", help="the maxmemory that reaches a target hit ratio",
                              description=__doc__.splitlines()[0])
    p.add_argument("--trace", metavar="PATH", help="trace file; FORMAT:PATH to name the format")
    p.add_argument("--target", type=_target, metavar="RATIO",
                   help="steady-state hit ratio to reach, e.g. 0.95 (with --experiment: its report.target-hit-ratio)")
    p.add_argument("--experiment", metavar="DIR",
                   help="an 'evictsim run' result folder: bisect each policy's curve between the swept "
                        "sizes around the target, store target_search.json and redraw the report")
    p.add_argument("--maxmemory-policy", metavar="NAME", default="allkeys-lru",
                   help="eviction policy (default allkeys-lru)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a Redis setting (maxmemory-samples=10) or, with --workload, a generator "
                        "parameter (keys=100000); repeatable")
    p.add_argument("--config", metavar="REDIS.CONF", help="read the modelled directives of a redis.conf")
    p.add_argument("--baseline-memory", metavar="BYTES", help="used_memory of the empty server")
    p.add_argument("--start-time", type=finite_float, metavar="UNIX_SECONDS",
                   help="wall-clock time at trace time 0 (LRU clock and LFU decay follow it)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the simulator's random streams")
    p.add_argument("--tolerance", type=_tolerance, default=0.01, metavar="FRACTION",
                   help="stop when the bracket is within this fraction of the answer (default 0.01)")
    p.add_argument("--verbose", action="store_true", help="print every size tried")
    from evictsim.commands._inputs import add_workload_options
    from evictsim.commands._whatif import add_what_if_options
    add_workload_options(p)
    add_what_if_options(p)        # --scale-rate / --scale-keys: size for tomorrow's traffic
    p.set_defaults(func=run, maxmemory=None, fill=None, on_error="raise")


def run(args: argparse.Namespace) -> int:
    if args.experiment:
        return _refine(args)
    if args.target is None:
        from evictsim.errors import UserInputError
        raise UserInputError("expected a target hit ratio, like --target 0.95", source="--target")
    from evictsim.api import resolve_config
    from evictsim.commands._inputs import generator_params, open_input, warmup_seconds
    from evictsim.commands.simulate import resolve_settings
    from evictsim.preflight import preflight_warnings
    from evictsim.target_search import simulate_target

    params, args.set = generator_params(args)
    settings = resolve_settings(args)
    warmup_s = warmup_seconds(args)
    from evictsim.commands._whatif import wrap_trace
    trace = wrap_trace(open_input(args, params, {"on_error": args.on_error}), args)
    # the sizes tried are the search's own: check the policy and the trace, not a maxmemory
    for warning in preflight_warnings(trace, resolve_config(config={**settings, "maxmemory": "1gb"})):
        sys.stderr.write(f"evictsim: warning: {warning}\n")

    def show(size: int, summary: dict) -> None:
        if args.verbose:
            what = "no limit" if size == 0 else f"{size} bytes"
            sys.stderr.write(f"  {what}: steady {summary.get('steady_hit_ratio')}, whole run "
                             f"{summary.get('hit_ratio')}\n")

    answer = simulate_target(trace, args.target, settings, seed=args.seed, start_time=args.start_time,
                             warmup=warmup_s, tolerance=args.tolerance, on_point=show)
    print(answer.text())
    return 0


def _refine(args: argparse.Namespace) -> int:
    """--experiment DIR: the report's answer by bisection, then the report redrawn with it."""
    from evictsim.report import build_report
    from evictsim.report.capacity import answer_line
    from evictsim.report.data import load_experiment_results
    from evictsim.report.target_refine import refine_experiment

    def show(label: str, size: int, summary: dict) -> None:
        if args.verbose:
            sys.stderr.write(f"  {label}: {size} bytes: steady {summary.get('steady_hit_ratio')}\n")

    found = refine_experiment(args.experiment, target=args.target, tolerance=args.tolerance, on_point=show)
    build_report(args.experiment)
    print(answer_line(load_experiment_results(args.experiment), found["target"]))
    return 0
