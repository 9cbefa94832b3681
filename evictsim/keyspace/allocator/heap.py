"""Pairing heaps of slabs, one per size class, threaded through per-slab link arrays.

jemalloc keeps each bin's non-full slabs in a pairing heap (``edata_heap``, ordered by serial number
then address: ``edata_snad_comp``) and always refills from its minimum, so new regions go to the
oldest/lowest non-full slab. The same structure here: a slab is a node (its index), ``key`` is its
serial number, and the links live in three int32 arrays shared by all classes (a slab is in at most
one heap). Insert, delete-min and delete-any are O(1) / O(log n) amortised, with no allocation.
Nodes: ``child`` = first child, ``sibling`` = next sibling, ``prev`` = parent if first child else
previous sibling (-1 for a root).
"""
from __future__ import annotations

from evictsim.keyspace.allocator.compile import kernel


@kernel
def heap_meld(a, b, key, child, sibling, prev):
    """Meld two heap roots; the one with the smaller key stays root."""
    if a < 0:
        return b
    if b < 0:
        return a
    if key[b] < key[a]:
        a, b = b, a
    first = child[a]
    sibling[b] = first
    if first >= 0:
        prev[first] = b
    prev[b] = a
    child[a] = b
    return a


@kernel
def heap_insert(root, node, key, child, sibling, prev):
    child[node] = -1
    sibling[node] = -1
    prev[node] = -1
    return heap_meld(root, node, key, child, sibling, prev)


@kernel
def heap_merge_children(node, key, child, sibling, prev):
    """Two-pass pairing of ``node``'s children; returns the new root (``node`` is detached)."""
    x = child[node]
    child[node] = -1
    stack = -1                       # pass 1 results, linked through sibling (right-to-left)
    while x >= 0:
        a = x
        b = sibling[a]
        nxt = -1
        if b >= 0:
            nxt = sibling[b]
        sibling[a] = -1
        prev[a] = -1
        if b >= 0:
            sibling[b] = -1
            prev[b] = -1
            a = heap_meld(a, b, key, child, sibling, prev)
        sibling[a] = stack
        stack = a
        x = nxt
    if stack < 0:
        return -1
    result = stack
    nxt = sibling[result]
    sibling[result] = -1
    while nxt >= 0:
        y = nxt
        nxt = sibling[y]
        sibling[y] = -1
        result = heap_meld(result, y, key, child, sibling, prev)
    prev[result] = -1
    sibling[result] = -1
    return result


@kernel
def heap_delete(root, node, key, child, sibling, prev):
    """Remove ``node`` (any member) from the heap rooted at ``root``; returns the new root."""
    if node == root:
        return heap_merge_children(node, key, child, sibling, prev)
    parent = prev[node]
    nxt = sibling[node]
    if child[parent] == node:
        child[parent] = nxt
    else:
        sibling[parent] = nxt
    if nxt >= 0:
        prev[nxt] = parent
    sibling[node] = -1
    prev[node] = -1
    sub = heap_merge_children(node, key, child, sibling, prev)
    return heap_meld(root, sub, key, child, sibling, prev)
