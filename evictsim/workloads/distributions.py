"""Per-key attributes drawn from a hash of the key id: value sizes and TTLs.

A key's size and TTL are a pure function of (seed, key id): ``u = hash(seed, id)`` in [0, 1), then the
distribution's inverse CDF. So a key keeps its size every time it appears (as in the reference
traces), the same seed gives the same bytes, and nothing per key is stored: memory does not grow
with the key space, even for workloads that insert keys without bound (YCSB D/E).

Value-size specs: ``300`` (fixed), or a mapping with ``dist``: ``fixed`` (``value``), ``uniform``
(``min``, ``max``), ``lognormal`` (``median``, ``sigma``, optional ``min``/``max`` clip), ``empirical``
(``sizes`` and ``weights``: a histogram). TTL specs: ``0``/``none`` (no TTL), a number of seconds
(fixed), or ``{dist: uniform, min, max}`` in seconds; whole milliseconds either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from evictsim.traces.base import MAX_TTL_MS, MAX_VALUE_BYTES
from evictsim.traces.hashing import hash_uniform  # noqa: F401  (re-exported for generators)
from evictsim.workloads.params import BadValue, non_negative, positive

MAX_TTL_S = MAX_TTL_MS / 1000


def value_bytes(value: Any) -> float:
    """A value size in bytes: at most 512 MiB (Redis's proto-max-bulk-len)."""
    number = non_negative(value)
    if number > MAX_VALUE_BYTES:
        raise BadValue("expected a value size of at most 512mb (536870912 bytes, Redis's "
                       "proto-max-bulk-len)")
    return number


def ttl_seconds(value: Any) -> float:
    number = positive(value)
    if number > MAX_TTL_S:
        raise BadValue(f"expected a TTL of at most {MAX_TTL_S:.3g} seconds")
    if number < 0.001:
        raise BadValue("expected a TTL of at least 0.001 s (Redis TTLs are whole milliseconds >= 1)")
    return number

@dataclass(frozen=True)
class SizeDist:
    """A value-size distribution, sampled by inverse CDF of a per-key uniform."""

    kind: str
    a: float = 0.0          # fixed value, uniform min, lognormal median
    b: float = 0.0          # uniform max, lognormal sigma
    lo: float = 1.0         # clip
    hi: float = float(MAX_VALUE_BYTES)
    sizes: tuple[int, ...] = ()
    cum: tuple[float, ...] = ()

    def quantile(self, u: np.ndarray) -> np.ndarray:
        if self.kind == "fixed":
            out = np.full(len(u), self.a)
        elif self.kind == "uniform":
            out = np.floor(self.a + u * (self.b - self.a + 1))
        elif self.kind == "lognormal":
            out = np.rint(self.a * np.exp(self.b * ndtri(np.clip(u, 1e-12, 1 - 1e-12))))
        else:
            out = np.asarray(self.sizes, dtype=np.float64)[np.searchsorted(self.cum, u, side="right")]
        return np.clip(out, self.lo, self.hi).astype(np.int32)

    def mean_estimate(self) -> float:
        return float(self.quantile(np.linspace(0.0005, 0.9995, 1000)).mean())


def _get(spec: dict, name: str, parse, default: Any = None):
    if name not in spec:
        if default is None:
            raise BadValue(f"expected {name!r} in the {spec.get('dist')} spec", sub=name)
        return default
    try:
        return parse(spec[name])
    except BadValue as exc:
        raise BadValue(f"{exc}, got {spec[name]!r}", sub=name) from None


def parse_size_dist(value: Any) -> SizeDist:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return SizeDist("fixed", a=float(value_bytes(value)), lo=0)
    if not isinstance(value, dict) or "dist" not in value:
        raise BadValue("expected a size in bytes or a mapping with dist: fixed, uniform, lognormal "
                       "or empirical")
    kind = value["dist"]
    allowed = {"fixed": {"value"}, "uniform": {"min", "max"}, "lognormal": {"median", "sigma", "min", "max"},
               "empirical": {"sizes", "weights"}}
    if kind not in allowed:
        raise BadValue(f"expected dist: one of {', '.join(allowed)}, got {kind!r}", sub="dist")
    extra = set(value) - allowed[kind] - {"dist"}
    if extra:
        raise BadValue(f"unknown key for dist {kind}; expected: {', '.join(sorted(allowed[kind]))}",
                       sub=sorted(extra)[0])
    if kind == "fixed":
        return SizeDist("fixed", a=_get(value, "value", value_bytes), lo=0)
    if kind == "uniform":
        lo, hi = _get(value, "min", value_bytes), _get(value, "max", value_bytes)
        if hi < lo:
            raise BadValue(f"expected max >= min ({lo:g})", sub="max")
        return SizeDist("uniform", a=lo, b=hi, lo=0)
    if kind == "lognormal":
        lo, hi = _get(value, "min", value_bytes, 1.0), _get(value, "max", value_bytes, float(MAX_VALUE_BYTES))
        sigma = _get(value, "sigma", non_negative)
        if sigma > 20:
            raise BadValue(f"expected a sigma of at most 20, got {sigma!r}", sub="sigma")
        return SizeDist("lognormal", a=_get(value, "median", value_bytes), b=sigma,
                        lo=lo, hi=hi)
    return _empirical(value)


def _empirical(value: dict) -> SizeDist:
    sizes, weights = value.get("sizes"), value.get("weights")
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise BadValue("expected a non-empty list of sizes", sub="sizes")
    if not isinstance(weights, (list, tuple)) or len(weights) != len(sizes):
        raise BadValue(f"expected {len(sizes)} weights, one per size", sub="weights")
    w = np.asarray([non_negative(x) for x in weights], dtype=np.float64)
    if w.sum() <= 0:
        raise BadValue("expected weights that sum to more than 0", sub="weights")
    cum = np.cumsum(w) / w.sum()
    cum[-1] = 1.0 + 1e-12
    return SizeDist("empirical", sizes=tuple(int(value_bytes(s)) for s in sizes),
                    cum=tuple(float(c) for c in cum[:-1]) + (float(cum[-1]),), lo=0)


@dataclass(frozen=True)
class TtlDist:
    """TTL in ms per key: none, fixed or uniform seconds."""

    kind: str
    lo_s: float = 0.0
    hi_s: float = 0.0

    def quantile(self, u: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return np.zeros(len(u), np.int64)
        if self.kind == "uniform":
            seconds = self.lo_s + u * (self.hi_s - self.lo_s)
        else:
            seconds = np.full(len(u), self.lo_s)
        return np.maximum(np.rint(seconds * 1000.0), 1).astype(np.int64)


def parse_ttl(value: Any) -> TtlDist:
    if value in (None, 0, "none", "0", False):
        return TtlDist("none")
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return TtlDist("fixed", lo_s=ttl_seconds(value))
    if isinstance(value, dict) and value.get("dist") == "uniform":
        extra = set(value) - {"dist", "min", "max"}
        if extra:
            raise BadValue("unknown key for dist uniform; expected: max, min", sub=sorted(map(str, extra))[0])
        lo, hi = _get(value, "min", ttl_seconds), _get(value, "max", ttl_seconds)
        if hi < lo:
            raise BadValue(f"expected max >= min ({lo:g})", sub="max")
        return TtlDist("uniform", lo_s=lo, hi_s=hi)
    raise BadValue("expected none, a number of seconds, or {dist: uniform, min: S, max: S}")
