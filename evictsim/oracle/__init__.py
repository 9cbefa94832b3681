"""A pure-Python oracle of evictsim's compiled kernel: the same Redis 7.0 mechanics, written for
clarity (Python lists for hash chains, a list of 16 pool slots, functions named after their Redis
counterparts), slow, and independent of the numba code.

It draws from the same splitmix64 stream (``PyRng``), seeded and hashed the same way
(``derive_seed(seed, "server-rng")``, ``derive_seed(seed, "hash-seed")``, ``py_key_hash``), in the
same order as the kernel, so on the same inputs it must produce identical per-request outcomes and
counters. ``tests/test_oracle.py`` checks that. The oracle follows the Redis 7.0 source; where the
kernel once departed from it, the oracle caught the departure, the kernel was fixed, and a test in
``tests/test_oracle.py`` shows it with a minimal input.

Policies: the oracle reads what a policy is from the registry (:data:`evictsim.policies.POLICIES`),
never from its name. Redis's eight (family ``redis-pool``) are modelled here (``evict.py``: the
eviction pool, ``dictGetRandomKey``; ``clocks.py``: LRU/LFU). A plug-in policy (any other family)
brings its own pure-Python twin in ``spec.params["oracle_twin"]`` (see :mod:`evictsim.oracle.policy`),
which the oracle drives exactly where the kernel calls the compiled hooks.

Departures from Redis 7.0 that remain, deliberately:

* fixed since the oracle found them: the dict lookups (and so incremental-rehash steps) of
  ``getExpire``, ``dbOverwrite``, ``dbGenericDelete`` and DEL of an absent or stale key;
  ``noeviction`` failing at once instead of waiting for lazy frees; the lazyfree thread's clock
  (starting when a value is queued, never going back); ``activerehashing no``; the 0-ms eviction
  time proc running on while the server is idle; the expansion veto seeing the new key's sds and
  value (allocated in ``dbAdd`` before ``dictAddRaw``); an eviction's ``freed`` as the used_memory
  delta around the delete (so a table freed by the victim's rehash step counts);
* left, and copied by the oracle: ``beforeSleep``'s fast expire cycle runs only at client-batch
  boundaries, not after each cron tick; cron rehashes 50,000 buckets in one ``dictRehash`` call
  (one 500,000 empty-visit budget) instead of 100-bucket calls for 1 ms; the wait for lazy frees
  ignores time already spent evicting and never happens with tenacity 100;
* the ``exact`` expiry mode (not Redis) deletes keys due at the same ms in heap order in the
  kernel and key-id order in the oracle; the tests keep expire times distinct.
"""
from evictsim.oracle.driver import next_access_vtimes, run_oracle

__all__ = ["run_oracle", "next_access_vtimes"]
