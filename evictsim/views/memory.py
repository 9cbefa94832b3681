"""``MEMORY STATS`` and ``MEMORY DOCTOR`` of the simulated server at a simulated time
(``object.c: memoryCommand``, ``getMemoryDoctorReport``, MECHANICS §11).

MEMORY STATS gives the fields evictsim models, in Redis's order: ``peak.allocated``,
``total.allocated``, ``db.0`` with its hash-table overheads (``slot-to-keys`` is 0: standalone),
``overhead.total``, ``keys.count``, ``dataset.bytes``, ``peak.percentage``, and the allocator and
fragmentation fields when the run has those columns. Left out: ``startup.allocated`` and what needs
it (``keys.bytes-per-key``, ``dataset.percentage``), client, replication, AOF and script buffers.

MEMORY DOCTOR applies Redis 7.0's thresholds: "empty" under 5 MiB of used_memory; otherwise a peak
above 1.5× current, RSS/used above 1.4 with more than 10 MiB between them, allocator fragmentation,
allocator RSS or process RSS overhead above 1.1 with more than 10 MiB. The checks that need columns
the run lacks are listed by :func:`doctor_unchecked`; the client-buffer, replica-buffer and
script-count checks have nothing to look at in a simulated standalone server with one script.
"""
from __future__ import annotations

from typing import Any

from evictsim.views.info import fragmentation
from evictsim.views.redisfmt import c_float_ratio, double_string
from evictsim.views.snapshot import Snapshot

MIB = 1024 * 1024
EMPTY_BELOW = 5 * MIB             # getMemoryDoctorReport: total_allocated < 5 MB is "empty"
PEAK_RATIO = 1.5
FRAG_RATIO, FRAG_BYTES = 1.4, 10 * MIB
OVERHEAD_RATIO, OVERHEAD_BYTES = 1.1, 10 * MIB

_STATS_NAMES = {"allocator_frag": "allocator-fragmentation", "allocator_rss": "allocator-rss",
                "rss_overhead": "rss-overhead", "mem_fragmentation": "fragmentation"}


def memory_stats(snap: Snapshot) -> list[tuple[str, Any]]:
    """The MEMORY STATS map, as (key, value) pairs; values are ints, strings (doubles) or maps."""
    snap.require(("used_memory", "used_memory_peak", "used_memory_overhead", "used_memory_dataset",
                  "overhead_hashtable_main", "overhead_hashtable_expires", "keys"), "MEMORY STATS")
    used, peak = snap["used_memory"], snap["used_memory_peak"]
    reply: list[tuple[str, Any]] = [("peak.allocated", peak), ("total.allocated", used)]
    if snap["keys"]:
        reply.append(("db.0", [("overhead.hashtable.main", snap["overhead_hashtable_main"]),
                               ("overhead.hashtable.expires", snap["overhead_hashtable_expires"]),
                               ("overhead.hashtable.slot-to-keys", 0)]))
    reply += [("overhead.total", snap["used_memory_overhead"]), ("keys.count", snap["keys"]),
              ("dataset.bytes", snap["used_memory_dataset"]),
              ("peak.percentage", double_string(c_float_ratio(used, peak, 100)))]
    reply += [("allocator." + name, snap["allocator_" + name])
              for name in ("allocated", "active", "resident") if snap.has("allocator_" + name)]
    for field, value in fragmentation(snap):
        prefix, _, kind = field.rpartition("_")
        name = _STATS_NAMES[prefix]
        key = name if (name == "fragmentation" and kind == "ratio") else f"{name}.{kind}"
        reply.append((key, double_string(value) if kind == "ratio" else value))
    return reply


def doctor_findings(snap: Snapshot) -> list[str] | None:
    """The issues MEMORY DOCTOR would report (None: the instance counts as empty)."""
    snap.require(("used_memory", "used_memory_peak"), "MEMORY DOCTOR")
    used = snap["used_memory"]
    if used < EMPTY_BELOW:
        return None
    found = []
    if c_float_ratio(snap["used_memory_peak"], used) > PEAK_RATIO:
        found.append("peak")
    checks = (("high_frag", "used_memory_rss", "used_memory", FRAG_RATIO, FRAG_BYTES),
              ("high_alloc_frag", "allocator_active", "allocator_allocated", OVERHEAD_RATIO, OVERHEAD_BYTES),
              ("high_alloc_rss", "allocator_resident", "allocator_active", OVERHEAD_RATIO, OVERHEAD_BYTES),
              ("high_proc_rss", "used_memory_rss", "allocator_resident", OVERHEAD_RATIO, OVERHEAD_BYTES))
    for issue, top, bottom, ratio, extra in checks:
        if snap.has(top, bottom) and c_float_ratio(snap[top], snap[bottom]) > ratio \
                and snap[top] - snap[bottom] > extra:
            found.append(issue)
    return found


def doctor_unchecked(snap: Snapshot) -> list[str]:
    """Checks MEMORY DOCTOR makes that this run's columns cannot answer."""
    needs = (("high total RSS", "used_memory_rss"), ("allocator fragmentation", "allocator_active"),
             ("allocator RSS overhead", "allocator_resident"), ("process RSS overhead", "used_memory_rss"))
    return [what for what, column in needs if not snap.has(column)]


_HEADLINE_OK = ("Hi Sam, I can't find any memory issue in your instance. "
                "I can only account for what occurs on this base.\n")
_HEADLINE_EMPTY = ("Hi Sam, this instance is empty or is using very little memory, my issues detector "
                   "can't be used in these conditions. Please, leave for your mission on Earth and fill "
                   "it with some data. The new Sam and I will be back to our programming as soon as I "
                   "finished rebooting.\n")
_HEADLINE_ISSUES = "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
_CLOSING = "I'm here to keep you safe, Sam. I want to help you.\n"
_ISSUES = {
    "peak": " * Peak memory: In the past this instance used more than 150% the memory that is "
            "currently using. The allocator cannot give back memory after a peak, so a big "
            "fragmentation ratio is expected and harmless; MEMORY PURGE or a restart reclaims it.\n\n",
    "high_frag": " * High total RSS: This instance has a memory fragmentation and RSS overhead greater "
                 "than 1.4: the Resident Set Size is much larger than the sum of the logical "
                 "allocations, from a large peak or a workload that fragments the allocator.\n\n",
    "high_alloc_frag": " * High allocator fragmentation: This instance has an allocator external "
                       "fragmentation greater than 1.1. You can try enabling 'activedefrag'.\n\n",
    "high_alloc_rss": " * High allocator RSS overhead: This instance has an RSS memory overhead greater "
                      "than 1.1 over what the allocator holds; MEMORY PURGE can reclaim it.\n\n",
    "high_proc_rss": " * High process RSS overhead: This instance has non-allocator RSS memory overhead "
                     "greater than 1.1 (Lua scripts or modules).\n\n",
}


def doctor_text(snap: Snapshot) -> str:
    """The verdict in MEMORY DOCTOR's shape: Redis's headlines, one paragraph per issue found."""
    found = doctor_findings(snap)
    if found is None:
        return _HEADLINE_EMPTY
    if not found:
        return _HEADLINE_OK
    return _HEADLINE_ISSUES + "".join(_ISSUES[issue] for issue in found) + _CLOSING
