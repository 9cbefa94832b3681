"""Where evictsim's compiled kernel departs from Redis 7.0, as named switches of the oracle.

``KERNEL`` reproduces the kernel (what the differential tests compare against); ``REDIS`` follows
the Redis 7.0 source. Each switch is shown by a strict-xfail test in ``tests/test_oracle.py`` with
a minimal input, so a fix to the kernel turns that test into an unexpected pass.
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
    """

    redis_lookups: bool = False


KERNEL = Fidelity()
REDIS = Fidelity(redis_lookups=True)
