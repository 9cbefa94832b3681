"""Plug-in policies in the oracle: the pure-Python twin a non-Redis :class:`PolicySpec` carries.

Redis's eight policies (family ``redis-pool``) are modelled by the oracle itself (:mod:`.evict`,
:mod:`.clocks`); the exact research policies (family ``exact``) by their twins in
:mod:`evictsim.oracle.policies`, through :class:`ExactTwin`. Any other family must bring a twin of
its compiled hooks: ``spec.params["oracle_twin"]``, a factory called once per run with the
:class:`~evictsim.config.RedisConfig`, returning an object with the methods of :class:`PolicyTwin`.
The oracle calls them exactly where the kernel calls the compiled hooks
(:mod:`evictsim.policies.contract`), in the same order relative to deletes:

* ``on_hit(k, size, vtime, next_vtime)``: a GET hit (``size``: the request's), or a SET overwriting
  a live key (``size``: the value's allocation length, after the Lua argument cache), after the
  lazy-expiry check of the lookup (which may have removed it instead);
* ``on_insert(k, size, vtime, next_vtime)``: ``k`` became resident (a SET or a look-aside fill),
  after its dict insert and before its TTL is set;
* ``on_remove(k)``: ``k`` left, for any reason: eviction (after ``victim`` named it), lazy, active or
  exact expiry, DEL. An overwrite is not a removal; a DEL of an absent key calls nothing;
* ``victim(vtime) -> int | None``: a resident key to evict (None or -1: none left, so
  ``performEvictions`` goes on to wait for lazy frees and fails);
* ``admit(k, size, vtime) -> bool``: optional. The kernel does not call ``policy_admit`` yet, so
  neither does the oracle; when the kernel gains a call site, the oracle must call it there too.

``vtime`` is the 0-based index of the request being served, counted by the oracle (for a victim
chosen outside a request, by the eviction time proc in an event-loop iteration or a cron tick: the
index of the last request served, -1 before the first, as the kernel's ``stats[REQUESTS] - 1``).
``next_vtime`` is :data:`NO_NEXT_ACCESS` unless the spec ``needs_next_access``: then the index of the
next request to the same key (:func:`evictsim.oracle.driver.next_access_vtimes`), still
:data:`NO_NEXT_ACCESS` for a key's last request.
"""
from __future__ import annotations

from typing import Any, Protocol

TWIN_PARAM = "oracle_twin"
NO_NEXT_ACCESS = (1 << 63) - 1          # int64 max, the kernel's NO_NEXT_ACCESS


class PolicyTwin(Protocol):
    def on_hit(self, k: int, size: int, vtime: int, next_vtime: int) -> None: ...

    def on_insert(self, k: int, size: int, vtime: int, next_vtime: int) -> None: ...

    def on_remove(self, k: int) -> None: ...

    def victim(self, vtime: int) -> int | None: ...


def make_twin(spec: Any, cfg: Any) -> PolicyTwin | None:
    """The twin of a plug-in policy for one run; None for the redis-pool family (modelled here)."""
    if spec.family == "redis-pool":
        return None
    if spec.family == "exact":
        return ExactTwin(spec.name, cfg)
    factory = spec.params.get(TWIN_PARAM)
    if factory is None:
        raise ValueError(f"policy {spec.name!r} (family {spec.family!r}) has no pure-Python twin for the "
                         f"oracle: set PolicySpec.params[{TWIN_PARAM!r}] to a factory taking the RedisConfig")
    return factory(cfg)


class ExactTwin:
    """An exact research policy's twin (:mod:`evictsim.oracle.policies`, written for the object-bytes
    driver) behind this interface: its byte budget is the room maxmemory leaves above the baseline,
    as ``policies/exact_family.py`` gives the compiled state. The core's ``admit`` and ``overflow``
    calls have no counterpart here yet, so twins that refuse keys or drain segments on their own
    (2Q, ARC, S3-FIFO, W-TinyLFU, SLRU, BeladySize) are refused rather than compared wrongly."""

    def __init__(self, name: str, cfg: Any):
        from evictsim.oracle.policies import TWINS
        from evictsim.oracle.policies.base import Twin
        twin_class = TWINS[name]
        if twin_class.admit is not Twin.admit or twin_class.overflow is not Twin.overflow:
            raise ValueError(f"the oracle does not call admit/overflow yet: no Redis-core twin for {name!r}")
        room = max(int(cfg.maxmemory) - int(cfg.baseline_memory), 1) if cfg.maxmemory else 1 << 62
        params = {k.replace("-", "_"): v for k, v in policy_params(cfg, name).items()}
        self.twin = twin_class(room, **params)

    def on_hit(self, k: int, size: int, vtime: int, next_vtime: int) -> None:
        self.twin.hit(k, size, vtime, next_vtime)

    def on_insert(self, k: int, size: int, vtime: int, next_vtime: int) -> None:
        self.twin.insert(k, size, vtime, next_vtime)

    def on_remove(self, k: int) -> None:
        self.twin.remove(k)

    def victim(self, vtime: int) -> int | None:
        return self.twin.victim(vtime)


def policy_params(cfg: Any, name: str) -> dict:
    """The ``--set`` parameters of exact policy ``name`` in ``cfg`` (none given: {})."""
    return dict(getattr(cfg, "policy_params", None) or {})
