"""Experiment files are read by :mod:`evictsim.safe_yaml` (shared with workload spec files): this
module keeps the names experiments import."""
from __future__ import annotations

from evictsim.safe_yaml import PathKey, YamlDocument, format_path, load_yaml, parse_yaml

__all__ = ["PathKey", "YamlDocument", "format_path", "load_yaml", "parse_yaml"]
