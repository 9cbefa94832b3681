"""``evictsim plot DIR``: redraw plots and the report from result files, without re-running."""
from __future__ import annotations

import argparse
from pathlib import Path

from evictsim.errors import UserInputError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("plot", help="redraw plots and report of a result folder",
                              description="Redraw the plots (PNG, SVG) and report.md/html of an "
                              "experiment folder, or memory.png/hit_ratio.png of one run folder, "
                              "from the files there. Nothing is re-simulated.")
    p.add_argument("dir", help="an experiment folder (results/NAME) or a run folder (with summary.json)")
    p.add_argument("--plots", help="comma-separated plot names (default: those the experiment lists)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from evictsim.report import build_report, plot_run
    from evictsim.report.registry import PLOTS

    folder = Path(args.dir)
    if not folder.is_dir():
        raise UserInputError("no such folder", source=args.dir)
    if (folder / "summary.json").exists() and not (folder / "summary.csv").exists():
        paths = plot_run(folder)
    else:
        names = [n.strip() for n in args.plots.split(",")] if args.plots else None
        for name in names or []:
            PLOTS.get(name, source="--plots")
        paths = build_report(folder, names)
    for path in paths:
        print(path)
    return 0
