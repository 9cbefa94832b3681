"""``namespaces``: several key prefixes (``session:``, ``cache:``, ``queue:``...) sharing one server,
each with its own share of the traffic, key count, popularity, value sizes, TTLs and key-name length.

Each namespace is a mapping: ``prefix`` and ``share`` (required; shares are normalised to sum to 1),
``keys`` (10000), ``alpha`` (0.99; 0 = uniform), ``value-size``, ``ttl``, ``ttl-fraction`` (default:
the workload-wide values), ``key-len`` (default: the workload-wide ``key-len`` if given, else the
prefix plus 8 digits). Setting ``key-len`` workload-wide measures what short key names save.

``leak: true`` makes a namespace a leak: each of its requests is a SET of a key never written before,
without a TTL (its ``keys``, ``alpha`` and ``ttl`` are ignored), so it writes ``rate × share`` new
keys per second for ever: what ``evictsim leaks`` is meant to find.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from evictsim.traces.base import OP_SET
from evictsim.traces.names import padded_names
from evictsim.workloads.base import COMMON, Workload, key_len
from evictsim.workloads.distributions import SizeDist, TtlDist, hash_uniform, parse_size_dist, parse_ttl
from evictsim.workloads.params import BadValue, Param, fraction, key_count, non_negative, positive, text
from evictsim.workloads.popularity import Zipf

DEFAULT_NAMESPACES = [
    {"prefix": "session:", "share": 0.3, "keys": 20000, "alpha": 0.6, "value-size": 200, "ttl": 1800},
    {"prefix": "cache:", "share": 0.6, "keys": 100000, "alpha": 0.99,
     "value-size": {"dist": "lognormal", "median": 500, "sigma": 1.0, "min": 16, "max": 65536},
     "ttl": {"dist": "uniform", "min": 60, "max": 3600}},
    {"prefix": "queue:", "share": 0.1, "keys": 1000, "alpha": 0.0, "value-size": 100},
]


@dataclass(frozen=True)
class Namespace:
    prefix: str
    share: float
    keys: int
    alpha: float
    value_size: SizeDist | None
    ttl: TtlDist | None
    ttl_fraction: float | None
    key_len: int | None
    leak: bool = False


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue("expected true or false")
    return value


_FIELDS = {"prefix": text, "share": positive, "keys": key_count, "alpha": non_negative,
           "value-size": parse_size_dist, "ttl": parse_ttl, "ttl-fraction": fraction, "key-len": key_len,
           "leak": _flag}


def _namespace(spec: Any, i: int) -> Namespace:
    if not isinstance(spec, dict):
        raise BadValue(f"expected a mapping with prefix and share, got {spec!r}", sub=str(i))
    for name in spec:
        if name not in _FIELDS:
            raise BadValue(f"unknown key; expected one of: {', '.join(_FIELDS)}", sub=f"{i}.{name}")
    for name in ("prefix", "share"):
        if name not in spec:
            raise BadValue(f"expected {name!r} in each namespace", sub=f"{i}.{name}")
    values = {}
    for name, parse in _FIELDS.items():
        if name in spec:
            try:
                values[name] = parse(spec[name])
            except BadValue as exc:
                raise BadValue(f"{exc}, got {spec[name]!r}", sub=f"{i}.{name}") from None
    return Namespace(values["prefix"], values["share"], values.get("keys", 10000), values.get("alpha", 0.99),
                     values.get("value-size"), values.get("ttl"), values.get("ttl-fraction"),
                     values.get("key-len"), values.get("leak", False))


def parse_namespaces(value: Any) -> tuple[Namespace, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise BadValue("expected a list of namespaces (mappings with prefix, share, ...)")
    spaces = tuple(_namespace(spec, i) for i, spec in enumerate(value))
    if len({s.prefix for s in spaces}) != len(spaces):
        raise BadValue("expected distinct prefixes")
    return spaces


_COMMON = tuple(p if p.name != "key-len" else Param("key-len", None, "key name length for every "
                "namespace (default: each namespace's key-len, else prefix + 8 digits)", key_len)
                for p in COMMON if p.name != "key-prefix")


class NamespacesWorkload(Workload):
    """Several key prefixes, each with its own share, popularity, sizes and TTLs."""

    NAME = "namespaces"
    PARAMS = (Param("namespaces", DEFAULT_NAMESPACES, "list of {prefix, share, keys, alpha, value-size, "
                                                      "ttl, ttl-fraction, key-len}", parse_namespaces),
              ) + _COMMON

    def __init__(self, params: dict, seed: int):
        super().__init__(params, seed)
        self.spaces = params["namespaces"]
        self.offsets = np.cumsum([0] + [s.keys for s in self.spaces])
        shares = np.asarray([s.share for s in self.spaces])
        self.cum_share = np.cumsum(shares / shares.sum())
        self.cum_share[-1] = 1.0
        self.leaks = [j for j, s in enumerate(self.spaces) if s.leak]

    def key_space(self) -> int:
        return int(self.offsets[-1])

    def key_len_of(self, space: Namespace) -> int:
        return self.p["key-len"] or space.key_len or len(space.prefix.encode()) + 8

    def start(self, rngs) -> None:
        self.rngs = rngs
        self.leaked = [0] * len(self.leaks)    # keys each leaking namespace has written so far
        self.popularity = [Zipf(s.keys, s.alpha) for s in self.spaces]
        self.perms = [rngs["extra"].permutation(s.keys) for s in self.spaces]

    def space_of(self, ids: np.ndarray) -> np.ndarray:
        space = np.searchsorted(self.offsets, ids, side="right") - 1
        if self.leaks:      # leak ids lie past the fixed spaces: offsets[-1] + n·len(leaks) + which
            past = ids >= self.offsets[-1]
            space[past] = np.asarray(self.leaks)[(ids[past] - self.offsets[-1]) % len(self.leaks)]
        return space

    def local_ids(self, ids: np.ndarray, j: int) -> np.ndarray:
        if self.spaces[j].leak:
            return (ids - self.offsets[-1]) // len(self.leaks)
        return ids - self.offsets[j]

    def requests(self, times):
        n = len(times)
        which = np.searchsorted(self.cum_share, self.rngs["keys"].random(n), side="right")
        keys = np.empty(n, np.int64)
        for j, space in enumerate(self.spaces):
            sel = np.flatnonzero(which == j)
            ranks = self.popularity[j].sample(self.rngs["keys"], len(sel))
            keys[sel] = self.offsets[j] + self.perms[j][ranks]
        ops = self.op_mix(self.rngs["ops"], n)
        for nth, j in enumerate(self.leaks):
            sel = np.flatnonzero(which == j)
            keys[sel] = self.offsets[-1] + (self.leaked[nth] + np.arange(len(sel))) * len(self.leaks) + nth
            ops[sel] = OP_SET
            self.leaked[nth] += len(sel)
        return times, ops, keys

    def attributes(self, ids):
        space = self.space_of(ids)
        klen = np.empty(len(ids), np.uint16)
        size = np.empty(len(ids), np.int32)
        ttl = np.zeros(len(ids), np.int64)
        salt = self.seed * 0x100000001B3
        for j, s in enumerate(self.spaces):
            sel = np.flatnonzero(space == j)
            local = self.local_ids(ids[sel], j)
            klen[sel] = self.name_lengths(local, s.prefix, self.key_len_of(s))
            size[sel] = (s.value_size or self.p["value-size"]).quantile(hash_uniform(ids[sel], salt))
            dist = s.ttl if s.ttl is not None else self.p["ttl"]
            if dist is not None and dist.kind != "none" and not s.leak:
                frac = s.ttl_fraction if s.ttl_fraction is not None else self.p["ttl-fraction"]
                has = hash_uniform(ids[sel], salt + 1) < frac
                ttl[sel] = np.where(has, dist.quantile(hash_uniform(ids[sel], salt + 2)), 0)
        return klen, size, ttl

    def key_names(self, ids):
        space = self.space_of(ids)
        pieces, where = [], []
        for j, s in enumerate(self.spaces):
            sel = np.flatnonzero(space == j)
            local = self.local_ids(ids[sel], j)
            lengths = self.name_lengths(local, s.prefix, self.key_len_of(s))
            pieces.append(padded_names(s.prefix, local, lengths))
            where.append(sel)
        order = np.argsort(np.concatenate(where), kind="stable")
        return pa.concat_arrays(pieces).take(pa.array(order))
