"""Twins of the single-queue policies: LRU, FIFO, CLOCK, SIEVE and exact LFU."""
from __future__ import annotations

from evictsim.oracle.policies.base import Queue, Twin


class LruTwin(Twin):
    def __init__(self, cache_bytes, **params):
        super().__init__(cache_bytes)
        self.queue = Queue()

    def hit(self, k, size, vtime, nxt):
        self.queue.move_to_end(k)

    def insert(self, k, size, vtime, nxt):
        self.queue.add(k, size)

    def remove(self, k):
        del self.queue[k]

    def victim(self, vtime):
        return self.queue.oldest()


class FifoTwin(LruTwin):
    def hit(self, k, size, vtime, nxt):
        pass


class ClockTwin(LruTwin):
    def __init__(self, cache_bytes, clock_bits=1, init_freq=0, **params):
        super().__init__(cache_bytes)
        self.limit, self.start, self.count = (1 << clock_bits) - 1, init_freq, {}

    def hit(self, k, size, vtime, nxt):
        self.count[k] = min(self.count[k] + 1, self.limit)

    def insert(self, k, size, vtime, nxt):
        self.queue.add(k, size)
        self.count[k] = self.start

    def victim(self, vtime):
        while self.queue and self.count[self.queue.oldest()] > 0:
            k = self.queue.oldest()
            self.count[k] -= 1
            self.queue.move_to_end(k)
        return self.queue.oldest()


class SieveTwin(Twin):
    """Keys in a Python list, oldest first; the hand is an index walking towards newer keys."""

    def __init__(self, cache_bytes, **params):
        super().__init__(cache_bytes)
        self.order, self.visited, self.hand = [], {}, None   # hand: a key, or None = start at oldest

    def hit(self, k, size, vtime, nxt):
        self.visited[k] = True

    def insert(self, k, size, vtime, nxt):
        self.order.append(k)
        self.visited[k] = False

    def _newer(self, k):
        i = self.order.index(k)
        return self.order[i + 1] if i + 1 < len(self.order) else None

    def remove(self, k):
        if self.hand == k:
            self.hand = self._newer(k)
        self.order.remove(k)
        del self.visited[k]

    def victim(self, vtime):
        if not self.order:
            return None
        k = self.hand if self.hand is not None else self.order[0]
        while self.visited[k]:
            self.visited[k] = False
            newer = self._newer(k)
            k = self.order[0] if newer is None else newer
        self.hand = self._newer(k)
        return k


class LfuTwin(Twin):
    """Fewest hits since insertion; ties to the key that reached that count first."""

    def __init__(self, cache_bytes, **params):
        super().__init__(cache_bytes)
        self.count, self.since = {}, {}

    def hit(self, k, size, vtime, nxt):
        self.count[k] += 1
        self.since[k] = vtime

    def insert(self, k, size, vtime, nxt):
        self.count[k], self.since[k] = 1, vtime

    def remove(self, k):
        del self.count[k], self.since[k]

    def victim(self, vtime):
        return min(self.count, key=lambda k: (self.count[k], self.since[k]), default=None)
