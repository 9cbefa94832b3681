"""A model of jemalloc 5.3 as Redis 7.0 uses it: size classes, slabs, thread cache, dirty-page decay.

What it answers: given the allocations and frees Redis makes, what ``allocator_allocated``,
``allocator_active``, ``allocator_resident`` and ``used_memory_rss`` would be (MECHANICS §13).

API (the core calls the compiled functions from its own kernels):

* ``new_allocator(quantum=16, *, max_slabs, max_large, dirty_decay_ms=10000, tcache=True, ...)``
  -> ``AllocatorState`` (Python); ``grow(state)`` -> a larger copy; ``headroom(state)``.
* compiled: ``alloc(state, nbytes, now_us) -> int64 handle``, ``free(state, handle, now_us)``,
  ``advance(state, now_us)`` (decay; call it from the cron), ``purge(state)``,
  ``stats(state) -> (allocated, active, resident)``, ``rss(state)``.
* ``info_fields(...)`` (``metrics.py``): INFO's ratios and ``_bytes`` from cron samples.

Modules: ``layout`` (the state's slots), ``state`` (its arrays), ``bins`` (slabs, large extents,
pages), ``kernels`` (the thread cache, alloc, free), ``decay`` (dirty pages, the background
thread), ``defrag``; the allocator hook's queue is ``model`` and ``drain``; INFO's fields
``metrics`` and ``columns``; ``replay`` and ``twin`` replay a request stream outside the engine.
"""
from evictsim.keyspace.allocator.decay import advance, purge
from evictsim.keyspace.allocator.kernels import alloc, alloc_call, free, free_call, rss, stats
from evictsim.keyspace.allocator.state import AllocatorState, grow, headroom, new_allocator

__all__ = ["AllocatorState", "advance", "alloc", "alloc_call", "free", "free_call", "grow", "headroom",
           "new_allocator", "purge", "rss", "stats"]
