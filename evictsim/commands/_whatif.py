"""CLI glue shared by ``simulate``, ``run`` and ``trace convert``: the what-if flags and
``simulate --partitions`` (kept here so those commands change by a few lines only)."""
from __future__ import annotations

import sys

from evictsim.traces.rewrite import RewrittenKeys, add_what_if_options, apply_what_ifs

__all__ = ["add_what_if_options", "add_partition_option", "wrap_trace", "report_what_ifs",
           "simulate_partitioned"]


def add_partition_option(parser) -> None:
    parser.add_argument("--partitions", metavar="FILE.yaml",
                        help="route keys to independent instances (rules or a cluster; see "
                             "evictsim/partitions/rules.py); writes partitions/NAME/ per instance")


def wrap_trace(trace, args):
    """``trace`` with --rewrite-keys, --scale-keys, --scale-rate applied (if given)."""
    return apply_what_ifs(trace, rewrite=getattr(args, "rewrite_keys", None),
                          scale_rate=getattr(args, "scale_rate", None),
                          scale_keys=getattr(args, "scale_keys", None), seed=getattr(args, "seed", 0) or 0)


def report_what_ifs(trace, summary: dict | None = None) -> None:
    """Record and print the collision count of a key rewrite (hashing or truncating can merge keys)."""
    while trace is not None:
        if isinstance(trace, RewrittenKeys):
            if summary is not None:
                summary["rewrite_keys_collisions"] = trace.collisions
            print(f"--rewrite-keys: {trace.collisions} collision(s) (distinct keys merged into one)")
            return
        trace = getattr(trace, "trace", None)


def simulate_partitioned(args, settings: dict, trace, out) -> int:
    """``simulate --partitions FILE``: every partition simulated, files and plots written."""
    from evictsim.partitions import load_partitions, plot_partitions, run_partitions, write_partitioned

    plan = load_partitions(args.partitions, base=settings)
    result = run_partitions(trace, plan, seed=args.seed, start_time=args.start_time,
                            record_outcomes=args.outcomes, protocol=args.protocol)
    report_what_ifs(trace, result.summary)
    if args.reproducible:
        for s in [result.summary, *result.summary["partitions"].values()]:
            s["timing"] = {k: 0.0 for k in s["timing"]}
    write_partitioned(result, out, outcomes=args.outcomes)
    if not args.no_plots:
        plot_partitions(out)
    s = result.summary
    hr = "n/a" if s["hit_ratio"] is None else f"{100 * s['hit_ratio']:.3f}%"
    parts = ", ".join(f"{n} {100 * p['hit_ratio']:.2f}%" if p["hit_ratio"] is not None else f"{n} n/a"
                      for n, p in s["partitions"].items())
    print(f"{s['requests']} requests over {len(plan.partitions)} partitions: hit ratio {hr} ({parts}), "
          f"evicted {s['evicted_keys']}, used_memory {s['used_memory']} → {out}")
    for warning in s["warnings"]:
        sys.stderr.write(f"evictsim: warning: {warning}\n")
    return 0
