"""``evictsim run EXPERIMENT.yaml``: run (or resume) every run of an experiment's sweep."""
from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("run", help="run an experiment file: a sweep of simulations, tables, "
                              "plots and a report", description="Run (or resume) an experiment. Finished "
                              "runs are skipped, so rerunning after Ctrl-C or a crash continues.")
    p.add_argument("experiment", help="experiment YAML file (see experiments/reference.yaml)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/<name>/)")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="parallel runs (default: the number of CPUs)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local process pool (default) or dask.distributed")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-report", action="store_true", help="skip plots and report.md/html")
    p.set_defaults(func=handle)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def handle(args: argparse.Namespace) -> int:
    from evictsim.experiments.config import load_experiment
    from evictsim.experiments.runner import describe, run_experiment

    exp = load_experiment(args.experiment)
    report = run_experiment(exp, args.out, workers=args.workers, executor=args.executor,
                            scheduler=args.scheduler, progress=not args.no_progress,
                            report=not args.no_report)
    print(describe(report, exp.name))
    if not args.no_report:
        print(f"report: {report.out_dir / 'report.html'}")
    if not report.ok:
        sys.stderr.write("evictsim: some runs failed; fix the cause and rerun the same command "
                         "(finished runs are kept)\n")
        return 1
    return 0
