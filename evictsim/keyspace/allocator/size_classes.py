"""jemalloc 5.3's size-class table, computed the way ``src/sc.c`` and ``src/tcache.c`` compute it.

Nothing here is typed in: the classes come from jemalloc's group rule (``size_classes()``: tiny classes
below the quantum, then groups of ``2^lg_ngroup`` classes per doubling, ``size = 2^lg_base +
ndelta·2^lg_delta``), a class is a *bin* (slab-allocated) when ``size < 2^(lg_page + lg_ngroup)``
(16 KiB with 4 KiB pages), a bin's slab is the least common multiple of the page and the class size
(``slab_size()``: the first page multiple that the class divides), and the thread cache holds
``2·nregs`` regions per small class, made even and clamped to ``[tcache_nslots_small_min,
tcache_nslots_small_max]`` = [20, 200] (``tcache_ncached_max_compute``), ``tcache_nslots_large`` = 20
for large classes up to ``tcache_max`` (32 KiB). Tested against ``MEMORY MALLOC-STATS`` of a live
server and of the reference dumps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LG_PAGE = 12
LG_NGROUP = 2
LG_TINY_MIN = 3
PAGE = 1 << LG_PAGE
TCACHE_MAX = 32768               # opt.tcache_max
TCACHE_NSLOTS_SMALL_MIN = 20      # opt.tcache_nslots_small_min
TCACHE_NSLOTS_SMALL_MAX = 200     # opt.tcache_nslots_small_max
TCACHE_NSLOTS_LARGE = 20          # opt.tcache_nslots_large
LG_TCACHE_NSLOTS_MUL = 1          # opt.lg_tcache_nslots_mul
LARGEST_CLASS_LG = 40             # classes are listed up to 1 TiB: far past any simulated value
LOOKUP_MAX = 16384                # sizes up to here use a direct table (jemalloc's sz_size2index_tab)


def slab_pages(size: int, page: int = PAGE) -> int:
    """Pages of a slab for ``size``: the first page multiple that ``size`` divides (``sc.c: slab_size``)."""
    slab = page
    while slab % size:
        slab += page
    return slab // page


def _class_list(lg_quantum: int, lg_page: int = LG_PAGE, lg_ngroup: int = LG_NGROUP,
                lg_tiny_min: int = LG_TINY_MIN) -> list[int]:
    """Every size class up to 2^LARGEST_CLASS_LG, in jemalloc's order (``sc.c: size_classes``)."""
    sizes = []
    lg_base = lg_tiny_min
    while lg_base < lg_quantum:              # tiny classes: 8 when the quantum is 16
        sizes.append(1 << lg_base)
        lg_base += 1
    ngroup = 1 << lg_ngroup
    # first (pseudo) group: quantum-spaced classes up to 2^(lg_quantum + lg_ngroup)
    sizes.extend((1 << lg_quantum) * n for n in range(1, ngroup + 1))
    lg_base = lg_quantum + lg_ngroup
    while lg_base < LARGEST_CLASS_LG:
        lg_delta = lg_base - lg_ngroup
        sizes.extend((1 << lg_base) + (n << lg_delta) for n in range(1, ngroup + 1))
        lg_base += 1
    return sizes


def tcache_slots(nregs: int) -> int:
    """Thread-cache capacity of a small class (``tcache.c: tcache_ncached_max_compute``)."""
    low = TCACHE_NSLOTS_SMALL_MIN + TCACHE_NSLOTS_SMALL_MIN % 2
    high = TCACHE_NSLOTS_SMALL_MAX - TCACHE_NSLOTS_SMALL_MAX % 2
    candidate = nregs << LG_TCACHE_NSLOTS_MUL
    candidate += candidate % 2
    return min(max(candidate, low), high)


@dataclass(frozen=True)
class SizeClassTable:
    """The computed table. Arrays are indexed by class index (jemalloc's ``szind``)."""
    quantum: int
    size: np.ndarray          # int64, usable size of each class
    nbins: int                # classes < nbins are small (slab) classes
    nhbins: int               # classes < nhbins are thread-cached (size <= tcache_max)
    slab_pages: np.ndarray    # int64 per small class
    nregs: np.ndarray         # int64 per small class
    tcache_slots: np.ndarray  # int64 per thread-cached class
    lookup: np.ndarray        # int32, class of n for n <= LOOKUP_MAX, indexed by (n + 7) >> 3

    @property
    def small_max(self) -> int:
        return int(self.size[self.nbins - 1])

    def class_of(self, n: int) -> int:
        """Class index of a request of ``n`` bytes (n >= 1)."""
        return int(np.searchsorted(self.size, max(int(n), 1)))


def size_class_table(quantum: int = 16) -> SizeClassTable:
    """Build the table for jemalloc's ``--with-lg-quantum`` 3 (8 B) or 4 (16 B, Debian's build)."""
    if quantum not in (8, 16):
        raise ValueError(f"jemalloc quantum must be 8 or 16, not {quantum}")
    lg_quantum = quantum.bit_length() - 1
    sizes = np.array(_class_list(lg_quantum), dtype=np.int64)
    nbins = int(np.sum(sizes < (1 << (LG_PAGE + LG_NGROUP))))
    nhbins = int(np.sum(sizes <= TCACHE_MAX))
    pages = np.array([slab_pages(int(s)) for s in sizes[:nbins]], dtype=np.int64)
    nregs = pages * PAGE // sizes[:nbins]
    slots = np.array([tcache_slots(int(r)) for r in nregs] + [TCACHE_NSLOTS_LARGE] * (nhbins - nbins),
                     dtype=np.int64)
    granules = np.arange(LOOKUP_MAX // 8 + 1, dtype=np.int64) * 8
    lookup = np.searchsorted(sizes, np.maximum(granules, 1)).astype(np.int32)
    return SizeClassTable(quantum, sizes, nbins, nhbins, pages, nregs, slots, lookup)
