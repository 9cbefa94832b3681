"""Generic compiled hook calls that dispatch on a policy's state class, resolved at compile time.

A compiled core cannot hold "a policy object" with methods, but every exact policy carries its state
as a ``namedtuple`` class of its own. ``register_hooks`` files the policy's compiled hooks under that
class; the generic ``policy_*`` functions below are numba ``overload``s that, when the core is
compiled for a given state type, look the class up (``state_type.instance_class``) and inline a call
to that policy's hook. So one core function serves every policy, each compilation is specialised to
one policy, and there is no per-request dispatch. Works with ``cache=True``: the cached machine code
is keyed by the argument types, which include the state class.

The hooks (all compiled with ``evictsim.jit.kernel``, no allocation inside):

* ``on_hit(state, k, size, vtime, next_vtime)``: resident key ``k`` was requested.
* ``admit(state, k, size, vtime) -> bool``: called on *every* miss, first (before the core's own
  too-large check and before any eviction for it). Ghost-keeping policies look at their history here;
  returning False means the object is not inserted.
* ``victim(state, vtime) -> int``: a resident key to evict now (the core removes it at once and
  calls ``on_remove``), or -1. ``victim`` commits: it may already move the key to a ghost list.
* ``on_insert(state, k, size, vtime, next_vtime)``: ``k`` became resident.
* ``on_remove(state, k)``: ``k`` left the cache, for any reason (after ``victim`` too).
* ``overflow(state, vtime) -> int``: a resident key the policy must evict even though the cache is
  within capacity (a segment over its own share after a hit or an insert, an object the policy
  declines to keep), or -1. The core drains it (evict, ``on_remove``) after every ``on_hit`` and
  every ``on_insert``.

``vtime`` is the request's index in the trace; ``next_vtime`` the index of the key's next request
(``NO_NEXT_ACCESS`` if none; filled only for policies whose spec says ``needs_next_access``).
"""
from __future__ import annotations

import numpy as np
from numba.extending import overload

from evictsim.jit import kernel

NO_NEXT_ACCESS = np.iinfo(np.int64).max

HOOKS: dict[type, dict[str, object]] = {}


@kernel
def admit_always(state, k, size, vtime):
    """The default ``admit``: every object that fits is inserted."""
    return True


@kernel
def no_overflow(state, vtime):
    """The default ``overflow``: the policy never evicts on its own."""
    return -1


def register_hooks(state_class, on_hit, on_insert, on_remove, victim, admit=None, overflow=None):
    """File a policy's compiled hooks under its state class (a namedtuple class)."""
    HOOKS[state_class] = {"on_hit": on_hit, "on_insert": on_insert, "on_remove": on_remove,
                          "victim": victim, "admit": admit or admit_always,
                          "overflow": overflow or no_overflow}


def _hook(state_type, name):
    try:
        return HOOKS[state_type.instance_class][name]
    except (AttributeError, KeyError):
        raise TypeError(f"no exact-policy hooks registered for {state_type}") from None


# The generic functions: plain Python stubs that numba replaces by the overloads below.
def policy_on_hit(state, k, size, vtime, next_vtime):
    raise NotImplementedError("compiled use only")


def policy_on_insert(state, k, size, vtime, next_vtime):
    raise NotImplementedError("compiled use only")


def policy_on_remove(state, k):
    raise NotImplementedError("compiled use only")


def policy_victim(state, vtime):
    raise NotImplementedError("compiled use only")


def policy_admit(state, k, size, vtime):
    raise NotImplementedError("compiled use only")


def policy_overflow(state, vtime):
    raise NotImplementedError("compiled use only")


_NO_NRT = {"_nrt": False}


@overload(policy_on_hit, jit_options=_NO_NRT)
def _on_hit(state, k, size, vtime, next_vtime):
    impl = _hook(state, "on_hit")
    return lambda state, k, size, vtime, next_vtime: impl(state, k, size, vtime, next_vtime)


@overload(policy_on_insert, jit_options=_NO_NRT)
def _on_insert(state, k, size, vtime, next_vtime):
    impl = _hook(state, "on_insert")
    return lambda state, k, size, vtime, next_vtime: impl(state, k, size, vtime, next_vtime)


@overload(policy_on_remove, jit_options=_NO_NRT)
def _on_remove(state, k):
    impl = _hook(state, "on_remove")
    return lambda state, k: impl(state, k)


@overload(policy_victim, jit_options=_NO_NRT)
def _victim(state, vtime):
    impl = _hook(state, "victim")
    return lambda state, vtime: impl(state, vtime)


@overload(policy_admit, jit_options=_NO_NRT)
def _admit(state, k, size, vtime):
    impl = _hook(state, "admit")
    return lambda state, k, size, vtime: impl(state, k, size, vtime)


@overload(policy_overflow, jit_options=_NO_NRT)
def _overflow(state, vtime):
    impl = _hook(state, "overflow")
    return lambda state, vtime: impl(state, vtime)
