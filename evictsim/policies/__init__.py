"""Eviction policies, registered by name in :data:`POLICIES` (the only list of policy names: config
validation, the CLI's help, the oracle and the tests read it).

A :class:`PolicySpec` says what the engine needs before the run (capabilities, checked early) and
builds the policy's compiled state bundle; the hooks the core calls on that bundle are registered
with :func:`evictsim.policies.contract.register_hooks`. Redis's eight ``maxmemory-policy`` values are
one family (a sampled, persistent eviction pool, or ``dictGetRandomKey``) crossed with a scope
(``allkeys``/``volatile``) and a rank (``lru``, ``lfu``, ``ttl``, ``random``); they register in one
loop below. Other families register the same way from their own modules (:func:`register_policy`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from evictsim.registry import Registry


@dataclass(frozen=True)
class PolicySpec:
    """What the engine needs to know about a policy before the run, and how to build its state.

    ``new_state(capacity, redis_config)`` returns the compiled state bundle; ``grow(state, capacity)``
    returns it with room for more key ids. Capabilities: ``evicts`` (False: noeviction, writes are
    refused instead), ``needs_ttl`` (only keys with a TTL are candidates: volatile-*),
    ``needs_next_access`` (Belady: the core passes each request's next access), ``no_shared_integers``
    (each key needs its own object for per-key metadata: Redis's LRU/LFU policies).
    """

    name: str
    family: str
    new_state: Callable[[int, Any], Any]
    grow: Callable[[Any, int], Any]
    doc: str = ""
    evicts: bool = True
    needs_ttl: bool = False
    needs_next_access: bool = False
    no_shared_integers: bool = False
    params: dict = field(default_factory=dict)


def _load_builtin() -> None:
    from evictsim.policies.exact_family import register_exact_policies
    _register_redis_policies()
    register_exact_policies(register_policy, PolicySpec)


POLICIES: Registry[PolicySpec] = Registry("maxmemory-policy", loader=_load_builtin)


def register_policy(spec: PolicySpec) -> PolicySpec:
    POLICIES._load()
    POLICIES.add(spec.name, spec)
    return spec


def policy_spec(name: str, *, source: str | None = None, key: str | None = "maxmemory-policy") -> PolicySpec:
    """The spec of ``name`` (case-insensitive), or a user error listing the valid names."""
    lowered = name.lower() if isinstance(name, str) else name
    return POLICIES.get(lowered, source=source, key=key)


def _register_redis_policies() -> None:
    from evictsim.policies import redis_pool as pool

    ranks = {"lru": pool.RANK_LRU, "lfu": pool.RANK_LFU, "random": pool.RANK_RANDOM, "ttl": pool.RANK_TTL}

    def builder(rank: int, volatile: bool):
        def new_state(capacity: int, cfg) -> Any:
            return pool.new_state(capacity, rank=rank, volatile=volatile, samples=cfg.maxmemory_samples,
                                  lfu_log_factor=cfg.lfu_log_factor, lfu_decay_time=cfg.lfu_decay_time)
        return new_state

    register_policy(PolicySpec("noeviction", "redis-pool", builder(pool.RANK_NONE, False), pool.grow_state,
                               doc="Refuse writes that need memory once used_memory > maxmemory.",
                               evicts=False, params={"scope": None, "rank": None}))
    for scope in ("allkeys", "volatile"):
        for rank_name, rank in ranks.items():
            if scope == "allkeys" and rank_name == "ttl":
                continue                  # Redis has volatile-ttl only (a key without TTL has no rank)
            name = f"{scope}-{rank_name}"
            sampler = "dictGetRandomKey" if rank_name == "random" else "the 16-slot evictionPoolPopulate pool"
            register_policy(PolicySpec(
                name, "redis-pool", builder(rank, scope == "volatile"), pool.grow_state,
                doc=f"Redis 7.0 {name}: evict.c performEvictions over {sampler}"
                    + (" of the expires dict." if scope == "volatile" else " of the main dict."),
                needs_ttl=scope == "volatile", no_shared_integers=rank_name in ("lru", "lfu"),
                params={"scope": scope, "rank": rank_name}))

