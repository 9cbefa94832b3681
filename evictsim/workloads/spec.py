"""Workload spec files (``workloads/*.yaml``) and ``--set key=value`` overrides.

A spec has the shape of an experiment's ``workload:`` section, so one can be pasted into the other:
``generator: NAME``, the generator's parameters beside it (hyphen spelling, as
:func:`evictsim.workloads.build_workload` takes them), and optionally ``seed: N`` and
``description``. A bare name instead of a file means that workload with its defaults.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from evictsim.errors import UserInputError

DEFAULT_SEED = 1
NOT_PARAMS = ("generator", "seed", "description")


def load_spec(name_or_path: str) -> tuple[str, dict, int, str | None]:
    """(workload name, params, seed, source file or None). A spec file's parameters are checked
    here, so an error names its line (even for a value a later ``--set`` replaces)."""
    from evictsim.safe_yaml import load_yaml
    path = Path(name_or_path)
    if not name_or_path.endswith((".yaml", ".yml")):
        return name_or_path, {}, DEFAULT_SEED, None
    if not path.exists():
        raise UserInputError("no such workload spec file", source=str(path))
    doc = load_yaml(path, "workload spec file")
    data = doc.data
    if not isinstance(data, dict) or "generator" not in data:
        raise UserInputError("expected a mapping with generator: NAME and its parameters",
                             source=str(path), line=doc.line(()))
    seed = data.get("seed", DEFAULT_SEED)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise UserInputError(f"expected an integer seed in [0, 2^63-1], got {seed!r}", source=str(path),
                             line=doc.line(("seed",)), key="seed")
    if not isinstance(data["generator"], str):
        raise UserInputError(f"expected a generator name, got {data['generator']!r}", source=str(path),
                             line=doc.line(("generator",)), key="generator")
    params = {k: v for k, v in data.items() if k not in NOT_PARAMS}
    _check_params(data["generator"], params, doc)
    return data["generator"], params, seed, str(path)


def _check_params(name: str, params: dict, doc) -> None:
    """Build the (lazy) generator once so a bad name or value points at its line in the file."""
    from evictsim.workloads import build_workload
    try:
        build_workload(name, params, DEFAULT_SEED, source=doc.source)
    except UserInputError as exc:
        key = exc.key or "workload"
        parts = tuple(key.split(".")[1:]) if key.startswith("workload.") else ("generator",)
        path = tuple(int(p) if p.isdigit() else p for p in parts)
        raise UserInputError(exc.message, source=doc.source, line=doc.line(path),
                             key=".".join(parts) or None) from None


def parse_sets(items: list[str], option: str = "--set") -> dict[str, Any]:
    """``["alpha=0.8", "ttl={dist: uniform, min: 10, max: 90}"]`` → parameters (values as YAML)."""
    from evictsim.safe_yaml import parse_yaml
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UserInputError(f"expected KEY=VALUE, got {item!r}", source=option)
        try:
            out[key.strip()] = parse_yaml(text, source=option).data
        except UserInputError as exc:
            raise UserInputError(f"expected a YAML value ({exc.message}), got {text!r}", source=option,
                                 key=key.strip()) from None
    return out


def unknown_set_key(key: str, generator: str, generator_params: list[str], option: str = "--set"):
    """The error for a ``--set`` key that is neither a parameter of ``generator`` nor a Redis
    setting: it names the valid ones of both (issue 12: ``--set key-len2=3`` is never ignored)."""
    from evictsim.config import SETTING_NAMES
    return UserInputError(f"unknown key {key!r}: not a parameter of the {generator} generator (expected one "
                          f"of: {', '.join(sorted(generator_params))}) nor a Redis setting (expected one of: "
                          f"{', '.join(SETTING_NAMES)})", source=option)
