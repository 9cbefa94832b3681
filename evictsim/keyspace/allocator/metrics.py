"""INFO's allocator and fragmentation fields from cron samples of the model (``server.c``,
``genRedisInfoString``; MECHANICS §11).

Redis 7.0 refreshes ``allocator_allocated/active/resident``, the process RSS and the ``used_memory``
that ``mem_fragmentation_ratio`` divides by in ``cronUpdateMemoryStats``, every 100 ms; INFO prints
those cached values, ratios with two decimals. ``sample`` is the compiled cron step; ``info_fields``
turns one sample into INFO's fields.
"""
from __future__ import annotations

import numpy as np

from evictsim.keyspace.allocator.compile import kernel
from evictsim.keyspace.allocator.kernels import stats
from evictsim.keyspace.allocator.layout import P_PROCESS_RSS

# sample[] slots
S_USED_MEMORY, S_ALLOCATED, S_ACTIVE, S_RESIDENT, S_RSS, S_NSLOTS = range(6)


@kernel
def sample(state, used_memory, out):
    """The cron's memory sample: ``out[:] = (used_memory, allocated, active, resident, rss)``."""
    allocated, active, resident = stats(state)
    out[S_USED_MEMORY] = used_memory
    out[S_ALLOCATED] = allocated
    out[S_ACTIVE] = active
    out[S_RESIDENT] = resident
    out[S_RSS] = resident + state.params[P_PROCESS_RSS]


def info_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``round(a / b, 2)`` (0 where ``b`` is 0) over arrays, as :func:`info_fields` rounds one: INFO's
    ``%.2f`` of the quotient. ``np.round`` scales by 100 and rounds to even, which differs from the
    quotient's correct rounding only where the scaled value lies within a hair of a half (an exact
    tie such as 1/8, or 1.005's binary neighbour): those few are rounded one by one."""
    numerator = np.asarray(numerator, np.int64)
    denominator = np.asarray(denominator, np.int64)
    safe = np.where(denominator != 0, denominator, 1)
    quotient = numerator / safe
    scaled = quotient * 100
    out = np.round(quotient, 2)
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for i in np.flatnonzero(near_half):
        out[i] = round(float(quotient[i]), 2)
    return np.where(denominator != 0, out, 0.0)


def info_columns(used_memory, allocated, active, resident, rss) -> dict:
    """:func:`info_fields` over arrays of readings (a column per field, the same values)."""
    used_memory, allocated, active, resident, rss = (np.asarray(a, np.int64) for a in
                                                      (used_memory, allocated, active, resident, rss))
    return {
        "used_memory_rss": rss,
        "allocator_allocated": allocated,
        "allocator_active": active,
        "allocator_resident": resident,
        "allocator_frag_ratio": info_ratio(active, allocated),
        "allocator_frag_bytes": active - allocated,
        "allocator_rss_ratio": info_ratio(resident, active),
        "allocator_rss_bytes": resident - active,
        "rss_overhead_ratio": info_ratio(rss, resident),
        "rss_overhead_bytes": rss - resident,
        "mem_fragmentation_ratio": info_ratio(rss, used_memory),
        "mem_fragmentation_bytes": rss - used_memory,
    }


def info_fields(used_memory: int, allocated: int, active: int, resident: int, rss: int) -> dict:
    """INFO memory's allocator/RSS fields (ratios rounded as INFO prints them, ``%.2f``)."""
    def ratio(a: int, b: int) -> float:
        return round(a / b, 2) if b else 0.0

    return {
        "used_memory_rss": rss,
        "allocator_allocated": allocated,
        "allocator_active": active,
        "allocator_resident": resident,
        "allocator_frag_ratio": ratio(active, allocated),
        "allocator_frag_bytes": active - allocated,
        "allocator_rss_ratio": ratio(resident, active),
        "allocator_rss_bytes": resident - active,
        "rss_overhead_ratio": ratio(rss, resident),
        "rss_overhead_bytes": rss - resident,
        "mem_fragmentation_ratio": ratio(rss, used_memory),
        "mem_fragmentation_bytes": rss - used_memory,
    }
