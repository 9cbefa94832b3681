"""``evictsim trace {stats,convert,sample,generate}``: inspect, convert, sample and generate traces.

Any reader's path may be ``FORMAT:PATH``; bad lines stop with ``file:line: what was expected``
(exit 2) unless ``--on-error skip``, which skips and counts them and says how many.
"""
from __future__ import annotations

import argparse
import json
import sys

from evictsim.commands._checks import check_output_file, seed as seed_type
from evictsim.errors import UserInputError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("trace", help="trace files: stats, convert, sample, generate",
                              description="Inspect, convert, sample and generate request traces.")
    sub = p.add_subparsers(dest="trace_command", metavar="ACTION", parser_class=type(p))
    sub.required = True

    s = sub.add_parser("stats", help="requests, keys, op mix, sizes, TTLs, working set, Zipf alpha, reuse")
    s.add_argument("path", help="trace file ([FORMAT:]PATH)")
    s.add_argument("--json", action="store_true", help="machine-readable JSON")
    s.add_argument("--reuse-sample", type=_rate, default=0.1, metavar="RATE",
                   help="key sampling rate for stack distances (default 0.1)")
    _reading(s)
    s.set_defaults(func=handle_stats)

    c = sub.add_parser("convert", help="convert between formats (says what the target cannot hold)")
    c.add_argument("input", help="input trace ([FORMAT:]PATH)")
    c.add_argument("output", help="output trace ([FORMAT:]PATH; format from the extension)")
    _reading(c)
    from evictsim.commands._whatif import add_what_if_options
    add_what_if_options(c)
    c.set_defaults(func=handle_convert)

    m = sub.add_parser("sample", help="spatial sampling by key hash (SHARDS)")
    m.add_argument("input")
    m.add_argument("output")
    m.add_argument("--rate", type=_rate, required=True, help="fraction of keys kept, in (0, 1]")
    _reading(m)
    m.set_defaults(func=handle_sample)

    g = sub.add_parser("generate", help="write a synthetic workload to a trace file")
    g.add_argument("workload", help="workload name (zipf, ycsb, ...) or a workload spec YAML file")
    g.add_argument("output", help="output trace ([FORMAT:]PATH)")
    g.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="set a parameter (YAML value), repeatable: --set alpha=0.8")
    g.add_argument("--seed", type=seed_type, default=None, help="random seed (default: the spec's, else 1)")
    g.set_defaults(func=handle_generate)

    w = sub.add_parser("workloads", help="list the generators, or one generator's parameters")
    w.add_argument("name", nargs="?", help="a generator: list its parameters and defaults")
    w.set_defaults(func=handle_workloads)


def _reading(p: argparse.ArgumentParser) -> None:
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="bad lines: stop with file:line (default) or skip and count them")
    p.add_argument("--fill", choices=("look-aside", "explicit"), default=None,
                   help="override the format's fill semantics")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the parse cache")


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1], got {text!r}")
    return value


def _open(args: argparse.Namespace, spec: str):
    from evictsim.traces import open_trace
    options = {"on_error": args.on_error}
    if args.fill:
        options["fill"] = args.fill
    if args.no_cache:
        options["cache"] = False
    return open_trace(spec, **options)


def _report_skipped(trace) -> None:
    from evictsim.traces.cache import skipped_of
    report = skipped_of(trace)
    if report.get("bad_lines"):
        sys.stderr.write(f"evictsim: skipped {report['bad_lines']} bad line(s)\n")
        for example in report.get("examples", [])[:3]:
            sys.stderr.write(f"  {example}\n")
    if report.get("skipped_commands"):
        counts = ", ".join(f"{k}={v}" for k, v in sorted(report["skipped_commands"].items()))
        sys.stderr.write(f"evictsim: commands that are not requests, skipped: {counts}\n")


def handle_stats(args: argparse.Namespace) -> int:
    from evictsim.traces.cache import skipped_of
    from evictsim.traces.stats import format_stats, trace_stats
    trace = _open(args, args.path)
    stats = trace_stats(trace, reuse_sample=args.reuse_sample)
    stats["skipped"] = skipped_of(trace)
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
    else:
        print(format_stats(stats))
    _report_skipped(trace)
    return 0


def _check_output(output: str) -> None:
    """Before reading anything: the output names a known format and lies in a writable folder."""
    from evictsim.traces import split_spec
    _, path = split_spec(output)
    check_output_file(path, "output")


def _write(trace, output: str) -> None:
    from evictsim.traces import write_trace
    dropped = write_trace(trace, output)
    for item in dropped:
        sys.stderr.write(f"evictsim: {output}: dropped: {item}\n")


def handle_convert(args: argparse.Namespace) -> int:
    _check_output(args.output)
    trace = _open(args, args.input)
    from evictsim.commands._whatif import report_what_ifs, wrap_trace
    source, trace = trace, wrap_trace(trace, args)
    _write(trace, args.output)
    report_what_ifs(trace)
    _report_skipped(source)
    return 0


def handle_sample(args: argparse.Namespace) -> int:
    from evictsim.traces.sample import SampledTrace
    _check_output(args.output)
    trace = _open(args, args.input)
    _write(SampledTrace(trace, args.rate), args.output)
    _report_skipped(trace)
    sys.stderr.write(f"evictsim: kept keys with hash < {args.rate:g}; simulate with maxmemory "
                     f"(above the baseline) scaled by {args.rate:g}\n")
    return 0


def handle_generate(args: argparse.Namespace) -> int:
    from evictsim.workloads import build_workload
    from evictsim.workloads.spec import load_spec, parse_sets
    name, params, seed, source = load_spec(args.workload)
    params = {**params, **parse_sets(args.set)}
    seed = args.seed if args.seed is not None else seed
    _check_output(args.output)
    _write(build_workload(name, params, seed, source=source), args.output)
    return 0


def handle_workloads(args: argparse.Namespace) -> int:
    from evictsim.workloads import describe, workload_class
    if args.name is None:
        for name in _loaded_names():
            doc = (workload_class(name).__doc__ or "").strip().splitlines()[0]
            print(f"{name:12s} {doc}")
        return 0
    for param, default, doc in describe(args.name):
        print(f"{param:22s} {default:>12s}  {doc}")
    return 0


def _loaded_names() -> list[str]:
    from evictsim.workloads import WORKLOADS, workload_class
    workload_class("zipf")  # loads the built-in generators
    return WORKLOADS.names()


__all__ = ["add_parser", "UserInputError"]
