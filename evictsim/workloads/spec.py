"""Workload spec files (``workloads/*.yaml``) and ``--set key=value`` overrides.

A spec has the shape of an experiment's ``workload:`` section, so one can be pasted into the other:
``generator: NAME``, the generator's parameters beside it (hyphen spelling, as
:func:`evictsim.workloads.build_workload` takes them), and optionally ``seed: N`` and
``description``. A bare name instead of a file means that workload with its defaults.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evictsim.errors import UserInputError

DEFAULT_SEED = 1
NOT_PARAMS = ("generator", "seed", "description")


def load_spec(name_or_path: str) -> tuple[str, dict, int, str | None]:
    """(workload name, params, seed, source file or None)."""
    path = Path(name_or_path)
    if not name_or_path.endswith((".yaml", ".yml")):
        return name_or_path, {}, DEFAULT_SEED, None
    if not path.exists():
        raise UserInputError("no such workload spec file", source=str(path))
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UserInputError(f"expected YAML ({getattr(exc, 'problem', exc)})", source=str(path),
                             line=None if mark is None else mark.line + 1) from None
    if not isinstance(doc, dict) or "generator" not in doc:
        raise UserInputError("expected a mapping with generator: NAME and its parameters",
                             source=str(path))
    seed = doc.get("seed", DEFAULT_SEED)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise UserInputError(f"expected an integer seed, got {seed!r}", source=str(path), key="seed")
    params = {k: v for k, v in doc.items() if k not in NOT_PARAMS}
    return str(doc["generator"]), params, seed, str(path)


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``["alpha=0.8", "ttl={dist: uniform, min: 10, max: 90}"]`` → parameters (values as YAML)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UserInputError(f"expected KEY=VALUE, got {item!r}", source="--set")
        try:
            out[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise UserInputError(f"expected a YAML value, got {text!r}", source="--set", key=key) from None
    return out
