"""The object-bytes rule over a twin, in plain Python: the slow reference for ``object_bytes``."""
from __future__ import annotations

from evictsim.oracle.policies import TWINS

GET, SET, DEL = 0, 1, 2
MISS, HIT, DELETED, DELETE_ABSENT = 0, 1, 2, 3
NEVER = (1 << 63) - 1


def next_accesses(keys, ops):
    """Index of each request's next GET/SET of the same key (NEVER if none)."""
    out, seen = [NEVER] * len(keys), {}
    for i in range(len(keys) - 1, -1, -1):
        out[i] = seen.get(keys[i], NEVER)
        if ops[i] != DEL:
            seen[keys[i]] = i
    return out


def run_twin(policy: str, keys, sizes, ops, cache_bytes: int, **params) -> list[int]:
    """One outcome per request, as ``object_bytes.serve_chunk`` writes them."""
    twin = TWINS[policy](cache_bytes, **{name.replace("-", "_"): v for name, v in params.items()})
    resident: dict[int, int] = {}
    nxt = next_accesses(keys, ops)
    outcome = []

    def take_out(k):
        del resident[k]
        twin.remove(k)

    def drain(vtime):
        while (k := twin.overflow(vtime)) is not None:
            assert k in resident, f"{policy}: overflow named {k}, not resident"
            take_out(k)

    for vtime, (k, size, op) in enumerate(zip(keys, sizes, ops)):
        if op == DEL:
            outcome.append(DELETED if k in resident else DELETE_ABSENT)
            if k in resident:
                take_out(k)
            continue
        if k in resident:
            outcome.append(HIT)
            twin.hit(k, size, vtime, nxt[vtime])
            drain(vtime)
            continue
        outcome.append(MISS)
        if not twin.admit(k, size, vtime) or size > cache_bytes:
            continue
        while sum(resident.values()) + size > cache_bytes:
            v = twin.victim(vtime)
            assert v in resident, f"{policy}: victim {v} not resident"
            take_out(v)
        resident[k] = size
        twin.insert(k, size, vtime, nxt[vtime])
        drain(vtime)
    return outcome
