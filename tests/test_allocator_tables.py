"""The computed jemalloc 5.3 size-class table against jemalloc itself: the reference server's
``malloc_stats`` dump and a live redis-server's ``MEMORY MALLOC-STATS`` (started here)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evictsim.keyspace.allocator.malloc_stats import parse_malloc_stats
from evictsim.keyspace.allocator.size_classes import TCACHE_MAX, size_class_table
from evictsim.validate.server import start_redis

DUMPS = Path(__file__).parent / "data" / "reference" / "redis-7.0.15"


def check_against(stats: dict, quantum: int) -> int:
    """Assert header and every printed bin agree with the table; returns how many bins were checked."""
    table = size_class_table(quantum)
    head = stats["header"]
    assert head["quantum"] == quantum
    assert head["nbins"] == table.nbins
    assert head["nhbins"] == table.nhbins
    assert head["tcache_max"] == TCACHE_MAX
    small = {int(s): i for i, s in enumerate(table.size[:table.nbins])}
    assert set(stats["bins"]) <= set(small), "a bin size jemalloc printed is not a computed class"
    for size, row in stats["bins"].items():
        i = small[size]
        assert row["ind"] == i, size
        assert row["regs"] == table.nregs[i], size
        assert row["pgs"] == table.slab_pages[i], size
    return len(stats["bins"])


def test_size_class_rules_quantum_16():
    t = size_class_table(16)
    assert list(t.size[:10]) == [8, 16, 32, 48, 64, 80, 96, 112, 128, 160]
    assert t.small_max == 14336 and t.nbins == 36 and t.nhbins == 41
    # four classes per doubling above 64, each a multiple of a quarter of the group base
    for s in t.size[5:60]:
        base = 1 << (int(s - 1).bit_length() - 1)
        assert s % (base // 4) == 0
    # a slab is the first page multiple the class divides
    assert all((p * 4096) % s == 0 and all((q * 4096) % s for q in range(1, p))
               for s, p in zip(t.size[:t.nbins], t.slab_pages))
    assert t.class_of(24) == 2 and t.class_of(65) == 5 and t.class_of(16385) == t.nbins + 1


def test_size_class_rules_quantum_8():
    t = size_class_table(8)
    assert list(t.size[:8]) == [8, 16, 24, 32, 40, 48, 56, 64]
    assert t.nbins == 39 and list(t.size[8:12]) == list(size_class_table(16).size[5:9])
    with pytest.raises(ValueError):
        size_class_table(32)


def test_table_matches_reference_dumps():
    for name in ("frag_baseline.malloc_stats.txt", "frag_baseline.malloc_stats_after_purge.txt"):
        stats = parse_malloc_stats((DUMPS / name).read_text())
        assert check_against(stats, 16) >= 15


def test_tcache_fill_is_half_the_slots():
    """Early in a server's life (no GC yet), every bin's fills brought ``slots >> 1`` regions."""
    table = size_class_table(16)
    stats = parse_malloc_stats((DUMPS / "frag_baseline.malloc_stats.txt").read_text())
    checked = 0
    for size, row in stats["bins"].items():
        if row["nfills"] == 0:
            continue
        fill = int(table.tcache_slots[table.class_of(size)]) >> 1
        assert fill * row["nfills"] <= row["nmalloc"] < fill * (row["nfills"] + 1), size
        checked += 1
    assert checked >= 15


@pytest.mark.live
def test_table_matches_live_server():
    """Touch many classes on a fresh server, then read its MEMORY MALLOC-STATS."""
    sizes = [int(s) for s in size_class_table(16).size[:36]]
    with start_redis() as server, server.connect() as conn:
        commands = [("SET", f"k:{i}:{j}", "x" * max(45, s - 20)) for i, s in enumerate(sizes)
                    for j in range(3)]
        conn.pipeline(commands)
        stats = parse_malloc_stats(conn.call("MEMORY", "MALLOC-STATS").decode())
        info = conn.call("INFO", "memory").decode()
    assert "mem_allocator:jemalloc-5.3" in info
    assert check_against(stats, 16) >= 30
    printed = np.array(sorted(stats["bins"]))
    assert printed[-1] >= 8192
