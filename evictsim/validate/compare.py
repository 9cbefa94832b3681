"""Run the same requests through a live redis-server and through the simulator; put them side by side.

The live replay fixes two inputs the simulator then takes as given: the Unix time at trace time 0
(Redis's LRU clock and LFU decay follow the wall clock) and ``used_memory`` of the empty server just
before the first request (``baseline-memory``). Hit ratio and OOM counts come from per-request outcome
codes on both sides (INFO's keyspace counters also count the script's own lookups); evictions,
expirations and memory come from INFO on the live side and from the run summary on the simulated side.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from evictsim.api import resolve_config, simulate
from evictsim.results import Result
from evictsim.traces.base import OP_GET, ArrayTrace, RequestChunk
from evictsim.validate.replay import ERROR_CODE, LiveRun, replay
from evictsim.validate.server import SERVER_DIRECTIVES, start_redis

GET_CODES = (0, 1, 2, 3, 4)
OOM_CODES = (3, 4, 7)
LAZY_EXPIRY_CODES = (2, 4, 9)
# Read from INFO on the live side and from the run summary on the simulated side.
COUNTER_METRICS = ("evicted_keys", "expired_keys", "used_memory", "used_memory_peak", "keys", "expires")


def outcome_stats(outcomes: np.ndarray) -> dict[str, Any]:
    """Counts both sides derive the same way from their outcome codes."""
    counts = np.bincount(outcomes[outcomes != ERROR_CODE], minlength=11)[:11]
    gets = int(counts[list(GET_CODES)].sum())
    return {"gets": gets, "get_hits": int(counts[1]),
            "hit_ratio": counts[1] / gets if gets else float("nan"),
            "oom_rejections": int(counts[list(OOM_CODES)].sum()),
            "lazy_expirations": int(counts[list(LAZY_EXPIRY_CODES)].sum()),
            "outcome_counts": {str(c): int(n) for c, n in enumerate(counts) if n}}


def per_second_hit_ratio(times: np.ndarray, outcomes: np.ndarray, seconds: int) -> np.ndarray:
    is_get = outcomes <= 4
    second = np.minimum(times.astype(np.int64), seconds - 1)[is_get]
    gets = np.bincount(second, minlength=seconds)
    hits = np.bincount(second, weights=(outcomes[is_get] == 1), minlength=seconds)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(gets > 0, hits / np.maximum(gets, 1), np.nan)


def agreement(requests: RequestChunk, live: np.ndarray, sim: np.ndarray) -> dict[str, float]:
    """Share of GETs with the same outcome code, and with the same hit/miss verdict."""
    gets = requests.op == OP_GET
    if not gets.any():
        return {"get_outcome_agreement": float("nan"), "get_hit_agreement": float("nan")}
    same = live[gets] == sim[gets]
    same_hit = (live[gets] == 1) == (sim[gets] == 1)
    return {"get_outcome_agreement": float(same.mean()), "get_hit_agreement": float(same_hit.mean())}


SERIES_PAIRS = (("used_memory", "used_memory"), ("evicted_keys", "evicted_keys"),
                ("expired_keys", "expired_keys"), ("db0_keys", "keys"))   # (INFO field, simulated column)


def series_gaps(live: LiveRun, result: Result) -> dict[str, float | None]:
    """Largest per-second gap of each INFO counter, on the whole seconds both sides sampled."""
    sim_t = np.asarray(result.timeseries.get("time", []), np.float64)
    live_t = np.asarray(live.series["t_nominal"], np.float64)
    common, li, si = np.intersect1d(live_t, sim_t, return_indices=True)
    out: dict[str, float | None] = {}
    for info_name, sim_name in SERIES_PAIRS:
        if not len(common) or sim_name not in result.timeseries:
            out[f"per_second_{sim_name}_max_abs_diff"] = None
            continue
        diff = np.abs(np.asarray(result.timeseries[sim_name])[si] - live.series[info_name][li])
        out[f"per_second_{sim_name}_max_abs_diff"] = float(diff.max())
    return out


def metric_row(name: str, live: float, sim: float) -> dict[str, Any]:
    diff = sim - live
    rel = diff / live if live else (0.0 if diff == 0 else float("inf"))
    return {"metric": name, "redis": live, "evictsim": sim, "diff": diff, "rel_diff": rel}


def summarize(requests: RequestChunk, live: LiveRun, result: Result) -> dict[str, Any]:
    """The comparison as plain JSON-able data."""
    sim_out = result.outcomes if result.outcomes is not None else np.full(len(requests), ERROR_CODE)
    live_stats, sim_stats = outcome_stats(live.outcomes), outcome_stats(sim_out)
    final = live.final
    live_counters = {"evicted_keys": final["evicted_keys"], "expired_keys": final["expired_keys"],
                     "used_memory": final["used_memory"], "used_memory_peak": final["used_memory_peak"],
                     "keys": final["db0_keys"], "expires": final["db0_expires"]}
    rows = [metric_row("hit_ratio", live_stats["hit_ratio"], sim_stats["hit_ratio"])]
    rows[0]["diff_pp"] = 100.0 * rows[0]["diff"]
    rows += [metric_row(k, live_stats[k], sim_stats[k]) for k in ("oom_rejections", "lazy_expirations")]
    rows += [metric_row(k, live_counters[k], int(result.summary.get(k, 0))) for k in COUNTER_METRICS]
    seconds = max(1, len(live.series["t_nominal"]) - 1)
    live_ps = per_second_hit_ratio(requests.time, live.outcomes, seconds)
    sim_ps = per_second_hit_ratio(requests.time, sim_out, seconds)
    ps_diff = np.abs(live_ps - sim_ps)
    return {
        "requests": len(requests), "metrics": rows,
        "agreement": {**agreement(requests, live.outcomes, sim_out),
                      "per_second_hit_ratio_abs_diff_max": _finite_max(ps_diff),
                      "per_second_hit_ratio_abs_diff_mean": _finite_mean(ps_diff),
                      **series_gaps(live, result)},
        "live": {**live_stats, **live_counters, "start_time": live.start_time,
                 "baseline_memory": live.baseline_memory, "lag": live.lag, "errors": live.errors,
                 "error_count": live.error_count, "redis_version": live.redis_version,
                 "series": {k: v.tolist() for k, v in live.series.items()},
                 "per_second_hit_ratio": _nan_to_none(live_ps)},
        "evictsim": {**sim_stats, **{k: result.summary.get(k) for k in COUNTER_METRICS},
                     "per_second_hit_ratio": _nan_to_none(sim_ps),
                     "series": {c: np.asarray(result.timeseries[c]).tolist() for c in
                                ("time", "requests", "used_memory", "evicted_keys", "expired_keys", "keys")
                                if c in result.timeseries},
                     "extras": {k: v for k, v in result.extras.items() if isinstance(v, (int, float, str))}},
    }


def run_comparison(requests: RequestChunk, config: Mapping[str, Any], *,
                   key_names: list[bytes] | None = None, seed: int = 0) -> dict[str, Any]:
    """Replay ``requests`` on a fresh redis-server with ``config`` (redis.conf names), simulate the
    same, and return the comparison. Settings that are evictsim-only go to the simulator alone."""
    resolved = resolve_config(config=config)        # validates every key before a server starts
    if resolved.cluster_enabled:     # the live side is a standalone server: the two would differ by design
        from evictsim.errors import UserInputError
        raise UserInputError("validate replays on a standalone redis-server; expected cluster-enabled no",
                             key="cluster-enabled")
    server_settings = {k: v for k, v in resolved.to_mapping().items() if k in SERVER_DIRECTIVES}
    with start_redis(server_settings) as server:
        live = replay(server, requests, key_names)
    # the live baseline is read after INFO already ran once, so INFO's histogram is in it
    sim_config = {**resolved.to_mapping(), "baseline-memory": live.baseline_memory,
                  "info-after-baseline": "no"}
    result = simulate(ArrayTrace(requests), config=sim_config, start_time=live.start_time,
                      record_outcomes=True, seed=seed)
    out = summarize(requests, live, result)
    out["config"] = sim_config
    out["server_settings"] = server_settings
    return json_safe(out)


def markdown_table(comparison: Mapping[str, Any]) -> str:
    """A short table: one row per metric, Redis beside evictsim."""
    lines = ["| metric | redis | evictsim | difference |", "|---|---:|---:|---:|"]
    for row in comparison["metrics"]:
        lines.append(f"| {row['metric']} | {_fmt(row['redis'])} | {_fmt(row['evictsim'])} | {_diff(row)} |")
    agree = comparison["agreement"]
    lines.append(f"| GETs with the same outcome | | | {_pct(agree['get_outcome_agreement'])} |")
    lines.append(f"| GETs with the same hit/miss | | | {_pct(agree['get_hit_agreement'])} |")
    lines.append(f"| per-second hit ratio, max abs diff | | | "
                 f"{100 * (agree['per_second_hit_ratio_abs_diff_max'] or 0):.2f} pp |")
    gap = agree.get("per_second_used_memory_max_abs_diff")
    if gap is not None:
        lines.append(f"| per-second used_memory, max abs diff | | | {gap:,.0f} B |")
    return "\n".join(lines) + "\n"


def json_safe(obj: Any) -> Any:
    """NaN and infinities (a trace without GETs, a zero baseline) become null in JSON."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.5f}" if abs(v) < 2 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _diff(row: Mapping[str, Any]) -> str:
    if row["diff"] is None:
        return "n/a"
    if "diff_pp" in row:
        return f"{row['diff_pp']:+.2f} pp"
    rel = row["rel_diff"]
    return f"{row['diff']:+,} ({100 * rel:+.2f}%)" if rel is not None else f"{row['diff']:+,}"


def _pct(v: float | None) -> str:
    return f"{100 * v:.2f}%" if v is not None else "n/a"


def _finite_max(a: np.ndarray) -> float | None:
    a = a[np.isfinite(a)]
    return float(a.max()) if len(a) else None


def _finite_mean(a: np.ndarray) -> float | None:
    a = a[np.isfinite(a)]
    return float(a.mean()) if len(a) else None


def _nan_to_none(a: np.ndarray) -> list[float | None]:
    return [float(x) if np.isfinite(x) else None for x in a]
