"""Curves set side by side: each policy's distance to a reference curve at every size.

A policy study's reference is ``belady``: it reads the future, so the gap ``hit ratio − Belady's``
(in percentage points, at the same maxmemory) says how much an online policy leaves on the table.
With objects of different sizes Belady's rule (evict the key used furthest in the future) is not
the optimum in bytes, so a policy may beat it at a size (a positive gap): ``beladysize`` weighs the
distance by the key's bytes for that reason. ``mrc/gap_to_belady.csv`` holds one row per curve and
size; the report and the combined plot read it.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

REFERENCE = "belady"
GAP_FILE = "gap_to_belady.csv"
GAP_COLUMNS = ("curve", "maxmemory", "hit_ratio", "reference_hit_ratio", "gap_pp")


def gap_rows(curves: dict[str, dict[int, float]], reference: str = REFERENCE) -> list[dict]:
    """``curves``: label → {maxmemory: hit ratio}. One row per curve and size the reference has
    too (the reference's own rows included, gap 0); [] when no curve is the reference."""
    if reference not in curves:
        return []
    ref = curves[reference]
    rows = []
    for label, points in curves.items():
        for size in sorted(points):
            if size in ref:
                rows.append({"curve": label, "maxmemory": int(size), "hit_ratio": points[size],
                             "reference_hit_ratio": ref[size],
                             "gap_pp": 100.0 * (points[size] - ref[size])})
    return rows


def write_gaps(root: Path, rows: list[dict]) -> Path | None:
    """``gap_to_belady.csv`` under ``root`` (None, and no file, when there is no reference)."""
    from evictsim import atomic
    path = root / GAP_FILE
    if not rows:
        path.unlink(missing_ok=True)
        return None
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=GAP_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic.write_text(path, buf.getvalue())
    return path


def read_curves_csv(path: Path) -> dict[str, dict[int, float]]:
    """``mrc/curves.csv`` → label → {maxmemory: hit ratio} (sized points only, no-limit rows left out)."""
    out: dict[str, dict[int, float]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            size = int(row["maxmemory"])
            if size > 0:
                out.setdefault(row["curve"], {})[size] = float(row["hit_ratio"])
    return out
