"""The lazyfree (bio) thread (lazyfree.c; MECHANICS §12): values handed to ``freeObjAsync`` stay in
``used_memory`` until the background thread frees them, modelled as a byte queue drained at
``lazyfree-bytes-per-s`` of simulated time. The thread starts on a value when the value is queued
(bio.c) and its clock never goes back, so no stretch of time is credited twice (an eviction's wait
for lazy frees credits time ahead of the main thread's clock).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LazyFreeQueue:
    bytes_per_us: float
    last_us: int                      # simulated time the thread has worked up to
    pending_bytes: int = 0            # lazyfree_pending_objects' bytes, still in used_memory
    pending_objects: int = 0
    freed_bytes: int = 0
    freed_objects: int = 0            # lazyfreed_objects

    def free_async(self, nbytes: int, now_us: int) -> None:
        """``freeObjAsync`` of a value worth freeing in the background, at ``now_us``."""
        if nbytes > 0:
            if self.pending_bytes == 0:
                self.last_us = max(self.last_us, now_us)      # an idle thread starts now
            self.pending_bytes += nbytes
            self.pending_objects += 1


def lazyfree_progress(q: LazyFreeQueue, now_us: int) -> None:
    """The thread frees ``bytes_per_us`` per µs since it last ran; objects count as freed when the
    queue empties. Its clock then moves to ``now_us`` unless it was already credited beyond."""
    if q.pending_bytes > 0 and now_us > q.last_us:
        done = min(q.pending_bytes, int((now_us - q.last_us) * q.bytes_per_us))
        if done > 0:
            q.pending_bytes -= done
            q.freed_bytes += done
            if q.pending_bytes == 0:
                q.freed_objects += q.pending_objects
                q.pending_objects = 0
    q.last_us = max(q.last_us, now_us)
