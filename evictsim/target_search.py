"""The capacity question answered by search: the smallest maxmemory whose steady-state hit ratio
reaches a target, by bisection over full simulations.

One unlimited run comes first: its peak used_memory bounds the search from above (no larger size
changes anything) and its steady-state hit ratio is the ceiling (no size beats it). Below the ceiling,
bisection between the empty server's used_memory and that peak halves the bracket until it is within
``tolerance`` of the answer. Hit ratio rises with memory for the LRU/LFU/random policies here, up to
sampling noise; the answer is the smallest size *run* that reached the target, never an interpolation.
A miss-ratio curve (one pass, every size) can replace the simulations behind :func:`search_target`
where it exists: it only needs ``evaluate(maxmemory) -> steady hit ratio``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evictsim.preflight import short_pct, target_warning
from evictsim.units import format_bytes

MIN_STEP = 64 * 1024        # stop bisecting when the bracket is this narrow, whatever the tolerance


@dataclass
class TargetAnswer:
    """Where the search ended: ``maxmemory`` is None when the target is above the ceiling."""

    target: float
    policy: str
    maxmemory: int | None
    hit_ratio: float | None            # steady state at ``maxmemory``
    ceiling: float | None              # steady state of the unlimited run
    ceiling_whole_run: float | None
    footprint: int                     # peak used_memory of the unlimited run
    points: list[tuple[int, float | None]] = field(default_factory=list)   # (maxmemory, steady) run

    def text(self) -> str:
        ceiling = f"the no-limit ceiling is {short_pct(self.ceiling)}" if self.ceiling is not None else ""
        if self.maxmemory is None:
            return target_warning(self.target, self.ceiling, self.ceiling_whole_run) or (
                f"no maxmemory reaches {short_pct(self.target)}")
        lower = max((size for size, ratio in self.points if ratio is not None and ratio < self.target
                     and size < self.maxmemory), default=None)
        bracket = "" if lower is None else f", {_mib(lower)} gives less"
        return (f"{self.policy} reaches {short_pct(self.target)} steady-state hit ratio at maxmemory "
                f"{_mib(self.maxmemory)} ({self.maxmemory} bytes; {_pct(self.hit_ratio)} there"
                f"{bracket}); {ceiling} (unlimited memory peaks at {_mib(self.footprint)})")


def _mib(size: int) -> str:
    """Two decimals of MiB: bisection brackets differ by about 1%."""
    return f"{size / 2**20:.2f} MiB" if size >= 2**20 else format_bytes(size)


def _pct(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{100 * ratio:.2f}%"


def search_target(evaluate: Callable[[int], dict[str, Any]], target: float, *, policy: str,
                  baseline: int, tolerance: float = 0.01,
                  on_point: Callable[[int, dict], None] | None = None) -> TargetAnswer:
    """Bisection over maxmemory. ``evaluate(size)`` returns a run's summary (size 0 = no limit)."""
    unlimited = evaluate(0)
    footprint = int(unlimited["used_memory_peak"])
    ceiling = unlimited.get("steady_hit_ratio")
    answer = TargetAnswer(target, policy, None, None, ceiling, unlimited.get("ceiling_hit_ratio"), footprint)
    if on_point:
        on_point(0, unlimited)
    if ceiling is None or ceiling < target:
        return answer
    hi, hi_ratio = bisect_between(evaluate, target, baseline, footprint + 1, ceiling, tolerance,
                                  answer.points, on_point)
    answer.maxmemory, answer.hit_ratio = (min(hi, footprint)), hi_ratio
    return answer


def bisect_between(evaluate: Callable[[int], dict[str, Any]], target: float, lo: int, hi: int,
                   hi_ratio: float | None, tolerance: float, points: list,
                   on_point: Callable[[int, dict], None] | None = None) -> tuple[int, float | None]:
    """Halve ``[lo, hi]`` (``lo`` below the target, ``hi`` at or above it) until it is within
    ``tolerance`` of ``hi``; returns the smallest size run that reached the target and its ratio."""
    while hi - lo > max(MIN_STEP, tolerance * hi):
        mid = (lo + hi) // 2
        summary = evaluate(mid)
        ratio = summary.get("steady_hit_ratio")
        points.append((mid, ratio))
        if on_point:
            on_point(mid, summary)
        if ratio is not None and ratio >= target:
            hi, hi_ratio = mid, ratio
        else:
            lo = mid
    return hi, hi_ratio


def simulate_target(trace, target: float, config: dict, *, seed: int = 0, start_time: float | None = None,
                    warmup: float | None = None, tolerance: float = 0.01,
                    on_point: Callable[[int, dict], None] | None = None) -> TargetAnswer:
    """:func:`search_target` with full simulations of ``trace`` under ``config`` (redis.conf names)."""
    import evictsim
    from evictsim.api import resolve_config
    cfg = resolve_config(config=config)

    def evaluate(size: int) -> dict[str, Any]:
        settings = {**cfg.to_mapping(), "maxmemory": size}
        return evictsim.simulate(trace, config=settings, seed=seed, start_time=start_time,
                                 warmup=warmup).summary

    return search_target(evaluate, target, policy=cfg.maxmemory_policy, baseline=cfg.baseline_memory,
                         tolerance=tolerance, on_point=on_point)
