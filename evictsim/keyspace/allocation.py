"""The allocator hook: every allocation and free of the byte model goes through ``allocate`` and
``release``, dispatched at compile time on the type of the memory-model bundle (as policies are).

Callers name what they allocate: the key it belongs to (-1 for server-wide memory such as bucket
arrays) and the piece (:data:`PIECE_ENTRY` … :data:`PIECE_EXPIRE` for a key; for server-wide memory
``PIECE_BUCKETS + d``, the bucket array of dict ``d``: a dict has at most two, and a release frees
the older one, as ``dictRehash`` frees table 0 and makes table 1 its table 0), so a model that
needs to know where a region lives (jemalloc slabs: the fragmentation model) can record it per key
and piece, and the callers never change. ``allocate`` returns the usable bytes charged to
``used_memory``. A third compiled hook, ``purge_pages(model)``, is ``jemalloc_purge()`` (MEMORY
PURGE, a synchronous FLUSHALL: :mod:`evictsim.keyspace.flush`); a model without pages ignores it.

Besides the two compiled hooks, a model registers what the Python layer around the kernels asks of
it (each a no-op for a model that keeps nothing): ``cron(model, now_us, used_memory)`` at every
serverCron tick called from Python (the model's clock: jemalloc's decay and its cron-sampled
statistics), ``fitted(model, capacity, n_requests)`` (the bundle with room
for ``capacity`` key ids and ``n_requests`` more requests: between kernel calls, as the keyspace
arrays grow), ``live_bytes(model)`` (bytes in the regions it holds for the keyspace: the end-of-run invariant
checks that they are exactly the key and table bytes of used_memory) and ``arena(model)`` (the
model's state that the kernels' bundle leaves out, for the compiled cron below).

The compiled event loop (:mod:`evictsim.engine.event_loop`) runs the cron ticks itself, so a model
also registers two compiled functions of ``(model, arena, ...)``: ``tick`` (one serverCron tick on its
clock, as ``cron`` does from Python) and ``quiet`` (nothing due on its clock: may the engine jump
over idle ticks?). Both
default to nothing to do.

The default model, :class:`SizeClasses`, is today's accounting: a request costs its jemalloc size
class and nothing is remembered (the core keeps each key's total in ``Keys.charged``). The jemalloc
model (``allocator-model jemalloc``) is :mod:`evictsim.keyspace.allocator.model`.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba.extending import overload

from evictsim.jit import kernel
from evictsim.keyspace.memory import size_class

PIECE_ENTRY, PIECE_KEY, PIECE_VALUE, PIECE_VALUE_SDS, PIECE_EXPIRE = 0, 1, 2, 3, 4
N_PIECES = 5                 # pieces of one key
PIECE_SERVER = 5             # the first server-wide piece (k = -1)
PIECE_BUCKETS = PIECE_SERVER  # + d: the bucket arrays of dict d (0 main, 1 expires)
N_SERVER_PIECES = 2

SizeClasses = namedtuple("SizeClasses", "quantum")


@dataclass(frozen=True)
class ModelHooks:
    """What the engine's Python layer asks of a memory model between kernel calls."""

    cron: Callable | None = None          # (model, now_us, used_memory) -> None
    fitted: Callable | None = None        # (model, capacity, n_requests) -> model
    live_bytes: Callable | None = None    # (model) -> int, or None
    arena: Callable | None = None         # (model) -> what the compiled tick and quiet take beside it
    reading_slots: Callable | None = None  # (model) -> int: length of what the compiled reading copies
    columns: Callable | None = None       # (model, rows of those copies) -> dict of time-series columns


MODELS: dict[type, tuple[Callable, ...]] = {}     # allocate, release, tick, quiet, reading, purge
HOOKS: dict[type, ModelHooks] = {}


@kernel
def _no_tick(model, arena, now_us, used_memory):
    return None


@kernel
def _always_quiet(model, arena):
    return True


@kernel
def _no_reading(model, arena, readings, row, col):
    return None


def register_model(model_class: type, allocate_impl: Callable, release_impl: Callable,
                   hooks: ModelHooks | None = None, *, tick_impl: Callable | None = None,
                   quiet_impl: Callable | None = None, reading_impl: Callable | None = None,
                   purge_impl: Callable | None = None) -> None:
    """``allocate_impl(model, k, piece, nbytes) -> usable``; ``release_impl(model, k, piece, usable)``;
    ``tick_impl(model, arena, now_us, used_memory)``; ``quiet_impl(model, arena) -> bool``;
    ``reading_impl(model, arena, readings, row, col)`` (copies its integers into ``readings[row, col:]``);
    ``purge_impl(model)``: ``jemalloc_purge()`` (MEMORY PURGE, a synchronous FLUSHALL), default none."""
    MODELS[model_class] = (allocate_impl, release_impl, tick_impl or _no_tick, quiet_impl or _always_quiet,
                           reading_impl or _no_reading, purge_impl or _no_purge)
    HOOKS[model_class] = hooks or ModelHooks()


def allocate(model, k, piece, nbytes):
    raise NotImplementedError("compiled only")


def release(model, k, piece, usable):
    raise NotImplementedError("compiled only")


def model_tick(model, arena, now_us, used_memory):
    raise NotImplementedError("compiled only")


def model_quiet(model, arena):
    raise NotImplementedError("compiled only")


def model_reading(model, arena, readings, row, col):
    raise NotImplementedError("compiled only")


def purge_pages(model):
    raise NotImplementedError("compiled only")


def _impls(model_type):
    cls = getattr(model_type, "instance_class", None)
    if cls not in MODELS:
        raise TypeError(f"no memory model registered for {model_type}")
    return MODELS[cls]


@overload(allocate, jit_options=dict(_nrt=False, nogil=True))
def _allocate(model, k, piece, nbytes):
    impl = _impls(model)[0]
    return lambda model, k, piece, nbytes: impl(model, k, piece, nbytes)


@overload(release, jit_options=dict(_nrt=False, nogil=True))
def _release(model, k, piece, usable):
    impl = _impls(model)[1]
    return lambda model, k, piece, usable: impl(model, k, piece, usable)


@overload(model_tick, jit_options=dict(_nrt=False, nogil=True))
def _model_tick(model, arena, now_us, used_memory):
    impl = _impls(model)[2]
    return lambda model, arena, now_us, used_memory: impl(model, arena, now_us, used_memory)


@overload(model_quiet, jit_options=dict(_nrt=False, nogil=True))
def _model_quiet(model, arena):
    impl = _impls(model)[3]
    return lambda model, arena: impl(model, arena)


@overload(model_reading, jit_options=dict(_nrt=False, nogil=True))
def _model_reading(model, arena, readings, row, col):
    impl = _impls(model)[4]
    return lambda model, arena, readings, row, col: impl(model, arena, readings, row, col)



@overload(purge_pages, jit_options=dict(_nrt=False, nogil=True))
def _purge_pages(model):
    impl = _impls(model)[5]
    return lambda model: impl(model)


# --- the Python side: one dictionary look-up per call, nothing at all for SizeClasses -------------
def memory_cron(model, now_us: int, used_memory: int) -> None:
    """A serverCron tick at ``now_us`` with ``used_memory`` (zmalloc's count) as Redis reads it."""
    hook = HOOKS[type(model)].cron
    if hook is not None:
        hook(model, now_us, used_memory)


def fitted(model, capacity: int, n_requests: int):
    """The bundle with room for key ids below ``capacity`` and ``n_requests`` more requests (the
    same object when nothing had to grow)."""
    hook = HOOKS[type(model)].fitted
    return model if hook is None else hook(model, capacity, n_requests)


NO_ARENA = np.zeros(1, np.int64)      # what a model without compiled cron state hands the event loop


def memory_arena(model):
    """What the compiled ``model_tick`` and ``model_quiet`` take beside the model's bundle."""
    hook = HOOKS[type(model)].arena
    return NO_ARENA if hook is None else hook(model)


def memory_reading_slots(model) -> int:
    """How many integers the model adds to each reading (0: it has no time-series columns)."""
    hook = HOOKS[type(model)].reading_slots
    return 0 if hook is None else int(hook(model))


def memory_columns(model, rows: np.ndarray) -> dict:
    """The model's time-series columns from the readings' copies of its cron sample (``rows``)."""
    hook = HOOKS[type(model)].columns
    return {} if hook is None else hook(model, rows)


def memory_live_bytes(model) -> int | None:
    """Bytes in the regions the model holds for the keyspace (None: it keeps no regions)."""
    hook = HOOKS[type(model)].live_bytes
    return None if hook is None else hook(model)


MODEL_NAMES = ("none", "jemalloc")


def new_model(cfg, capacity: int):
    """The memory-model bundle that the config's ``allocator-model`` selects, for ``capacity`` key ids."""
    if cfg.allocator_model == "none":
        if cfg.activedefrag:
            from evictsim.errors import UserInputError
            raise UserInputError("activedefrag yes needs allocator-model jemalloc (defrag moves "
                                 "regions between the model's slabs)", key="activedefrag")
        return SizeClasses(np.int64(cfg.jemalloc_quantum))
    if cfg.allocator_model == "jemalloc":
        from evictsim.keyspace.allocator.model import new_jemalloc_model
        return new_jemalloc_model(cfg, capacity)
    raise ValueError(f"unknown allocator model {cfg.allocator_model!r}; expected one of {', '.join(MODEL_NAMES)}")


@kernel
def _no_purge(model):
    return None


@kernel
def _class_allocate(model, k, piece, nbytes):
    return size_class(nbytes, model.quantum)


@kernel
def _class_release(model, k, piece, usable):
    return None


register_model(SizeClasses, _class_allocate, _class_release)
DEFAULT_MODEL = SizeClasses(np.int64(16))    # what a bare Tables bundle allocates through
