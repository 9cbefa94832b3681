"""The steady-state hit ratio: what a cache of this size gives once it is warm.

A whole-run hit ratio counts every key's first (cold) miss, so it depends on how long the trace is
rather than on how much memory the workload needs: the same Zipf workload answers "79 MiB" at 4M
requests and "not within 96 MiB" at 1M. The steady state leaves the warm-up out. The warm-up ends at
the first time-series row where

* the cache is full: the first eviction, the first refused write, or used_memory at maxmemory; or else
* the working set has been seen: the first interval where first references are at most
  ``WORKING_SET_COLD_FRACTION`` of the GETs; or
* a time the user gives (``--warmup 30s``, ``evictsim.simulate(..., warmup="30s")``, YAML
  ``report: warmup: 30s``).

The steady-state figures are differences of the cumulative time-series columns after that row, and
the no-limit ceiling (:mod:`evictsim.metrics.ceiling`) over the same window says what any maxmemory
could reach there.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from evictsim.errors import UserInputError

WORKING_SET_COLD_FRACTION = 0.01   # an interval with ≤ 1% first references: the working set is in
MIN_STEADY_SHARE = 0.05            # a steady window must hold at least 5% of the run's GETs
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any, *, source: str | None = None, key: str | None = None) -> float:
    """``30s``, ``5m``, ``1.5h``, ``90`` (seconds) → seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION_RE.match(str(value))
        if not match:
            raise UserInputError(f"expected a duration like 30s, 5m or 1h, got {value!r}",
                                 source=source, key=key)
        seconds = float(match.group(1)) * _DURATION_UNITS[(match.group(2) or "s").lower()]
    if not math.isfinite(seconds) or seconds < 0:
        raise UserInputError(f"expected a finite duration of at least 0 s, got {value!r}",
                             source=source, key=key)
    return seconds


def detect_warmup(ts: Mapping[str, np.ndarray], maxmemory: int,
                  cold_cumulative: np.ndarray | None) -> tuple[int | None, str]:
    """(row index where the steady state starts, why); (None, reason) when none is found."""
    gets = np.asarray(ts["gets"], np.int64)
    total = int(gets[-1]) if len(gets) else 0
    if total == 0:
        return None, "no GETs"
    full = (np.asarray(ts["evicted_keys"]) > 0) | (np.asarray(ts["rejected_writes"]) > 0)
    if maxmemory:
        full |= np.asarray(ts["used_memory"]) >= maxmemory
    row = _first(full)
    if row is not None and _enough(gets, row):
        return row, "cache full"
    if cold_cumulative is not None:
        d_gets = np.diff(gets)
        d_cold = np.diff(np.asarray(cold_cumulative, np.int64))
        seen = (d_gets > 0) & (d_cold <= WORKING_SET_COLD_FRACTION * d_gets)
        row = _first(seen)
        if row is not None and _enough(gets, row):      # interval row → row + 1 was warm: start at row
            return row, "working set seen"
    return None, "not detected"


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _enough(gets: np.ndarray, row: int) -> bool:
    return gets[-1] - gets[row] >= max(1, MIN_STEADY_SHARE * gets[-1])


def warmup_row(ts: Mapping[str, np.ndarray], warmup_s: float) -> int:
    """The first row at or after ``warmup_s`` seconds (the last row when the run is shorter)."""
    times = np.asarray(ts["time"], np.float64)
    return int(min(np.searchsorted(times, warmup_s - 1e-9, side="left"), max(0, len(times) - 1)))


def steady_fields(ts: Mapping[str, np.ndarray], maxmemory: int, ceiling=None,
                  warmup_s: float | None = None) -> dict[str, Any]:
    """The summary keys of the steady state, of the ceiling, and the ceiling's cumulative hits per row
    (``ceiling_get_hits``, so a report can re-read the steady ceiling after another warm-up)."""
    out: dict[str, Any] = dict(ceiling.fields()) if ceiling is not None else {}
    cum = ceiling.cumulative_at(ts["time"]) if ceiling is not None and len(ts["time"]) else None
    ceiling_hits = None if cum is None else cum[1]
    if warmup_s is not None:
        row, reason = warmup_row(ts, warmup_s), "explicit"
    else:
        row, reason = detect_warmup(ts, maxmemory, None if cum is None else cum[2])
    out.update(steady_from_rows(ts, row, reason, ceiling_hits))
    if ceiling_hits is not None:
        out["ceiling_get_hits"] = [int(v) for v in ceiling_hits]
    return out


def steady_from_rows(ts: Mapping[str, np.ndarray], row: int | None, reason: str,
                     ceiling_hits: np.ndarray | list | None) -> dict[str, Any]:
    """Steady-state keys from the cumulative columns after ``row``; with no row, the second half of
    the run's GETs stands in (said so in ``warmup_reason``)."""
    gets = np.asarray(ts["gets"], np.int64)
    hits = np.asarray(ts["get_hits"], np.int64)
    if not len(gets) or gets[-1] == 0:
        return {"warmup_s": None, "warmup_reason": "no GETs", "steady_hit_ratio": None,
                "steady_gets": 0, "steady_ceiling_hit_ratio": None}
    if row is None:
        row = int(np.searchsorted(gets, gets[-1] / 2, side="left"))
        reason = f"{reason}: second half of the run"
    d_gets = int(gets[-1] - gets[row])
    steady = (int(hits[-1] - hits[row]) / d_gets) if d_gets else None
    ceiling = None
    if ceiling_hits is not None and d_gets:
        ceiling = (int(ceiling_hits[-1]) - int(ceiling_hits[row])) / d_gets
    return {"warmup_s": float(ts["time"][row]), "warmup_reason": reason, "steady_hit_ratio": steady,
            "steady_gets": d_gets, "steady_ceiling_hit_ratio": ceiling}


def resteady(summary: Mapping[str, Any], ts: Mapping[str, np.ndarray], warmup_s: float) -> dict[str, Any]:
    """The steady-state keys after an explicit warm-up, from a run's files (summary + time series)."""
    return steady_from_rows(ts, warmup_row(ts, warmup_s), "explicit", summary.get("ceiling_get_hits"))
