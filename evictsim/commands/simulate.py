"""``evictsim simulate``: one trace, one Redis configuration → summary.json, timeseries.csv, plots.

Settings resolve in this order, later wins: Redis defaults, ``--config redis.conf``, ``--set``,
then the dedicated flags (``--maxmemory``, ``--maxmemory-policy``, ``--baseline-memory``). Everything
is validated before the run, and nothing is written into ``--out`` unless the run succeeded (each file
atomically).
"""
from __future__ import annotations

import argparse
import sys

from evictsim.errors import UserInputError
from evictsim.commands._checks import check_output_folder, finite_float, seed


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("simulate", help="simulate a Redis server replaying a trace",
                              description=__doc__.splitlines()[0])
    p.add_argument("--trace", metavar="PATH",
                   help="trace file; FORMAT:PATH to name the format (native, twitter, oracle-general, monitor, parquet, columns)")
    p.add_argument("--maxmemory", metavar="SIZE", help="e.g. 14443520, 64mb, 1gb; 0 = no limit")
    p.add_argument("--maxmemory-policy", metavar="NAME", help="noeviction, allkeys-lru, allkeys-lfu, ...")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting by its redis.conf name (maxmemory-samples=10, hz=100, "
                        "expiry-mode=lazy, ...); repeatable")
    p.add_argument("--config", metavar="REDIS.CONF", help="read the modelled directives of a redis.conf")
    p.add_argument("--baseline-memory", metavar="BYTES", help="used_memory of the empty server")
    p.add_argument("--start-time", type=finite_float, metavar="UNIX_SECONDS",
                   help="wall-clock time at trace time 0 (LRU clock and LFU decay follow it)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the simulator's random streams")
    p.add_argument("--fill", choices=("look-aside", "explicit"),
                   help="override the trace's fill semantics")
    p.add_argument("--protocol", choices=("script", "plain"), default="script",
                   help="how the client talks to Redis: 'script' = one EVALSHA per request as the "
                        "reference harness (default), 'plain' = GET/SET/DEL directly")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="bad trace lines: stop with file:line (default) or skip and count them")
    p.add_argument("--allow-long-span", action="store_true",
                   help="run a trace that spans more than 30 days of simulated time (refused by "
                        "default: usually a wrong time unit or corrupt timestamps)")
    p.add_argument("--namespaces", nargs="?", const="prefix", metavar="SPEC",
                   help="count per namespace (namespaces.csv): the key prefix up to ':' (no value), "
                        "globs 'sess:*,cache:*', or re:PATTERN")
    p.add_argument("--out", metavar="DIR", help="output folder (without it: print the summary, write nothing)")
    p.add_argument("--parquet", action="store_true", help="also write timeseries.parquet")
    p.add_argument("--outcomes", action="store_true", help="also write outcomes.npy (one code per request)")
    p.add_argument("--no-plots", action="store_true", help="skip memory.png and hit_ratio.png")
    p.add_argument("--reproducible", action="store_true",
                   help="write wall-clock timings as 0 so equal runs give byte-identical files")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: on when stderr is a terminal)")
    from evictsim.commands._whatif import add_partition_option, add_what_if_options
    add_partition_option(p)
    add_what_if_options(p)
    from evictsim.commands._inputs import add_workload_options
    add_workload_options(p)
    p.set_defaults(func=run)


def resolve_settings(args: argparse.Namespace) -> dict[str, object]:
    """The redis.conf-spelled settings from --config, --set and the dedicated flags."""
    from evictsim.config import RedisConfig, parse_set_option, read_redis_conf

    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    if args.config:
        conf = read_redis_conf(args.config)
        RedisConfig.from_mapping(conf.values, source=args.config, lines=conf.lines)   # report file:line
        values.update(conf.values)
        if conf.ignored:
            sys.stderr.write(f"evictsim: note: {args.config}: ignored {len(conf.ignored)} directive(s) "
                             f"evictsim does not model: {', '.join(sorted(set(conf.ignored)))}\n")
    for item in args.set:
        key, value = parse_set_option(item)
        RedisConfig.from_mapping({key: value}, source="--set")
        values[key] = value
    for flag, key in (("maxmemory", "maxmemory"), ("maxmemory_policy", "maxmemory-policy"),
                      ("baseline_memory", "baseline-memory")):
        value = getattr(args, flag)
        if value is not None:
            RedisConfig.from_mapping({key: value}, source="--" + key)
            values[key] = value
    del lines
    return values


def run(args: argparse.Namespace) -> int:
    import evictsim
    from evictsim.api import resolve_config
    from evictsim.commands._inputs import generator_params, open_input, warmup_seconds

    params, args.set = generator_params(args)          # --set items a generator takes go to it
    settings = resolve_settings(args)
    cfg = resolve_config(config=settings)
    options = {"on_error": args.on_error}
    if args.fill:
        options["fill"] = args.fill
    out = None if args.out is None else check_output_folder(args.out, "--out")
    warmup_s = warmup_seconds(args)
    if args.namespaces is not None:
        from evictsim.metrics.namespace_tags import parse_namespaces
        parse_namespaces(args.namespaces)                      # a bad pattern: one line, before the run
    if args.trace:
        from evictsim.engine.future import check_replayable
        check_replayable(args.trace, cfg.maxmemory_policy)     # before the pre-run checks read it
    trace = open_input(args, params, options)
    from evictsim.commands._whatif import report_what_ifs, simulate_partitioned, wrap_trace
    trace = wrap_trace(trace, args)
    from evictsim.traces.span import limit_span
    trace = limit_span(trace, allow=args.allow_long_span)
    if args.partitions:
        if out is None:
            raise UserInputError("--partitions writes one folder per partition: expected --out DIR",
                                 source="--out")
        return simulate_partitioned(args, settings, trace, out)
    from evictsim.preflight import preflight_warnings
    early = preflight_warnings(trace, cfg)
    for warning in early:
        sys.stderr.write(f"evictsim: warning: {warning}\n")
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    result = evictsim.simulate(trace, config=cfg, seed=args.seed, start_time=args.start_time,
                               record_outcomes=args.outcomes, progress=progress,
                               protocol=args.protocol, warmup=warmup_s, namespaces=args.namespaces)
    report_what_ifs(trace, result.summary)
    if args.reproducible:
        result.summary["timing"] = {k: 0.0 for k in result.summary["timing"]}
    if out is None:                      # nothing written: the summary on the screen
        _late_warnings(result.summary, early)
        result.summary["warnings"] = []     # said on stderr just above
        print(result.describe())
        _report_rejected(trace)
        return 0
    result.write(out, parquet=args.parquet, outcomes=args.outcomes)
    if not args.no_plots:
        from evictsim.report.run_plots import plot_run
        plot_run(out)
    s = result.summary
    hr = "n/a" if s["hit_ratio"] is None else f"{100 * s['hit_ratio']:.3f}%"
    print(f"{s['requests']} requests: hit ratio {hr}, evicted {s['evicted_keys']}, expired "
          f"{s['expired_keys']} (lazy {s['expired_keys_lazy']}), OOM {s['rejected_writes']}, used_memory "
          f"{s['used_memory']} (peak {s['used_memory_peak']}); {s['timing']['total_s']:.2f} s → {out.resolve()}")
    steady = s.get("steady_hit_ratio")
    if steady is not None:
        print(f"steady state {100 * steady:.3f}% after {s['warmup_s']:g} s ({s['warmup_reason']}); no-limit "
              f"ceiling {100 * s['steady_ceiling_hit_ratio']:.3f}% (whole run {100 * s['ceiling_hit_ratio']:.3f}%); "
              f"cold misses {s['cold_misses']}")
    _late_warnings(s, early)
    skipped = getattr(trace, "skipped_lines", None)
    if skipped:
        print(f"skipped {skipped} bad trace line(s) (--on-error skip)")
    _report_rejected(trace)
    return 0


def _report_rejected(trace) -> None:
    """MONITOR commands Redis would have refused (``SET k``, ``SET k v EX abc``, ``PX 0``): skipped,
    counted, and the first one named, since the user's capture is not what the server executed."""
    from evictsim.traces.cache import skipped_of
    rejected = skipped_of(trace).get("rejected_commands")
    if rejected:
        sys.stderr.write(f"evictsim: note: skipped {rejected['count']} command(s) Redis would reject; "
                         f"first: {rejected['first']}\n")


def _late_warnings(summary: dict, early: list[str]) -> None:
    """The run's own warnings, less those the pre-run checks already gave (same policy, same cause)."""
    policy = str(summary.get("maxmemory_policy", ""))
    said_ttl = any(w.startswith(policy) for w in early)
    for warning in summary.get("warnings", []):
        if not (said_ttl and warning.startswith(policy)):
            sys.stderr.write(f"evictsim: warning: {warning}\n")
