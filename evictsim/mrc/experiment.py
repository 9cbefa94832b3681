"""The ``mrc:`` block of an experiment file: a miss-ratio curve per distinct configuration of the
sweep (maxmemory aside), written under ``<out>/mrc/`` beside the runs.

    mrc:
      points: 20              # or sizes: [8mb, 16mb, 32mb]
      method: auto            # auto | shards | minisim | full
      sample-rate: 0.1        # or sample-size: 20000 (keys); default: auto's choice
      targets: [0.9, 0.95]    # hit ratios whose smallest maxmemory each summary reports

One curve per distinct (workload, Redis settings without maxmemory) of the first replication, so a
sweep over ``maxmemory-policy`` gives one curve per policy: ``mrc/<policy>/`` holds its ``mrc.csv``,
``summary.json`` and ``mrc.png``; ``mrc/curves.csv`` all rows with a ``curve`` column, and
``mrc/mrc.png`` every curve on one plot. The block is validated before the first run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evictsim.errors import UserInputError

KEYS = ("points", "sizes", "method", "sample-rate", "sample-size", "targets")


@dataclass(frozen=True)
class MrcBlock:
    options: dict[str, Any]      # keyword arguments of evictsim.mrc


def parse_mrc_block(exp) -> MrcBlock | None:
    """Validate ``exp``'s ``mrc:`` block (None when there is none); errors name file:line: key."""
    from evictsim.mrc.choose import check_method
    from evictsim.mrc.sampling import check_rate
    from evictsim.mrc.sizes import check_points, parse_sizes
    data = exp.document.data.get("mrc") if isinstance(exp.document.data, dict) else None
    if data is None:
        return None

    def fail(message: str, *path: str) -> UserInputError:
        key = ".".join(("mrc",) + path)
        return UserInputError(message, source=str(exp.source), line=exp.line("mrc", *path), key=key)

    if not isinstance(data, dict):
        raise fail("expected a mapping with " + ", ".join(KEYS))
    options: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            raise fail(f"unknown key; expected one of: {', '.join(KEYS)}", str(key))
        try:
            if key == "points":
                options["points"] = check_points(value)
            elif key == "sizes":
                options["sizes"] = parse_sizes(value if isinstance(value, (list, str)) else str(value))
            elif key == "method":
                options["method"] = check_method(value)
            elif key == "sample-rate":
                options["sample_rate"] = check_rate(value)
            elif key == "sample-size":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise UserInputError(f"expected a positive number of keys, got {value!r}")
                options["sample_size"] = value
            else:
                targets = value if isinstance(value, list) else [value]
                if not all(isinstance(t, (int, float)) and 0 < t < 1 for t in targets):
                    raise UserInputError(f"expected hit ratios in (0, 1), got {value!r}")
                options["targets"] = [float(t) for t in targets]
        except UserInputError as exc:
            raise fail(exc.message, key) from None
    if "points" in options and "sizes" in options:
        raise fail("give either points or sizes, not both")
    return MrcBlock(options)


def run_mrc_block(block: MrcBlock, runs, out: Path) -> list[Path]:
    """A curve per distinct configuration of the first replication's runs; returns their folders."""
    import evictsim
    from evictsim.mrc.plot import plot_curve
    groups: dict[str, Any] = {}
    for run in runs:
        if run.replication != 0:
            continue
        redis = {k: v for k, v in run.redis.items() if k != "maxmemory"}
        groups.setdefault(json.dumps([run.workload.to_mapping(), redis], sort_keys=True, default=str), (run, redis))
    labels = _labels([redis.get("maxmemory-policy", "noeviction") for _, redis in groups.values()])
    folders = []
    for label, (run, redis) in zip(labels, groups.values()):
        curve = evictsim.mrc(run.workload.build(run.seed), config=redis, seed=run.seed, **block.options)
        curve.summary["trace_name"] = label
        folder = curve.write(out / "mrc" / label)
        plot_curve(folder)
        folders.append(folder)
    _write_combined(out / "mrc", labels, folders)
    return folders


def _labels(policies: list[str]) -> list[str]:
    """The policy name, numbered when several configurations share a policy."""
    seen: dict[str, int] = {}
    out = []
    for policy in policies:
        seen[policy] = seen.get(policy, 0) + 1
        out.append(policy if policies.count(policy) == 1 else f"{policy}-{seen[policy]}")
    return out


def _write_combined(root: Path, labels: list[str], folders: list[Path]) -> None:
    """``curves.csv`` (every curve's rows), ``gap_to_belady.csv`` (when a curve is belady's) and
    ``mrc.png`` (every curve on one plot, with the gaps below it)."""
    from evictsim import atomic
    from evictsim.mrc.compare import gap_rows, write_gaps
    from evictsim.mrc.curve import COLUMNS, read_curve
    from evictsim.mrc.plot import plot_curves
    lines = ["curve," + ",".join(COLUMNS)]
    curves = {}
    for label, folder in zip(labels, folders):
        curve = read_curve(folder)
        lines += [f"{label},{row}" for row in curve.to_csv().splitlines()[1:]]
        curves[label] = curve
    atomic.write_text(root / "curves.csv", "\n".join(lines) + "\n")
    points = {label: {int(m): float(h) for m, h in zip(c.maxmemory, c.hit_ratio) if m > 0}
              for label, c in curves.items()}
    gaps = gap_rows(points)
    write_gaps(root, gaps)
    plot_curves(root / "mrc.png", curves, gaps)
