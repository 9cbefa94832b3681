"""Warnings a person wants before a run, not after it: settings that cannot do what they say.

* maxmemory at or below the empty server's used_memory: every write will be refused;
* a volatile policy on a trace without TTLs: nothing can be evicted, every write refused once full;
* a target hit ratio above the no-limit ceiling (:func:`target_warning`);
* a trace whose span is long for its requests: the run steps the cron through mostly idle time.

The trace is judged by its first chunk (at most 1M requests), so checking costs one chunk's read.
"""
from __future__ import annotations

from evictsim.config import RedisConfig
from evictsim.units import format_bytes

IDLE_TICKS_PER_REQUEST = 100     # more cron ticks than this per request: the run is mostly idle
PEEK_REQUESTS = 1 << 20
SMALL_ROOM = 256 * 1024          # less room than this above the empty server: hardly a cache


def preflight_warnings(trace, cfg: RedisConfig) -> list[str]:
    from evictsim.policies import POLICIES
    out = []
    if cfg.maxmemory and cfg.maxmemory <= cfg.baseline_memory:
        out.append(f"maxmemory {format_bytes(cfg.maxmemory)} is at or below the empty server's used_memory "
                   f"({format_bytes(cfg.baseline_memory)}): every write will be refused (OOM)")
    elif cfg.maxmemory and cfg.maxmemory < cfg.baseline_memory + SMALL_ROOM:
        out.append(f"maxmemory {format_bytes(cfg.maxmemory)} leaves less than {format_bytes(SMALL_ROOM)} above "
                   f"the empty server's used_memory ({format_bytes(cfg.baseline_memory)}); the first commands' "
                   f"latency histograms and client buffers take ~100 KiB of it: most writes will be refused")
    first = next(iter(trace.chunks(PEEK_REQUESTS)), None)
    if first is None or not len(first):
        return out
    needs_ttl = POLICIES.get(cfg.maxmemory_policy, key="maxmemory-policy").needs_ttl
    if needs_ttl and cfg.maxmemory and not (first.ttl_ms > 0).any():
        scope = "the trace" if len(first) < PEEK_REQUESTS else f"the first {len(first):,} requests"
        out.append(f"{cfg.maxmemory_policy} evicts only keys with a TTL and {scope} set none: once memory "
                   f"is full every write will be refused; use an allkeys-* policy")
    span = float(first.time[-1] - first.time[0])
    ticks = span * cfg.hz
    if len(first) < PEEK_REQUESTS and ticks > IDLE_TICKS_PER_REQUEST * len(first):
        out.append(f"the trace spans {span:,.0f} s for {len(first):,} requests: the run steps "
                   f"{ticks:,.0f} cron ticks at hz {cfg.hz}, mostly idle (check the time column's unit)")
    return out


def target_warning(target: float, ceiling: float | None, whole_run: float | None = None) -> str | None:
    """``no maxmemory reaches 99%: even unlimited memory gives 95.3% on this trace`` (None if reachable)."""
    if ceiling is None or target <= ceiling:
        return None
    whole = "" if whole_run is None else f" after the warm-up ({short_pct(whole_run)} over the whole run)"
    return (f"no maxmemory reaches {short_pct(target)}: even unlimited memory gives {short_pct(ceiling)} "
            f"on this trace{whole}")


def short_pct(ratio: float) -> str:
    """``95%`` for 0.95, ``95.3%`` for 0.9534: the digits a capacity answer needs."""
    return f"{ratio * 100:.1f}".rstrip("0").rstrip(".") + "%"
