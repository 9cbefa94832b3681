"""The report's leaks section and the ``namespace_memory`` plot, for experiments with ``namespaces:``.

Every run folder with a ``namespaces.csv`` (each partition's folder, for a partitioned run) is read by
:func:`evictsim.leaks.analyse` twice: on the whole run (which namespace leaks, at what rate, and when
``used_memory`` reached maxmemory) and on its first 40% only (the forecast one would have made that
early, shown beside what the run then did). ``leaks.json`` at the experiment root holds both reports
per run; the section's answer line names the leaking namespace.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evictsim import atomic
from evictsim.leaks import analyse, read_run
from evictsim.leaks.series import RunSeries
from evictsim.leaks.text import _size
from evictsim.report.data import ExperimentResults
from evictsim.report.registry import PLOTS
from evictsim.report.style import MIB, legend, panel_grid, save

EARLY_SHARE = 0.4        # the early forecast uses the first 40% of the run's trace time
MAX_PANELS = 6


@dataclass
class LeakRun:
    """One run (or one partition of a run) with per-namespace counters, analysed."""

    label: str           # the configuration: policy, maxmemory, other swept values (, partition)
    run_id: str          # run id (/ partition)
    series: RunSeries
    whole: dict          # evictsim.leaks report over the whole run
    early: dict          # the same from the first EARLY_SHARE of it

    @property
    def top(self) -> dict | None:
        return self.whole["namespaces"][0] if self.whole["namespaces"] else None

    @property
    def leaks(self) -> bool:
        """The fastest-growing namespace grows significantly (its 95% interval is above zero)."""
        return self.top is not None and self.top["bytes_per_s_interval"][0] > 0


def leak_runs(results: ExperimentResults) -> list[LeakRun]:
    """Every finished run with a namespaces.csv, in configuration order."""
    axes = results.variant_axes
    out = []
    for config in results.configurations:
        size = f"{config.maxmemory / MIB:g} MiB" if config.maxmemory else "no limit"
        label = ", ".join(p for p in (config.policy, size, config.variant(axes)) if p)
        for run_id in config.run_ids:
            run = results.out_dir / "runs" / run_id
            for suffix, folder in _folders(run):
                series = read_run(folder)
                whole = analyse(series)
                early = analyse(series, until=float(series.times[0]) + EARLY_SHARE * (
                    whole["until"] - float(series.times[0])))
                out.append(LeakRun(label + suffix.replace("/", ", partition "), run_id + suffix,
                                   series, whole, early))
    return out


def _folders(run: Path) -> list[tuple[str, Path]]:
    if (run / "namespaces.csv").is_file():
        return [("", run)]
    parts = run / "partitions"
    if not parts.is_dir():
        return []
    return [(f"/{p.name}", p) for p in sorted(parts.iterdir()) if (p / "namespaces.csv").is_file()]


def _when(report: dict) -> str:
    at = report["maxmemory_at_s"]
    if not report["maxmemory"]:
        return "no maxmemory"
    if at is None:
        return "not reached (not growing)"
    if report["maxmemory_observed"]:
        return f"t = {at:.0f} s (observed)"
    interval = report.get("maxmemory_at_s_interval") or [None, None]
    lo, hi = (f"{v:.0f} s" if v is not None else "never" for v in interval)
    return f"t = {at:.0f} s (forecast; 95%: {lo}..{hi})"


def answer(runs: list[LeakRun]) -> str | None:
    """One sentence: which namespace leaks, at what rate, and when used_memory reaches maxmemory."""
    if not runs:
        return None
    leaking = [r for r in runs if r.leaks]
    if not leaking:
        fastest = max(runs, key=lambda r: r.top["bytes_per_s"] if r.top else float("-inf"))
        name = fastest.top["namespace"] if fastest.top else "none"
        return f"no namespace leaks in {len(runs)} run(s) (fastest-growing: {name})"
    tops = [r.whole["namespaces"][0] for r in leaking]     # a leaking run has a top namespace
    names = list(dict.fromkeys(top["namespace"] for top in tops))
    rates = [top["bytes_per_s"] for top in tops]
    rate = _size(rates[0]) if len(rates) == 1 else f"{_size(min(rates))}..{_size(max(rates))}"
    keys = [top["keys_per_s"] for top in tops]
    key_rate = f"{keys[0]:.1f}" if len(keys) == 1 else f"{min(keys):.1f}..{max(keys):.1f}"
    when = "; ".join(f"{r.label}: {_when(r.whole)}, from the first {EARLY_SHARE:.0%} of the run "
                     f"{_when(r.early)}" for r in leaking)
    return (f"{' and '.join(names)} leaks (ranked first in {len(leaking)} of {len(runs)} runs) at "
            f"+{rate}/s, +{key_rate} keys/s; used_memory reaches maxmemory at: {when}")


HEADER = ["configuration", "run", "fastest-growing namespace", "bytes/s (95%)", "keys/s", "no TTL", "GETs/s",
          "B / 1k GETs", "still growing", "2nd namespace (bytes/s)", "maxmemory reached at",
          f"forecast from the first {EARLY_SHARE:.0%}", f"predict_linear, first {EARLY_SHARE:.0%}"]


def table(runs: list[LeakRun]) -> list[list[str]]:
    rows = []
    for r in runs:
        top = r.top
        if top is None:
            continue
        lo, hi = top["bytes_per_s_interval"]
        second = r.whole["namespaces"][1] if len(r.whole["namespaces"]) > 1 else None
        linear = r.early.get("predict_linear_at_s")
        rows.append([r.label, r.run_id, top["namespace"],
                     f"{_size(top['bytes_per_s'])} ({_size(lo)}..{_size(hi)})", f"{top['keys_per_s']:.2f}",
                     "" if top["no_ttl_fraction"] is None else f"{100 * top['no_ttl_fraction']:.0f}%",
                     f"{top['gets_per_s']:.1f}",
                     "" if top["bytes_per_1k_gets"] is None else f"{top['bytes_per_1k_gets']:,.0f}",
                     "yes" if top["growth_continues"] else "no",
                     "" if second is None else f"{second['namespace']} ({_size(second['bytes_per_s'])})",
                     _when(r.whole), _when(r.early), "" if linear is None else f"t = {linear:.0f} s"])
    return rows


def write_leaks_json(results: ExperimentResults, runs: list[LeakRun]) -> Path | None:
    if not runs:
        return None
    path = results.out_dir / "leaks.json"
    atomic.write_json(path, {r.run_id: {"configuration": r.label, "whole_run": r.whole,
                                        f"first_{int(EARLY_SHARE * 100)}_percent": r.early} for r in runs})
    return path


@PLOTS.register("namespace_memory")
def plot_namespace_memory(results: ExperimentResults, out_dir: Path) -> list[Path]:
    """Memory by namespace, stacked, one panel per run with namespaces (up to six); the dotted line
    is the forecast from the first 40% of the run. Nothing when no run has namespaces.csv."""
    from evictsim.leaks.plot import draw_namespaces
    runs = leak_runs(results)[:MAX_PANELS]
    if not runs:
        return []
    fig, axes = panel_grid(len(runs), max_cols=2, width=6.0, height=3.8, sharey=False)
    for ax, r in zip(axes, runs):
        draw_namespaces(ax, r.series, forecast_at=r.early["maxmemory_at_s"], legend=False,
                        ylabel="MB (byte model)")
        ax.axvline(r.early["until"], color="grey", linestyle="-.", linewidth=0.8,
                   label=f"first {EARLY_SHARE:.0%} (forecast data)")
        ax.set_title(r.label, fontsize="medium")
    legend(axes[-1])
    fig.suptitle("memory by namespace (stacked); forecast of maxmemory from the first 40% of each run",
                 fontsize="medium")
    return save(fig, out_dir, "namespace_memory")
