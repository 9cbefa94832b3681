"""A pure-Python twin of the compiled allocator model, written from the same jemalloc rules with plain
Python structures (dicts, lists, ``min`` over a set instead of the pairing heap), so a property test can
check that both give the same handles and the same statistics on any alloc/free sequence.

Slab and large ids follow the same discipline as the compiled model (a LIFO stack of free ids, lowest
id first at the start), which makes handles directly comparable.
"""
from __future__ import annotations

from evictsim.keyspace.allocator.decay import BG_MIN_INTERVAL_US, PURGE_NPAGES_THRESHOLD
from evictsim.keyspace.allocator.layout import (
    EDATA_BYTES,
    GC_INCR_BYTES,
    NSTEPS,
    PAGE,
    RTREE_BYTES_PER_PAGE,
    SMOOTHSTEP_BFP,
)
from evictsim.keyspace.allocator.size_classes import size_class_table
from evictsim.keyspace.allocator.state import smootherstep_table


class TwinAllocator:
    def __init__(self, quantum: int = 16, *, dirty_decay_ms: int = 10_000, tcache: bool = True,
                 background_thread: bool = True, base_allocated: int = 0, base_active: int = 0, base_resident: int = 0):
        t = size_class_table(quantum)
        self.t, self.decay_ms, self.use_tcache = t, dirty_decay_ms, tcache
        self.base = (base_allocated, base_active, base_resident)
        self.slabs: dict[int, list] = {}               # id -> [cls, nfree, sn]
        self.free_slab_ids: list[int] = []              # LIFO; fresh ids counted by next_slab_id
        self.next_slab_id = 0
        self.large: dict[int, int] = {}                 # id -> cls
        self.free_large_ids: list[int] = []
        self.next_large_id = 0
        self.cur = [None] * t.nbins
        self.nonfull = [set() for _ in range(t.nbins)]
        self.cache = [[] for _ in range(t.nhbins)]      # bottom (oldest) first
        self.low = [0] * t.nhbins
        self.fill_div = [1] * t.nhbins
        self.refilled = [False] * t.nhbins
        self.sn = 0
        self.allocated = self.active = self.dirty = self.retained = self.mapped = 0
        self.live_extents = self.edata_hw = 0
        self.since_alloc = self.since_dalloc = 0
        self.next_gc = 0
        self.epoch = self.nunpurged = 0
        self.backlog = [0] * NSTEPS
        self.h = [int(v) for v in smootherstep_table()]
        self.bg, self.wake, self.woken, self.to_purge_new = background_thread, None, False, 0

    # pages ---------------------------------------------------------------------------------
    def _take(self, pages):
        reuse = min(self.dirty, pages)
        self.dirty -= reuse
        retained = min(self.retained, pages - reuse)
        self.retained -= retained
        self.mapped += pages - reuse - retained
        self.active += pages
        self.live_extents += 1
        self.edata_hw = max(self.edata_hw, self.live_extents)

    def _release(self, pages):
        self.active -= pages
        self.live_extents -= 1
        if self.decay_ms == 0:
            self.retained += pages
        else:
            self.dirty += pages

    # bins ----------------------------------------------------------------------------------
    def _bin_take(self, cls):
        s = self.cur[cls]
        if s is None or self.slabs[s][1] == 0:
            if self.nonfull[cls]:
                s = min(self.nonfull[cls], key=lambda i: self.slabs[i][2])
                self.nonfull[cls].discard(s)
            else:
                s = self.free_slab_ids.pop() if self.free_slab_ids else self._fresh_slab_id()
                self.slabs[s] = [cls, int(self.t.nregs[cls]), self.sn]
                self.sn += 1
                self._take(int(self.t.slab_pages[cls]))
            self.cur[cls] = s
        self.slabs[s][1] -= 1
        self.allocated += int(self.t.size[cls])
        return s

    def _fresh_slab_id(self):
        self.next_slab_id += 1
        return self.next_slab_id - 1

    def _bin_free(self, s):
        cls, nfree, sn = self.slabs[s]
        nfree += 1
        self.slabs[s][1] = nfree
        self.allocated -= int(self.t.size[cls])
        if nfree == self.t.nregs[cls]:
            if self.cur[cls] == s:
                self.cur[cls] = None
            self.nonfull[cls].discard(s)
            del self.slabs[s]
            self.free_slab_ids.append(s)
            self._release(int(self.t.slab_pages[cls]))
        elif nfree == 1 and self.cur[cls] != s:
            cur = self.cur[cls]
            if cur is not None and self.slabs[cur][2] > sn:
                if self.slabs[cur][1] > 0:
                    self.nonfull[cls].add(cur)
                self.cur[cls] = s
            else:
                self.nonfull[cls].add(s)

    def _arena_free(self, h):
        if h >= 0:
            self._bin_free(h)
            return
        ident = -h - 2
        cls = self.large.pop(ident)
        self.free_large_ids.append(ident)
        self._release(int(self.t.size[cls]) // PAGE + 1)
        self.allocated -= int(self.t.size[cls])

    def _large_new(self, cls):
        if self.free_large_ids:
            ident = self.free_large_ids.pop()
        else:
            ident = self.next_large_id
            self.next_large_id += 1
        self.large[ident] = cls
        self._take(int(self.t.size[cls]) // PAGE + 1)
        self.allocated += int(self.t.size[cls])
        return -(ident + 2)

    # thread cache --------------------------------------------------------------------------
    def _flush(self, cls, remain):
        stack = self.cache[cls]
        if len(stack) <= remain:
            return
        nflush = len(stack) - remain
        for h in stack[:nflush]:
            self._arena_free(h)
        del stack[:nflush]
        self.low[cls] = min(self.low[cls], remain)

    def _gc(self):
        cls = self.next_gc
        low, small = self.low[cls], cls < self.t.nbins
        if low > 0:
            n = len(self.cache[cls])
            if small:
                self._flush(cls, n - (low - low // 4))
                if int(self.t.tcache_slots[cls]) >> (self.fill_div[cls] + 1) >= 1:
                    self.fill_div[cls] += 1
            else:
                self._flush(cls, n - low + low // 4)
        elif small and self.refilled[cls]:
            self.fill_div[cls] = max(1, self.fill_div[cls] - 1)
            self.refilled[cls] = False
        self.low[cls] = len(self.cache[cls])
        self.next_gc = (cls + 1) % self.t.nhbins

    def alloc(self, nbytes):
        cls = self.t.class_of(nbytes)
        self.since_alloc += int(self.t.size[cls])
        if self.since_alloc >= GC_INCR_BYTES and self.use_tcache:
            self.since_alloc = 0
            self._gc()
        if self.use_tcache and cls < self.t.nhbins:
            stack = self.cache[cls]
            if not stack:
                if cls >= self.t.nbins:
                    return self._large_new(cls)
                nfill = int(self.t.tcache_slots[cls]) >> self.fill_div[cls]
                stack.extend(reversed([self._bin_take(cls) for _ in range(nfill)]))
                self.refilled[cls] = True
            h = stack.pop()
            self.low[cls] = min(self.low[cls], len(stack))
            return h
        return self._bin_take(cls) if cls < self.t.nbins else self._large_new(cls)

    def free(self, h):
        cls = self.slabs[h][0] if h >= 0 else self.large[-h - 2]
        self.since_dalloc += int(self.t.size[cls])
        if self.since_dalloc >= GC_INCR_BYTES and self.use_tcache:
            self.since_dalloc = 0
            self._gc()
        if self.use_tcache and cls < self.t.nhbins:
            if len(self.cache[cls]) == self.t.tcache_slots[cls]:
                self._flush(cls, int(self.t.tcache_slots[cls]) // 2)
            self.cache[cls].append(h)
            return
        self._arena_free(h)

    # decay ---------------------------------------------------------------------------------
    def _epoch(self, now_us):
        interval = self.decay_ms * 1000 // NSTEPS
        if now_us < self.epoch + interval:
            return None
        n = (now_us - self.epoch) // interval
        self.epoch += n * interval
        self.backlog = (self.backlog[n:] + [0] * min(n, NSTEPS))[:NSTEPS]
        self.backlog[-1] = max(0, self.dirty - self.nunpurged)
        self.nunpurged = max(self._limit(), self.dirty)
        return self.backlog[-1]

    def _limit(self):
        return sum(b * h for b, h in zip(self.backlog, self.h)) >> SMOOTHSTEP_BFP

    def _purge_to_limit(self):
        limit = self._limit()
        if self.dirty > limit:
            self.retained += self.dirty - limit
            self.dirty = limit

    def _after(self, k):
        h, b = self.h, self.backlog
        return (sum(b[i] * h[i] for i in range(k))
                + sum(b[i] * (h[i] - h[i - k]) for i in range(k, NSTEPS))) >> SMOOTHSTEP_BFP

    def _sleep_us(self):
        interval = self.decay_ms * 1000 // NSTEPS
        if self.dirty == 0 and not any(self.backlog):
            return None
        if self.dirty <= PURGE_NPAGES_THRESHOLD:
            return interval * NSTEPS
        lb, ub = 2, NSTEPS
        at_lb, at_ub = self._after(lb), self._after(ub)
        if at_lb > PURGE_NPAGES_THRESHOLD:
            return interval * lb
        if at_ub < PURGE_NPAGES_THRESHOLD:
            return interval * ub
        while at_lb + PURGE_NPAGES_THRESHOLD < at_ub and lb + 2 < ub:
            mid = (lb + ub) // 2
            at = self._after(mid)
            if at > PURGE_NPAGES_THRESHOLD:
                ub, at_ub = mid, at
            else:
                lb, at_lb = mid, at
        return interval * (ub + lb) // 2

    def advance(self, now_us):
        if self.decay_ms <= 0:
            return
        new = self._epoch(now_us)
        if not self.bg:
            if new is not None:
                self._purge_to_limit()
            return
        if self.wake is None:
            if self.dirty > 0:
                self.wake, self.woken = now_us, True
        elif new and self.wake > self.epoch:
            remaining = self.wake - self.epoch
            n_epoch = remaining // (self.decay_ms * 1000 // NSTEPS)
            purged = new if n_epoch >= NSTEPS else (new * (self.h[-1] - self.h[NSTEPS - 1 - n_epoch])
                                                    >> SMOOTHSTEP_BFP)
            self.to_purge_new += purged
            if self.to_purge_new > PURGE_NPAGES_THRESHOLD:
                self.to_purge_new = 0
                if remaining >= BG_MIN_INTERVAL_US:
                    self.wake = now_us
        if self.wake is not None and now_us >= self.wake:
            if not self.woken:
                self._purge_to_limit()
            self.woken = False
            sleep = self._sleep_us()
            self.wake = None if sleep is None else now_us + max(sleep, BG_MIN_INTERVAL_US)

    def purge(self):
        self.retained += self.dirty
        self.dirty = 0

    def stats(self):
        metadata = EDATA_BYTES * self.edata_hw + RTREE_BYTES_PER_PAGE * self.mapped
        metadata = -(-metadata // PAGE) * PAGE
        return (self.base[0] + self.allocated, self.base[1] + self.active * PAGE,
                self.base[2] + (self.active + self.dirty) * PAGE + metadata)
