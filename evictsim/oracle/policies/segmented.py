"""Twins of the segmented policies: SLRU (libCacheSim 0.3.5's) and W-TinyLFU (Caffeine-shaped)."""
from __future__ import annotations

from evictsim.oracle.policies.base import Queue, Twin

MASK64 = (1 << 64) - 1
SEEDS = (0x97CB3127C2B2AE35, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)


class SlruTwin(Twin):
    def __init__(self, cache_bytes, segments=4, **params):
        super().__init__(cache_bytes)
        self.cap = cache_bytes // segments
        self.segments = [Queue() for _ in range(segments)]
        self.cooled_first = False

    def _segment_of(self, k):
        return next(i for i, s in enumerate(self.segments) if k in s)

    def admit(self, k, size, vtime):
        return size <= self.cap

    def hit(self, k, size, vtime, nxt):
        i = self._segment_of(k)
        if i == len(self.segments) - 1:
            self.segments[i].move_to_end(k)
            return
        self.segments[i + 1].add(k, self.segments[i].pop(k))
        for upper in range(i + 1, 0, -1):
            while self.segments[upper].bytes() > self.cap:
                moved = self.segments[upper].oldest()
                self.segments[upper - 1].add(moved, self.segments[upper].pop(moved))
                self.cooled_first |= upper == 1

    def insert(self, k, size, vtime, nxt):
        room = [i for i, s in enumerate(self.segments) if s.bytes() + size <= self.cap]
        self.segments[room[0] if room else 0].add(k, size)

    def remove(self, k):
        for s in self.segments:
            s.pop(k, None)

    def victim(self, vtime):
        for s in self.segments:
            if s.bytes() > 0:
                k = s.oldest()
                del s[k]
                return k
        return None

    def overflow(self, vtime):
        if self.cooled_first and self.segments[0].bytes() > self.cap:
            k = self.segments[0].oldest()
            del self.segments[0][k]
            return k
        self.cooled_first = False
        return None


class Sketch:
    """Four rows of counters capped at 15, a doorkeeper, halving after ``sample`` records."""

    def __init__(self, width, sample_factor):
        self.bits = max(4, (max(width, 16) - 1).bit_length())
        self.rows = [[0] * (1 << self.bits) for _ in SEEDS]
        self.door = set()
        self.sample, self.added = sample_factor << self.bits, 0

    def _index(self, k, row):
        h = ((k + 1) * SEEDS[row]) & MASK64
        h ^= h >> 31
        h = (h * 0x9E3779B97F4A7C15) & MASK64
        return h >> (64 - self.bits)

    def record(self, k):
        if self._index(k, 0) not in self.door:
            self.door.add(self._index(k, 0))
        else:
            for r, row in enumerate(self.rows):
                row[self._index(k, r)] = min(row[self._index(k, r)] + 1, 15)
        self.added += 1
        if self.added >= self.sample:
            self.rows = [[c >> 1 for c in row] for row in self.rows]
            self.door.clear()
            self.added //= 2

    def estimate(self, k):
        low = min(row[self._index(k, r)] for r, row in enumerate(self.rows))
        return low + (self._index(k, 0) in self.door)


class WTinyLfuTwin(Twin):
    def __init__(self, cache_bytes, window_ratio=0.01, protected_ratio=0.8, sketch_width=0,
                 sample_factor=10, key_capacity=16, **params):
        super().__init__(cache_bytes)
        self.window_cap = int(cache_bytes * window_ratio)
        self.main_cap = cache_bytes - self.window_cap
        self.protected_cap = int(self.main_cap * protected_ratio)
        self.window, self.probation, self.protected = Queue(), Queue(), Queue()
        self.sketch = Sketch(sketch_width or key_capacity, sample_factor)
        self.incoming = (0, -1)

    def admit(self, k, size, vtime):
        self.sketch.record(k)
        self.incoming = (size, vtime)
        rival = self._main_victim()
        held = self.window.bytes() + self.probation.bytes() + self.protected.bytes()
        if size <= self.window_cap or rival is None or held + size <= self.cache_bytes:
            return True
        return self.sketch.estimate(k) > self.sketch.estimate(rival)

    def hit(self, k, size, vtime, nxt):
        self.sketch.record(k)
        if k in self.probation:
            self.protected.add(k, self.probation.pop(k))
            while self.protected.bytes() > self.protected_cap:
                demoted = self.protected.oldest()
                self.probation.add(demoted, self.protected.pop(demoted))
        else:
            (self.window if k in self.window else self.protected).move_to_end(k)

    def insert(self, k, size, vtime, nxt):
        self.window.add(k, size)

    def remove(self, k):
        for q in (self.window, self.probation, self.protected):
            q.pop(k, None)

    def _main_victim(self):
        return self.probation.oldest() if self.probation else self.protected.oldest()

    def _shrink_window(self, incoming):
        while self.window and self.window.bytes() + incoming > self.window_cap:
            candidate = self.window.oldest()
            if self.probation.bytes() + self.protected.bytes() + self.window[candidate] <= self.main_cap:
                self.probation.add(candidate, self.window.pop(candidate))
                continue
            rival = self._main_victim()
            if rival is None or self.sketch.estimate(candidate) <= self.sketch.estimate(rival):
                del self.window[candidate]
                return candidate
            self.remove(rival)
            return rival
        return None

    def victim(self, vtime):
        size, at = self.incoming
        k = self._shrink_window(size if at == vtime else 0)
        if k is None:
            k = self._main_victim()
            if k is None:
                k = self.window.oldest()
            if k is not None:
                self.remove(k)
        return k

    def overflow(self, vtime):
        return self._shrink_window(0)
