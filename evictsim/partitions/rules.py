"""Partition files: which keys go to which simulated instance, and each instance's own settings.

Two forms (a YAML file, the ``partitions:`` block of an experiment, or the same data from Python):

* a list of rules, routed in list order: ``- {name, match: 'sess:*' | regex: '^sess:', redis: {...},
  weight: 1}``; the first rule that matches a key takes it;
* ``cluster: {nodes: 3, slots: even | [[0,5460], ...], redis: {...}}``: keys routed by hash slot to
  nodes ``node0``, ``node1``, ... (MECHANICS §15).

Each partition is an independent Redis: its ``redis:`` settings override the run's base settings.
Everything is checked here, before any request is read, and errors name ``file:line: key path``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from evictsim.config import RedisConfig
from evictsim.errors import UserInputError
from evictsim.partitions.cluster_memory import CLUSTER_BASELINE_EXTRA
from evictsim.partitions.glob import GlobError, glob_to_regex, hides
from evictsim.partitions.slots import SLOTS, even_slot_ranges, key_hash_slot, slot_owner_table

LineOf = Callable[[tuple], "int | None"]
_RULE_KEYS = ("name", "match", "regex", "redis", "weight")
_CLUSTER_KEYS = ("nodes", "slots", "redis")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")      # a partition name is also a folder name


@dataclass(frozen=True)
class Partition:
    """One simulated instance: its name, resolved settings, raw ``redis:`` overrides, weight."""

    name: str
    config: RedisConfig
    overrides: Mapping[str, Any]
    weight: float = 1.0


class RuleRouter:
    """Key names → index of the first rule that matches (−1: none)."""

    def __init__(self, patterns: list[str]):
        self.patterns = [re.compile(p) for p in patterns]

    def route(self, names: list[str]) -> np.ndarray:
        out = np.full(len(names), -1, np.int16)
        for i, name in enumerate(names):
            for j, pattern in enumerate(self.patterns):
                if pattern.search(name):
                    out[i] = j
                    break
        return out


class ClusterRouter:
    """Key names → node index through ``keyHashSlot`` and the slot ownership table."""

    def __init__(self, owner: np.ndarray):
        self.owner = owner

    def route(self, names: list[str]) -> np.ndarray:
        slots = np.fromiter((key_hash_slot(n) for n in names), np.int64, len(names))
        return self.owner[slots].astype(np.int16)


@dataclass(frozen=True)
class PartitionPlan:
    """The partitions of a run and how keys reach them."""

    partitions: tuple[Partition, ...]
    router: Any
    source: str
    cluster: dict[str, Any] | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.partitions]

    def with_maxmemory(self, sizes: Mapping[str, int]) -> "PartitionPlan":
        """The same plan with some partitions' maxmemory replaced (the split optimizer)."""
        parts = tuple(Partition(p.name, p.config.replace(maxmemory=sizes[p.name]) if p.name in sizes
                                else p.config, p.overrides, p.weight) for p in self.partitions)
        return PartitionPlan(parts, self.router, self.source, self.cluster)


def load_partitions(path: str, *, base: Mapping[str, Any] | None = None,
                    require_maxmemory: bool = True) -> PartitionPlan:
    """Read a partitions YAML file: a list of rules, ``{partitions: [...]}`` or ``{cluster: {...}}``."""
    from evictsim.experiments.yamlfile import load_yaml
    doc = load_yaml(path)
    data, prefix = doc.data, ()
    if isinstance(data, dict) and "partitions" in data and "cluster" not in data:
        data, prefix = data["partitions"], ("partitions",)
    return parse_partitions(data, source=str(path), line_of=lambda p: doc.line(prefix + tuple(p)),
                            base=base, require_maxmemory=require_maxmemory)


def parse_partitions(data: Any, *, source: str, line_of: LineOf = lambda p: None,
                     base: Mapping[str, Any] | None = None, require_maxmemory: bool = True) -> PartitionPlan:
    """Validate partition data (see the module docstring) into a :class:`PartitionPlan`."""
    def error(message: str, *path: Any) -> UserInputError:
        return UserInputError(message, source=source, line=line_of(path),
                              key=".".join(str(p) for p in path) or None)

    if isinstance(data, dict) and set(data) == {"cluster"}:
        return _cluster_plan(data["cluster"], source, line_of, error, base or {}, require_maxmemory)
    if not isinstance(data, list) or not data:
        raise error("expected a non-empty list of rules {name, match|regex, redis} or {cluster: {...}}")
    partitions, patterns, globs = [], [], []
    for i, rule in enumerate(data):
        name, pattern, glob = _rule(rule, i, error)
        for j, earlier in enumerate(globs):
            if earlier is not None and glob is not None and hides(earlier, glob):
                raise error(f"overlapping rules: every key {glob!r} matches is already taken by rule "
                            f"{j} ({earlier!r}), so this rule would never route a key", i, "match")
        if any(p.name == name for p in partitions):
            raise error(f"duplicate partition name {name!r}", i, "name")
        overrides = _redis_section(rule.get("redis", {}), (i, "redis"), source, line_of, error)
        partitions.append(_partition(name, overrides, base or {}, rule, i, error, require_maxmemory,
                                     source, line_of))
        patterns.append(pattern)
        globs.append(glob)
    return PartitionPlan(tuple(partitions), RuleRouter(patterns), source)


def _rule(rule: Any, i: int, error) -> tuple[str, str, str | None]:
    if not isinstance(rule, dict):
        raise error("expected a mapping {name, match|regex, redis}", i)
    for key in rule:
        if key not in _RULE_KEYS:
            raise error(f"unknown key; expected one of: {', '.join(_RULE_KEYS)}", i, key)
    name = rule.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise error("expected a name of letters, digits, '_', '.', '-'", i, "name")
    if ("match" in rule) == ("regex" in rule):
        raise error("expected exactly one of match (a glob) or regex", i)
    kind = "match" if "match" in rule else "regex"
    text = rule[kind]
    if not isinstance(text, str) or not text:
        raise error("empty rule: expected a non-empty pattern", i, kind)
    try:
        pattern = glob_to_regex(text) if kind == "match" else text
        re.compile(pattern)
    except (GlobError, re.error) as exc:
        raise error(f"pattern does not parse: {exc}", i, kind) from None
    return name, pattern, text if kind == "match" else None


def _redis_section(section: Any, path: tuple, source: str, line_of: LineOf, error) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise error("expected a mapping of redis.conf settings", *path)
    lines = {k: line_of(path + (k,)) for k in section}
    RedisConfig.from_mapping(section, source=source, lines=lines,
                             prefix=".".join(str(p) for p in path) + ".")
    return {str(k).replace("_", "-").lower(): v for k, v in section.items()}


def _partition(name: str, overrides: dict, base: Mapping[str, Any], rule: dict, i: Any, error,
               require_maxmemory: bool, source: str, line_of: LineOf) -> Partition:
    config = RedisConfig.from_mapping({**base, **overrides}, source=source)
    if require_maxmemory and config.maxmemory == 0 and config.maxmemory_policy != "noeviction":
        raise error(f"partition {name!r}: maxmemory-policy {config.maxmemory_policy} needs a maxmemory "
                    f"(with 0 it never evicts)", *((i, "redis") if isinstance(i, int) else ("redis",)))
    weight = rule.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise error("expected a non-negative number", i, "weight")
    return Partition(name, config, overrides, float(weight))


def _cluster_plan(spec: Any, source: str, line_of: LineOf, error, base: Mapping[str, Any],
                  require_maxmemory: bool) -> PartitionPlan:
    if not isinstance(spec, dict):
        raise error("expected a mapping {nodes, slots, redis}", "cluster")
    for key in spec:
        if key not in _CLUSTER_KEYS:
            raise error(f"unknown key; expected one of: {', '.join(_CLUSTER_KEYS)}", "cluster", key)
    nodes = spec.get("nodes")
    if isinstance(nodes, bool) or not isinstance(nodes, int) or not 1 <= nodes <= SLOTS:
        raise error("expected a number of nodes in 1..16384", "cluster", "nodes")
    ranges = _slot_ranges(spec.get("slots", "even"), nodes, error)
    overrides = _redis_section(spec.get("redis", {}), ("cluster", "redis"), source, line_of, error)
    if "baseline-memory" not in overrides and "baseline-memory" not in base:   # cluster mode's own tables
        base = {**base, "baseline-memory": RedisConfig().baseline_memory + CLUSTER_BASELINE_EXTRA}
    # every node runs in cluster mode: +16 B of slot metadata per key (cluster.redis may say no, to compare)
    base = {**base, "cluster-enabled": True}
    parts = tuple(_partition(f"node{n}", overrides, base, {}, "cluster", error, require_maxmemory, source,
                             line_of) for n in range(nodes))
    cluster = {"nodes": nodes, "slots": [list(r) for r in ranges]}
    return PartitionPlan(parts, ClusterRouter(slot_owner_table([[r] for r in ranges])), source, cluster)


def _slot_ranges(value: Any, nodes: int, error) -> list[tuple[int, int]]:
    if value == "even":
        return even_slot_ranges(nodes)
    if not isinstance(value, list) or len(value) != nodes:
        raise error(f"expected 'even' or one [first, last] range per node ({nodes})", "cluster", "slots")
    ranges = []
    for i, item in enumerate(value):
        whole = isinstance(item, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in item)
        if not whole or len(item) != 2 or not 0 <= item[0] <= item[1] < SLOTS:
            raise error(f"expected [first, last] with 0 <= first <= last <= {SLOTS - 1}, got {item!r}",
                        "cluster", "slots", i)
        ranges.append((item[0], item[1]))
    expect = 0
    for first, last in sorted(ranges):
        if first < expect:
            raise error(f"slot ranges overlap at slot {first}", "cluster", "slots")
        if first > expect:
            raise error(f"slot ranges do not cover slots {expect}-{first - 1} (every slot 0-16383 needs a "
                        f"node)", "cluster", "slots")
        expect = last + 1
    if expect != SLOTS:
        raise error(f"slot ranges do not cover slots {expect}-{SLOTS - 1} (every slot 0-16383 needs a node)",
                    "cluster", "slots")
    return ranges
