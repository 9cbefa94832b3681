"""The experiment file, validated into frozen dataclasses (the one parser of experiment YAML).

Every key is documented with its default in ``experiments/reference.yaml``. Errors name the file, the
line and the key path (``quickstart.yaml:14: redis.maxmemory: expected a size like 64mb, got '12zz'``).
Names (generators, trace formats, policies, plots) resolve through registries, never import paths.
Checks that need a whole sweep point (a swept size, say) happen in :mod:`evictsim.experiments.sweep`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evictsim.errors import UserInputError
from evictsim.experiments.tables import RESERVED_COLUMNS
from evictsim.experiments.yamlfile import PathKey, YamlDocument, format_path, load_yaml

TOP_KEYS = ("name", "description", "seed", "replications", "workload", "redis", "sweep", "plots",
            "report", "output", "partitions", "mrc", "namespaces")   # mrc: evictsim/mrc/experiment.py
SWEEPABLE_SECTIONS = ("workload", "redis", "partitions")   # partitions: see experiments/partitions.py
TIMESERIES_FORMATS = ("csv", "parquet")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Setting:
    """One value a sweep point sets: ``("redis", "maxmemory")`` = ``"8mb"``, written at ``line``."""

    path: tuple[str, ...]
    value: Any
    line: int | None


@dataclass(frozen=True)
class SweepValue:
    """One position on a sweep axis: its label (the summary.csv cell) and the settings it applies."""

    label: str
    settings: tuple[Setting, ...]


@dataclass(frozen=True)
class SweepAxis:
    """One key of ``sweep:``: a single path (``redis.maxmemory``) or a named group of paths."""

    name: str
    values: tuple[SweepValue, ...]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file. ``workload`` and ``redis`` are the base sections, before sweeps."""

    name: str
    description: str
    source: Path
    workload: dict
    redis: dict
    sweep: tuple[SweepAxis, ...]
    replications: int
    seed: int
    plots: tuple[str, ...]
    target_hit_ratio: float
    timeseries_format: str
    document: YamlDocument
    warmup_s: float | None = None     # report.warmup: steady state after this much trace time
    namespaces: bool | str | None = None   # per-namespace counters in every run (simulate --namespaces)

    def line(self, *path: Any) -> int | None:
        """The line where ``path`` (or its nearest written parent) is in the file."""
        return self.document.line(tuple(path))


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate one experiment file (sweep points are checked by ``expand_sweep``)."""
    return parse_experiment(load_yaml(path), Path(path))


class _Checker:
    """Builds errors that point at a key path of the file being validated."""

    def __init__(self, doc: YamlDocument, source: Path):
        self.doc = doc
        self.source = source

    def line(self, *path: Any) -> int | None:
        return self.doc.line(tuple(path))

    def __call__(self, message: str, *path: Any) -> UserInputError:
        return UserInputError(message, source=str(self.source), line=self.line(*path),
                              key=format_path(tuple(path)) or None)


def parse_experiment(doc: YamlDocument, source: Path) -> Experiment:
    data = doc.data
    err = _Checker(doc, source)
    if not isinstance(data, dict):
        raise err(f"expected a mapping of experiment keys ({', '.join(TOP_KEYS)})")
    for key in data:
        if key not in TOP_KEYS:
            raise err(f"unknown key; expected one of: {', '.join(TOP_KEYS)}", key)
    name = _name(data.get("name", source.stem), err)
    workload = _section(data, "workload", err, required=True)
    redis = _section(data, "redis", err, required=False)
    report = _section(data, "report", err, required=False)
    output = _section(data, "output", err, required=False)
    _only_keys(report, ("target-hit-ratio", "warmup"), "report", err)
    _only_keys(output, ("timeseries",), "output", err)
    return Experiment(
        name=name,
        description=_text(data.get("description", ""), err, "description"),
        source=source,
        workload=workload,
        redis=redis,
        sweep=_sweep(data.get("sweep", {}), err),
        replications=_int(data.get("replications", 1), 1, 10_000, err, "replications"),
        seed=_int(data.get("seed", 0), 0, 2**63 - 1, err, "seed"),
        plots=_plots(data.get("plots"), err),
        target_hit_ratio=_ratio(report.get("target-hit-ratio", 0.95), err, "report", "target-hit-ratio"),
        timeseries_format=_choice(output.get("timeseries", "csv"), TIMESERIES_FORMATS, err,
                                  "output", "timeseries"),
        document=doc,
        warmup_s=_duration(report.get("warmup"), err, "report", "warmup"),
        namespaces=_namespaces(data.get("namespaces"), err),
    )


def _name(value: Any, err) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise err(f"expected a name of letters, digits, '.', '_' or '-', got {value!r}", "name")
    return value


def _text(value: Any, err, key: str) -> str:
    if not isinstance(value, str):
        raise err(f"expected text, got {value!r}", key)
    return value


def _section(data: dict, key: str, err, *, required: bool) -> dict:
    if key not in data:
        if required:
            raise err(f"missing key '{key}'; expected a mapping")
        return {}
    value = data[key]
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise err(f"expected a mapping, got {_kind(value)}", key)
    return value


def _only_keys(section: dict, allowed: tuple[str, ...], where: str, err) -> None:
    for key in section:
        if key not in allowed:
            raise err(f"unknown key; expected one of: {', '.join(allowed)}", where, key)


def _int(value: Any, lo: int, hi: int, err, *path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise err(f"expected an integer in [{lo}, {hi}], got {value!r}", *path)
    return value


def _ratio(value: Any, err, *path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise err(f"expected a hit ratio in (0, 1], got {value!r}", *path)
    return float(value)


def _duration(value: Any, err, *path: str) -> float | None:
    if value is None:
        return None
    from evictsim.steady_state import parse_duration
    try:
        return parse_duration(value)
    except UserInputError as exc:
        raise err(exc.message, *path) from None


def _namespaces(value: Any, err) -> bool | str | None:
    """``namespaces:`` as ``simulate --namespaces`` takes it: true (the prefix up to the first ``:``),
    false, ``'sess:*,cache:*'`` or ``'re:PATTERN'``; checked here so a bad pattern fails before a run."""
    if value is None or value is False:
        return None
    if value is not True and not (isinstance(value, str) and value.strip()):
        raise err(f"expected true, false, globs like 'sess:*,cache:*' or re:PATTERN, got {_kind(value)}",
                  "namespaces")
    from evictsim.metrics.namespace_tags import parse_namespaces
    try:
        parse_namespaces(value)
    except UserInputError as exc:
        raise err(exc.message, "namespaces") from None
    return value


def _choice(value: Any, options: tuple[str, ...], err, *path: str) -> str:
    if value not in options:
        raise err(f"expected one of {', '.join(options)}, got {value!r}", *path)
    return value


def _plots(value: Any, err) -> tuple[str, ...]:
    from evictsim.report.registry import PLOTS
    if value is None:
        return tuple(PLOTS.default_names())
    if not isinstance(value, list):
        raise err(f"expected a list of plot names, got {_kind(value)}", "plots")
    for i, name in enumerate(value):
        if not isinstance(name, str) or name not in PLOTS:
            raise err(f"unknown plot {name!r}; expected one of: {', '.join(PLOTS.names())}", "plots", i)
    return tuple(value)


def _sweep(value: Any, err) -> tuple[SweepAxis, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise err(f"expected a mapping of key → list of values, got {_kind(value)}", "sweep")
    return tuple(_axis(name, values, err) for name, values in value.items())


def _axis(name: str, values: Any, err: _Checker) -> SweepAxis:
    if not isinstance(values, list) or not values:
        raise err(f"expected a non-empty list of values, got {_kind(values)}", "sweep", name)
    if name in RESERVED_COLUMNS:
        raise err(f"{name!r} names a summary.csv column; choose another group name", "sweep", name)
    if "." in name:
        path = _sweep_path(name, err, ("sweep", name))
        out = tuple(_single_value(path, v, err, ("sweep", name, i)) for i, v in enumerate(values))
    else:
        out = tuple(_group_value(item, err, ("sweep", name, i)) for i, item in enumerate(values))
    _unique_labels(out, err, name)
    return SweepAxis(name, out)


def _single_value(path: tuple[str, ...], value: Any, err: _Checker, where: PathKey) -> SweepValue:
    if isinstance(value, (dict, list)) or value is None:
        raise err(f"expected a single value, got {_kind(value)}", *where)
    return SweepValue(_label(value), (Setting(path, value, err.line(*where)),))


def _group_value(item: Any, err: _Checker, where: PathKey) -> SweepValue:
    """A named group's value: ``{label: doubled, workload.rate: 40000, workload.keys: 200000}``."""
    if not isinstance(item, dict) or not item:
        raise err(f"a sweep key without a section prefix is a named group: expected a mapping of "
                  f"redis.KEY / workload.KEY to values, got {_kind(item)}", *where)
    settings = []
    for key, value in item.items():
        if key == "label":
            continue
        path = _sweep_path(key, err, where + (key,))
        settings.append(Setting(path, value, err.line(*where, key)))
    if not settings:
        raise err("expected at least one redis.KEY or workload.KEY besides label", *where)
    label = item.get("label", ",".join(f"{k}={_label(v)}" for k, v in item.items() if k != "label"))
    return SweepValue(_label(label), tuple(settings))


def _sweep_path(name: str, err, where: PathKey) -> tuple[str, ...]:
    parts = tuple(name.split("."))
    if parts[0] not in SWEEPABLE_SECTIONS or len(parts) < 2 or not all(parts):
        raise err(f"expected a key path starting with {' or '.join(s + '.' for s in SWEEPABLE_SECTIONS)}"
                  f" (or a named group of them), got {name!r}", *where)
    if parts[0] == "redis" and len(parts) != 2:
        raise err(f"expected redis.NAME (redis settings are not nested), got {name!r}", *where)
    return parts


def _unique_labels(values: tuple[SweepValue, ...], err, name: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v.label in seen:
            raise err(f"value {v.label!r} appears twice", "sweep", name, i)
        seen.add(v.label)


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"{value!r}"}.get(type(value), repr(value))
