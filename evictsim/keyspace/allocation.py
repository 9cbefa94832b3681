"""The allocator hook: every allocation and free of the byte model goes through ``allocate`` and
``release``, dispatched at compile time on the type of the memory-model bundle (as policies are).

Callers name what they allocate: the key it belongs to (-1 for server-wide memory such as bucket
arrays) and the piece (:data:`PIECE_ENTRY` … :data:`PIECE_EXPIRE`), so a model that needs to know
where a region lives (jemalloc slabs: the fragmentation model) can record it per key and piece,
and the callers never change. ``allocate`` returns the usable bytes charged to ``used_memory``.

The default model, :class:`SizeClasses`, is today's accounting: a request costs its jemalloc size
class and nothing is remembered (the core keeps each key's total in ``Keys.charged``).
"""
from __future__ import annotations

from collections import namedtuple
from typing import Callable

from numba.extending import overload

from evictsim.jit import kernel
from evictsim.keyspace.memory import size_class

PIECE_ENTRY, PIECE_KEY, PIECE_VALUE, PIECE_VALUE_SDS, PIECE_EXPIRE, PIECE_SERVER = 0, 1, 2, 3, 4, 5
N_PIECES = 5

SizeClasses = namedtuple("SizeClasses", "quantum")

MODELS: dict[type, tuple[Callable, Callable]] = {}


def register_model(model_class: type, allocate_impl: Callable, release_impl: Callable) -> None:
    """``allocate_impl(model, k, piece, nbytes) -> usable``; ``release_impl(model, k, piece, usable)``."""
    MODELS[model_class] = (allocate_impl, release_impl)


def allocate(model, k, piece, nbytes):
    raise NotImplementedError("compiled only")


def release(model, k, piece, usable):
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


@kernel
def _class_allocate(model, k, piece, nbytes):
    return size_class(nbytes, model.quantum)


@kernel
def _class_release(model, k, piece, usable):
    return None


register_model(SizeClasses, _class_allocate, _class_release)
