"""The byte model against Redis's own numbers (MECHANICS §10) and the reference MEMORY USAGE sample."""
from __future__ import annotations

import numpy as np
import pytest

from evictsim.keyspace.memory import key_bytes, key_bytes_array, size_class
from evictsim.validate.reference_runs import RUNS

SMALL_CLASSES_Q16 = [8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768,
                     896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192,
                     10240, 12288, 14336]


def test_size_classes_are_jemalloc_bins():
    got = sorted({size_class(n, 16) for n in range(1, 14337)})
    assert got == SMALL_CLASSES_Q16
    assert [size_class(n, 16) for n in (14337, 16385, 20481)] == [16384, 20480, 24576]
    assert size_class(24, 8) == 24 and size_class(24, 16) == 32


@pytest.mark.parametrize("klen,size,vtype,expected", [
    (12, 10, 0, 80), (12, 44, 0, 112), (12, 45, 0, 128), (12, 100, 0, 176), (40, 20, 0, 128),
    (12, 1000, 0, 1088), (12, 0, 1, 64)])
def test_per_key_bytes_match_measured_redis(klen, size, vtype, expected):
    # MECHANICS §10.5: measured used_memory per key minus the bucket share (8 × 131072 / 100000)
    assert key_bytes(klen, size, vtype, 16, True) == expected


def test_shared_integers_cost_nothing_unless_lru_lfu_with_maxmemory():
    assert key_bytes(12, 4, 2, 16, True) == 48     # dictEntry + key only (§10.5: 56 with buckets)
    assert key_bytes(12, 4, 2, 16, False) == 64


def test_memory_usage_sample_of_the_reference_footprint_runs():
    """MEMORY USAGE = our main-dict bytes with sizeof(dictEntry)=24 instead of its 32-B class."""
    checked = 0
    for run in ("zipf__noeviction__nolimit", "zipf_ttl__noeviction__nolimit"):
        for s in RUNS[run]["memory_usage_sample"]:
            ours = key_bytes(len(s["key"]), s["value_size"], 0, 16, True) - 8
            assert ours == s["memory_usage"], s
            checked += 1
    assert checked >= 500


def test_vectorised_formula_adds_the_expires_entry():
    out = key_bytes_array([12, 12], [100, 100], [False, True])
    assert list(out) == [176, 208]


def test_quantum_8_is_the_upstream_build():
    assert key_bytes(12, 10, 0, 8, True) == 24 + 16 + 32
    assert np.all(np.diff([size_class(n, 8) for n in range(1, 65)]) >= 0)
