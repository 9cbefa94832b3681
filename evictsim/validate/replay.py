"""Replay a request stream against a live redis-server in real time, recording what Redis did.

Method (the same as the project's reference runs, so live numbers are comparable with them): every
request is one ``EVALSHA`` of :data:`LUA_SCRIPT`, which performs the request with look-aside
semantics and returns an outcome code (codes of :class:`evictsim.results.Result`). Requests are
pipelined from one connection in 5-ms batches: at each tick the replayer sends every request whose
trace time has come, then reads their replies. At every whole trace second it first sends what is
due before that second, waits for those replies, and reads ``INFO`` on a second connection, so
sample ``k`` reflects exactly the first ``sent[k]`` requests. Sample 0 is the empty server.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from evictsim.errors import UserInputError
from evictsim.traces.base import FIRST_SERVER_OP, OP_DEL, OP_GET, OP_SET, VT_STRING, RequestChunk
from evictsim.validate.resp import encode_command, parse_info
from evictsim.validate.server import RedisServer

# GET (+ fill SET on nil) / SET / DEL, with DBSIZE before and after to see a lazy expiry happen at
# this very access. Unflagged on purpose: Redis then runs eviction before the script, as it does
# before any ordinary command, and only a write inside can be refused with -OOM.
LUA_SCRIPT = """
local key, op = KEYS[1], ARGV[1]
local function fill()
  local value = string.rep('x', tonumber(ARGV[2]))
  local ttl = tonumber(ARGV[3])
  local reply
  if ttl > 0 then
    reply = redis.pcall('SET', key, value, 'PX', ttl)
  else
    reply = redis.pcall('SET', key, value)
  end
  if type(reply) == 'table' and reply.err then
    if string.find(reply.err, 'OOM', 1, true) then return false end
    error(reply.err)
  end
  return true
end
local before = redis.call('DBSIZE')
if op == 'G' then
  if redis.call('GET', key) then return 1 end
  local lazy = (redis.call('DBSIZE') < before) and 1 or 0
  if fill() then return 2 * lazy end
  return 3 + lazy
elseif op == 'S' then
  if not fill() then return 7 end
  if redis.call('DBSIZE') > before then return 5 end
  return 6
elseif op == 'D' then
  if redis.call('DEL', key) == 1 then return 8 end
  if redis.call('DBSIZE') < before then return 9 end
  return 10
end
return redis.error_reply('bad op ' .. tostring(op))
"""

OP_LETTERS = {OP_GET: b"G", OP_SET: b"S", OP_DEL: b"D"}
ERROR_CODE = 255   # an outcome slot whose reply was an error (never a valid code)
TICK_S = 0.005
# Right after setup the data connection still holds the 16-KiB+ query buffer of SCRIPT LOAD;
# clientsCron frees it once the client has been idle for more than 2 whole seconds. The reference
# baseline (977,024 B) was read after that, so wait for the drop (or give up after SETTLE_MAX_S).
SETTLE_MAX_S = 4.0
SETTLE_DROP_BYTES = 8192
INFO_FIELDS = ("keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys", "used_memory",
               "used_memory_peak", "db0_keys", "db0_expires")


@dataclass
class LiveRun:
    """What one live replay recorded."""

    outcomes: np.ndarray                 # uint8 per request; ERROR_CODE where Redis replied an error
    start_time: float                    # Unix time at trace time 0 (Redis's LRU/LFU clocks follow it)
    baseline_memory: int                 # used_memory just before the first request
    series: dict[str, np.ndarray]        # per whole trace second: t_nominal, t_info, sent, INFO_FIELDS
    lag: dict[str, float]                # send time minus trace time (s)
    errors: list[str] = field(default_factory=list)   # first few error replies
    error_count: int = 0
    redis_version: str = ""

    @property
    def final(self) -> dict[str, int]:
        return {k: int(self.series[k][-1]) for k in INFO_FIELDS}


def default_key_names(requests: RequestChunk) -> list[bytes]:
    """Distinct names of the byte length each key id carries (``k:`` + zero-padded id when it fits)."""
    n = requests.max_key + 1
    lengths = np.zeros(n, np.int64)
    lengths[requests.key] = requests.key_len
    names = []
    for key_id, length in enumerate(lengths.tolist()):
        if length == 0:   # id never requested: its name is never sent
            names.append(b"")
            continue
        digits = str(key_id)
        name = "k:" + digits.zfill(length - 2) if length - 2 >= len(digits) else digits.zfill(length)
        if len(name) != length:
            raise UserInputError(f"key id {key_id} cannot be given a unique name of {length} bytes",
                                 source="trace", key="key_len")
        names.append(name.encode())
    return names


def check_replayable(requests: RequestChunk) -> None:
    if len(requests) and np.any(requests.op >= FIRST_SERVER_OP):
        raise UserInputError("live validation replays GET/SET/DEL through the harness's Lua script; "
                             "this trace has server commands (FLUSHALL, MEMORY PURGE)", source="trace", key="op")
    if requests.vtype is not None and np.any(requests.vtype != VT_STRING):
        raise UserInputError("live validation sends string values only; this trace has integer "
                             "values (vtype)", source="trace", key="vtype")
    if len(requests) and np.any(np.diff(requests.time) < 0):
        raise UserInputError("request times must be non-decreasing", source="trace", key="time")


class _Replayer:
    """The replay loop's state: connections, the send cursor, the recorded arrays."""

    def __init__(self, server: RedisServer, requests: RequestChunk, key_names: list[bytes]):
        self.req = requests
        self.names = key_names
        self.data = server.connect(timeout=30.0)
        self.info = server.connect(timeout=30.0)
        self.sha = self.data.call("SCRIPT", "LOAD", LUA_SCRIPT)
        self.outcomes = np.full(len(requests), ERROR_CODE, np.uint8)
        self.send_elapsed = np.zeros(len(requests), np.float64)
        self.samples: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.error_count = 0
        self.cursor = 0
        self.t0 = 0.0

    def close(self) -> None:
        self.data.close()
        self.info.close()

    def command(self, i: int) -> bytes:
        r = self.req
        return encode_command((b"EVALSHA", self.sha, b"1", self.names[r.key[i]], OP_LETTERS[int(r.op[i])],
                               int(r.size[i]), int(r.ttl_ms[i])))

    def send_until(self, stop: int, elapsed: float) -> None:
        """Send requests [cursor, stop) as one pipelined batch and record their replies."""
        start = self.cursor
        if stop <= start:
            return
        self.data.send_raw(b"".join(self.command(i) for i in range(start, stop)))
        self.send_elapsed[start:stop] = elapsed
        for i in range(start, stop):
            reply = self.data.read_reply()
            if isinstance(reply, int) and 0 <= reply <= 10:
                self.outcomes[i] = reply
            else:
                self.error_count += 1
                if len(self.errors) < 5:
                    self.errors.append(str(reply))
        self.cursor = stop

    def settle(self) -> None:
        """Wait (without touching the data connection) until its idle query buffer is freed."""
        deadline = time.perf_counter() + SETTLE_MAX_S
        first = self._used_memory()
        while time.perf_counter() < deadline:
            time.sleep(0.25)
            if self._used_memory() <= first - SETTLE_DROP_BYTES:
                return

    def _used_memory(self) -> int:
        return int(parse_info(self.info.call("INFO", "memory"))["used_memory"])

    def sample(self, t_nominal: float) -> None:
        info = parse_info(self.info.call("INFO", "stats", "memory", "keyspace"))
        row = {k: int(info.get(k, 0)) for k in INFO_FIELDS}
        row.update(t_nominal=t_nominal, t_info=time.perf_counter() - self.t0, sent=self.cursor)
        self.samples.append(row)

    def run(self) -> float:
        """Replay everything; return the Unix time at trace time 0."""
        times = self.req.time
        n = len(times)
        last_second = int(math.floor(times[-1])) + 1 if n else 0
        self.settle()
        self.sample(0.0)
        self.t0 = time.perf_counter()
        start_unix = time.time()
        self.samples[0]["t_info"] = 0.0
        next_second, tick = 1, 0
        while self.cursor < n or next_second <= last_second:
            elapsed = time.perf_counter() - self.t0
            while next_second <= min(elapsed, last_second):
                self.send_until(int(np.searchsorted(times, next_second, "left")), elapsed)
                self.sample(float(next_second))
                next_second += 1
            self.send_until(int(np.searchsorted(times, elapsed, "right")), elapsed)
            tick += 1
            pause = self.t0 + tick * TICK_S - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            else:
                tick = int((time.perf_counter() - self.t0) / TICK_S)  # fell behind: do not burst-sleep
        return start_unix


def replay(server: RedisServer, requests: RequestChunk, key_names: list[bytes] | None = None) -> LiveRun:
    """Replay ``requests`` (one chunk, trace order) against ``server`` in real time."""
    req = requests.normalized()
    check_replayable(req)
    names = key_names if key_names is not None else default_key_names(req)
    if len(names) <= req.max_key:
        raise UserInputError(f"{len(names)} key names for {req.max_key + 1} key ids", source="trace",
                             key="key_names")
    player = _Replayer(server, req, [n if isinstance(n, bytes) else str(n).encode() for n in names])
    try:
        start_unix = player.run()
    finally:
        player.close()
    series = {k: np.array([s[k] for s in player.samples]) for k in ("t_nominal", "t_info", "sent")}
    series.update({k: np.array([s[k] for s in player.samples], np.int64) for k in INFO_FIELDS})
    lag = player.send_elapsed - req.time
    return LiveRun(outcomes=player.outcomes, start_time=start_unix,
                   baseline_memory=int(series["used_memory"][0]), series=series, lag=_lag_stats(lag),
                   errors=player.errors, error_count=player.error_count, redis_version=server.version())


def _lag_stats(lag: np.ndarray) -> dict[str, float]:
    if not len(lag):
        return {"mean": 0.0, "p50": 0.0, "p99": 0.0, "max": 0.0}
    return {"mean": float(lag.mean()), "p50": float(np.percentile(lag, 50)),
            "p99": float(np.percentile(lag, 99)), "max": float(lag.max())}


def load_requests(chunks: Iterable[RequestChunk], max_time: float | None = None) -> RequestChunk:
    """Concatenate a trace's chunks, keeping only requests before ``max_time`` seconds when given."""
    whole = RequestChunk.concat([c.normalized() for c in chunks])
    if max_time is not None:
        whole = whole.slice(0, int(np.searchsorted(whole.time, max_time, "left")))
    return whole
