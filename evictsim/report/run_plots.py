"""Plots of one run folder (``summary.json`` + ``timeseries.csv``), as ``evictsim simulate`` draws
them: ``memory.png`` (used_memory against maxmemory, stale-bytes band; RSS and allocator_active
beside them when the run had an allocator model), ``hit_ratio.png``, and, with an allocator model,
``fragmentation.png`` (mem_fragmentation_ratio and allocator_frag_ratio over time)."""
from __future__ import annotations

import json
from pathlib import Path

from evictsim.report.style import MIB, legend, new_figure, percent_axis, policy_colour, ratio_limits
from evictsim.results import read_timeseries
from evictsim.units import format_bytes

RSS_COLOUR = "#b2182b"     # the operating system's view (RSS) in one colour on every plot


def plot_run(run_dir: str | Path) -> list[Path]:
    """Draw ``memory.png``, ``hit_ratio.png`` (and ``fragmentation.png``) into ``run_dir``."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    ts = read_timeseries(run_dir / "timeseries.csv")
    config = summary.get("config", {})
    policy = str(config.get("maxmemory-policy", "noeviction"))
    maxmemory = int(config.get("maxmemory", 0) or 0)
    title = f"{summary.get('trace', {}).get('name', run_dir.name)}: {policy}, " + (
        f"maxmemory {format_bytes(maxmemory)}" if maxmemory else "no maxmemory")
    paths = [_memory(run_dir, ts, policy, maxmemory, title), _hit_ratio(run_dir, ts, policy, title, summary)]
    if "mem_fragmentation_ratio" in ts and "allocator_frag_ratio" in ts:
        paths.append(_fragmentation(run_dir, ts, title))
    return paths


def _memory(run_dir: Path, ts, policy: str, maxmemory: int, title: str) -> Path:
    fig, axes = new_figure(1, rows=2, width=7.0, height=3.0, sharey=False)
    ax = axes[0][0]
    colour = policy_colour(policy)
    used, stale = ts["used_memory"] / MIB, ts["stale_bytes"] / MIB
    ax.plot(ts["time"], used, color=colour, linewidth=1.3, label="used_memory")
    ax.fill_between(ts["time"], used - stale, used, color=colour, alpha=0.3, linewidth=0,
                    label="stale bytes (expired, not yet deleted)")
    if "used_memory_rss" in ts:
        ax.plot(ts["time"], ts["used_memory_rss"] / MIB, color=RSS_COLOUR, linewidth=1.3,
                label="used_memory_rss (model)")
    if "allocator_active" in ts:
        ax.plot(ts["time"], ts["allocator_active"] / MIB, color=RSS_COLOUR, linewidth=1.0,
                linestyle=":", label="allocator_active (model)")
    if maxmemory:
        ax.axhline(maxmemory / MIB, color="black", linestyle="--", linewidth=0.9, label="maxmemory")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("memory (MiB)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.tick_params(labelbottom=True)
    legend(ax)
    ax.set_title(title, fontsize="medium")
    _stale_panel(axes[1][0], ts, colour)
    return _save_png(fig, run_dir / "memory.png")


def _fragmentation(run_dir: Path, ts, title: str) -> Path:
    """The two ratios INFO reports: RSS over used_memory (what the OS sees against what Redis
    counts) and allocator_active over allocator_allocated (holes inside the slabs)."""
    fig, axes = new_figure(1, width=7.0, height=3.6)
    ax = axes[0][0]
    t = ts["time"]
    ax.plot(t, ts["mem_fragmentation_ratio"], color=RSS_COLOUR, linewidth=1.3,
            label="mem_fragmentation_ratio (used_memory_rss / used_memory)")
    ax.plot(t, ts["allocator_frag_ratio"], color="#444444", linewidth=1.1, linestyle="--",
            label="allocator_frag_ratio (allocator_active / allocator_allocated)")
    ax.axhline(1.0, color="black", linewidth=0.6, alpha=0.5)
    values = [v for v in (ts["mem_fragmentation_ratio"], ts["allocator_frag_ratio"]) if len(v)]
    top = max(float(v[1:].max()) if len(v) > 1 else float(v.max()) for v in values) if values else 2.0
    ax.set_ylim(0.9, max(1.2, top * 1.08))     # sample 0 (an empty server: RSS ≫ used) would flatten the rest
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("ratio")
    ax.grid(alpha=0.3)
    legend(ax)
    ax.set_title(title, fontsize="medium")
    return _save_png(fig, run_dir / "fragmentation.png")


def _stale_panel(ax, ts, colour: str) -> None:
    """The stale part on its own scale: a few MiB under a 50 MiB line would not show."""
    stale = ts["stale_bytes"].astype(float)
    unit, scale = ("MiB", MIB) if stale.max(initial=0) >= MIB else ("KiB", 1024)
    ax.fill_between(ts["time"], 0, stale / scale, color=colour, alpha=0.3, linewidth=0)
    ax.plot(ts["time"], stale / scale, color=colour, linewidth=1.1)
    ax.set_title(f"stale memory: mean {stale.mean() / scale:.1f} {unit}, peak {stale.max(initial=0) / scale:.1f} "
                 f"{unit}", fontsize="medium")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(f"stale memory ({unit})")
    ax.set_ylim(bottom=0)
    ax.tick_params(labelbottom=True)
    ax.grid(alpha=0.3)


def _hit_ratio(run_dir: Path, ts, policy: str, title: str, summary: dict | None = None) -> Path:
    import numpy as np

    from evictsim.report.time_plots import full_rows
    fig, axes = new_figure(1, width=7.0, height=4.0)
    ax = axes[0][0]
    n = full_rows(ts)        # a last interval the trace ended inside is not drawn as a full one
    values = ts["hit_ratio_interval"][:n]
    ax.plot(ts["time"][:n], values, color=policy_colour(policy), linewidth=1.3, label="hit ratio per interval")
    summary = summary or {}
    marks = [v for v in (summary.get("steady_hit_ratio"), summary.get("steady_ceiling_hit_ratio")) if v is not None]
    if summary.get("warmup_s") is not None:
        ax.axvline(summary["warmup_s"], color="#444444", linestyle=":", linewidth=0.9,
                   label=f"end of warm-up ({summary.get('warmup_reason')})")
    if summary.get("steady_hit_ratio") is not None:
        ax.axhline(summary["steady_hit_ratio"], color=policy_colour(policy), linestyle="--", linewidth=0.9,
                   label=f"steady state {summary['steady_hit_ratio']:.2%}")
    if summary.get("steady_ceiling_hit_ratio") is not None:
        ax.axhline(summary["steady_ceiling_hit_ratio"], color="#555555", linestyle="-.", linewidth=0.9,
                   label=f"no-limit ceiling {summary['steady_ceiling_hit_ratio']:.2%}")
    finite = values[np.isfinite(values)]
    low = min([float(finite[1:].min()) if len(finite) > 1 else np.nan, *marks])
    ratio_limits(ax, low, max([float(finite.max()) if len(finite) else np.nan, *marks]))
    ax.set_xlabel("simulated time (s)")
    ax.grid(alpha=0.3)
    percent_axis(ax, "hit ratio per interval (%)")
    legend(ax)
    ax.set_title(title, fontsize="medium")
    return _save_png(fig, run_dir / "hit_ratio.png")


def _save_png(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from evictsim import atomic
    from evictsim.report.style import tight_layout_outside_legends
    tight_layout_outside_legends(fig)
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return path
