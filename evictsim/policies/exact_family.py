"""The exact research policies (``evictsim.policies.exact``) as members of the main registry, so
``lru``, ``s3fifo``, ``belady`` … work everywhere a Redis policy name does, on Redis's own bytes.

Under ``memory-accounting redis`` the policy decides *which* key goes and the core decides *when*,
as Redis does (used_memory above maxmemory before a command). The hooks receive each key's bytes as
the byte model charges them, and policies that divide the cache into shares (ARC, 2Q, SLRU,
S3-FIFO, W-TinyLFU) divide the room maxmemory leaves above the empty server's baseline.
"""
from __future__ import annotations

from typing import Any


def _builder(spec):
    from evictsim.policies.exact.spec import CACHE_BYTES

    def new_state(capacity: int, cfg) -> Any:
        room = max(int(cfg.maxmemory) - int(cfg.baseline_memory), 1) if cfg.maxmemory else 1 << 62
        params = spec.resolve(dict(cfg.policy_params), cache_bytes=room if CACHE_BYTES in spec.params else 0)
        return spec.new_state(capacity, params)
    return new_state


def register_exact_policies(register_policy, policy_spec_class) -> None:
    """Each exact policy module registered its hooks with the contract when imported."""
    from evictsim.policies.exact import EXACT_POLICIES

    for name, spec in EXACT_POLICIES.items():
        register_policy(policy_spec_class(
            name, "exact", _builder(spec), spec.grow, doc=spec.doc.strip().splitlines()[0],
            needs_next_access=spec.needs_next_access, params=dict(spec.params)))
