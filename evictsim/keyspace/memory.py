"""Bytes as Redis counts them in ``used_memory`` (MECHANICS §10): jemalloc size classes and per-key cost.

Per key (standalone, string values): a dictEntry in the main dict, the key sds, the value (embstr up
to 44 bytes in one allocation, raw above: robj + sds, a private or shared integer), and for keys with a
TTL a second dictEntry in the expires dict. In cluster mode (``cluster-enabled yes``) the main dict's
entries carry 16 bytes of slot-list metadata (:func:`main_entry_request`); the expires dict's do not. Each allocation is rounded up to a jemalloc 5.3 size class;
the quantum is 16 on Debian's system jemalloc (the reference build), 8 on Redis's bundled one. Bucket
arrays (8 bytes per bucket) are accounted by the hash-table model, not here.
"""
from __future__ import annotations

import numpy as np
from evictsim.jit import kernel

DICT_ENTRY = 24          # sizeof(dictEntry) {key, v, next}
CLUSTER_ENTRY_METADATA = 16   # sizeof(clusterDictEntryMetadata) {prev, next}: server.c dictEntryMetadataSize
ROBJ = 16                # sizeof(redisObject)
EMBSTR_MAX = 44          # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
VT_STRING, VT_INT, VT_SHARED_INT, VT_AGGREGATE = 0, 1, 2, 3
LAZYFREE_THRESHOLD = 64   # lazyfree.c: values whose free effort exceeds this are freed in the background
AGGREGATE_ELEMENT_BYTES = 64   # an aggregate value (hash, set, list...) is modelled as elements of ~64 B


@kernel
def size_class(n, quantum):
    """jemalloc 5 usable size for a request of ``n`` bytes (4 classes per doubling above 64)."""
    if n <= 8:
        return 8
    if n <= 64:
        return (n + quantum - 1) // quantum * quantum
    k = 63
    # 2^k < n <= 2^(k+1): find k as the bit length of n-1, minus one
    m = n - 1
    bits = 0
    while m > 0:
        m >>= 1
        bits += 1
    k = bits - 1
    step = 1 << (k - 2)
    return (n + step - 1) // step * step


@kernel
def sds_header(length):
    """sdsReqType: header bytes of an sds string of ``length`` bytes."""
    if length < 32:
        return 1
    if length < 256:
        return 3
    if length < 65536:
        return 5
    if length < 4294967296:
        return 9
    return 17


@kernel
def value_bytes(size, vtype, quantum, shared_ok):
    """Bytes of a string value: embstr, raw, private int robj, or a shared integer (0)."""
    if vtype == VT_SHARED_INT:
        return 0 if shared_ok else ROBJ
    if vtype == VT_INT:
        return ROBJ
    if vtype == VT_AGGREGATE:     # robj + its elements' allocations, modelled as one payload of `size`
        return ROBJ + size_class(size, quantum)
    if size <= EMBSTR_MAX:
        return size_class(ROBJ + 3 + size + 1, quantum)
    return ROBJ + size_class(sds_header(size) + size + 1, quantum)


@kernel
def deferrable_bytes(size, vtype, quantum):
    """Bytes a lazyfree setting frees in the background: an aggregate value whose free effort
    (elements) exceeds LAZYFREE_THRESHOLD. Strings have effort 1: always freed synchronously."""
    if vtype == VT_AGGREGATE and size // AGGREGATE_ELEMENT_BYTES > LAZYFREE_THRESHOLD:
        return size_class(size, quantum)
    return 0


@kernel
def key_bytes(key_len, size, vtype, quantum, shared_ok):
    """Main-dict cost of one key: dictEntry + key sds + value (the TTL entry is separate)."""
    return (size_class(DICT_ENTRY, quantum) + size_class(sds_header(key_len) + key_len + 1, quantum)
            + value_bytes(size, vtype, quantum, shared_ok))


@kernel
def _digits(n):
    d = 1
    while n >= 10:
        n //= 10
        d += 1
    return d


@kernel
def argument_bytes(length, quantum):
    """One argument robj as ``processMultibulkBuffer`` builds it (embstr up to 44 B, else raw)."""
    if length <= EMBSTR_MAX:     # the common case, inline: one allocation of at most 64 bytes
        return (ROBJ + 3 + length + 1 + quantum - 1) // quantum * quantum
    return value_bytes(length, VT_STRING, quantum, False)


@kernel
def command_argv_bytes(op, key_len, size, ttl_ms, script, quantum):
    """Bytes of a command's argument objects and argv array, allocated before ``performEvictions``
    runs and freed after the command (MECHANICS §5.1, §10.6). ``script``: one ``EVALSHA sha 1 key op
    size ttl`` per request (the reference harness: the value is built inside Lua, outside
    used_memory); otherwise ``GET key`` / ``SET key value [PX ms]`` / ``DEL key``. A server command
    (op >= 3: ``FLUSHALL`` [``SYNC``/``ASYNC``], ``MEMORY PURGE``) is sent as itself either way."""
    if op >= 3:
        return _server_argv_bytes(op, quantum)
    key = argument_bytes(key_len, quantum)
    if script:       # EVALSHA (7) sha (40) "1" key op size ttl, and the argv array of 7 pointers
        return (argument_bytes(7, quantum) + 64 + 2 * argument_bytes(1, quantum) + key
                + argument_bytes(_digits(size), quantum) + argument_bytes(_digits(ttl_ms), quantum) + 56
                + (8 if quantum == 16 else 0))
    if op == 1:
        n = argument_bytes(3, quantum) + key + argument_bytes(size, quantum)
        if ttl_ms > 0:
            return n + argument_bytes(2, quantum) + argument_bytes(_digits(ttl_ms), quantum) + size_class(40, quantum)
        return n + size_class(24, quantum)
    return argument_bytes(3, quantum) + key + size_class(16, quantum)


@kernel
def _server_argv_bytes(op, quantum):
    """``FLUSHALL`` (3), ``FLUSHALL SYNC`` (4) / ``ASYNC`` (5), ``MEMORY PURGE`` (6): the argument
    objects and the argv array of ``argc`` pointers."""
    if op == 6:
        return argument_bytes(6, quantum) + argument_bytes(5, quantum) + size_class(16, quantum)
    if op == 3:
        return argument_bytes(8, quantum) + size_class(8, quantum)
    return argument_bytes(8, quantum) + argument_bytes(4 if op == 4 else 5, quantum) + size_class(16, quantum)


@kernel
def expire_entry_bytes(quantum):
    """The expires-dict dictEntry of a key with a TTL (it shares the key sds)."""
    return size_class(DICT_ENTRY, quantum)


def shared_integers_allowed(maxmemory: int, no_shared_integers: bool) -> bool:
    """Shared integers 0..9999 are used unless maxmemory is set with a policy that keeps per-key
    metadata in the object (Redis: MAXMEMORY_FLAG_NO_SHARED_INTEGERS, the LRU and LFU policies)."""
    return maxmemory == 0 or not no_shared_integers


def key_bytes_array(key_len, size, has_ttl, vtype=None, quantum: int = 16, shared_ok: bool = True,
                    cluster_enabled: bool = False):
    """Vectorised per-key bytes (main + expires entries) for trace statistics."""
    key_len = np.asarray(key_len, dtype=np.int64)
    size = np.asarray(size, dtype=np.int64)
    vt = np.zeros(len(size), np.int64) if vtype is None else np.asarray(vtype, dtype=np.int64)
    out = np.empty(len(size), np.int64)
    _key_bytes_loop(key_len, size, vt, quantum, shared_ok, out)
    out += cluster_entry_extra(cluster_enabled, quantum)
    return out + np.where(np.asarray(has_ttl, dtype=bool), size_class(DICT_ENTRY, quantum), 0)


@kernel
def _key_bytes_loop(key_len, size, vt, quantum, shared_ok, out):
    for i in range(len(size)):
        out[i] = key_bytes(key_len[i], size[i], vt[i], quantum, shared_ok)


@kernel
def key_part_bytes(key_len, quantum, main_entry):
    """dictEntry (``main_entry`` bytes requested) + key sds: the part of a key an overwrite keeps."""
    return size_class(main_entry, quantum) + size_class(sds_header(key_len) + key_len + 1, quantum)


def main_entry_request(cluster_enabled: bool) -> int:
    """Bytes ``dictAddRaw`` requests for a main-dict entry: ``sizeof(dictEntry)`` plus, in 7.0 cluster
    mode, the ``clusterDictEntryMetadata`` of the slot's key list (``dbDictType`` has
    ``dictEntryMetadataBytes``; ``keyptrDictType``, the expires dict, has none). 40 B is class 48
    with quantum 16 (+16 B a key), 40 with quantum 8 (+16 B)."""
    return DICT_ENTRY + (CLUSTER_ENTRY_METADATA if cluster_enabled else 0)


def cluster_entry_extra(cluster_enabled: bool, quantum: int) -> int:
    """What the slot metadata adds to a key's bytes: C(40) - C(24) (16 B with either quantum)."""
    return int(size_class(main_entry_request(cluster_enabled), quantum) - size_class(DICT_ENTRY, quantum))
