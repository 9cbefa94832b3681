"""``used_memory_overhead`` and ``used_memory_dataset`` as Redis 7.0 computes them
(``object.c: getMemoryOverheadData``, MECHANICS §11), derived from the kernel's state.

Redis's overhead is: startup memory + client buffers + the script and function caches + per database
with keys, ``keys·(sizeof(dictEntry) + sizeof(robj)) + slots·8`` for the main dict and
``expires·sizeof(dictEntry) + slots·8`` for the expires dict (struct sizes, not jemalloc classes; both
tables while rehashing), and in cluster mode ``keys·16`` for the slot-to-keys lists kept in the main
dict's entries (``overhead_ht_slot_to_keys``, MEMORY STATS ``overhead.hashtable.slot-to-keys``). The
dataset is ``used_memory − overhead``.

The kernel keeps the bytes that belong to no key in one sum, ``OVERHEAD_BYTES``: the empty server
(``baseline-memory``), the client's buffer growth, the latency histograms (``note_commands``) and the
Lua argument cache's value object. Redis counts the last two as dataset, so they are taken out here:
the histograms the model added are ``popcount(COMMANDS_SEEN)·latency-histogram-bytes``, the cached
argument is ``argument_bytes(LUA_VALUE_ALLOC)``.

What stays approximate: ``baseline-memory`` is the empty server's whole ``used_memory``, and Redis
counts the latency histograms of the commands that ran before the first sample (≈75 KB on the
reference harness: HELLO, PING, SCRIPT LOAD) as dataset. evictsim counts the whole baseline as
overhead, so its overhead reads that much above real Redis (≈1.9% on the reference runs, a constant
offset) and its dataset as much below.
"""
from __future__ import annotations

import numpy as np

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.memory import DICT_ENTRY, ROBJ, argument_bytes
from evictsim.metrics import counters as C

POINTER = 8       # sizeof(dictEntry*): one bucket


def _popcount(values: np.ndarray) -> np.ndarray:
    count = np.zeros(len(values), np.int64)
    bits = values.copy()
    while bits.any():
        count += bits & 1
        bits >>= 1
    return count


def overhead_columns(readings, cfgv) -> dict[str, np.ndarray]:
    """The four memory-overhead columns, one value per reading (:mod:`evictsim.metrics.readings`).

    MEMORY STATS ``overhead.hashtable.main`` and ``.expires`` of db0 are 0 when it has no keys (Redis
    skips an empty database). Of ``OVERHEAD_BYTES``, the latency histograms and the cached Lua
    argument are dataset (see the module docstring)."""
    keys = readings.dict_field(0, ht.USED0) + readings.dict_field(0, ht.USED1)
    expires = readings.dict_field(1, ht.USED0) + readings.dict_field(1, ht.USED1)
    main_slots = readings.dict_field(0, ht.SIZE0) + readings.dict_field(0, ht.SIZE1)
    expires_slots = readings.dict_field(1, ht.SIZE0) + readings.dict_field(1, ht.SIZE1)
    any_keys = keys != 0
    main = np.where(any_keys, keys * (DICT_ENTRY + ROBJ) + main_slots * POINTER, 0)
    expires_table = np.where(any_keys, expires * DICT_ENTRY + expires_slots * POINTER, 0)
    slot_to_keys = keys * (int(cfgv[C.C_MAIN_ENTRY]) - DICT_ENTRY)
    histograms = _popcount(readings.state(C.COMMANDS_SEEN)) * int(cfgv[C.C_HISTOGRAM_BYTES])
    cached = readings.state(C.LUA_VALUE_ALLOC)
    lua_argument = np.zeros(len(cached), np.int64)
    for value in np.unique(cached[cached >= 0]):
        lua_argument[cached == value] = int(argument_bytes(int(value), int(cfgv[C.C_QUANTUM])))
    overhead = readings.state(C.OVERHEAD_BYTES) - histograms - lua_argument + main + expires_table + slot_to_keys
    return {"used_memory_overhead": overhead, "used_memory_dataset": readings.state(C.USED_MEMORY) - overhead,
            "overhead_hashtable_main": main, "overhead_hashtable_expires": expires_table}
