"""CLI glue shared by ``simulate``, ``run`` and ``trace convert``: the what-if flags and
``simulate --partitions`` (kept here so those commands change by a few lines only)."""
from __future__ import annotations

import sys

from evictsim.traces.rewrite import add_what_if_options, apply_what_ifs

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
    collisions = getattr(trace, "collisions", None)      # wrappers forward it (traces/rewrite.py)
    if collisions is None:
        return
    if summary is not None:
        summary["rewrite_keys_collisions"] = collisions
    print(f"--rewrite-keys: {collisions} collision(s) (distinct keys merged into one)")


def simulate_partitioned(args, settings: dict, trace, out) -> int:
    """``simulate --partitions FILE``: every partition simulated, files and plots written."""
    from evictsim.partitions import load_partitions, plot_partitions, run_partitions, write_partitioned

    plan = load_partitions(args.partitions, base=settings)
    result = run_partitions(trace, plan, seed=args.seed, start_time=args.start_time,
                            record_outcomes=args.outcomes, protocol=args.protocol,
                            namespaces=getattr(args, "namespaces", None))
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


class WhatIfSimulate:
    """``evictsim run``'s what-ifs: the runner's ``simulate_fn``; ``wrap`` is applied by
    :func:`evictsim.experiments.executors.execute_run` to each run's trace (partitioned runs too).
    A plain class so a spawned worker process can unpickle it."""

    def __init__(self, rewrite: str | None, scale_rate: float | None, scale_keys: int | None):
        self.rewrite, self.scale_rate, self.scale_keys = rewrite, scale_rate, scale_keys
        from evictsim.traces.base import ArrayTrace, RequestChunk
        empty = ArrayTrace(RequestChunk.concat([]))
        apply_what_ifs(empty, rewrite=rewrite, scale_rate=scale_rate, scale_keys=scale_keys)  # validate now

    def describe(self) -> dict:
        return {"rewrite-keys": self.rewrite, "scale-rate": self.scale_rate, "scale-keys": self.scale_keys}

    def wrap(self, trace, seed: int = 0):
        return apply_what_ifs(trace, rewrite=self.rewrite, scale_rate=self.scale_rate,
                              scale_keys=self.scale_keys, seed=seed)

    def __call__(self, trace, **options):
        import evictsim
        return evictsim.simulate(trace, **options)


def what_if_simulate(args) -> WhatIfSimulate | None:
    """None when no what-if flag was given (the runner then uses ``evictsim.simulate``)."""
    if args.rewrite_keys is None and args.scale_rate is None and args.scale_keys is None:
        return None
    return WhatIfSimulate(args.rewrite_keys, args.scale_rate, args.scale_keys)


def claim_what_if_folder(out, simulate_fn: WhatIfSimulate | None) -> None:
    """Runs are resumed by configuration hash, which does not see the what-ifs: a folder records the
    what-ifs its runs were made with (``whatif.json``), and another set of what-ifs is refused."""
    import json
    from pathlib import Path
    from evictsim import atomic
    from evictsim.errors import UserInputError
    marker = Path(out) / "whatif.json"
    wanted = simulate_fn.describe() if simulate_fn is not None else None
    have = json.loads(marker.read_text()) if marker.is_file() else None
    runs = Path(out) / "runs"
    earlier_runs = runs.is_dir() and any(runs.iterdir())
    if have != wanted and (have is not None or (wanted is not None and earlier_runs)):
        raise UserInputError(f"holds runs made with other what-ifs ({have}); choose another --out",
                             source="--out")
    if wanted is not None:
        atomic.write_json(marker, wanted)
