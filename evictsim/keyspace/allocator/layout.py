"""The jemalloc model's state layout: the slots of its counter and parameter vectors, page and
decay constants, and what a handle is (:mod:`.kernels` for the model itself, :mod:`.state` for the
arrays). One module of names that the arena, the thread cache, decay and defrag all index with."""
from __future__ import annotations

import numpy as np

PAGE = 4096
NSTEPS = 200                 # SMOOTHSTEP_NSTEPS: decay epochs per decay window
SMOOTHSTEP_BFP = 24          # fixed-point bits of jemalloc's h_steps table
GC_INCR_BYTES = 65536        # opt.tcache_gc_incr_bytes
EDATA_BYTES = 128            # EDATA_ALIGNMENT: one extent descriptor in jemalloc's base allocator
RTREE_BYTES_PER_PAGE = 8     # one rtree leaf element per mapped page
LOOKUP_MAX = 16384

# counters[] slots
(C_ALLOCATED, C_ACTIVE_PAGES, C_DIRTY_PAGES, C_RETAINED_PAGES, C_MAPPED_PAGES, C_SN, C_FREE_SLABS,
 C_FREE_LARGE, C_ALLOC_SINCE_GC, C_DALLOC_SINCE_GC, C_NEXT_GC_BIN, C_EPOCH_US, C_NUNPURGED,
 C_PURGED_PAGES, C_LIVE_EXTENTS, C_EDATA_HW, C_OVERFLOW, C_NSLABS, C_NLARGE, C_TCACHE_BYTES,
 C_BG_WAKE_US, C_BG_WOKEN, C_TO_PURGE_NEW, C_NCOUNTERS) = range(24)
# params[] slots
(P_NBINS, P_NHBINS, P_DECAY_MS, P_TCACHE, P_BASE_ALLOCATED, P_BASE_ACTIVE, P_BASE_RESIDENT,
 P_PROCESS_RSS, P_BG_THREAD, P_NPARAMS) = range(10)
SLEEP_FOREVER = -1               # counters[C_BG_WAKE_US] while the background thread idles
NO_SLOT = -1                     # the handle alloc returns when no slab / extent slot was left
# Where a caller records handles (a row per key): int32 (slab and extent ids are far below 2**31),
# half the bytes of a table as large as the keyspace, and this value for "no region".
HANDLE_DTYPE = np.int32
NO_HANDLE = np.iinfo(HANDLE_DTYPE).min
