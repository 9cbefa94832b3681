"""Sweep expansion: an experiment → the full, validated list of runs, before the first one starts.

:func:`expand_sweep` is a pure function: the cartesian product of the sweep axes (in file order, the
last axis varying fastest), times the replications. Every point's Redis configuration and workload is
validated here, so a typo in the 40th value fails in a second, not after 39 runs. Each run gets a
content hash of its resolved configuration: the runner skips a run whose folder already holds a
finished result with that hash, so a killed sweep resumes and a changed parameter reruns only what it
changes.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evictsim.config import RedisConfig
from evictsim.errors import UserInputError
from evictsim.experiments.config import Experiment, Setting, SweepValue
from evictsim.experiments.partitions import apply_partitions, check_partitions
from evictsim.experiments.workload import WorkloadSpec, workload_spec

_SLUG_RE = re.compile(r"[^A-Za-z0-9.-]+")
_ADDED_SETTINGS = {"cluster-enabled": False}     # redis.conf names → their default


@dataclass(frozen=True)
class RunSpec:
    """One simulation of a sweep: where it sits in the sweep and everything it needs to run."""

    run_id: str
    index: int                              # position in expansion order (row order of summary.csv)
    point: tuple[tuple[str, str], ...]      # (sweep axis name, value label) in axis order
    replication: int
    seed: int
    workload: WorkloadSpec
    redis: dict                             # resolved RedisConfig mapping (redis.conf names)
    config_hash: str
    partitions: Any = None                  # the point's partitions: block (experiments/partitions.py)
    namespaces: Any = None                  # the experiment's namespaces: (None: no per-namespace counters)

    def resolved(self) -> dict[str, Any]:
        """What ``runs/<run-id>/run.json`` records: enough to rerun this exact simulation."""
        return {"run_id": self.run_id, "config_hash": self.config_hash, "point": dict(self.point),
                "replication": self.replication, "seed": self.seed,
                "workload": self.workload.to_mapping(), "redis": self.redis,
                **({"partitions": self.partitions} if self.partitions is not None else {}),
                **({"namespaces": self.namespaces} if self.namespaces is not None else {})}


def derive_seed(base_seed: int, replication: int) -> int:
    """Seed of one replication: independent streams from one base seed (NumPy SeedSequence).

    Every configuration of a replication shares its seed (common random numbers), so differences
    between policies are not blurred by different request sequences.
    """
    state = np.random.SeedSequence(entropy=base_seed, spawn_key=(replication,)).generate_state(1)
    return int(state[0])


def expand_sweep(exp: Experiment) -> list[RunSpec]:
    """All runs of ``exp`` in a fixed order; raises :class:`UserInputError` on the first bad point."""
    runs: list[RunSpec] = []
    axes = [axis.values for axis in exp.sweep]
    names = [axis.name for axis in exp.sweep]
    _check_base(exp)
    for combo in itertools.product(*axes):
        workload_map, redis_map, lines = apply_point(exp, combo)
        redis = _resolve_redis(exp, redis_map, lines)
        point = tuple((name, value.label) for name, value in zip(names, combo))
        workload = workload_spec(exp, workload_map, lines)
        partitions = apply_partitions(exp, combo)
        check_partitions(exp, partitions, redis, lines)
        for rep in range(exp.replications):
            seed = derive_seed(exp.seed, rep)
            digest = config_hash(workload.fingerprint(), redis, seed, partitions, exp.namespaces)
            run_id = _run_id(point, rep, digest)
            runs.append(RunSpec(run_id, len(runs), point, rep, seed, workload, redis, digest, partitions,
                                exp.namespaces))
    return runs


def _check_base(exp: Experiment) -> None:
    """The base sections alone are valid too: a value every sweep point overrides is never used, but
    ``maxmemory: 12zz`` under a maxmemory sweep is still a typo the user wants to hear about."""
    _resolve_redis(exp, exp.redis, {})
    if ("generator" in exp.workload) != ("trace" in exp.workload):   # else a sweep completes it
        workload_spec(exp, exp.workload, {})


def apply_point(exp: Experiment, combo: tuple[SweepValue, ...]) -> tuple[dict, dict, dict]:
    """The workload and redis sections with one sweep point's settings applied, plus the line where
    each setting came from (the sweep value's line wins over the base section's)."""
    sections = {"workload": copy.deepcopy(exp.workload), "redis": copy.deepcopy(exp.redis)}
    lines: dict[tuple[str, ...], int | None] = {}
    for value in combo:
        for setting in value.settings:
            if setting.path[0] == "partitions":       # applied by experiments/partitions.py
                continue
            _set(sections, setting, exp)
            lines[setting.path] = setting.line
    return sections["workload"], sections["redis"], lines


def _set(sections: dict, setting: Setting, exp: Experiment) -> None:
    target = sections
    for part in setting.path[:-1]:
        child = target.get(part)
        if child is None:
            child = target[part] = {}
        if not isinstance(child, dict):
            raise UserInputError(f"cannot set {'.'.join(setting.path)}: {part} is not a mapping",
                                 source=str(exp.source), line=setting.line, key=".".join(setting.path))
        target = child
    target[setting.path[-1]] = copy.deepcopy(setting.value)


def _resolve_redis(exp: Experiment, redis_map: dict, lines: dict) -> dict:
    key_lines = {key: lines.get(("redis", key)) or exp.line("redis", key) for key in redis_map}
    cfg = RedisConfig.from_mapping(redis_map, source=str(exp.source), lines=key_lines, prefix="redis.")
    return cfg.to_mapping()


def config_hash(workload: dict, redis: dict, seed: int, partitions: Any = None,
                namespaces: Any = None) -> str:
    """SHA-256 of the canonical JSON of everything that decides a run's result (or its files: a run
    with per-namespace counters writes namespaces.csv, so turning them on reruns it)."""
    # settings added since results were first stored count only when set, so older runs keep their hashes
    redis = {k: v for k, v in redis.items() if k not in _ADDED_SETTINGS or v != _ADDED_SETTINGS[k]}
    decides = {"workload": workload, "redis": redis, "seed": seed}
    if partitions is not None:                   # absent otherwise: earlier runs keep their hashes
        decides["partitions"] = partitions
    if namespaces is not None:
        decides["namespaces"] = namespaces
    blob = json.dumps(decides, sort_keys=True,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _run_id(point: tuple[tuple[str, str], ...], replication: int, digest: str) -> str:
    """Readable and unique: ``allkeys-lru_8mb_r0_1f3a9c2e`` (values, replication, hash prefix)."""
    parts = [_SLUG_RE.sub("-", label).strip("-")[:24] for _, label in point] or ["run"]
    return "_".join(parts + [f"r{replication}", digest[:8]])


def sweep_summary(runs: list[RunSpec]) -> str:
    configs = len({r.point for r in runs})
    reps = len({r.replication for r in runs})
    return f"{len(runs)} runs ({configs} configurations × {reps} replications)"


def resolved_experiment(exp: Experiment, runs: list[RunSpec]) -> dict[str, Any]:
    """The resolved sweep file written at the experiment root (``experiment.resolved.json``)."""
    return {
        "name": exp.name, "description": exp.description, "source": str(Path(exp.source)),
        "seed": exp.seed, "replications": exp.replications,
        "workload": exp.workload, "redis": exp.redis,
        "axes": [axis.name for axis in exp.sweep],     # sweep order (the JSON file sorts its keys)
        "sweep": {axis.name: [v.label for v in axis.values] for axis in exp.sweep},
        "plots": list(exp.plots), "report": {"target-hit-ratio": exp.target_hit_ratio},
        "output": {"timeseries": exp.timeseries_format},
        **({"namespaces": exp.namespaces} if exp.namespaces is not None else {}),
        "runs": [r.resolved() for r in runs],
    }
