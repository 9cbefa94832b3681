"""The one compile decorator for the kernels, and where their compiled code is cached.

``kernel`` compiles in nopython mode *without* numba's reference-counting runtime (NRT). The kernels
never allocate; they only index arrays handed to them. With NRT on, every call between compiled
functions increments and decrements the reference count of each array argument (atomic operations,
~50 ns per call with five arrays: measured), which dominated the per-request cost.

Cache: numba's on-disk cache checks only the timestamp of the file that defines a function, but the
kernels bake in constants from other modules (the counter slots of ``metrics/counters.py``, policy
codes). A change there would load stale machine code with the old slot numbers. So the cache lives in
a folder named by a hash of every kernel source file: any edit gets a fresh cache. ``NUMBA_CACHE_DIR``
set by the user wins.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import numba
from numba import njit

_PACKAGE = Path(__file__).resolve().parent
_KERNEL_SOURCES = ("jit.py", "outcomes.py", "keyspace", "engine", "policies", "metrics", "traces/base.py")


def _source_hash() -> str:
    h = hashlib.sha256()
    for entry in _KERNEL_SOURCES:
        path = _PACKAGE / entry
        for f in sorted([path] if path.is_file() else path.rglob("*.py")):
            h.update(str(f.relative_to(_PACKAGE)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _cache_dir() -> str:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evictsim" / "numba"
    return str(base / _source_hash())


if not os.environ.get("NUMBA_CACHE_DIR"):
    try:
        _dir = _cache_dir()
        os.makedirs(_dir, exist_ok=True)
        numba.config.CACHE_DIR = _dir
    except OSError:      # no writable home: numba's default (beside the sources) still works
        pass


def kernels_cached() -> bool:
    """Whether this source tree's kernels were compiled and cached before (the request loop's index)."""
    import glob
    return bool(glob.glob(os.path.join(str(numba.config.CACHE_DIR), "**", "kernel.process_requests-*.nbi"),
                          recursive=True))


class _Unimportable:
    """Stands for a class that this process cannot import, while a cache index is read. Its name
    resolves to nothing, so an entry holding it cannot be pickled again (``_loadable``)."""


_Unimportable.__qualname__ = "<a class this process cannot import>"


class _TolerantUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return _Unimportable


def _loadable(key) -> bool:
    """Whether another process could read this index entry back (it names no class it lacks)."""
    try:
        return pickle.loads(pickle.dumps(key, protocol=-1)) is not None
    except Exception:      # noqa: BLE001  (it holds an _Unimportable)
        return False


def _tolerate_unloadable_index_entries() -> None:
    """A kernel specialised for a plug-in policy's state type (a namedtuple class from the user's own
    module) records that type in the cache index of the kernel. A process that cannot import that
    module (another script, the CLI, a pool worker) would fail to unpickle the whole index, and
    compile every specialisation in it again (the test suite's toy policy did that to every worker
    and subprocess after it). Read such an index entry by entry instead: the entries that name a
    class this process lacks are dropped (that process compiles those if it needs them), the rest
    are cache hits."""
    from numba.core import caching

    original = caching.IndexDataCacheFile._load_index
    if getattr(original, "_evictsim_tolerant", False):
        return

    def load_index(self):
        try:
            return original(self)
        except (ImportError, AttributeError, EOFError, pickle.UnpicklingError):
            pass
        try:
            with open(self._index_path, "rb") as f:
                if pickle.load(f) != self._version:
                    return {}
                stamp, overloads = _TolerantUnpickler(f).load()
        except Exception:  # a truncated or foreign file: a cache miss  # noqa: BLE001
            return {}
        if stamp != self._source_stamp:
            return {}
        return {key: value for key, value in overloads.items() if _loadable(key)}

    load_index._evictsim_tolerant = True
    caching.IndexDataCacheFile._load_index = load_index


_tolerate_unloadable_index_entries()


def kernel(fn=None, *, inline: bool = False):
    """Compile ``fn`` (cached, no NRT, GIL released).

    ``inline=True`` inlines it into its callers at numba's IR level. Use it for functions on the
    per-request path that take the core or policy bundle: numba passes a tuple of arrays as its
    flattened fields (about eight machine words an array), so a call with the ~20 arrays of
    ``Core`` + policy state stores ~150 words on the stack, more than a GET hit's own work (the
    seam's first version was 15-30% slower for it). Rare, heavy paths stay calls."""
    opts = dict(cache=True, _nrt=False, nogil=True)   # nogil: a reader thread runs alongside
    if inline:
        opts["inline"] = "always"
    if fn is None:
        return lambda f: njit(**opts)(f)
    return njit(**opts)(fn)


def entry_point(dispatcher, arg_types: tuple):
    """The compiled overload of ``dispatcher`` for ``arg_types``, as a callable that skips numba's
    per-call type dispatch (compiled, or loaded from the cache, on first use).

    At every call numba computes the type of each argument to pick an overload; for the nested
    named tuples of arrays the kernels take (``Core``, a policy state, ``Requests``) that is ~30 µs,
    while converting the arrays themselves costs ~1-2 µs. MRC miniature simulations, partitions and
    idle cron ticks call kernels thousands of times. The entry point does not check types: callers
    resolve it for the types of the bundles they hold and resolve again when those change
    (:class:`evictsim.engine.server.ServerModel` does, per bundle and per chunk of requests)."""
    return dispatcher.compile(tuple(arg_types))

