"""Read a user's YAML file safely and remember the line of every key (experiments, workload specs).

Validation errors must say ``quickstart.yaml:14: redis.maxmemory: expected ...``, so the loader composes
YAML nodes (``yaml.SafeLoader``: plain data only, never Python objects) and walks them once, building
the Python values and a map from key path (``("redis", "maxmemory")``, list items by index) to the
1-based line where that key or item starts. Duplicate keys are an error here, where YAML would
silently keep the last one.

Before composing, one pass over the parser's events (iterative, so it cannot overflow the stack)
refuses what a configuration never needs and an attacker or a typo can abuse: any explicit tag
(``!!python/object``, ``!!str``, ``!custom``: refused, not ignored), nesting deeper than
:data:`MAX_DEPTH` (PyYAML's composer recurses: 100,000 levels end in ``RecursionError``), and aliases
whose expansion would exceed :data:`MAX_NODES` nodes (the "billion laughs" document is 1 kB and
expands to 10^9 strings).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evictsim.errors import UserInputError, read_user_file

PathKey = tuple  # a key path: strings for mapping keys, ints for list positions
MAX_DEPTH = 100          # nested mappings/lists; real configuration files use fewer than 10
MAX_NODES = 1_000_000    # values after alias expansion


@dataclass
class YamlDocument:
    """The parsed data of one file, and where each key path was written."""

    data: Any
    source: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int | None:
        """Line of ``path``, or of its nearest written parent (a swept value's list item, say)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def load_yaml(path: str | Path, what: str = "experiment file") -> YamlDocument:
    """Parse ``path`` with the safe loader; YAML syntax errors become one-line user errors."""
    return parse_yaml(read_user_file(path, what), source=str(path))


def parse_yaml(text: str, *, source: str) -> YamlDocument:
    _check_events(text, source)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        doc = YamlDocument(data=None, source=source)
        if node is not None:
            _check_expansion(node, source)
            doc.lines[()] = node.start_mark.line + 1
            doc.data = _build(node, (), loader, doc)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise UserInputError(f"invalid YAML: {problem}", source=source, line=line) from None
    except yaml.YAMLError as exc:
        raise UserInputError(f"invalid YAML: {exc}", source=source) from None
    finally:
        loader.dispose()


def _check_events(text: str, source: str) -> None:
    """Refuse tags and deep nesting from the event stream, before the recursive composer runs."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            tag = getattr(event, "tag", None)
            if tag is not None:
                shown = tag.replace("tag:yaml.org,2002:", "!!")
                raise UserInputError(f"YAML tags are not allowed, got {shown}; write plain values",
                                     source=source, line=line)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise UserInputError(f"expected at most {MAX_DEPTH} levels of nesting",
                                         source=source, line=line)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise UserInputError(f"invalid YAML: {exc.problem or exc.context or 'syntax error'}",
                             source=source, line=line) from None
    except yaml.YAMLError as exc:
        raise UserInputError(f"invalid YAML: {exc}", source=source) from None


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Count the values the document expands to (an alias repeats its anchor's whole subtree) and
    how deep it nests once aliases are expanded, sharing the figures of a node reached twice, so the
    check itself stays linear in the file and its recursion shallow."""
    known: dict[int, tuple[int, int]] = {}      # id(node) -> (values, levels below and including it)
    busy: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in known:
            return known[key]
        line = node.start_mark.line + 1
        if key in busy:
            raise UserInputError("expected an alias to an earlier value, got one to a node that "
                                 "contains it", source=source, line=line)
        busy.add(key)
        children = ([part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        total, levels = 1, 1
        for child in children:
            values, below = measure(child)
            total, levels = total + values, max(levels, below + 1)
        busy.discard(key)
        if total > MAX_NODES:
            raise UserInputError(f"YAML aliases expand to more than {MAX_NODES:,} values; expected fewer",
                                 source=source, line=line)
        if levels > MAX_DEPTH:
            raise UserInputError(f"expected at most {MAX_DEPTH} levels of nesting (aliases expanded)",
                                 source=source, line=line)
        known[key] = (total, levels)
        return total, levels

    measure(root)


def _build(node: yaml.Node, path: PathKey, loader: yaml.SafeLoader, doc: YamlDocument) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)   # resolve YAML merge keys (<<) the way SafeLoader would
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise UserInputError("expected a plain key", source=doc.source, line=line,
                                     key=format_path(path))
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                raise UserInputError("expected a plain key", source=doc.source, line=line,
                                     key=format_path(path))
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise UserInputError("duplicate key", source=doc.source, line=line,
                                     key=format_path(path + (key,)))
            doc.lines[path + (key,)] = line
            out[key] = _build(value_node, path + (key,), loader, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            doc.lines[path + (i,)] = item.start_mark.line + 1
            items.append(_build(item, path + (i,), loader, doc))
        return items
    return loader.construct_object(node, deep=True)


def format_path(path: PathKey) -> str:
    """``("sweep", "redis.maxmemory", 1)`` → ``sweep.redis.maxmemory[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text
