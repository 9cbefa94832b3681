"""What ``simulate`` and ``capacity`` replay: ``--trace FILE`` or ``--workload NAME|SPEC.yaml``, and
the ``--set`` items that belong to the generator rather than to Redis.

With ``--workload``, ``--set KEY=VALUE`` goes to the generator when ``KEY`` is one of its parameters
(``keys``, ``alpha``, ``requests``, ``rate``, ...) and to Redis otherwise (``maxmemory-samples``,
``hz``, ...), so one flag serves both, as in an experiment's ``workload:`` and ``redis:`` sections.
"""
from __future__ import annotations

import argparse

from evictsim.errors import UserInputError


def add_workload_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workload", metavar="NAME|SPEC.yaml",
                   help="replay a generator instead of a trace: a name (zipf, ycsb-a, ... see "
                        "'evictsim trace workloads') or a spec file from workloads/; its parameters by --set")
    p.add_argument("--warmup", metavar="DURATION",
                   help="steady state starts after this much trace time (30s, 5m); default: detected "
                        "(the first eviction, or the working set seen)")


def generator_params(args: argparse.Namespace) -> tuple[dict, list[str]]:
    """(generator parameters, the --set items left for Redis)."""
    if not getattr(args, "workload", None):
        return {}, list(args.set)
    from evictsim.config import SETTING_NAMES, policy_param_names
    from evictsim.workloads import workload_class
    from evictsim.workloads.spec import load_spec, parse_sets, unknown_set_key
    name = load_spec(args.workload)[0]
    known = {param.name for param in workload_class(name, source="--workload").PARAMS}
    params: dict = {}
    rest: list[str] = []
    for item in args.set:
        key = item.partition("=")[0].strip()
        if key in known:
            params.update(parse_sets([item]))
        elif key.lower().replace("_", "-") in (*SETTING_NAMES, *policy_param_names()) or "=" not in item:
            rest.append(item)
        else:
            raise unknown_set_key(key, name, sorted(known))
    return params, rest


def open_input(args: argparse.Namespace, params: dict, options: dict):
    """The trace of ``--trace`` or of ``--workload`` (exactly one of them), seeded by ``--seed``."""
    if bool(args.trace) == bool(getattr(args, "workload", None)):
        raise UserInputError("expected exactly one of --trace FILE or --workload NAME|SPEC.yaml",
                             source="--trace")
    if args.trace:
        from evictsim.traces import open_trace
        return open_trace(args.trace, **options)
    from evictsim.api import resolve_trace
    if options.get("fill"):
        params = {**params, "fill": options["fill"]}
    return resolve_trace(args.workload, params, args.seed)


def warmup_seconds(args: argparse.Namespace) -> float | None:
    if getattr(args, "warmup", None) is None:
        return None
    from evictsim.steady_state import parse_duration
    return parse_duration(args.warmup, source="--warmup")
