"""What a person reads about one run: a one-line ``repr`` and a one-screen text (``result.describe()``,
``result.summary()``, what ``evictsim simulate`` prints).

The capacity figures come first: the steady-state hit ratio (after the warm-up), the no-limit ceiling
over the same window, and the cold misses no memory can avoid; then the counters Redis would show.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from evictsim.units import format_bytes


class Text(str):
    """A string that shows as itself in a notebook or a REPL (no quotes, real line breaks)."""

    def __repr__(self) -> str:
        return str(self)


def pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * float(value):.2f}%"


def limit_text(summary: Mapping[str, Any]) -> str:
    maxmemory = int(summary.get("maxmemory") or 0)
    policy = summary.get("maxmemory_policy", "?")
    return f"{policy}, " + (f"maxmemory {format_bytes(maxmemory)}" if maxmemory else "no maxmemory")


def one_line(summary: Mapping[str, Any], n_rows: int) -> str:
    """``<Result allkeys-lru, maxmemory 13.8 MiB: 1,199,334 GETs, hit ratio 80.25% (steady 80.79%,
    ceiling 92.81%), 62 samples>``."""
    steady = summary.get("steady_hit_ratio")
    ceiling = summary.get("ceiling_hit_ratio")
    extra = ", ".join(part for part in (
        None if steady is None else f"steady {pct(steady)}",
        None if ceiling is None else f"ceiling {pct(ceiling)}") if part)
    return (f"<Result {limit_text(summary)}: {summary.get('gets', 0):,} GETs, hit ratio "
            f"{pct(summary.get('hit_ratio'))}{f' ({extra})' if extra else ''}, {n_rows} samples>")


def describe(summary: Mapping[str, Any], timeseries: Mapping[str, np.ndarray] | None = None) -> Text:
    """The one-screen text of a run."""
    s = summary
    trace = s.get("trace", {}).get("name", "") if isinstance(s.get("trace"), dict) else ""
    span = float(timeseries["time"][-1]) if timeseries is not None and len(timeseries["time"]) else None
    head = f"{trace}: " if trace else ""
    lines = [f"{head}{limit_text(s)}; {s.get('requests', 0):,} requests"
             + (f" over {span:g} s of trace time" if span is not None else "")]
    rows = [("hit ratio", f"{pct(s.get('hit_ratio'))} whole run ({s.get('gets', 0):,} GETs)")]
    if "steady_hit_ratio" in s:
        warm = s.get("warmup_s")
        after = "" if warm is None else f" after {warm:g} s ({s.get('warmup_reason')})"
        rows.append(("steady state", (f"{pct(s.get('steady_hit_ratio'))}{after}, "
                                     f"{s.get('steady_gets', 0):,} GETs")))
    if "ceiling_hit_ratio" in s:
        rows.append(("no-limit ceiling", (f"{pct(s.get('ceiling_hit_ratio'))} whole run, "
                                         f"{pct(s.get('steady_ceiling_hit_ratio'))} over the steady window")))
        rows.append(("cold misses", f"{s.get('cold_misses', 0):,} first references (no memory avoids them)"))
    rows += [
        ("evicted keys", f"{s.get('evicted_keys', 0):,}"),
        ("expired keys", (f"{s.get('expired_keys', 0):,} (lazy {s.get('expired_keys_lazy', 0):,}, "
                         f"active {s.get('expired_keys_active', 0):,})")),
        ("rejected writes", f"{s.get('rejected_writes', 0):,} (OOM)"),
        ("used_memory", (f"{format_bytes(s.get('used_memory', 0))} at the end, peak "
                        f"{format_bytes(s.get('used_memory_peak', 0))}")),
    ]
    if timeseries is not None and len(timeseries.get("stale_bytes", [])):
        stale = np.asarray(timeseries["stale_bytes"], np.float64)
        rows.append(("stale memory", (f"mean {format_bytes(stale.mean())}, peak {format_bytes(stale.max())} "
                                     f"(expired, not yet deleted)")))
    timing = s.get("timing", {})
    if timing:
        compile_s = timing.get("compile_s")
        rows.append(("time", f"simulate {timing.get('simulate_s', 0):.2f} s, reading {timing.get('load_s', 0):.2f} s"
                             + (f", compiling {compile_s:.1f} s (not counted)" if compile_s else "")))
    width = max(len(name) for name, _ in rows)
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    lines += [f"  warning: {w}" for w in s.get("warnings", [])]
    return Text("\n".join(lines))
