"""``evictsim export RUN_DIR``: a run's time series as Prometheus / OpenMetrics text with
redis_exporter's metric names (backfill with ``promtool tsdb create-blocks-from openmetrics``), or one
scrape at a simulated time for node_exporter's textfile collector."""
from __future__ import annotations

import argparse
from pathlib import Path

from evictsim.errors import UserInputError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("export", help="a run's metrics as OpenMetrics / Prometheus text",
                              description=__doc__.splitlines()[0])
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (summary.json, timeseries.csv)")
    p.add_argument("--format", required=True, choices=("openmetrics", "prometheus"),
                   help="openmetrics: timestamps in seconds, ends '# EOF'; prometheus: text format 0.0.4, "
                        "timestamps in ms")
    p.add_argument("--out", required=True, metavar="FILE", help="output file (written atomically)")
    p.add_argument("--at", type=float, metavar="SECONDS",
                   help="one scrape (no timestamps) of the sample at this simulated time")
    p.add_argument("--start-time", type=float, metavar="UNIX_SECONDS",
                   help="Unix time of simulated time 0 (default: the run's start_time)")
    p.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                   help="a label added to every sample (e.g. instance=sim-lru); repeatable")
    p.set_defaults(func=handle)


def parse_labels(items: list[str]) -> dict[str, str]:
    import re
    labels: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", name) or name.startswith("__"):
            raise UserInputError(f"expected NAME=VALUE with a Prometheus label name, got {item!r}",
                                 source="--label")
        labels[name] = value
    return labels


def handle(args: argparse.Namespace) -> int:
    from evictsim import atomic
    from evictsim.views.load import load_run
    from evictsim.views.prometheus import export_text

    labels = parse_labels(args.label)
    result, source = load_run(args.run_dir)
    if "time" not in result.timeseries:
        raise UserInputError("timeseries.csv has no time column", source=source)
    text = export_text(result, args.format, at=args.at, start_time=args.start_time, labels=labels)
    out = Path(args.out)
    if out.is_dir():
        raise UserInputError("is a folder; expected a file name", source="--out")
    try:
        atomic.write_text(out, text)
    except OSError as exc:
        raise UserInputError(f"cannot write: {exc.strerror}", source="--out") from None
    print(f"{text.count(chr(10))} lines → {out}")
    return 0
