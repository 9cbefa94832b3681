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
    import matplotlib.pyplot as plt
    from evictsim import atomic
    from evictsim.mrc.curve import COLUMNS, read_curve
    from evictsim.report.style import MIB, new_figure, percent_axis, policy_colour
    lines = ["curve," + ",".join(COLUMNS)]
    fig, axes = new_figure(1, width=7.0, height=4.2)
    ax = axes[0][0]
    for label, folder in zip(labels, folders):
        curve = read_curve(folder)
        csv_rows = curve.to_csv().splitlines()[1:]
        lines += [f"{label},{row}" for row in csv_rows]
        limited = curve.maxmemory > 0
        policy = curve.summary.get("maxmemory_policy", label)
        ax.plot(curve.maxmemory[limited] / MIB, curve.hit_ratio[limited], marker="o", markersize=3,
                linewidth=1.3, color=policy_colour(policy), label=label)
    ax.set_xlabel("maxmemory (MiB, Redis used_memory)")
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    percent_axis(ax, "hit ratio (%)")
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title("miss-ratio curves", fontsize="medium")
    fig.tight_layout()
    atomic.write_text(root / "curves.csv", "\n".join(lines) + "\n")
    with atomic.atomic_path(root / "mrc.png") as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
