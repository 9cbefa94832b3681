"""``report.md`` and a self-contained ``report.html`` (plots embedded) for one experiment folder.

Both are rendered from one :class:`ReportContent`: the configuration as written, the table of results
(``aggregate.csv``), the plots, when maxmemory is swept, the capacity answer line, and, when the runs
counted per namespace (``namespaces:``), the leaks section (:mod:`evictsim.report.leaks`).
"""
from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path

from evictsim import atomic
from evictsim.report.capacity import answer_line
from evictsim.report.data import RESOLVED_AXES, ExperimentResults
from evictsim.report.steady import figure
from evictsim.report.style import MIB


@dataclass
class ReportContent:
    title: str
    description: str
    facts: list[str]
    answer: str | None
    config_text: str
    header: list[str]
    rows: list[list[str]]
    plots: list[tuple[str, Path]] = field(default_factory=list)   # (caption, png path)
    leak_answer: str | None = None                                 # the leaks section, when any run
    leak_header: list[str] = field(default_factory=list)           # has namespaces.csv
    leak_rows: list[list[str]] = field(default_factory=list)
    sections: list = field(default_factory=list)   # report.mrc_section.Section: after the results


def _pct(mean: str, half: str) -> str:
    if not mean:
        return ""
    text = f"{float(mean) * 100:.2f}"
    return text + (f" ± {float(half) * 100:.2f}" if half else "")


def _num(mean: str, scale: float = 1.0, digits: int = 0) -> str:
    return f"{float(mean) / scale:,.{digits}f}" if mean else ""


def _fig(results: ExperimentResults, c, name: str, scale: float = 1.0, digits: int = 2, pct: bool = False) -> str:
    mean, half = figure(results, c, name)
    if math.isnan(mean):      # not in these runs' files
        return ""
    if pct:
        return _pct(str(mean), str(half) if half else "")
    return f"{mean / scale:,.{digits}f}"


def results_table(results: ExperimentResults) -> tuple[list[str], list[list[str]]]:
    axes = [a for a in results.axes if a not in RESOLVED_AXES]
    ci = " ± 95% CI" if int(results.meta.get("replications", 1)) >= 2 else ""
    header = [*axes, "policy", "maxmemory (MiB)", "runs", f"steady hit ratio (%{ci})",
              f"whole-run hit ratio (%{ci})", "no-limit ceiling (%)", "cold misses", "evicted keys",
              "expired keys", "rejected writes", "peak used_memory (MiB)", "stale mean / peak (MiB)",
              "simulate (s)"]
    rows = []
    for c in results.configurations:
        a = c.aggregate
        stale = _fig(results, c, "stale_mean", MIB) + " / " + _fig(results, c, "stale_peak", MIB)
        rows.append([*(c.point[x] for x in axes), c.policy, f"{c.maxmemory / MIB:g}" if c.maxmemory else "no limit",
                     a.get("replications", ""), _fig(results, c, "steady_hit_ratio", pct=True),
                     _pct(a.get("hit_ratio_mean", ""), a.get("hit_ratio_ci95", "")),
                     _fig(results, c, "steady_ceiling_hit_ratio", pct=True).split(" ±")[0],
                     _fig(results, c, "cold_misses", digits=0),
                     _num(a.get("evicted_keys_mean", "")), _num(a.get("expired_keys_mean", "")),
                     _num(a.get("rejected_writes_mean", "")), _num(a.get("used_memory_peak_mean", ""), MIB, 2),
                     stale if stale != " / " else "", _num(a.get("simulate_s_mean", ""), 1.0, 2)])
    if "belady" in results.policies:
        header.insert(len(axes) + 4, "− belady (pp)")
        for row, c in zip(rows, results.configurations):
            row.insert(len(axes) + 4, _gap_to_belady(results, c))
    return header, rows


def _gap_to_belady(results: ExperimentResults, c) -> str:
    """The steady hit ratio minus belady's at the same point (same size and other swept values)."""
    from evictsim.report.steady import STEADY
    same = [b for b in results.configurations if b.policy == "belady" and b.maxmemory == c.maxmemory
            and all(b.point[a] == c.point[a] for a in results.axes if a not in RESOLVED_AXES)]
    if not same:
        return ""
    mine, ref = figure(results, c, STEADY)[0], figure(results, same[0], STEADY)[0]
    return "" if math.isnan(mine) or math.isnan(ref) else f"{100 * (mine - ref):+.2f}"


def build_content(results: ExperimentResults, plot_paths: list[Path]) -> ReportContent:
    meta = results.meta
    target = float(meta.get("report", {}).get("target-hit-ratio", 0.95))
    config_file = results.out_dir / "experiment.yaml"
    header, rows = results_table(results)
    n_runs = len(meta.get("runs", []))
    facts = [f"{n_runs} runs: {len(results.configurations)} configurations finished × "
             f"{meta.get('replications', 1)} replications, base seed {meta.get('seed', 0)}",
             f"runs finished: {len(results.summary)} of {n_runs}"]
    facts.append(warmup_fact(results))
    pngs = [p for p in plot_paths if p.suffix == ".png"]
    from evictsim.report import leaks
    leak_runs = leaks.leak_runs(results)
    leaks.write_leaks_json(results, leak_runs)
    from evictsim.report.mrc_section import mrc_section
    section = mrc_section(results)
    return ReportContent(
        title=f"Experiment: {results.name}", description=meta.get("description", ""), facts=facts,
        answer=answer_line(results, target),
        config_text=config_file.read_text() if config_file.exists() else "",
        header=header, rows=rows,
        plots=[(p.stem.replace("_", " "), p) for p in pngs],
        leak_answer=leaks.answer(leak_runs), leak_header=leaks.HEADER if leak_runs else [],
        leak_rows=leaks.table(leak_runs), sections=[section] if section else [])


def warmup_fact(results: ExperimentResults) -> str:
    """How the steady state was measured: the warm-up each run detected, or the one the file gives."""
    from evictsim.report.steady import run_figures, warmup_of
    explicit = warmup_of(results)
    if explicit is not None:
        return f"steady state: after the first {explicit:g} s of trace time (report.warmup)"
    reasons: dict[str, list[float]] = {}
    for row in results.summary:
        fig = run_figures(results, row["run_id"])
        if fig.get("warmup_s") is not None:
            reasons.setdefault(str(fig.get("warmup_reason")), []).append(float(fig["warmup_s"]))
    if not reasons:
        return "steady state: not in these runs' files (an older evictsim): answers use the whole run"
    parts = [f"{len(v)} run(s) {k} (warm-up {min(v):g} s)" if min(v) == max(v) else
             f"{len(v)} run(s) {k} (warm-up {min(v):g}-{max(v):g} s)" for k, v in sorted(reasons.items())]
    return ("steady state: each run after its warm-up, hit ratios counted from there: " + "; ".join(parts)
            + "; first references no memory avoids are the cold misses")


def render_markdown(content: ReportContent, out_dir: Path) -> str:
    lines = [f"# {content.title}", ""]
    if content.description:
        lines += [content.description.strip(), ""]
    if content.answer:
        lines += [f"**Answer:** {content.answer}", ""]
    if content.leak_answer:
        lines += [f"**Leaks:** {content.leak_answer}", ""]
    lines += [f"- {fact}" for fact in content.facts] + ["", "## Results", ""]
    lines += _md_table(content.header, content.rows)
    lines += ["", "Tables: `summary.csv` (one row per run), `aggregate.csv` (mean and 95% CI per "
              "configuration).", ""]
    if content.leak_header:
        lines += ["## Leaks", "", LEAKS_NOTE, ""] + _md_table(content.leak_header, content.leak_rows) + [""]
    for section in content.sections:
        lines += [f"## {section.title}", "", section.text, ""]
        lines += _md_table(section.header, section.rows) + [""]
        if section.image is not None:
            rel = section.image.relative_to(out_dir).as_posix()
            lines += [f"![{section.title}]({rel})", ""]
    lines += ["## Plots", ""]
    for caption, path in content.plots:
        lines += [f"### {caption}", "", f"![{caption}]({path.relative_to(out_dir).as_posix()})", ""]
    lines += ["## Configuration", "", "```yaml", content.config_text.rstrip(), "```", ""]
    return "\n".join(lines)


LEAKS_NOTE = ("Per run, namespaces ranked by bytes/s (Theil-Sen over the window after warm-up, 95% "
              "interval; `evictsim leaks RUN_DIR` prints the full ranking). The forecast column uses only "
              "the first 40% of the run's trace time; `leaks.json` holds both reports per run.")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(row) + " |" for row in rows])


def _html_table(header: list[str], rows: list[list[str]]) -> list[str]:
    e = html.escape
    return (["<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"]
            + ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows] + ["</table>"])


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:right}th{background:#f3f3f3}pre{background:#f6f6f6;padding:1em;overflow:auto}"
        "img{max-width:100%}.answer{background:#eef6ee;border-left:4px solid #2ca02c;padding:.6em 1em}")


def render_html(content: ReportContent) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(content.title)}</title>"
             f"<style>{_CSS}</style></head><body>", f"<h1>{e(content.title)}</h1>"]
    if content.description:
        parts.append(f"<p>{e(content.description.strip())}</p>")
    if content.answer:
        parts.append(f"<p class='answer'><b>Answer:</b> {e(content.answer)}</p>")
    if content.leak_answer:
        parts.append(f"<p class='answer'><b>Leaks:</b> {e(content.leak_answer)}</p>")
    parts.append("<ul>" + "".join(f"<li>{e(f)}</li>" for f in content.facts) + "</ul><h2>Results</h2>")
    parts += _html_table(content.header, content.rows)
    if content.leak_header:
        parts += ["<h2>Leaks</h2>", f"<p>{e(LEAKS_NOTE)}</p>"] + _html_table(content.leak_header,
                                                                            content.leak_rows)
    for section in content.sections:
        parts += [f"<h2>{e(section.title)}</h2>", f"<p>{e(section.text)}</p>"]
        parts += _html_table(section.header, section.rows)
        if section.image is not None:
            parts.append(_html_image(section.title, section.image))
    parts.append("<h2>Plots</h2>")
    for caption, path in content.plots:
        parts.append(f"<h3>{e(caption)}</h3>" + _html_image(caption, path))
    parts.append(f"<h2>Configuration</h2><pre>{e(content.config_text)}</pre></body></html>\n")
    return "\n".join(parts)


def _html_image(caption: str, path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()   # embedded: the file stands alone
    return f"<img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"


def write_report(results: ExperimentResults, plot_paths: list[Path]) -> list[Path]:
    content = build_content(results, plot_paths)
    out = results.out_dir
    atomic.write_text(out / "report.md", render_markdown(content, out))
    atomic.write_text(out / "report.html", render_html(content))
    return [out / "report.md", out / "report.html"]
