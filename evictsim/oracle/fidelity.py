"""Where evictsim's compiled kernel departs from Redis 7.0, as named switches of the oracle.

``KERNEL`` reproduces the kernel (what the differential tests compare against); ``REDIS`` follows
the Redis 7.0 source. Each switch is shown by a strict-xfail test in ``tests/test_oracle.py`` with
a minimal input, so a fix to the kernel turns that test into an unexpected pass.

Departures that are not switches here:

* fixed since the oracle found them: ``activerehashing no``; the 0-ms eviction time proc running
  on while the server is idle; the expansion veto seeing the new key's sds and value (allocated in
  ``dbAdd`` before ``dictAddRaw``); an eviction's ``freed`` as the used_memory delta around the
  delete (so a table freed by the victim's rehash step counts);
* left, and copied by the oracle: ``beforeSleep``'s fast expire cycle runs only at client-batch
  boundaries, not after each cron tick; cron rehashes 50,000 buckets in one ``dictRehash`` call
  (one 500,000 empty-visit budget) instead of 100-bucket calls for 1 ms; the wait for lazy frees
  ignores time already spent evicting and never happens with tenacity 100;
* the ``exact`` expiry mode (not Redis) deletes keys due at the same ms in heap order in the
  kernel and key-id order in the oracle; the tests keep expire times distinct.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fidelity:
    """``redis_lookups``: the dict lookups (and so the incremental-rehash steps, MECHANICS §9:
    "every find, add, delete or random-key call does one bucket step") each command makes.
    Redis 7.0 (db.c):

    * ``getExpire`` finds the key in ``expires`` and then, as a safety assert that is always
      evaluated, finds it again in the main dict: one more main-dict step per TTL key looked up;
    * ``dbOverwrite`` finds the key in the main dict again: one more step per overwrite;
    * ``dbGenericDelete`` calls ``dictDelete(expires)`` whenever ``expires`` is non-empty, even for
      a key without a TTL: a step on ``expires`` for every eviction or DEL of a persistent key;
    * DEL runs ``expireIfNeeded`` (no main-dict lookup) then ``dbSyncDelete`` even when the key is
      absent or was just expired, so DEL of a missing key still steps both dicts.

    The kernel makes one main find per command, finds ``expires`` only for present keys, deletes
    from ``expires`` only keys with a TTL, and does nothing at all for DEL of an absent key.

    ``noeviction_skips_lazyfree_wait``: under ``noeviction`` Redis 7.0's ``performEvictions``
    returns EVICT_FAIL at once (``goto update_metrics``, MECHANICS §5.3 step 2); only a policy that
    ran out of victims waits up to its time budget for pending lazy frees (step 6). The kernel waits
    under noeviction too, so a pending background free can turn the FAIL into OK.

    ``lazyfree_thread_clock``: the lazyfree thread starts on a value when it is queued (bio.c) and
    its clock never goes back. The kernel moves the thread's clock only in cron, in an eviction's
    wait and when a request finds work pending, so (a) a value queued after an idle stretch is
    credited with the time before it was queued (up to a cron period: 100 MB at 1 GB/s), and (b)
    after a wait credited ``last + budget`` the next call resets the clock to an earlier ``now``
    and credits that stretch again. Either way pending frees finish early.
    """

    redis_lookups: bool = False
    noeviction_skips_lazyfree_wait: bool = False
    lazyfree_thread_clock: bool = False


REDIS = Fidelity(redis_lookups=True, noeviction_skips_lazyfree_wait=True, lazyfree_thread_clock=True)
# The kernel was brought in line with Redis on all three (commit "Kernel follows Redis 7.0 where the
# oracle showed it departed"); the switches stay so the oracle can still show what each one costs.
KERNEL = REDIS
