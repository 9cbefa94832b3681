"""Twins of the ghost-keeping policies: ARC, 2Q and S3-FIFO (libCacheSim 0.3.5's variants)."""
from __future__ import annotations

from evictsim.oracle.policies.base import Queue, Twin


class ArcTwin(Twin):
    def __init__(self, cache_bytes, **params):
        super().__init__(cache_bytes)
        self.t1, self.t2, self.b1, self.b2 = Queue(), Queue(), Queue(), Queue()
        self.p, self.in_b1, self.in_b2, self.ghost_vtime, self.incoming = 0.0, False, False, -1, (0, -1)

    def admit(self, k, size, vtime):
        for ghost, other, sign in ((self.b1, self.b2, 1), (self.b2, self.b1, -1)):
            if k in ghost:
                delta = max(other.bytes() / ghost.bytes(), 1.0)
                self.p = min(self.p + delta, self.cache_bytes) if sign > 0 else max(self.p - delta, 0.0)
                self.in_b1, self.in_b2, self.ghost_vtime = sign > 0, sign < 0, vtime
                del ghost[k]
        self.incoming = (size, vtime)
        return True

    def hit(self, k, size, vtime, nxt):
        self.in_b1 = self.in_b2 = False
        if k in self.t1:
            self.t2.add(k, self.t1.pop(k))
        else:
            self.t2.move_to_end(k)

    def _ghost_hit_now(self, vtime):
        return self.ghost_vtime == vtime and (self.in_b1 or self.in_b2)

    def insert(self, k, size, vtime, nxt):
        if self._ghost_hit_now(vtime):
            self.t2.add(k, size)
            self.in_b1 = self.in_b2 = False
            self.ghost_vtime = -1
        else:
            self.t1.add(k, size)

    def remove(self, k):
        for q in (self.t1, self.t2):
            q.pop(k, None)

    def _replace(self):
        t1 = self.t1.bytes()
        take_t1 = (t1 > 0 and (t1 > self.p or (t1 == self.p and self.in_b2))) or not self.t2
        src, ghost = (self.t1, self.b1) if take_t1 else (self.t2, self.b2)
        k = src.oldest()
        ghost.add(k, src.pop(k))
        return k

    def victim(self, vtime):
        if not self.t1 and not self.t2:
            return None
        if self._ghost_hit_now(vtime):
            return self._replace()
        size, at = self.incoming
        incoming = size if at == vtime else 0
        if self.t1.bytes() + self.b1.bytes() + incoming > self.cache_bytes:
            if self.b1:
                self.b1.popitem(last=False)
                return self._replace()
            k = self.t1.oldest()
            del self.t1[k]
            return k
        total = sum(q.bytes() for q in (self.t1, self.t2, self.b1, self.b2))
        if total >= 2 * self.cache_bytes and self.b2:
            self.b2.popitem(last=False)
        return self._replace()


class TwoQTwin(Twin):
    def __init__(self, cache_bytes, ain_size_ratio=0.25, aout_size_ratio=0.5, **params):
        super().__init__(cache_bytes)
        self.ain_cap = int(cache_bytes * ain_size_ratio)
        self.aout_cap = int(cache_bytes * aout_size_ratio)
        self.am_cap = cache_bytes - self.ain_cap
        self.ain, self.am, self.aout = Queue(), Queue(), Queue()
        self.ghost_hit, self.am_check = None, False

    def admit(self, k, size, vtime):
        if k in self.aout:
            del self.aout[k]
            self.ghost_hit = (k, vtime)
        return size <= self.ain_cap

    def hit(self, k, size, vtime, nxt):
        if k in self.am:
            self.am.move_to_end(k)

    def insert(self, k, size, vtime, nxt):
        if self.ghost_hit == (k, vtime):
            self.ghost_hit = None
            self.am.add(k, size)
            self.am_check = True
        else:
            self.ain.add(k, size)

    def remove(self, k):
        self.ain.pop(k, None)
        self.am.pop(k, None)

    def victim(self, vtime):
        if self.ain.bytes() > self.ain_cap or not self.am:
            k = self.ain.oldest()
            if k is not None:
                size = self.ain.pop(k)
                if size <= self.aout_cap:
                    while self.aout.bytes() + size > self.aout_cap:
                        self.aout.popitem(last=False)
                    self.aout.add(k, size)
            return k
        k = self.am.oldest()
        del self.am[k]
        return k

    def overflow(self, vtime):
        if self.am_check and self.am.bytes() > self.am_cap:
            k = self.am.oldest()
            del self.am[k]
            return k
        self.am_check = False
        return None


class S3FifoTwin(Twin):
    def __init__(self, cache_bytes, small_size_ratio=0.1, ghost_size_ratio=0.9,
                 move_to_main_threshold=2, **params):
        super().__init__(cache_bytes)
        self.small_cap = int(cache_bytes * small_size_ratio)
        self.main_cap = cache_bytes - self.small_cap
        self.ghost_cap = int(cache_bytes * ghost_size_ratio)
        self.threshold = move_to_main_threshold
        self.small, self.main, self.ghost = Queue(), Queue(), Queue()
        self.count, self.ghost_hit, self.drop, self.evicted_once = {}, None, None, False

    def admit(self, k, size, vtime):
        if k in self.ghost:
            del self.ghost[k]
            self.ghost_hit = (k, vtime)
        return size <= self.small_cap

    def hit(self, k, size, vtime, nxt):
        self.count[k] += 1

    def insert(self, k, size, vtime, nxt):
        self.count[k] = 0
        if self.ghost_hit == (k, vtime):
            self.ghost_hit = None
            self.main.add(k, size)
        elif size >= self.small_cap:
            self.drop = k
        elif not self.evicted_once and self.small.bytes() >= self.small_cap:
            self.main.add(k, size)
        else:
            self.small.add(k, size)

    def remove(self, k):
        if self.drop == k:
            self.drop = None
        self.small.pop(k, None)
        self.main.pop(k, None)

    def _to_ghost(self, k, size):
        if self.ghost_cap <= 0 or size > self.ghost_cap:
            return
        while self.ghost.bytes() + size > self.ghost_cap:
            self.ghost.popitem(last=False)
        self.ghost.add(k, size)

    def victim(self, vtime):
        self.evicted_once = True
        while True:
            if self.main.bytes() > self.main_cap or not self.small:
                while self.main:
                    k = self.main.oldest()
                    size = self.main.pop(k)
                    if self.count[k] == 0:
                        return k
                    self.main.add(k, size)
                    self.count[k] = min(self.count[k], 3) - 1
                return None
            while self.small:
                k = self.small.oldest()
                size = self.small.pop(k)
                if self.count[k] >= self.threshold:
                    self.main.add(k, size)
                    self.count[k] = 0
                else:
                    self._to_ghost(k, size)
                    return k

    def overflow(self, vtime):
        return self.drop
