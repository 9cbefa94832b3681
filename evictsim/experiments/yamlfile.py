"""Read an experiment YAML file safely and remember the line of every key.

Validation errors must say ``quickstart.yaml:14: redis.maxmemory: expected ...``, so the loader composes
YAML nodes (``yaml.SafeLoader``: plain data only, never Python objects) and walks them once, building
the Python values and a map from key path (``("redis", "maxmemory")``, list items by index) to the
1-based line where that key or item starts. Duplicate keys are an error here, where YAML would
silently keep the last one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evictsim.errors import UserInputError, read_user_file

PathKey = tuple  # a key path: strings for mapping keys, ints for list positions


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


def load_yaml(path: str | Path) -> YamlDocument:
    """Parse ``path`` with the safe loader; YAML syntax errors become one-line user errors."""
    return parse_yaml(read_user_file(path, "experiment file"), source=str(path))


def parse_yaml(text: str, *, source: str) -> YamlDocument:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        doc = YamlDocument(data=None, source=source)
        if node is not None:
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


def _build(node: yaml.Node, path: PathKey, loader: yaml.SafeLoader, doc: YamlDocument) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)   # resolve YAML merge keys (<<) the way SafeLoader would
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
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
