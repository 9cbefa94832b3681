"""Bytes as Redis 7.0 counts them in ``used_memory`` (MECHANICS §10), in plain Python.

Written independently of :mod:`evictsim.keyspace.memory` (which is compiled): jemalloc 5 size
classes (§10.1), sds headers (§10.3), the per-key formula (§10.4).
"""
from __future__ import annotations

from evictsim.keyspace.memory import AGGREGATE_ELEMENT_BYTES   # a modelling constant, not a Redis fact

DICT_ENTRY = 24          # sizeof(dictEntry) = {key, v, next}
CLUSTER_ENTRY_METADATA = 16   # cluster mode: clusterDictEntryMetadata {prev, next} in db->dict's entries only
ROBJ = 16                # sizeof(redisObject)
EMBSTR_MAX = 44          # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
LAZYFREE_THRESHOLD = 64  # lazyfree.c: a free effort above this goes to the background thread (§12)
VT_STRING, VT_INT, VT_SHARED_INT, VT_AGGREGATE = 0, 1, 2, 3


def size_class(n: int, quantum: int = 16) -> int:
    """jemalloc usable size C(n): 8; multiples of the quantum up to 64; 4 classes per doubling."""
    if n <= 8:
        return 8
    if n <= 64:
        return -(-n // quantum) * quantum
    step = 1 << ((n - 1).bit_length() - 3)     # 2^k < n <= 2^(k+1)  ->  step 2^(k-2)
    return -(-n // step) * step


def sds_header(length: int) -> int:
    """``sdsReqType``: sdshdr5 / 8 / 16 / 32 / 64 header bytes."""
    for limit, header in ((32, 1), (256, 3), (65536, 5), (1 << 32, 9)):
        if length < limit:
            return header
    return 17


def value_bytes(size: int, vtype: int, quantum: int, shared_ok: bool) -> int:
    """A string value: shared integer (0 B when sharing is allowed), private int robj, embstr, raw."""
    if vtype == VT_SHARED_INT:
        return 0 if shared_ok else ROBJ
    if vtype == VT_INT:
        return ROBJ
    if vtype == VT_AGGREGATE:            # evictsim's aggregate: a robj plus one payload of `size` bytes
        return ROBJ + size_class(size, quantum)
    if size <= EMBSTR_MAX:
        return size_class(ROBJ + 3 + size + 1, quantum)             # robj + sdshdr8 + value + NUL
    return ROBJ + size_class(sds_header(size) + size + 1, quantum)


def argv_bytes(op: int, key_len: int, size: int, ttl_ms: int, script: bool, quantum: int) -> int:
    """The command's argument robjs and argv array, alive from before performEvictions to the end of
    the command: ``EVALSHA <sha40> 1 <key> <op> <size> <ttl>`` per request in script mode, else
    ``GET k`` / ``SET k v [PX ms]`` / ``DEL k``. Each argument is a string object (embstr ≤ 44 B)."""
    def arg(text_len: int) -> int:
        return value_bytes(text_len, VT_STRING, quantum, False)
    if script:
        args = [7, 40, 1, key_len, 1, len(str(size)), len(str(ttl_ms))]
    elif op == 1:
        args = [3, key_len, size] + ([2, len(str(ttl_ms))] if ttl_ms > 0 else [])
    else:
        args = [3, key_len]
    return sum(arg(n) for n in args) + size_class(8 * len(args), quantum)


def lazyfree_deferrable_bytes(size: int, vtype: int, quantum: int) -> int:
    """What ``freeObjAsync`` hands to the lazyfree thread: an aggregate whose free effort (its
    element count, modelled as size / AGGREGATE_ELEMENT_BYTES) exceeds LAZYFREE_THRESHOLD.
    Strings have effort 1 and are always freed synchronously (§12)."""
    if vtype == VT_AGGREGATE and size // AGGREGATE_ELEMENT_BYTES > LAZYFREE_THRESHOLD:
        return size_class(size, quantum)
    return 0


def main_entry_bytes(key_len: int, size: int, vtype: int, quantum: int, shared_ok: bool,
                     entry: int = DICT_ENTRY) -> int:
    """dictEntry in db->dict (``entry`` bytes requested: 24, or 40 with 7.0 cluster mode's slot
    metadata, §15) + the key's sds copy + the value (§10.4, without the TTL entry)."""
    return (size_class(entry, quantum) + size_class(sds_header(key_len) + key_len + 1, quantum)
            + value_bytes(size, vtype, quantum, shared_ok))


def expire_entry_bytes(quantum: int) -> int:
    """The dictEntry in db->expires (it shares the key sds)."""
    return size_class(DICT_ENTRY, quantum)


def shared_integers_allowed(maxmemory: int, policy: str) -> bool:
    """Shared integers are used unless maxmemory is set with an LRU or LFU policy (§10.3): the
    registry's ``no_shared_integers`` capability."""
    from evictsim.policies import policy_spec
    return maxmemory == 0 or not policy_spec(policy).no_shared_integers
