"""A key's allocations, piece by piece, through the allocator hook (:mod:`evictsim.keyspace.allocation`).

``charge_new_key`` allocates what ``dbAdd`` allocates (dictEntry, key sds, value), ``charge_value`` what
an overwrite allocates (the new value only: entry and key sds stay), and the ``release_*`` functions
the matching frees, each in the order Redis makes them (what a slab model's placement depends on).
With the default size-class model the totals equal :func:`memory.key_bytes`.
"""
from __future__ import annotations

from evictsim.jit import kernel

from evictsim.keyspace.allocation import (PIECE_ENTRY, PIECE_EXPIRE, PIECE_KEY, PIECE_VALUE,
                                          PIECE_VALUE_SDS, allocate, release)
from evictsim.keyspace.memory import EMBSTR_MAX, ROBJ, VT_AGGREGATE, VT_INT, VT_SHARED_INT, sds_header


@kernel
def charge_value(memory, k, size, vtype, shared_ok):
    """The value object: embstr (one allocation), raw (robj + sds), private int robj, shared int
    (nothing), or an aggregate (robj + its payload, modelled as one allocation)."""
    if vtype == VT_SHARED_INT:
        if shared_ok:
            return 0
        return allocate(memory, k, PIECE_VALUE, ROBJ)
    if vtype == VT_INT:
        return allocate(memory, k, PIECE_VALUE, ROBJ)
    if vtype == VT_AGGREGATE:
        payload = allocate(memory, k, PIECE_VALUE_SDS, size)
        return payload + allocate(memory, k, PIECE_VALUE, ROBJ)
    if size <= EMBSTR_MAX:
        return allocate(memory, k, PIECE_VALUE, ROBJ + 3 + size + 1)
    sds = allocate(memory, k, PIECE_VALUE_SDS, sds_header(size) + size + 1)   # sdsnewlen, then
    return sds + allocate(memory, k, PIECE_VALUE, ROBJ)                        # createObject


@kernel
def charge_new_key(memory, k, key_len, size, vtype, shared_ok):
    """Bytes of a new key's main-dict allocations except its dictEntry (allocated later by
    ``dictAddRaw``, after the expansion check: see ``set_key``)."""
    value = charge_value(memory, k, size, vtype, shared_ok)     # the argument object, built first
    return allocate(memory, k, PIECE_KEY, sds_header(key_len) + key_len + 1) + value


@kernel
def charge_entry(memory, k, piece, nbytes):
    """A dictEntry of ``nbytes`` (main dict: ``C_MAIN_ENTRY``, with cluster metadata; expires: 24)."""
    return allocate(memory, k, piece, nbytes)


@kernel
def release_value(memory, k):
    """``freeStringObject``: the sds, then the robj."""
    release(memory, k, PIECE_VALUE_SDS, -1)
    release(memory, k, PIECE_VALUE, -1)


@kernel
def release_key(memory, k, has_ttl):
    """``dbGenericDelete``: the expires entry first, then ``dictFreeUnlinkedEntry`` (key sds, value,
    the entry itself)."""
    if has_ttl:
        release(memory, k, PIECE_EXPIRE, -1)
    release(memory, k, PIECE_KEY, -1)
    release_value(memory, k)
    release(memory, k, PIECE_ENTRY, -1)
