"""A partitioned run on disk: ``summary.json`` (totals + ``partitions``), one folder per partition
with its ordinary ``summary.json`` and ``timeseries.csv``, and plots with one line per partition.

Plots read only the written files (:func:`plot_partitions` works on a finished folder).
"""
from __future__ import annotations

import json
from pathlib import Path

from evictsim import atomic
from evictsim.partitions.run import PartitionedResult
from evictsim.results import read_timeseries


def write_partitioned(result: PartitionedResult, out_dir: str | Path, *, outcomes: bool = False,
                      parquet: bool = False) -> None:
    """Each partition's files first, then the summed timeseries.csv, the top-level summary.json last
    (its presence = a complete run)."""
    from evictsim.results import timeseries_to_csv
    out = Path(out_dir)
    for name, res in result.results.items():
        res.write(out / "partitions" / name, parquet=parquet)
    atomic.write_text(out / "timeseries.csv", timeseries_to_csv(result.timeseries))
    if outcomes and result.outcomes is not None:
        import numpy as np
        with atomic.atomic_path(out / "outcomes.npy") as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, result.outcomes)
    atomic.write_json(out / "summary.json", result.summary)


def plot_partitions(out_dir: str | Path) -> list[Path]:
    """memory.png and hit_ratio.png with one line per partition, from the files in ``out_dir``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    summary = json.loads((out / "summary.json").read_text())
    series = {n: read_timeseries(out / "partitions" / n / "timeseries.csv")
              for n in summary["partition_names"]}
    written = []
    for column, label, fname in (("used_memory", "used_memory (MB)", "memory.png"),
                                 ("hit_ratio_interval", "hit ratio per interval", "hit_ratio.png")):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for name, ts in series.items():
            values = ts[column] / 1e6 if column == "used_memory" else ts[column]
            ax.plot(ts["time"], values, label=name, linewidth=1.2)
            mm = summary["partitions"][name]["maxmemory"]
            if column == "used_memory" and mm:
                ax.axhline(mm / 1e6, linestyle=":", linewidth=0.8, color=ax.lines[-1].get_color())
        ax.set_xlabel("trace time (s)")
        ax.set_ylabel(label)
        ax.legend(title="partition")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        with atomic.atomic_path(out / fname) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
        plt.close(fig)
        written.append(out / fname)
    return written
