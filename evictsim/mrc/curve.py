"""The miss-ratio curve a profile returns: one row per size, plus how it was computed.

Rows are counters scaled to the full trace and turned into ratios once, here. ``write`` puts
``mrc.csv`` and ``summary.json`` (last, atomically) in a folder; the plot reads only those files.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evictsim import atomic

COLUMNS = ("maxmemory", "hit_ratio", "miss_ratio", "byte_hit_ratio", "method", "sample_rate",
           "scaled_maxmemory", "sampled_keys", "seconds")


@dataclass
class MissRatioCurve:
    """Hit and miss ratios against maxmemory (bytes, as Redis counts ``used_memory``)."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> dict[str, np.ndarray]:
        """Column name → array, in size order (what ``mrc.csv`` holds)."""
        return {name: np.asarray([row[name] for row in self.rows]) for name in COLUMNS}

    @property
    def maxmemory(self) -> np.ndarray:
        return self.table["maxmemory"]

    @property
    def hit_ratio(self) -> np.ndarray:
        return self.table["hit_ratio"]

    @property
    def miss_ratio(self) -> np.ndarray:
        return self.table["miss_ratio"]

    def size_for(self, hit_ratio: float) -> int | None:
        """The smallest maxmemory whose hit ratio reaches ``hit_ratio`` (linear between points)."""
        sizes, ratios = self.maxmemory, self.hit_ratio
        limited = sizes > 0
        sizes, ratios = sizes[limited], ratios[limited]
        above = np.flatnonzero(ratios >= hit_ratio)
        if not len(above):
            return None
        i = int(above[0])
        if i == 0 or ratios[i] == ratios[i - 1]:
            return int(sizes[i])
        frac = (hit_ratio - ratios[i - 1]) / (ratios[i] - ratios[i - 1])
        return int(round(sizes[i - 1] + frac * (sizes[i] - sizes[i - 1])))

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})
        return buf.getvalue()

    def write(self, out_dir: str | Path) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        atomic.write_text(out / "mrc.csv", self.to_csv())
        atomic.write_json(out / "summary.json", self.summary)
        return out


def read_curve(out_dir: str | Path) -> MissRatioCurve:
    """Load what :meth:`MissRatioCurve.write` wrote (for plots and reports)."""
    import json
    out = Path(out_dir)
    with open(out / "mrc.csv", newline="") as fh:
        rows = [{k: _parse(k, v) for k, v in row.items()} for row in csv.DictReader(fh)]
    return MissRatioCurve(rows=rows, summary=json.loads((out / "summary.json").read_text()))


def _parse(name: str, value: str) -> Any:
    if name == "method":
        return value
    if name in ("maxmemory", "scaled_maxmemory", "sampled_keys"):
        return int(value)
    return float(value)
