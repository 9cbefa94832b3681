"""``mrc.png``: hit ratio against maxmemory from a curve folder's ``mrc.csv`` + ``summary.json``,
with the no-limit ceiling and each target hit ratio (and the size that reaches it) marked."""
from __future__ import annotations

from pathlib import Path

from evictsim.mrc.curve import read_curve


def plot_curve(out_dir: str | Path) -> Path:
    """Draw ``mrc.png`` into ``out_dir`` from the files there."""
    import matplotlib.pyplot as plt
    from evictsim import atomic
    from evictsim.report.style import MIB, new_figure, percent_axis, policy_colour

    out = Path(out_dir)
    curve = read_curve(out)
    summary = curve.summary
    policy = summary.get("maxmemory_policy", "")
    limited = curve.maxmemory > 0
    fig, axes = new_figure(1, width=7.0, height=4.2)
    ax = axes[0][0]
    ax.plot(curve.maxmemory[limited] / MIB, curve.hit_ratio[limited], marker="o", markersize=3,
            color=policy_colour(policy), linewidth=1.4,
            label=f"{policy} ({summary.get('method')}, sample rate {summary.get('sample_rate', 1):.3g})")
    ceiling = summary.get("no_limit_hit_ratio")
    if ceiling is not None:
        ax.axhline(ceiling, color="black", linestyle="--", linewidth=0.9,
                   label=f"no limit: {100 * ceiling:.2f}%")
    for target in summary.get("targets", []):
        ax.axhline(target["hit_ratio"], color="grey", linestyle=":", linewidth=0.9)
        if target["maxmemory"] is not None:
            ax.axvline(target["maxmemory"] / MIB, color="grey", linestyle=":", linewidth=0.9)
            ax.annotate(f"{100 * target['hit_ratio']:.1f}% at {target['maxmemory'] / MIB:.1f} MiB",
                        (target["maxmemory"] / MIB, target["hit_ratio"]), textcoords="offset points",
                        xytext=(4, -12), fontsize="small")
    ax.set_xlabel("maxmemory (MiB, Redis used_memory)")
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    percent_axis(ax, "hit ratio (%)")
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title(f"miss-ratio curve: {summary.get('trace_name', '')}", fontsize="medium")
    fig.tight_layout()
    path = out / "mrc.png"
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path
