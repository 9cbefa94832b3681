"""The report's section on the ``mrc:`` block's curves (``mrc/curves.csv``): the combined plot and a
table of each curve's hit ratio at the headline sizes with its gap to Belady (``mrc/gap_to_belady.csv``
when a curve is Belady's), read from those files only.

The headline sizes are the sweep's own maxmemory values when the curves hold them (so the table
stands beside the results table), otherwise up to four sizes spread over the curve.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evictsim.report.data import ExperimentResults
from evictsim.report.style import MIB

MAX_SIZES = 4


@dataclass
class Section:
    title: str
    text: str
    header: list[str]
    rows: list[list[str]]
    image: Path | None = None


def mrc_section(results: ExperimentResults) -> Section | None:
    from evictsim.mrc.compare import REFERENCE, gap_rows, read_curves_csv
    root = results.out_dir / "mrc"
    if not (root / "curves.csv").exists():
        return None
    curves = read_curves_csv(root / "curves.csv")
    sizes = headline_sizes(results.sizes, sorted({s for points in curves.values() for s in points}))
    gaps = {(g["curve"], g["maxmemory"]): g["gap_pp"] for g in gap_rows(curves)}
    header = ["curve"]
    for size in sizes:
        header.append(f"{size / MIB:g} MiB: hit ratio (%)")
        if gaps:
            header.append(f"{size / MIB:g} MiB: − {REFERENCE} (pp)")
    rows = []
    for label, points in curves.items():
        row = [label]
        for size in sizes:
            row.append(f"{100 * points[size]:.2f}" if size in points else "")
            if gaps:
                gap = gaps.get((label, size))
                row.append("" if gap is None else f"{gap:+.2f}")
        rows.append(row)
    text = ("Hit ratio over the whole trace's GETs at each maxmemory (Redis used_memory), from "
            "`mrc/curves.csv`" + (f"; the gap is the curve's hit ratio minus {REFERENCE}'s at the same "
                                   "size, in percentage points (`mrc/gap_to_belady.csv`)" if gaps else "")
            + f". Methods: {_methods(root)}.")
    image = root / "mrc.png"
    return Section("Miss-ratio curves", text, header, rows, image if image.exists() else None)


def headline_sizes(swept: list[int], curve_sizes: list[int]) -> list[int]:
    """The swept sizes the curves hold, else at most MAX_SIZES curve sizes spread evenly."""
    shared = [s for s in swept if s in set(curve_sizes)]
    if shared or len(curve_sizes) <= MAX_SIZES:
        return shared or curve_sizes
    step = (len(curve_sizes) - 1) / (MAX_SIZES - 1)
    return [curve_sizes[round(i * step)] for i in range(MAX_SIZES)]


def _methods(root: Path) -> str:
    import json
    methods = set()
    for summary in sorted(root.glob("*/summary.json")):
        data = json.loads(summary.read_text())
        method = data.get("method", "?")
        methods.add(method if method == "full" else f"{method} at sample rate {data.get('sample_rate', 1):.3g}")
    return ", ".join(sorted(methods)) or "not recorded"
