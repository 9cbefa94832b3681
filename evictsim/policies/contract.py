"""The compiled policy contract: the hooks the core calls, dispatched at compile time on the type of
the policy's state bundle.

The core owns keys, bytes and the dict model; a policy only ranks (cachetools' "the base owns the
table", libCacheSim's plugin hooks). A policy module defines a state bundle (a ``namedtuple`` class
of its own holding NumPy arrays) and registers compiled hooks for that class:

* ``on_hit(state, core, k, size, now_ms, vtime, next_vtime)``: a resident key was requested (a GET
  hit, or a SET overwriting a live key);
* ``on_insert(state, core, k, size, now_ms, vtime, next_vtime)``: ``k`` became resident;
* ``on_remove(state, core, k)``: ``k`` left, for any reason (its own victim, expiry, DEL, overwrite
  is not a removal); the core calls it from its one delete path;
* ``victim(state, core, now_ms) -> int``: a resident key to evict, or -1 when there is none;
* ``admit(state, core, k, size, vtime) -> bool``: optional admission (W-TinyLFU); a key it refuses
  is stored by the command (Redis stores every SET) and evicted right after it, unseen by the policy;
* ``overflow(state, core, vtime) -> int``: optional: a resident key the policy must evict although
  memory is within maxmemory (a segment over its share), or -1; drained after every command;
* ``prefetch(state, k)``: optional: ask the memory system for what ``on_hit`` / ``on_insert`` of ``k``
  will touch (``keyspace/prefetch.py``); the request loop calls it for the request a few places
  ahead. A hint only: it must not change the state.

``size`` is the key's bytes as the byte model charges them (entry, key, value).

``vtime`` is the request's index in the trace and ``next_vtime`` that key's next request (int64 max
when there is none; only filled for policies whose spec ``needs_next_access``). Policies that do not
need the core (the exact research policies) register hooks without the ``core`` and ``now_ms``
parameters (``takes_core=False``): ``on_hit(state, k, size, vtime, next_vtime)``, ``on_remove(state,
k)``, ``victim(state, vtime)``, ``admit(state, k, size, vtime)``. Such policies also run without a
core at all: the object-bytes driver (:mod:`evictsim.policies.exact.object_bytes`) passes ``None``.

Why overloads: numba compiles one specialisation of each kernel per state type, so the hooks are
inlined and there is no per-request dispatch on integer codes; the kernels stay cacheable (a
function passed as an argument would not be), and only the policy family in use is compiled.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba.extending import overload

# ``next_vtime`` of a request whose key is never requested again (or when the trace has no future)
NO_NEXT_ACCESS = np.iinfo(np.int64).max

_JIT = dict(_nrt=False, nogil=True)


@dataclass(frozen=True)
class PolicyHooks:
    on_hit: Callable
    on_insert: Callable
    on_remove: Callable
    victim: Callable
    admit: Callable | None = None
    overflow: Callable | None = None
    takes_core: bool = True
    prefetch: Callable | None = None


HOOKS: dict[type, PolicyHooks] = {}


def register_hooks(state_class: type, *, on_hit: Callable, on_insert: Callable, on_remove: Callable,
                   victim: Callable, admit: Callable | None = None, overflow: Callable | None = None,
                   takes_core: bool = True, prefetch: Callable | None = None) -> None:
    """Make ``state_class`` a policy state the core can drive (once per class)."""
    if state_class in HOOKS:
        raise ValueError(f"policy hooks for {state_class.__name__} registered twice")
    HOOKS[state_class] = PolicyHooks(on_hit, on_insert, on_remove, victim, admit, overflow, takes_core,
                                     prefetch)


def _hooks(state_type) -> PolicyHooks:
    cls = getattr(state_type, "instance_class", None)
    if cls not in HOOKS:
        raise TypeError(f"no policy hooks registered for {state_type}")
    return HOOKS[cls]


def policy_on_hit(state, core, k, size, now_ms, vtime, next_vtime):
    raise NotImplementedError("compiled only")


def policy_on_insert(state, core, k, size, now_ms, vtime, next_vtime):
    raise NotImplementedError("compiled only")


def policy_on_remove(state, core, k):
    raise NotImplementedError("compiled only")


def policy_victim(state, core, now_ms, vtime):
    raise NotImplementedError("compiled only")


def policy_admit(state, core, k, size, vtime):
    raise NotImplementedError("compiled only")


def policy_overflow(state, core, vtime):
    raise NotImplementedError("compiled only")


def policy_prefetch(state, k):
    raise NotImplementedError("compiled only")


@overload(policy_on_hit, jit_options=_JIT)
def _on_hit(state, core, k, size, now_ms, vtime, next_vtime):
    hooks = _hooks(state)
    impl = hooks.on_hit
    if hooks.takes_core:
        return lambda state, core, k, size, now_ms, vtime, next_vtime: impl(state, core, k, size, now_ms,
                                                                            vtime, next_vtime)
    return lambda state, core, k, size, now_ms, vtime, next_vtime: impl(state, k, size, vtime, next_vtime)


@overload(policy_on_insert, jit_options=_JIT)
def _on_insert(state, core, k, size, now_ms, vtime, next_vtime):
    hooks = _hooks(state)
    impl = hooks.on_insert
    if hooks.takes_core:
        return lambda state, core, k, size, now_ms, vtime, next_vtime: impl(state, core, k, size, now_ms,
                                                                            vtime, next_vtime)
    return lambda state, core, k, size, now_ms, vtime, next_vtime: impl(state, k, size, vtime, next_vtime)


@overload(policy_on_remove, jit_options=_JIT)
def _on_remove(state, core, k):
    hooks = _hooks(state)
    impl = hooks.on_remove
    if hooks.takes_core:
        return lambda state, core, k: impl(state, core, k)
    return lambda state, core, k: impl(state, k)


@overload(policy_victim, jit_options=_JIT)
def _victim(state, core, now_ms, vtime):
    hooks = _hooks(state)
    impl = hooks.victim
    if hooks.takes_core:
        return lambda state, core, now_ms, vtime: impl(state, core, now_ms)
    return lambda state, core, now_ms, vtime: impl(state, vtime)


@overload(policy_admit, jit_options=_JIT)
def _admit(state, core, k, size, vtime):
    hooks = _hooks(state)
    impl = hooks.admit
    if impl is None:
        return lambda state, core, k, size, vtime: True
    if hooks.takes_core:
        return lambda state, core, k, size, vtime: impl(state, core, k, size, vtime)
    return lambda state, core, k, size, vtime: impl(state, k, size, vtime)


@overload(policy_overflow, jit_options=_JIT)
def _overflow(state, core, vtime):
    hooks = _hooks(state)
    impl = hooks.overflow
    if impl is None:
        return lambda state, core, vtime: -1
    if hooks.takes_core:
        return lambda state, core, vtime: impl(state, core, vtime)
    return lambda state, core, vtime: impl(state, vtime)


@overload(policy_prefetch, jit_options=_JIT)
def _prefetch(state, k):
    impl = _hooks(state).prefetch
    if impl is None:
        return lambda state, k: None
    return lambda state, k: impl(state, k)
