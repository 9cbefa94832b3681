"""A fast, seeded hash of integer ids to uniforms in [0, 1): splitmix64, vectorised with NumPy.

Used wherever a per-key decision must not depend on the order keys are met or on stored state:
spatial sampling (SHARDS), the stack-distance sample, and generators' per-key sizes and TTLs.
"""
from __future__ import annotations

import numpy as np

_MASK53 = float(2**-53)


def hash_uniform(ids: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64(id + salt) → float64 uniform in [0, 1), vectorised."""
    with np.errstate(over="ignore"):
        z = np.asarray(ids, dtype=np.uint64) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * _MASK53
