"""Twins of the clairvoyant policies: Belady (MIN) and size-aware Belady."""
from __future__ import annotations

from evictsim.oracle.policies.base import Twin

NEVER = (1 << 63) - 1


class PQueue:
    """libCacheSim's pqueue.c (a 1-based binary max-heap, ``cmp = a < b``) over Python lists."""

    def __init__(self):
        self.items, self.pri, self.pos = [None], {}, {}

    def _place(self, i, k):
        self.items[i] = k
        self.pos[k] = i

    def _up(self, i):
        k = self.items[i]
        while i > 1 and self.pri[self.items[i // 2]] < self.pri[k]:
            self._place(i, self.items[i // 2])
            i //= 2
        self._place(i, k)

    def _down(self, i):
        k, n = self.items[i], len(self.items)
        while True:
            child = 2 * i
            if child >= n:
                break
            if child + 1 < n and self.pri[self.items[child]] < self.pri[self.items[child + 1]]:
                child += 1
            if not self.pri[k] < self.pri[self.items[child]]:
                break
            self._place(i, self.items[child])
            i = child
        self._place(i, k)

    def push(self, k, pri):
        self.pri[k] = pri
        self.items.append(k)
        self._up(len(self.items) - 1)

    def change(self, k, pri):
        old, self.pri[k] = self.pri[k], pri
        (self._up if old < pri else self._down)(self.pos[k])

    def remove(self, k):
        hole, last = self.pos.pop(k), self.items.pop()
        if last != k:
            self._place(hole, last)
            (self._up if self.pri[k] < self.pri[last] else self._down)(hole)
        del self.pri[k]

    def top(self):
        return self.items[1] if len(self.items) > 1 else None


class BeladyTwin(Twin):
    def __init__(self, cache_bytes, **params):
        super().__init__(cache_bytes)
        self.heap = PQueue()

    def hit(self, k, size, vtime, nxt):
        self.heap.change(k, nxt)

    def insert(self, k, size, vtime, nxt):
        self.heap.push(k, nxt)

    def remove(self, k):
        self.heap.remove(k)

    def victim(self, vtime):
        return self.heap.top()


class BeladySizeTwin(Twin):
    """Largest ``size * (next - vtime - 1)`` among all residents (first in insertion-slot order)."""

    def __init__(self, cache_bytes, **params):
        super().__init__(cache_bytes)
        self.members, self.size, self.next, self.drop = [], {}, {}, None

    def hit(self, k, size, vtime, nxt):
        self.next[k] = nxt
        if nxt == NEVER:
            self.drop = k

    def insert(self, k, size, vtime, nxt):
        self.members.append(k)
        self.size[k], self.next[k] = size, nxt
        if nxt == NEVER:
            self.drop = k

    def remove(self, k):
        i = self.members.index(k)            # swap-with-last, as the compiled dense array does
        self.members[i] = self.members[-1]
        self.members.pop()
        if self.drop == k:
            self.drop = None

    def victim(self, vtime):
        scores = [(self.size[k] * (self.next[k] - vtime - 1), -i) for i, k in enumerate(self.members)]
        return self.members[-max(scores)[1]] if scores else None

    def overflow(self, vtime):
        return self.drop
