"""What-ifs on a captured trace, as transformations that wrap any :class:`~evictsim.traces.base.Trace`.

* :class:`RewrittenKeys` (``--rewrite-keys``): rename every key (strip or replace a prefix, truncate
  to N bytes, hash to N bytes). Keys that end up with the same name become one key; the number of
  such collisions is reported (``collisions``). The Redis byte model then charges the new lengths
  (MECHANICS §10: sds header and jemalloc classes make the saving a step function of the length).
* :class:`ScaledRate` (``--scale-rate K``): time compressed by K (K times the request rate).
* :class:`ScaledKeys` (``--scale-keys K``): each key becomes K distinct keys (``name``, ``name~1``,
  ...) that share its requests evenly, so each has 1/K of its popularity; the key count grows K-fold.

Each wrapper yields dense ids in first-appearance order and exposes ``key_namer``, so it can be
written back with ``trace convert`` or split by partitions.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa

from evictsim.errors import UserInputError
from evictsim.traces.base import RequestChunk
from evictsim.traces.names import ListNamer, SyntheticNamer

_REWRITE_FORMS = "strip:PREFIX, replace:OLD=NEW, truncate:N or hash:N"


def parse_rewrite(spec: str, *, option: str = "--rewrite-keys") -> Callable[[str], str]:
    """``strip:user:`` / ``replace:user:profile:=u:`` / ``truncate:16`` / ``hash:8`` → a renaming."""
    kind, sep, arg = spec.partition(":")
    if not sep:
        raise UserInputError(f"expected {_REWRITE_FORMS}, got {spec!r}", source=option)
    if kind == "strip" and arg:
        return lambda name: name[len(arg):] if name.startswith(arg) else name
    if kind == "replace" and "=" in arg and arg.split("=", 1)[0]:
        old, new = arg.split("=", 1)
        return lambda name: new + name[len(old):] if name.startswith(old) else name
    if kind in ("truncate", "hash") and arg.isdigit() and int(arg) > 0:
        n = int(arg)
        if kind == "truncate":
            return lambda name: name.encode("utf-8", "surrogateescape")[:n].decode("utf-8", "surrogateescape")
        return lambda name: _hashed(name, n)
    raise UserInputError(f"expected {_REWRITE_FORMS} (N a positive integer, PREFIX/OLD non-empty), "
                         f"got {spec!r}", source=option)


def _hashed(name: str, n: int) -> str:
    digest = hashlib.blake2b(name.encode("utf-8", "surrogateescape"), digest_size=32).hexdigest()
    while len(digest) < n:
        digest += hashlib.blake2b(digest.encode(), digest_size=32).hexdigest()
    return digest[:n]


def _names_of(trace, ids: np.ndarray, key_len: np.ndarray) -> list[str]:
    namer = getattr(trace, "key_namer", None)
    names = SyntheticNamer().names_for(ids, key_len) if namer is None else namer.names_for(ids)
    return names.to_pylist() if isinstance(names, pa.Array) else list(names)


class _Renumbered:
    """Base of the wrappers: old dense id (or pair) → new dense id in first-appearance order."""

    def __init__(self, trace):
        self.trace = trace
        self.fill = trace.fill
        self.name = getattr(trace, "name", "trace")
        self.n_keys_hint = None
        self.key_names: list[str] = []
        self.key_namer = ListNamer(self.key_names)

    @property
    def skipped_lines(self) -> int:
        return getattr(self.trace, "skipped_lines", 0)

    @property
    def collisions(self) -> int | None:
        """Keys merged by a rewrite inside this wrapper (None: no rewrite)."""
        return getattr(self.trace, "collisions", None)

    def _start(self) -> None:
        self.key_names.clear()
        self.key_namer = ListNamer(self.key_names)
        self._new_of = np.full(1024, -1, np.int64)
        self._len_of = np.zeros(1024, np.int64)

    def _ensure(self, size: int) -> None:
        if size > len(self._new_of):
            grow = max(size, 2 * len(self._new_of))
            self._new_of = np.concatenate([self._new_of, np.full(grow - len(self._new_of), -1, np.int64)])
            self._len_of = np.concatenate([self._len_of, np.zeros(grow - len(self._len_of), np.int64)])


class RewrittenKeys(_Renumbered):
    """Keys renamed by ``rename``; equal new names merge (counted in ``collisions``)."""

    @property
    def collisions(self) -> int:
        return self.merged

    def __init__(self, trace, rename: Callable[[str], str]):
        super().__init__(trace)
        self.rename = rename
        self.merged = 0

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        self._start()
        index: dict[str, int] = {}
        seen = 0
        for chunk in self.trace.chunks(chunk_size):
            chunk = chunk.normalized()
            if not len(chunk):
                continue
            self._ensure(chunk.max_key + 1)
            ids, first = np.unique(chunk.key, return_index=True)
            fresh = self._new_of[ids] < 0
            order = np.argsort(first[fresh], kind="stable")
            fresh_ids = ids[fresh][order]
            old_names = _names_of(self.trace, fresh_ids, chunk.key_len[first[fresh][order]])
            for old_id, old_name in zip(fresh_ids, old_names):
                new_name = self.rename(old_name)
                new_id = index.setdefault(new_name, len(index))
                if new_id == len(self.key_names):
                    self.key_names.append(new_name)
                self._new_of[old_id] = new_id
                self._len_of[old_id] = min(65535, len(new_name.encode("utf-8", "surrogateescape")))
            seen += len(fresh_ids)
            self.merged = seen - len(index)
            yield RequestChunk(chunk.time, chunk.op, self._new_of[chunk.key].astype(np.int32),
                               self._len_of[chunk.key].astype(np.uint16), chunk.size, chunk.ttl_ms,
                               chunk.vtype)
        self.n_keys_hint = len(index)


@dataclass
class ScaledRate:
    """Trace time divided by ``factor``: the same requests, ``factor`` times as fast."""

    trace: object
    factor: float

    def __post_init__(self) -> None:
        self.fill = self.trace.fill
        self.name = getattr(self.trace, "name", "trace")
        self.n_keys_hint = getattr(self.trace, "n_keys_hint", None)

    @property
    def key_namer(self):
        return getattr(self.trace, "key_namer", None)

    @property
    def skipped_lines(self) -> int:
        return getattr(self.trace, "skipped_lines", 0)

    @property
    def collisions(self) -> int | None:
        """Keys merged by a rewrite inside this wrapper (None: no rewrite)."""
        return getattr(self.trace, "collisions", None)

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        for chunk in self.trace.chunks(chunk_size):
            yield RequestChunk(chunk.time / self.factor, chunk.op, chunk.key, chunk.key_len, chunk.size,
                               chunk.ttl_ms, chunk.vtype)


class ScaledKeys(_Renumbered):
    """Each key split into ``factor`` keys; a request goes to copy ``j`` drawn uniformly (seeded)."""

    def __init__(self, trace, factor: int, seed: int = 0):
        super().__init__(trace)
        self.factor = int(factor)
        self.seed = seed

    def chunks(self, chunk_size: int = 1 << 20) -> Iterator[RequestChunk]:
        self._start()
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, 0x5CA1E])))
        k = self.factor
        for chunk in self.trace.chunks(chunk_size):
            chunk = chunk.normalized()
            if not len(chunk):
                continue
            copy = rng.integers(0, k, len(chunk))
            pair = chunk.key.astype(np.int64) * k + copy
            self._ensure(int(pair.max()) + 1)
            pairs, first = np.unique(pair, return_index=True)
            fresh = self._new_of[pairs] < 0
            order = np.argsort(first[fresh], kind="stable")
            fresh_pairs = pairs[fresh][order]
            base = _names_of(self.trace, fresh_pairs // k, chunk.key_len[first[fresh][order]])
            for p, name in zip(fresh_pairs, base):
                j = int(p % k)
                new_name = name if j == 0 else f"{name}~{j}"
                self._new_of[p] = len(self.key_names)
                self._len_of[p] = min(65535, len(new_name.encode("utf-8", "surrogateescape")))
                self.key_names.append(new_name)
            yield RequestChunk(chunk.time, chunk.op, self._new_of[pair].astype(np.int32),
                               self._len_of[pair].astype(np.uint16), chunk.size, chunk.ttl_ms, chunk.vtype)
        self.n_keys_hint = len(self.key_names)


def apply_what_ifs(trace, *, rewrite: str | None = None, scale_rate: float | None = None,
                   scale_keys: int | None = None, seed: int = 0):
    """Wrap ``trace`` with the requested transformations (keys renamed, then split, then time)."""
    if rewrite:
        trace = RewrittenKeys(trace, parse_rewrite(rewrite))
    if scale_keys is not None:
        if int(scale_keys) != scale_keys or scale_keys < 1:
            raise UserInputError(f"expected a positive integer, got {scale_keys!r}", source="--scale-keys")
        if scale_keys > 1:
            trace = ScaledKeys(trace, int(scale_keys), seed)
    if scale_rate is not None:
        if not scale_rate > 0:
            raise UserInputError(f"expected a number > 0, got {scale_rate!r}", source="--scale-rate")
        if scale_rate != 1:
            trace = ScaledRate(trace, float(scale_rate))
    return trace


def add_what_if_options(parser) -> None:
    """The three what-if flags, for ``simulate``, ``run`` and ``trace convert``."""
    parser.add_argument("--rewrite-keys", metavar="RULE",
                        help=f"rename keys first: {_REWRITE_FORMS} (hash reports collisions)")
    parser.add_argument("--scale-rate", type=float, metavar="K", help="compress time by K (K x the rate)")
    parser.add_argument("--scale-keys", type=int, metavar="K",
                        help="split each key into K keys sharing its requests evenly")
