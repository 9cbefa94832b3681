"""Drop this package's compiled-code cache when any of its sources changed.

numba's on-disk cache checks only the timestamp of the file that defines a function, but the
object-bytes loop and every policy hook inline code from other modules (``lists``, ``heap``,
``sketch``, and each policy's hooks through ``hooks``' dispatch). An edit there would load stale
machine code. ``evictsim.jit`` guards its own kernels with a hash of their folders; this does the same
for ``policies/exact``: a hash of its sources is kept beside its cache files, and when it differs the
cache files of this folder (and only those) are deleted before anything is compiled or loaded.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numba
from numba.core.caching import _CacheLocator

import evictsim.jit  # noqa: F401  (sets numba's cache folder first)

_HERE = Path(__file__).resolve().parent
_STAMP = "exact-sources.sha256"


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_folders() -> list[Path]:
    folders = [_HERE / "__pycache__"]
    if numba.config.CACHE_DIR:
        folders.append(Path(numba.config.CACHE_DIR)
                       / _CacheLocator.get_suitable_cache_subpath(str(_HERE / "hooks.py")))
    return folders


def drop_stale_cache() -> None:
    current = _source_hash()
    for folder in _cache_folders():
        stamp = folder / _STAMP
        try:
            if stamp.exists() and stamp.read_text() == current:
                continue
            for cached in list(folder.glob("*.nbi")) + list(folder.glob("*.nbc")):
                cached.unlink(missing_ok=True)
            folder.mkdir(parents=True, exist_ok=True)
            stamp.write_text(current)
        except OSError:          # a read-only place: numba will not write there either
            pass
