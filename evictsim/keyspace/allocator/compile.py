"""The compile decorator for the allocator's kernels, with a cache that follows their sources.

numba's on-disk cache checks only the timestamp of the file that defines a function, but a kernel
here inlines code from its sibling modules (``alloc``/``free`` are inlined into their callers) and
bakes in their constants. ``evictsim.jit`` keys its cache folder by a hash of the top-level kernel
sources, which does not look into this folder, so these kernels get a cache folder keyed by a hash
of this folder's sources too: any edit here gets fresh machine code. The compile options are
``evictsim.jit``'s (nopython, no NRT, nogil).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
from numba import njit

from evictsim import jit

_HERE = Path(__file__).resolve().parent


def _cache_dir() -> str:
    digest = hashlib.sha256()
    for source in sorted(_HERE.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return os.path.join(str(numba.config.CACHE_DIR or jit._cache_dir()), "allocator-" + digest.hexdigest()[:16])


_CACHE_DIR = _cache_dir()


def kernel(fn=None, *, inline: bool = False):
    """``evictsim.jit.kernel`` with the cache in ``_CACHE_DIR`` (numba fixes a function's cache
    folder when it is decorated, so the setting is swapped in just for that moment)."""
    opts = dict(cache=True, _nrt=False, nogil=True)
    if inline:
        opts["inline"] = "always"

    def decorate(f):
        saved = numba.config.CACHE_DIR
        try:
            os.makedirs(_CACHE_DIR, exist_ok=True)
            numba.config.CACHE_DIR = _CACHE_DIR
        except OSError:                   # not writable: keep numba's default place
            return njit(**opts)(f)
        try:
            return njit(**opts)(f)
        finally:
            numba.config.CACHE_DIR = saved

    return decorate if fn is None else decorate(fn)
