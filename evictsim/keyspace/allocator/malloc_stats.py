"""Read jemalloc's ``malloc_stats_print`` text (Redis: ``MEMORY MALLOC-STATS``): the header facts and
the per-bin table, so the computed size-class table can be checked against a real jemalloc."""
from __future__ import annotations

import re

HEADER_FIELDS = {
    "Quantum size": "quantum",
    "Page size": "page",
    "Maximum thread-cached size class": "tcache_max",
    "Number of bin size classes": "nbins",
    "Number of thread-cache bin size classes": "nhbins",
    "Number of large size classes": "nlextents",
}


def parse_malloc_stats(text: str) -> dict:
    """``{"header": {...}, "bins": {size: {column: int}}, "totals": {...}}`` of the first arena shown."""
    header = {}
    for line in text.splitlines():
        for label, name in HEADER_FIELDS.items():
            if line.startswith(label + ":"):
                header[name] = int(line.split(":", 1)[1])
    totals = {}
    match = re.search(r"^Allocated: (\d+), active: (\d+), metadata: (\d+).*resident: (\d+), mapped: (\d+)",
                      text, re.MULTILINE)
    if match:
        totals = dict(zip(("allocated", "active", "metadata", "resident", "mapped"),
                          map(int, match.groups())))
    match = re.search(r"^tcache_bytes:\s+(\d+)", text, re.MULTILINE)
    if match:
        totals["tcache_bytes"] = int(match.group(1))
    bins: dict[int, dict] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("bins:"):
            columns = [c for c in line.split()[1:] if c != "(#/sec)"]
            for row in lines[i + 1:]:
                cells = row.split()
                if not cells or not cells[0].isdigit():
                    break
                values = _drop_rates(cells, line)
                bins[int(values[0])] = dict(zip(columns, values))
            break
    return {"header": header, "bins": bins, "totals": totals}


def _drop_rates(cells: list[str], header_line: str) -> list[float]:
    """The bins table prints a ``(#/sec)`` rate after some counters: keep only the named columns."""
    names = header_line.split()[1:]
    out = []
    j = 0
    for name in names:
        if j >= len(cells):
            break
        if name != "(#/sec)":
            cell = cells[j]
            out.append(float(cell) if "." in cell else int(cell))
        j += 1
    return out
