"""Which namespace leaks, how fast, and when ``used_memory`` reaches ``maxmemory``.

Method (all from the run's files, data up to ``until`` only):

1. Warm-up: the knee of the summed namespace bytes (fast growth while the working set fills, then
   slower), found by a two-segment fit up to the time memory is first full; without a knee, the
   first 10% of the data. ``--warmup`` overrides it.
2. Growth window: from the end of warm-up to ``until``, or, unless the policy is volatile-* (which
   cannot evict keys without a TTL, so a leak keeps growing), to the first time ``used_memory``
   reached ``maxmemory`` if earlier (after that eviction or refused writes hide growth).
3. Per namespace: Theil–Sen slopes of bytes and keys over the window (95% interval), the share of
   its keys without a TTL, traffic (GETs/s) and bytes per 1000 GETs (growth that traffic does not
   explain has many bytes per GET), and whether growth continues in the window's second half.
   Namespaces are ranked by bytes/s.
4. Forecast: a Theil–Sen line through ``used_memory`` after warm-up, extrapolated to ``maxmemory``
   (the interval from the slope's interval); Prometheus's ``predict_linear`` (least squares over
   all data) beside it. Under ``noeviction`` the first OOM is the first write after that time.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evictsim.leaks.series import RunSeries
from evictsim.leaks.trend import knee, theil_sen

FULL_SHARE = 0.995      # used_memory at this share of maxmemory counts as full


@dataclass
class NamespaceGrowth:
    namespace: str
    bytes_per_s: float
    bytes_per_s_interval: tuple[float, float]
    keys_per_s: float
    keys_per_s_interval: tuple[float, float]
    no_ttl_fraction: float | None
    growth_continues: bool
    gets_per_s: float
    bytes_per_1k_gets: float | None
    hit_ratio: float | None
    keys: int
    bytes: int
    evicted_keys: int
    expired_keys: int


def analyse(series: RunSeries, *, until: float | None = None, warmup: float | None = None) -> dict[str, Any]:
    """The leak report as a JSON-ready dict (``namespaces`` sorted by bytes/s, descending)."""
    t_end = float(series.times[-1]) if until is None else float(until)
    full_at = _first_full(series, t_end)
    warm = warmup if warmup is not None else warmup_end(series, min(t_end, full_at or t_end))
    # once memory is full, allkeys-* eviction and noeviction's refusals hide growth; under volatile-*
    # a leak without TTLs keeps growing (it evicts the keys that have one), so keep watching it
    hides_growth = not series.policy.startswith("volatile-")
    stop = t_end
    if full_at is not None and hides_growth and full_at - warm > 3 * _step(series.times):
        stop = full_at
    window = (series.times >= warm) & (series.times <= stop)
    if window.sum() < 3:
        window = series.times <= t_end
    spaces = [_growth(name, cols, series.times, window) for name, cols in series.namespaces.items()]
    spaces = [s for s in spaces if s is not None]
    spaces.sort(key=lambda s: -s.bytes_per_s)
    report = {"namespaces": [asdict(s) for s in spaces], "until": t_end, "warmup_end_s": warm,
              "window": [float(series.times[window][0]), float(series.times[window][-1])],
              "maxmemory": series.maxmemory, "maxmemory_policy": series.policy}
    report.update(forecast(series, warm, t_end, full_at))
    return report


def _step(times: np.ndarray) -> float:
    return float(np.median(np.diff(times))) if len(times) > 1 else 1.0


def _first_full(series: RunSeries, t_end: float) -> float | None:
    if not series.maxmemory:
        return None
    seen = series.memory_time <= t_end
    full = np.flatnonzero(seen & (series.used_memory >= FULL_SHARE * series.maxmemory))
    return float(series.memory_time[full[0]]) if len(full) else None


def warmup_end(series: RunSeries, t_end: float) -> float:
    seen = series.times <= t_end
    total = np.nansum([cols["bytes"] for cols in series.namespaces.values()], axis=0)
    found = knee(series.times[seen], total[seen])
    return found if found is not None else float(series.times[0] + 0.1 * (t_end - series.times[0]))


def _growth(name: str, cols: dict[str, np.ndarray], times: np.ndarray,
            window: np.ndarray) -> NamespaceGrowth | None:
    ok = window & ~np.isnan(cols["bytes"])
    t = times[ok]
    by_bytes, by_keys = theil_sen(t, cols["bytes"][ok]), theil_sen(t, cols["keys"][ok])
    if by_bytes is None or by_keys is None:
        return None
    half = t >= t[0] + (t[-1] - t[0]) / 2
    later = theil_sen(t[half], cols["bytes"][ok][half])
    span = max(t[-1] - t[0], 1e-9)
    gets = cols["gets"][ok][-1] - cols["gets"][ok][0]
    hits = cols["keyspace_hits"][ok][-1] - cols["keyspace_hits"][ok][0]
    last = {c: float(v[ok][-1]) for c, v in cols.items()}
    no_ttl = last["keys_no_ttl"] / last["keys"] if "keys_no_ttl" in last and last["keys"] > 0 else None
    return NamespaceGrowth(
        name, by_bytes.slope, (by_bytes.low, by_bytes.high), by_keys.slope, (by_keys.low, by_keys.high),
        no_ttl,
        bool(later is not None and later.low > 0 and by_bytes.low > 0), gets / span,
        1000 * by_bytes.slope * span / gets if gets > 0 else None, hits / gets if gets > 0 else None,
        int(last["keys"]), int(last["bytes"]), int(last["evicted_keys"]), int(last["expired_keys"]))


def forecast(series: RunSeries, warm: float, t_end: float, full_at: float | None) -> dict[str, Any]:
    """When used_memory reaches maxmemory: observed if it already has by ``t_end``, else predicted."""
    out: dict[str, Any] = {"maxmemory_at_s": None, "maxmemory_at_s_interval": None,
                           "maxmemory_observed": False, "predict_linear_at_s": None, "first_oom_at_s": None}
    mm = series.maxmemory
    if not mm:
        return out
    seen = series.memory_time <= t_end
    t, used = series.memory_time[seen], series.used_memory[seen]
    if full_at is not None:
        out.update(maxmemory_at_s=full_at, maxmemory_at_s_interval=[full_at, full_at],
                   maxmemory_observed=True)
    else:
        out.update(_structured_forecast(series, warm, t_end) or _linear_forecast(t, used, mm, warm, t_end))
        if len(t) >= 2:
            slope, intercept = np.polyfit(t, used, 1)
            out["predict_linear_at_s"] = float((mm - intercept) / slope) if slope > 0 else None
    if series.policy == "noeviction":
        rejected = np.flatnonzero(seen & (series.rejected_writes > 0))
        out["first_oom_at_s"] = (float(series.memory_time[rejected[0]]) if len(rejected)
                                 else out["maxmemory_at_s"])
    return out


def _linear_forecast(t: np.ndarray, used: np.ndarray, mm: int, warm: float, t_end: float) -> dict[str, Any]:
    """A Theil–Sen line through used_memory after warm-up, extrapolated to maxmemory."""
    after = t >= warm
    line = theil_sen(t[after], used[after])
    if line is None or line.slope <= 0:
        return {"forecast_method": "linear"}
    gap = mm - line.at(t_end)
    return {"maxmemory_at_s": t_end + gap / line.slope, "forecast_method": "linear",
            "maxmemory_at_s_interval": [t_end + gap / line.high if line.high > 0 else None,
                                        t_end + gap / line.low if line.low > 0 else None]}


def _table_bytes(keys: np.ndarray, expires: np.ndarray) -> np.ndarray:
    """Bucket arrays of the main and expires dicts: 8 B per bucket, the smallest power of two >= the
    key count (min 4; an empty expires dict has none), as Redis sizes them (MECHANICS §9)."""
    def buckets(n):
        n = np.maximum(np.asarray(n, np.float64), 1)
        return np.where(n > 0, np.maximum(4, 2 ** np.ceil(np.log2(n))), 0)
    return 8 * (buckets(keys) + np.where(np.asarray(expires) > 0, buckets(expires), 0))


def _extrapolate(t: np.ndarray, y: np.ndarray, horizon: np.ndarray, pick: str) -> np.ndarray:
    """A namespace's gauge ahead in time: along its Theil–Sen line if it grows significantly (the
    interval's ``pick`` end: low/mid/high), else held at its recent level (the median of the last third
    of the window): a warm namespace settling after warm-up does not bend the forecast."""
    line = theil_sen(t, y)
    if line is None or line.low <= 0:
        return np.full(len(horizon), float(np.median(y[len(y) - max(1, len(y) // 3):])))
    slope = {"mid": line.slope, "low": line.low, "high": line.high}[pick]
    return line.at(t[-1]) + slope * (horizon - t[-1])


def _structured_forecast(series: RunSeries, warm: float, t_end: float) -> dict[str, Any] | None:
    """used_memory = overhead + Σ key bytes + bucket arrays. Each namespace's bytes, keys and keys with
    a TTL are extrapolated on their own (:func:`_extrapolate`), and the bucket arrays' power-of-two
    steps are added back, so a table doubling is forecast where it will happen."""
    cols = list(series.namespaces.values())
    if not cols or any("keys_no_ttl" not in c for c in cols):
        return None
    seen = (series.times >= warm) & (series.times <= t_end)
    if seen.sum() < 3:
        return None
    t = series.times[seen]
    def total(column, at):
        return np.nansum([col[column] for col in cols], axis=0)[at]
    used = np.interp(t, series.memory_time, series.used_memory)
    keys_now = total("keys", seen)
    tables_now = _table_bytes(keys_now, keys_now - total("keys_no_ttl", seen))
    overhead = float(np.median(used - total("bytes", seen) - tables_now))
    horizon = np.arange(t_end, t_end + 100 * max(t_end, 1.0), max(_step(series.times) / 4, 1e-3))

    def reach(pick: str) -> float | None:
        ahead = {c: sum(_extrapolate(t, np.nan_to_num(col[c][seen]), horizon, pick) for col in cols)
                 for c in ("bytes", "keys", "keys_no_ttl")}
        keys = np.maximum(ahead["keys"], 0)
        memory = overhead + ahead["bytes"] + _table_bytes(keys, np.maximum(keys - ahead["keys_no_ttl"], 0))
        hit = np.flatnonzero(memory >= series.maxmemory)
        return float(horizon[hit[0]]) if len(hit) else None

    mid = reach("mid")
    if mid is None:
        return None
    return {"maxmemory_at_s": mid, "maxmemory_at_s_interval": [reach("high"), reach("low")],
            "forecast_method": "per-namespace bytes + keys + bucket arrays"}
