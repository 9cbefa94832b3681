"""``evictsim info RUN_DIR``: what the simulated server would have answered to INFO, MEMORY STATS or
MEMORY DOCTOR at a simulated time, from the run's result files (nothing is re-simulated)."""
from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    from evictsim.views.info import CHOICES
    p = subparsers.add_parser("info", help="INFO / MEMORY STATS / MEMORY DOCTOR of a run at a simulated time",
                              description=__doc__.splitlines()[0])
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (summary.json, timeseries.csv)")
    p.add_argument("--at", type=float, metavar="SECONDS",
                   help="simulated time (default: the last sample); the last sample at or before it")
    p.add_argument("--section", default="all", metavar="NAME",
                   help=f"INFO section: {', '.join(CHOICES)} (default all)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--memory-stats", action="store_true", help="print MEMORY STATS as redis-cli shows it")
    what.add_argument("--doctor", action="store_true", help="print MEMORY DOCTOR's verdict")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from evictsim.views.info import info_text
    from evictsim.views.load import load_run
    from evictsim.views.memory import doctor_text, doctor_unchecked, memory_stats
    from evictsim.views.redisfmt import cli_reply
    from evictsim.views.snapshot import snapshot

    result, source = load_run(args.run_dir)
    if args.memory_stats or args.doctor:
        snap = snapshot(result, args.at, source=source)
        if args.memory_stats:
            sys.stdout.write(cli_reply(memory_stats(snap)))
        else:
            sys.stdout.write(doctor_text(snap))
            unchecked = doctor_unchecked(snap)
            if unchecked:
                sys.stderr.write(f"evictsim: note: not checked (the run has no allocator/RSS columns): "
                                 f"{', '.join(unchecked)}\n")
        return 0
    sys.stdout.write(info_text(result, args.at, args.section, source=source))
    return 0
