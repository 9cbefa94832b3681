"""The leak report as text: the first line names the leaking namespace (or says none leaks)."""
from __future__ import annotations

from typing import Any


def _size(n: float) -> str:
    for unit, div in (("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return f"{n:.0f} B"


def _when(value: float | None) -> str:
    return "never (not growing)" if value is None else f"t = {value:.0f} s"


def first_line(report: dict[str, Any]) -> str:
    spaces = report["namespaces"]
    if not spaces:
        return "no namespaces in namespaces.csv"
    top = spaces[0]
    lo, hi = top["bytes_per_s_interval"]
    ttl = ("" if top["no_ttl_fraction"] is None
           else f", {100 * top['no_ttl_fraction']:.0f}% of its keys without TTL")
    what = "leaking namespace" if lo > 0 else "no leak found; fastest-growing namespace"
    cont = ", still growing after warm-up" if top["growth_continues"] else ""
    return (f"{what}: {top['namespace']} +{_size(top['bytes_per_s'])}/s ({_size(lo)}..{_size(hi)}/s), "
            f"+{top['keys_per_s']:.2f} keys/s{ttl}{cont}")


def render(report: dict[str, Any]) -> str:
    lines = [first_line(report)]
    if report["maxmemory"]:
        when = report["maxmemory_at_s"]
        interval = report["maxmemory_at_s_interval"]
        if report["maxmemory_observed"]:
            lines.append(f"used_memory reached maxmemory ({_size(report['maxmemory'])}) at {_when(when)} "
                         f"(observed)")
        else:
            span = "" if not interval else (f" (95%: {_when(interval[0])} .. "
                                            f"{_when(interval[1]) if interval[1] is not None else 'never'})")
            lines.append(f"used_memory reaches maxmemory ({_size(report['maxmemory'])}) at "
                         f"{_when(when)}{span}; "
                         f"predict_linear over all data: {_when(report['predict_linear_at_s'])}")
        if report["first_oom_at_s"] is not None:
            lines.append(f"noeviction: first OOM-rejected write at {_when(report['first_oom_at_s'])}")
    lines.append(f"data up to t = {report['until']:.0f} s; warm-up until {report['warmup_end_s']:.0f} s; "
                 f"growth measured over {report['window'][0]:.0f}-{report['window'][1]:.0f} s")
    lines.append(f"{'namespace':<16} {'bytes/s':>10} {'keys/s':>8} {'no TTL':>7} {'GETs/s':>8} "
                 f"{'B/1k GETs':>10} {'bytes':>10} {'growing':>8}")
    for s in report["namespaces"]:
        no_ttl = "" if s["no_ttl_fraction"] is None else f"{100 * s['no_ttl_fraction']:.0f}%"
        per_get = "" if s["bytes_per_1k_gets"] is None else f"{s['bytes_per_1k_gets']:.0f}"
        lines.append(f"{s['namespace']:<16} {s['bytes_per_s']:>10.1f} {s['keys_per_s']:>8.2f} {no_ttl:>7} "
                     f"{s['gets_per_s']:>8.1f} {per_get:>10} {s['bytes']:>10} "
                     f"{'yes' if s['growth_continues'] else 'no':>8}")
    return "\n".join(lines)
