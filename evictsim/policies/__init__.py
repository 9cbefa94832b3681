"""Eviction policies, registered by name in :data:`POLICIES`.

Redis's eight ``maxmemory-policy`` values are one mechanism (a sampled, persistent eviction pool, or
``dictGetRandomKey``) crossed with a scope (``allkeys``/``volatile``) and a rank (``lru``, ``lfu``,
``ttl``, ``random``); they register in one loop below. Exact research policies register in the same
registry with their own kernel id and the same contract: the keyspace owns keys and memory, the
policy only ranks and names a victim.
"""
from __future__ import annotations

from dataclasses import dataclass

from evictsim.registry import Registry

# Kernel policy codes (the compiled kernel switches on these).
NOEVICTION, ALLKEYS_LRU, ALLKEYS_LFU, ALLKEYS_RANDOM = 0, 1, 2, 3
VOLATILE_LRU, VOLATILE_LFU, VOLATILE_RANDOM, VOLATILE_TTL = 4, 5, 6, 7
RANK_NONE, RANK_LRU, RANK_LFU, RANK_RANDOM, RANK_TTL = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class PolicySpec:
    """What the engine needs to know about a policy before the run."""

    name: str
    code: int
    scope: str | None        # "allkeys", "volatile", or None (noeviction)
    rank: int
    kernel: str = "redis"    # which compiled kernel family implements it
    doc: str = ""

    @property
    def needs_ttl(self) -> bool:
        """Volatile policies can only evict keys that carry a TTL."""
        return self.scope == "volatile"


POLICIES: Registry[PolicySpec] = Registry("maxmemory-policy")

POLICIES.add("noeviction", PolicySpec("noeviction", NOEVICTION, None, RANK_NONE,
                                      doc="Refuse writes that need memory once used_memory > maxmemory."))
_RANKS = {"lru": RANK_LRU, "lfu": RANK_LFU, "random": RANK_RANDOM, "ttl": RANK_TTL}
_CODES = {("allkeys", "lru"): ALLKEYS_LRU, ("allkeys", "lfu"): ALLKEYS_LFU,
          ("allkeys", "random"): ALLKEYS_RANDOM, ("volatile", "lru"): VOLATILE_LRU,
          ("volatile", "lfu"): VOLATILE_LFU, ("volatile", "random"): VOLATILE_RANDOM,
          ("volatile", "ttl"): VOLATILE_TTL}
for (_scope, _rank), _code in _CODES.items():
    _name = f"{_scope}-{_rank}"
    POLICIES.add(_name, PolicySpec(
        _name, _code, _scope, _RANKS[_rank],
        doc=f"Redis 7.0 {_name}: evict.c performEvictions over "
            + ("dictGetRandomKey" if _rank == "random" else "the 16-slot evictionPoolPopulate pool")
            + (" of the expires dict" if _scope == "volatile" else " of the main dict") + "."))
