"""The benchmark's synthetic traces: generated once (seeded, vectorised NumPy), cached on disk.

Two traces of the same shape: ``zipf`` (GET only, no TTL) and ``zipf_ttl`` (half the keys carry a
TTL, so ``volatile-ttl`` has candidates and expiry has work). Keys follow Zipf(alpha) over ``n_keys``
(hot ranks scattered over key ids by a permutation), values are lognormal with median 300 B (sigma 1,
clipped to [16, 8192] as in the reference traces), arrivals Poisson at ``rate`` req/s. Each trace is
kept twice in the cache: as the native CSV (gzip) that the end-to-end measurement reads, and as
``.npz`` arrays the simulate-only measurement loads (so CSV parsing is outside its timer), plus a
libCacheSim ``oracleGeneral`` binary for the peer-library measurement.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evictsim.traces.base import OP_GET, RequestChunk

KEY_FORMAT = "key:%07d"   # 11 bytes


@dataclass(frozen=True)
class TraceSpec:
    """Everything that determines a benchmark trace's bytes (same spec → same files)."""

    name: str
    requests: int
    n_keys: int = 1_000_000
    alpha: float = 1.0
    rate: float = 100_000.0       # req/s: 10M requests span 100 s of trace time
    ttl_frac: float = 0.0         # share of keys that carry a TTL
    ttl_range: tuple[float, float] = (10.0, 60.0)   # seconds, uniform, drawn once per key
    seed: int = 2024

    @property
    def stem(self) -> str:
        return f"{self.name}_{self.requests}"


def generate(spec: TraceSpec) -> RequestChunk:
    """Draw the trace's columns. Key ids are Zipf ranks mapped through a fixed permutation."""
    rng = np.random.default_rng(spec.seed)
    n = spec.requests
    time = np.cumsum(rng.exponential(1.0 / spec.rate, n))
    time -= time[0]
    weights = np.arange(1, spec.n_keys + 1, dtype=np.float64) ** -spec.alpha
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    rank = np.searchsorted(cdf, rng.random(n), side="right").clip(0, spec.n_keys - 1)
    key_of_rank = rng.permutation(spec.n_keys).astype(np.int32)
    key = key_of_rank[rank]
    size_of_key = np.clip(rng.lognormal(np.log(300.0), 1.0, spec.n_keys), 16, 8192).astype(np.int32)
    ttl_of_key = np.where(rng.random(spec.n_keys) < spec.ttl_frac,
                          np.rint(rng.uniform(*spec.ttl_range, spec.n_keys) * 1000.0), 0).astype(np.int64)
    return RequestChunk(time=np.round(time, 6), op=np.full(n, OP_GET, np.uint8), key=key,
                        key_len=np.full(n, len(KEY_FORMAT % 0), np.uint16), size=size_of_key[key],
                        ttl_ms=ttl_of_key[key])


def dense_ids(key: np.ndarray) -> np.ndarray:
    """Renumber keys in order of first appearance, as every evictsim trace reader does."""
    uniq, first = np.unique(key, return_index=True)
    order = np.argsort(first, kind="stable")
    new_id = np.empty(len(uniq), np.int32)
    new_id[order] = np.arange(len(uniq), dtype=np.int32)
    return new_id[np.searchsorted(uniq, key)]


def write_native_csv(chunk: RequestChunk, path: Path) -> None:
    """``time,op,key,size,ttl`` (gzip), built column-wise with Arrow: no Python loop over rows."""
    names = pa.array([KEY_FORMAT % i for i in range(int(chunk.key.max()) + 1)])
    ttl = pa.array(chunk.ttl_ms / 1000.0, mask=chunk.ttl_ms == 0)   # empty field = no TTL
    table = pa.table({"time": pa.array(chunk.time), "op": pc.take(pa.array(["GET", "SET", "DEL"]), chunk.op),
                      "key": pc.take(names, chunk.key), "size": pa.array(chunk.size), "ttl": ttl})
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wb", compresslevel=1) as out:   # level 1: the file is a cache, speed wins
        out.write(b"time,op,key,size,ttl\n")             # Arrow would quote the header names
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none",
                                                       batch_size=1 << 16))
    tmp.replace(path)


def write_oracle_general(chunk: RequestChunk, path: Path) -> None:
    """libCacheSim's 24-byte binary records; object size = key + value bytes (what a byte cache holds)."""
    rec = np.zeros(len(chunk), np.dtype([("t", "<u4"), ("id", "<u8"), ("size", "<u4"), ("next", "<i8")]))
    rec["t"] = chunk.time.astype(np.uint32)
    rec["id"] = chunk.key.astype(np.uint64) + 1     # 0 is not a good object id in some readers
    rec["size"] = chunk.size.astype(np.uint32) + chunk.key_len
    rec["next"] = -1
    tmp = path.with_suffix(".tmp")
    rec.tofile(tmp)
    tmp.replace(path)


def cached_trace(spec: TraceSpec, cache_dir: Path) -> dict[str, Path]:
    """Paths of the trace's CSV, arrays and oracleGeneral files, generating them when missing."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": cache_dir / f"{spec.stem}.csv.gz", "npz": cache_dir / f"{spec.stem}.npz",
             "oracle": cache_dir / f"{spec.stem}.oracleGeneral", "spec": cache_dir / f"{spec.stem}.json"}
    spec_text = json.dumps(asdict(spec), sort_keys=True)
    if all(p.exists() for p in paths.values()) and paths["spec"].read_text() == spec_text:
        return paths
    chunk = generate(spec)
    chunk.key = dense_ids(chunk.key)
    write_native_csv(chunk, paths["csv"])
    write_oracle_general(chunk, paths["oracle"])
    np.savez(paths["npz"], **{f: getattr(chunk, f) for f in ("time", "op", "key", "key_len", "size", "ttl_ms")})
    paths["spec"].write_text(spec_text)
    return paths


def load_arrays(path: Path) -> RequestChunk:
    with np.load(path) as z:
        return RequestChunk(**{f: z[f] for f in ("time", "op", "key", "key_len", "size", "ttl_ms")})
