"""``INFO`` as the simulated server would have answered it at a simulated time, in Redis's own text
format (``genRedisInfoString``: ``# Section`` headers, ``field:value`` lines, CRLF line ends, a blank
line between sections), with the fields evictsim models and nothing else.

Sections and field order follow Redis 7.0.15. Always present: ``used_memory`` (+``_human``),
``used_memory_peak`` (+``_human``, ``_perc``), ``used_memory_overhead``, ``used_memory_dataset``,
``maxmemory`` (+``_human``), ``maxmemory_policy``; ``expired_keys``, ``evicted_keys``,
``keyspace_hits``, ``keyspace_misses``; ``errorstat_OOM`` (once a write was refused); the ``db0`` line
(once db0 has keys). The allocator and RSS fields appear when the run's time series has them.
Left out because evictsim does not model them: ``used_memory_startup`` (so the ``_perc`` of the
dataset), Lua and function memory, client and replication buffers, ``total_system_memory``.
"""
from __future__ import annotations

from collections.abc import Callable

from evictsim.errors import UserInputError
from evictsim.metrics.registry import BY_NAME
from evictsim.views.redisfmt import bytes_to_human, c_float_ratio
from evictsim.views.snapshot import Snapshot, snapshot

SECTIONS = ("memory", "stats", "errorstats", "keyspace")
CHOICES = SECTIONS + ("all",)
_ALLOCATOR = ("allocator_allocated", "allocator_active", "allocator_resident")


def memory_fields(snap: Snapshot) -> list[tuple[str, object]]:
    snap.require(("used_memory", "used_memory_peak", "used_memory_overhead", "used_memory_dataset"),
                 "INFO memory")
    used, peak = snap["used_memory"], snap["used_memory_peak"]
    fields: list[tuple[str, object]] = [("used_memory", used), ("used_memory_human", bytes_to_human(used))]
    if snap.has("used_memory_rss"):
        rss = snap["used_memory_rss"]
        fields += [("used_memory_rss", rss), ("used_memory_rss_human", bytes_to_human(rss))]
    fields += [("used_memory_peak", peak), ("used_memory_peak_human", bytes_to_human(peak)),
               ("used_memory_peak_perc", f"{c_float_ratio(used, peak, 100):.2f}%"),
               ("used_memory_overhead", snap["used_memory_overhead"]),
               ("used_memory_dataset", snap["used_memory_dataset"])]
    fields += [(name, snap[name]) for name in _ALLOCATOR if snap.has(name)]
    maxmemory = int(snap.summary.get("maxmemory", 0))
    fields += [("maxmemory", maxmemory), ("maxmemory_human", bytes_to_human(maxmemory)),
               ("maxmemory_policy", snap.summary.get("maxmemory_policy", "noeviction"))]
    return fields + [(name, f"{value:.2f}" if isinstance(value, float) else value)
                     for name, value in fragmentation(snap)]


def fragmentation(snap: Snapshot) -> list[tuple[str, float | int]]:
    """allocator_frag/_rss, rss_overhead and mem_fragmentation (ratio, bytes) where the columns allow."""
    out: list[tuple[str, float | int]] = []
    pairs = (("allocator_frag", "allocator_active", "allocator_allocated"),
             ("allocator_rss", "allocator_resident", "allocator_active"),
             ("rss_overhead", "used_memory_rss", "allocator_resident"),
             ("mem_fragmentation", "used_memory_rss", "used_memory"))
    for prefix, top, bottom in pairs:
        if not snap.has(top, bottom):
            continue
        stored = prefix + "_ratio"
        ratio = snap[stored] if snap.has(stored) else c_float_ratio(snap[top], snap[bottom])
        out += [(stored, float(ratio)), (prefix + "_bytes", int(snap[top]) - int(snap[bottom]))]
    return out


def stats_fields(snap: Snapshot) -> list[tuple[str, object]]:
    names = ("expired_keys", "evicted_keys", "keyspace_hits", "keyspace_misses")
    snap.require(names, "INFO stats")
    return [(name, snap[name]) for name in names]


def errorstats_fields(snap: Snapshot) -> list[tuple[str, object]]:
    snap.require(("rejected_writes",), "INFO errorstats")
    refused = snap["rejected_writes"]
    return [(BY_NAME["rejected_writes"].info_field or "", f"count={refused}")] if refused else []


def keyspace_fields(snap: Snapshot) -> list[tuple[str, object]]:
    snap.require(("keys", "expires", "avg_ttl"), "INFO keyspace")
    keys, expires = snap["keys"], snap["expires"]
    if not keys and not expires:
        return []
    return [("db0", f"keys={keys},expires={expires},avg_ttl={snap['avg_ttl']}")]


_BUILDERS: dict[str, Callable[[Snapshot], list[tuple[str, object]]]] = {
    "memory": memory_fields, "stats": stats_fields, "errorstats": errorstats_fields,
    "keyspace": keyspace_fields}


def info_sections(result, at: float | None = None, section: str = "all", *,
                  source: str = "the run") -> dict[str, list[tuple[str, object]]]:
    """Section name → its (field, value) lines, as INFO would print them."""
    if section not in CHOICES:
        raise UserInputError(f"unknown section {section!r}; expected one of {', '.join(CHOICES)}",
                             source="--section")
    snap = snapshot(result, at, source=source)
    names = SECTIONS if section == "all" else (section,)
    return {name: _BUILDERS[name](snap) for name in names}


def info_text(result, at: float | None = None, section: str = "all", *, source: str = "the run") -> str:
    """The INFO reply's text: ``# Memory\\r\\nused_memory:...\\r\\n...``."""
    blocks = []
    for name, fields in info_sections(result, at, section, source=source).items():
        lines = [f"# {name.capitalize()}"] + [f"{field}:{value}" for field, value in fields]
        blocks.append("".join(line + "\r\n" for line in lines))
    return "\r\n".join(blocks)
