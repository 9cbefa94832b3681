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

from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.memory import DICT_ENTRY, ROBJ, argument_bytes
from evictsim.metrics import counters as C

POINTER = 8       # sizeof(dictEntry*): one bucket


def hashtable_overhead(ds) -> tuple[int, int]:
    """MEMORY STATS ``overhead.hashtable.main`` and ``.expires`` of db0 (0, 0 when it has no keys:
    Redis skips an empty database)."""
    keys = int(ds[0, ht.USED0] + ds[0, ht.USED1])
    if keys == 0:
        return 0, 0
    expires = int(ds[1, ht.USED0] + ds[1, ht.USED1])
    main_slots = int(ds[0, ht.SIZE0] + ds[0, ht.SIZE1])
    expires_slots = int(ds[1, ht.SIZE0] + ds[1, ht.SIZE1])
    main = keys * (DICT_ENTRY + ROBJ) + main_slots * POINTER
    return main, expires * DICT_ENTRY + expires_slots * POINTER


def non_key_overhead(st, cfgv) -> int:
    """The part of ``OVERHEAD_BYTES`` that Redis counts as overhead (see the module docstring)."""
    histograms = bin(int(st[C.COMMANDS_SEEN])).count("1") * int(cfgv[C.C_HISTOGRAM_BYTES])
    cached = int(st[C.LUA_VALUE_ALLOC])
    lua_argument = int(argument_bytes(cached, int(cfgv[C.C_QUANTUM]))) if cached >= 0 else 0
    return int(st[C.OVERHEAD_BYTES]) - histograms - lua_argument


def memory_overhead(st, cfgv, ds) -> dict[str, int]:
    """The four memory-overhead columns of one sample."""
    main, expires = hashtable_overhead(ds)
    slot_to_keys = int(ds[0, ht.USED0] + ds[0, ht.USED1]) * (int(cfgv[C.C_MAIN_ENTRY]) - DICT_ENTRY)
    overhead = non_key_overhead(st, cfgv) + main + expires + slot_to_keys
    return {"used_memory_overhead": overhead, "used_memory_dataset": int(st[C.USED_MEMORY]) - overhead,
            "overhead_hashtable_main": main, "overhead_hashtable_expires": expires}
