"""Memory by namespace, stacked, from namespaces.csv (plus used_memory and maxmemory as lines)."""
from __future__ import annotations

from pathlib import Path

from evictsim import atomic
from evictsim.leaks.series import RunSeries


def draw_namespaces(ax, series: RunSeries, *, forecast_at: float | None = None, legend: bool = True,
                    ylabel: str = "MB (keys' bytes as the byte model charges them)") -> None:
    """One panel: each namespace's bytes stacked, largest first; used_memory, maxmemory and the
    forecast time (when given) as lines."""
    import numpy as np

    names = sorted(series.namespaces, key=lambda n: -np.nanmax(series.namespaces[n]["bytes"]))
    stack = [np.nan_to_num(series.namespaces[n]["bytes"]) / 1e6 for n in names]
    ax.stackplot(series.times, *stack, labels=names, alpha=0.85)
    ax.plot(series.memory_time, series.used_memory / 1e6, color="black", linewidth=1, label="used_memory")
    if series.maxmemory:
        ax.axhline(series.maxmemory / 1e6, color="red", linestyle="--", linewidth=1, label="maxmemory")
    if forecast_at is not None:
        ax.axvline(forecast_at, color="red", linestyle=":", linewidth=1, label="forecast: maxmemory reached")
    ax.set_xlabel("trace time (s)")
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)


def plot_namespaces(series: RunSeries, path: str | Path, *, forecast_at: float | None = None) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    draw_namespaces(ax, series, forecast_at=forecast_at)
    ax.set_title("memory by namespace")
    fig.tight_layout()
    path = Path(path)
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path
