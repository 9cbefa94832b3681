"""A slow but exact per-namespace time series, from the pure-Python oracle (tests and small traces).

Until the compiled engine counts per namespace, this replays a trace on
:class:`~evictsim.oracle.server.OracleServer` with the engine's own schedule (cron, sampler,
client windows, as :func:`evictsim.oracle.driver.run_oracle` orders them) and, at every sample,
reads the oracle's per-key records: keys, bytes charged by the byte model (main entry + TTL entry)
and keys without a TTL per namespace; GETs and hits are counted per request; evictions and
expirations are attributed to the deleted key's namespace by the kind of delete
(``db_generic_delete`` asks ``ks.lazy[kind]`` right after removing the record). It writes the files
``evictsim leaks`` reads: ``namespaces.csv``, ``timeseries.csv`` and ``summary.json``.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from evictsim import atomic
from evictsim.config import RedisConfig
from evictsim.oracle.commands import Request
from evictsim.oracle.driver import run_processes
from evictsim.oracle.memory import expire_entry_bytes
from evictsim.oracle.server import OracleServer
from evictsim.results import TIMESERIES_COLUMNS, timeseries_to_csv
from evictsim.traces.base import FILL_LOOK_ASIDE, OP_GET, RequestChunk

NAMESPACE_COLUMNS = ("time", "namespace", "gets", "keyspace_hits", "keys", "bytes", "evicted_keys",
                     "expired_keys", "keys_no_ttl")
_KINDS = {"eviction": "evicted_keys", "expire": "expired_keys"}


def namespace_of(name: str) -> str:
    """The default namespace: the key's prefix up to and including the first ``:`` (else ``(none)``)."""
    cut = name.find(":")
    return name[:cut + 1] if cut >= 0 else "(none)"


class _DeleteLog(dict):
    """``ks.keys`` that remembers the key of the record just removed."""

    pending: int | None = None

    def __delitem__(self, key):
        super().__delitem__(key)
        self.pending = key


class _KindSpy(dict):
    """``ks.lazy``: the lookup of the delete's kind right after the removal attributes it."""

    def __init__(self, lazy: dict, keys: _DeleteLog, on_delete):
        super().__init__(lazy)
        self.keys, self.on_delete = keys, on_delete

    def __getitem__(self, kind):
        if self.keys.pending is not None:
            self.on_delete(self.keys.pending, kind)
            self.keys.pending = None
        return super().__getitem__(kind)


def replay(chunk: RequestChunk, key_names: list[str], cfg: RedisConfig, *, seed: int, start_time: float,
           fill: str = FILL_LOOK_ASIDE, protocol: str = "script"):
    """Serve ``chunk`` on the oracle; return ``(timeseries columns, namespace rows, last INFO)``."""
    spaces = sorted({namespace_of(n) for n in key_names})
    index = {s: i for i, s in enumerate(spaces)}
    space_of_key = np.array([index[namespace_of(n)] for n in key_names], np.int64)
    n, start_us = len(chunk), int(round(start_time * 1e6))
    t_us = [start_us + int(round(float(t) * 1e6)) for t in chunk.time]
    vtype = chunk.vtype if chunk.vtype is not None else np.zeros(n, np.uint8)
    server = OracleServer(cfg, seed=seed, start_us=start_us, fill=fill == FILL_LOOK_ASIDE,
                          protocol_script=protocol == "script")
    counts = {c: np.zeros(len(spaces), np.int64) for c in ("gets", "keyspace_hits", "evicted_keys",
                                                           "expired_keys")}

    def on_delete(key: int, kind: str) -> None:
        if kind in _KINDS:
            counts[_KINDS[kind]][space_of_key[key]] += 1

    server.ks.keys = _DeleteLog()
    server.ks.lazy = _KindSpy(server.ks.lazy, server.ks.keys, on_delete)
    tick_us, sample_us = int(round(1e6 / server.hz)), int(round(cfg.sample_interval * 1e6))
    state: dict = {"end": None, "next": 0}
    ops, spaces_of = chunk.op.tolist(), space_of_key[chunk.key].tolist()
    infos, rows = [], []

    def running(now) -> bool:
        return state["end"] is None or now() <= state["end"]

    def cron(now):
        while running(now):
            server.server_cron(start_us + now())
            yield tick_us

    def sampler(now):
        while running(now):
            info = server.info(start_us + now())
            infos.append({"time": now() / 1e6, **info})
            rows.extend(_namespace_rows(server, spaces, space_of_key, counts, now() / 1e6))
            if server.protocol_script and now() == 0 and cfg.info_after_baseline:
                server.note_commands(["INFO"])
            yield sample_us

    def client(now):
        while state["next"] < n:
            window = (t_us[state["next"]] - start_us) // tick_us * tick_us
            if window > now():
                yield window - now()
            bound = start_us + now() + tick_us
            while state["next"] < n and t_us[state["next"]] < bound:
                i = state["next"]
                req = Request(int(chunk.key[i]), int(chunk.key_len[i]), int(chunk.size[i]), int(vtype[i]),
                              int(chunk.ttl_ms[i]))
                code, _, _ = server.process_command(req, int(chunk.op[i]), t_us[i])
                if ops[i] == OP_GET:
                    counts["gets"][spaces_of[i]] += 1
                    counts["keyspace_hits"][spaces_of[i]] += code == 1
                state["next"] += 1
            yield tick_us
        last_us = int(round(float(chunk.time[-1]) * 1e6)) if n else 0
        state["end"] = max(sample_us * math.ceil((last_us + 1) / sample_us), now())

    run_processes([cron, sampler, client])
    server.check()
    return _columns(infos), rows, infos[-1]


def _namespace_rows(server, spaces, space_of_key, counts, t: float) -> list[tuple]:
    entry = expire_entry_bytes(server.ks.quantum)
    records = server.ks.keys
    ids = np.fromiter(records.keys(), np.int64, len(records))
    charged = np.fromiter((r.nbytes + (entry if r.expire is not None else 0) for r in records.values()),
                          np.int64, len(records))
    without_ttl = np.fromiter((r.expire is None for r in records.values()), np.int64, len(records))
    where = space_of_key[ids]
    keys = np.bincount(where, minlength=len(spaces))
    nbytes = np.bincount(where, weights=charged, minlength=len(spaces)).astype(np.int64)
    no_ttl = np.bincount(where, weights=without_ttl, minlength=len(spaces)).astype(np.int64)
    return [(t, name, int(counts["gets"][i]), int(counts["keyspace_hits"][i]), int(keys[i]), int(nbytes[i]),
             int(counts["evicted_keys"][i]), int(counts["expired_keys"][i]), int(no_ttl[i]))
            for i, name in enumerate(spaces)]


def _columns(infos: list[dict]) -> dict[str, np.ndarray]:
    cols = {c: np.array([row.get(c, 0) for row in infos]) for c in TIMESERIES_COLUMNS
            if c != "hit_ratio_interval"}
    cols["time"] = cols["time"].astype(np.float64)
    d_gets = np.diff(cols["gets"], prepend=0)
    d_hits = np.diff(cols["get_hits"], prepend=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cols["hit_ratio_interval"] = np.where(d_gets > 0, d_hits / np.maximum(d_gets, 1), np.nan)
    return cols


def namespaces_csv(rows: list[tuple]) -> str:
    buf = io.StringIO()
    buf.write(",".join(NAMESPACE_COLUMNS) + "\n")
    for row in rows:
        buf.write(f"{row[0]!r}," + ",".join(str(v) for v in row[1:]) + "\n")
    return buf.getvalue()


def write_oracle_run(trace, cfg: RedisConfig, out_dir: str | Path, *, seed: int = 0,
                     start_time: float = 1_700_000_000.0) -> dict:
    """Replay ``trace`` (small: the oracle serves some 10⁴–10⁵ requests/s) and write a run folder."""
    chunk = RequestChunk.concat([c.normalized() for c in trace.chunks()])
    names = trace.key_namer.names_for(np.arange(chunk.max_key + 1)).to_pylist()
    columns, rows, last = replay(chunk, names, cfg, seed=seed, start_time=start_time, fill=trace.fill)
    out = Path(out_dir)
    atomic.write_text(out / "namespaces.csv", namespaces_csv(rows))
    atomic.write_text(out / "timeseries.csv", timeseries_to_csv(columns))
    summary = {**{k: int(v) for k, v in last.items() if k != "time"}, "maxmemory": cfg.maxmemory,
               "maxmemory_policy": cfg.maxmemory_policy, "seed": seed, "start_time": start_time,
               "engine": "oracle (evictsim.leaks.oracle_series)", "config": cfg.to_mapping()}
    atomic.write_json(out / "summary.json", summary)
    return summary
