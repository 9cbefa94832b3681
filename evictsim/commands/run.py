"""``evictsim run EXPERIMENT.yaml``: run (or resume) every run of an experiment's sweep."""
from __future__ import annotations

import argparse
import sys

from evictsim.commands._checks import check_output_folder


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
    from evictsim.commands._whatif import add_what_if_options
    add_what_if_options(p)
    p.add_argument("--allow-long-span", action="store_true",
                   help="run workloads that span more than 30 days of simulated time (refused by default)")
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
    from evictsim.experiments.runner import default_out_dir, describe, run_experiment

    if args.out is not None:
        check_output_folder(args.out, "--out")
    exp = load_experiment(args.experiment)
    out = check_output_folder(args.out if args.out is not None else default_out_dir(exp), "--out")
    from evictsim.commands._whatif import claim_what_if_folder, what_if_simulate
    simulate_fn = what_if_simulate(args)
    claim_what_if_folder(out, simulate_fn)
    report = run_experiment(exp, out, workers=args.workers, executor=args.executor, simulate_fn=simulate_fn,
                            scheduler=args.scheduler, progress=not args.no_progress,
                            report=not args.no_report, allow_long_span=args.allow_long_span)
    print(describe(report, exp.name))
    print(f"results: {report.out_dir.resolve()}")
    if not args.no_report:
        print(f"report: {(report.out_dir / 'report.html').resolve()}")
    if not report.ok:
        sys.stderr.write("evictsim: some runs failed; fix the cause and rerun the same command "
                         "(finished runs are kept)\n")
        return 1
    return 0
