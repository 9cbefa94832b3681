"""The jemalloc model's time-series columns, from what each reading copied of the arena
(:func:`evictsim.keyspace.allocator.model.reading`: the last cron sample, then the defrag counters).

One source for the columns a run has: the time series asks for them on a table of no readings to
learn their names, and on the run's readings for their values.
"""
from __future__ import annotations

import numpy as np

from evictsim.keyspace.allocator.defrag import (D_CPU_US, D_ENABLED, D_HITS, D_KEY_HITS, D_KEY_MISSES,
                                                D_MISSES, D_RUNNING)
from evictsim.keyspace.allocator.metrics import (S_ACTIVE, S_ALLOCATED, S_RESIDENT, S_RSS, S_USED_MEMORY,
                                                 info_columns)

COLUMNS = ("used_memory_rss", "allocator_allocated", "allocator_active", "allocator_resident",
           "allocator_frag_ratio", "mem_fragmentation_ratio")
# activedefrag yes adds these (INFO names; total_active_defrag_time is 7.2's, in ms)
DEFRAG_FIELDS = (("active_defrag_running", D_RUNNING), ("active_defrag_hits", D_HITS),
                 ("active_defrag_misses", D_MISSES), ("active_defrag_key_hits", D_KEY_HITS),
                 ("active_defrag_key_misses", D_KEY_MISSES))


def reading_slots(arena) -> int:
    """How many integers a reading copies of the arena."""
    return len(arena.sample) + len(arena.defrag)


def reading_columns(arena, rows: np.ndarray) -> dict:
    """The allocator columns (and with activedefrag its counters) of each reading's copy, as INFO
    prints them (ratios rounded as INFO does), a column at a time: a week of 1-s readings is 605k
    rows, which a dict per row took seconds to derive."""
    fields = info_columns(*(rows[:, slot] for slot in (S_USED_MEMORY, S_ALLOCATED, S_ACTIVE, S_RESIDENT, S_RSS)))
    columns = {name: fields[name] for name in COLUMNS}
    if arena.defrag[D_ENABLED]:
        defrag = rows[:, len(arena.sample):]
        columns.update((name, defrag[:, slot]) for name, slot in DEFRAG_FIELDS)
        columns["total_active_defrag_time"] = defrag[:, D_CPU_US] // 1000
    return columns
