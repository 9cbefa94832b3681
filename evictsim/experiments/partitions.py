"""The ``partitions:`` block of an experiment: the same data as a partitions file
(:mod:`evictsim.partitions.rules`), sweepable by partition name:
``partitions.sess.redis.maxmemory: [1mb, 2mb]`` (or ``partitions.cluster.redis.maxmemory`` for a
cluster). ``partitions.use: [false, true]`` sweeps between one shared instance (the ``redis:``
settings) and the partitions: the "shared vs split" comparison. Each sweep point's block is validated
before the first run, with the run's ``redis:`` settings as every partition's base."""
from __future__ import annotations

import copy
from typing import Any

from evictsim.errors import UserInputError


def base_partitions(exp) -> Any:
    """The block as written (None: the experiment has no partitions)."""
    data = exp.document.data
    return copy.deepcopy(data.get("partitions")) if isinstance(data, dict) else None


def apply_partitions(exp, combo) -> Any:
    """The block with one sweep point's ``partitions.*`` settings applied."""
    block = base_partitions(exp)
    settings = [s for value in combo for s in value.settings if s.path[0] == "partitions"]
    use = [s for s in settings if s.path[1:] == ("use",)]          # last: sizes still apply to a block
    for setting in [s for s in settings if s not in use] + use:     # a shared point then drops
        block = _set(block, setting, exp)
    return block


def _set(block: Any, setting, exp) -> Any:
    def error(message: str) -> UserInputError:
        return UserInputError(message, source=str(exp.source), line=setting.line, key=".".join(setting.path))
    if block is None:
        raise error("the experiment has no partitions: block to sweep")
    name, rest = setting.path[1], setting.path[2:]
    if name == "use" and not rest:
        if not isinstance(setting.value, bool):
            raise error(f"expected true or false, got {setting.value!r}")
        return block if setting.value else None
    if isinstance(block, list):
        target = next((r for r in block if isinstance(r, dict) and r.get("name") == name), None)
        if target is None:
            names = [r.get("name") for r in block if isinstance(r, dict)]
            raise error(f"no partition named {name!r}; expected one of: {', '.join(map(str, names))}")
    elif isinstance(block, dict) and name in block:
        target = block[name]
    else:
        raise error(f"expected partitions.NAME.… with NAME a partition (or 'cluster'), got {name!r}")
    for part in rest[:-1]:
        if not isinstance(target, dict):
            raise error(f"cannot set {'.'.join(setting.path)}: not a mapping")
        target = target.setdefault(part, {})
    if not rest or not isinstance(target, dict):
        raise error("expected partitions.NAME.KEY (e.g. partitions.sess.redis.maxmemory)")
    target[rest[-1]] = copy.deepcopy(setting.value)
    return block


def check_partitions(exp, block: Any, redis: dict, lines: dict) -> None:
    """Validate one point's block (file:line of the block, or of the sweep value that changed it)."""
    if block is None:
        return
    from evictsim.partitions.rules import parse_partitions

    def line_of(path: tuple) -> int | None:
        swept = [ln for p, ln in lines.items() if p[:1] == ("partitions",)]
        return exp.line("partitions", *path) if not swept else swept[0]
    parse_partitions(block, source=str(exp.source), line_of=line_of, base=redis)
