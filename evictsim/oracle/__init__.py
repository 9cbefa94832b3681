"""A pure-Python oracle of evictsim's compiled kernel: the same Redis 7.0 mechanics, written for
clarity (Python lists for hash chains, a list of 16 pool slots, functions named after their Redis
counterparts), slow, and independent of the numba code.

It draws from the same splitmix64 stream (``PyRng``), seeded and hashed the same way
(``derive_seed(seed, "server-rng")``, ``derive_seed(seed, "hash-seed")``, ``py_key_hash``), in the
same order as the kernel, so on the same inputs it must produce identical per-request outcomes and
counters. ``tests/test_oracle.py`` checks that. Where the kernel departs from Redis (MECHANICS.md),
the oracle makes the departure an explicit, named switch (:class:`Fidelity`) instead of copying it
silently; the tests show each one with a minimal input.
"""
from evictsim.oracle.driver import run_oracle
from evictsim.oracle.fidelity import KERNEL, REDIS, Fidelity

__all__ = ["run_oracle", "Fidelity", "KERNEL", "REDIS"]
