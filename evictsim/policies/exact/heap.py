"""An indexed binary max-heap of key ids, step for step libCacheSim's ``pqueue.c``.

Belady's ties (every key with no next access has the same priority) are broken by the heap's
shape, so to evict the same key as libCacheSim the heap must move entries exactly as its
``bubble_up``/``percolate_down``/``pqueue_remove`` do: 1-based slots, ``cmp(a, b) = a < b``, the
right child chosen only when the left one compares lower, removal by moving the last slot into the
hole. ``slots[0]`` holds the heap's size plus one (libCacheSim's ``q->size``).
"""
from __future__ import annotations

import numpy as np

from evictsim.jit import kernel


def new_heap(capacity: int):
    """``slots`` (slot -> key; slots[0] = next free slot) and ``position`` (key -> slot, 0 = out)."""
    slots = np.zeros(capacity + 1, np.int64)
    slots[0] = 1
    return slots, np.zeros(capacity, np.int64)


def grow_heap(slots, position, capacity: int):
    grown_slots = np.zeros(capacity + 1, np.int64)
    grown_slots[:len(slots)] = slots
    grown_position = np.zeros(capacity, np.int64)
    grown_position[:len(position)] = position
    return grown_slots, grown_position


@kernel(inline=True)
def _bubble_up(slots, position, priority, i):
    moving = slots[i]
    moving_priority = priority[moving]
    parent = i >> 1
    while i > 1 and priority[slots[parent]] < moving_priority:
        slots[i] = slots[parent]
        position[slots[i]] = i
        i = parent
        parent = i >> 1
    slots[i] = moving
    position[moving] = i


@kernel(inline=True)
def _max_child(slots, priority, i):
    child = i << 1
    if child >= slots[0]:
        return 0
    if child + 1 < slots[0] and priority[slots[child]] < priority[slots[child + 1]]:
        child += 1
    return child


@kernel(inline=True)
def _percolate_down(slots, position, priority, i):
    moving = slots[i]
    moving_priority = priority[moving]
    child = _max_child(slots, priority, i)
    while child != 0 and moving_priority < priority[slots[child]]:
        slots[i] = slots[child]
        position[slots[i]] = i
        i = child
        child = _max_child(slots, priority, i)
    slots[i] = moving
    position[moving] = i


@kernel
def heap_insert(slots, position, priority, k):
    i = slots[0]
    slots[0] = i + 1
    slots[i] = k
    _bubble_up(slots, position, priority, i)


@kernel
def heap_change(slots, position, priority, k, new_priority):
    """Set ``k``'s priority (``pqueue_change_priority``)."""
    old = priority[k]
    priority[k] = new_priority
    if old < new_priority:
        _bubble_up(slots, position, priority, position[k])
    else:
        _percolate_down(slots, position, priority, position[k])


@kernel
def heap_remove(slots, position, priority, k):
    """Take ``k`` out (``pqueue_remove``; on the top entry it is ``pqueue_pop``)."""
    hole = position[k]
    last = slots[0] - 1
    slots[0] = last
    slots[hole] = slots[last]
    position[k] = 0
    if hole == last:
        return
    position[slots[hole]] = hole
    if priority[k] < priority[slots[hole]]:
        _bubble_up(slots, position, priority, hole)
    else:
        _percolate_down(slots, position, priority, hole)


@kernel(inline=True)
def heap_top(slots):
    return slots[1] if slots[0] > 1 else -1
