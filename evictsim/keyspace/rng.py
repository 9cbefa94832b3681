"""Deterministic random streams for the kernel: splitmix64, identical in compiled and pure Python.

Redis draws from ``random()``/``rand()``; evictsim draws from its own seeded stream so the same seed
gives the same bytes, and the pure-Python oracle can reproduce every draw exactly. The same mixer
hashes key ids into 64-bit hash values (Redis uses SipHash with a random per-process seed; what
matters is that bucket positions are pseudo-random and fixed per key until a resize).
"""
from __future__ import annotations

import numpy as np
from evictsim.jit import kernel

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
MASK64 = (1 << 64) - 1


@kernel
def mix64(x):
    x = (x ^ (x >> np.uint64(30))) * M1
    x = (x ^ (x >> np.uint64(27))) * M2
    return x ^ (x >> np.uint64(31))


@kernel
def rng_next(rng):
    """Next 64-bit draw of the stream whose state is ``rng[0]``."""
    s = rng[0] + GOLDEN
    rng[0] = s
    return mix64(s)


@kernel
def rng_double(rng):
    """Uniform in [0, 1) with 53 bits."""
    return np.float64(rng_next(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel
def key_hash(k, seed):
    """64-bit hash of key id ``k`` under the run's hash seed."""
    return mix64(np.uint64(k) ^ seed)


# --- pure-Python twins (the oracle and tests use these) ---------------------------------------

def py_mix64(x: int) -> int:
    x &= MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class PyRng:
    """Pure-Python splitmix64 stream, draw-for-draw equal to :func:`rng_next`."""

    def __init__(self, state: int):
        self.state = state & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        return py_mix64(self.state)

    def double(self) -> float:
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def py_key_hash(k: int, seed: int) -> int:
    return py_mix64(k ^ seed)


def derive_seed(seed: int, stream: str) -> int:
    """A 64-bit seed for one named stream of a run (hash seed, eviction RNG, ...)."""
    x = seed & MASK64
    for ch in stream.encode():
        x = py_mix64(x ^ ch)
    return x
