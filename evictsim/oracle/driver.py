"""``run_oracle``: the engine's schedule, without SimPy, around :class:`OracleServer`.

The schedule is the one :mod:`evictsim.engine.simulation` builds with SimPy, reproduced by a
small event queue that orders events exactly as SimPy does: by time, then process starts
(URGENT) before timeouts (NORMAL), then creation order. Three processes, started in this order:

* cron: a ``serverCron`` tick every 1000/hz ms from t=0 until the end time;
* sampler: an INFO reading every ``sample-interval`` until the end time (it changes nothing except
  the peak, the exact mode's due deletions, and, with the script protocol, the INFO command's
  latency histogram after the first reading);
* client: jumps to the cron window holding the next request, serves every request before the
  window's end in time order, sleeps one window; when the trace is done it sets the end time to
  the first sample time after the last request (or now, if later).

Because a jump over idle windows creates the client's wake-up before the cron's, the client can
run before the cron tick of the same instant: the queue reproduces that too.

For a policy whose spec ``needs_next_access`` (Belady), the driver computes each request's next
access to the same key from the trace (:func:`next_access_vtimes`) and hands it to the policy's twin.
"""
from __future__ import annotations

import heapq
import math
from typing import Generator

import numpy as np

from evictsim.config import RedisConfig
from evictsim.oracle.commands import Request
from evictsim.oracle.policy import NO_NEXT_ACCESS
from evictsim.oracle.server import OracleServer
from evictsim.policies import policy_spec
from evictsim.traces.base import FILL_LOOK_ASIDE, RequestChunk, refuse_server_ops

URGENT, NORMAL = 0, 1


def run_processes(processes: list) -> None:
    """Run generator processes that yield delays (µs), in SimPy's event order. Each is called
    with a zero-argument function returning the current time."""
    queue: list = []
    now = [0]
    seq = 0
    for make in processes:
        heapq.heappush(queue, (0, URGENT, seq, make(lambda: now[0])))
        seq += 1
    while queue:
        now[0], _, _, proc = heapq.heappop(queue)
        try:
            delay = next(proc)
        except StopIteration:
            continue
        heapq.heappush(queue, (now[0] + delay, NORMAL, seq, proc))
        seq += 1


def next_access_vtimes(keys) -> list[int]:
    """For each request, the index of the next request to the same key (``NO_NEXT_ACCESS``, int64
    max, for a key's last request)."""
    out = [NO_NEXT_ACCESS] * len(keys)
    last: dict[int, int] = {}
    for i in range(len(keys) - 1, -1, -1):
        k = int(keys[i])
        out[i] = last.get(k, NO_NEXT_ACCESS)
        last[k] = i
    return out


def run_oracle(chunk: RequestChunk, cfg: RedisConfig, *, seed: int, start_time: float,
               fill: str = FILL_LOOK_ASIDE, protocol: str = "script"):
    """Serve ``chunk`` on a pure-Python Redis model. Returns ``(outcomes, counters, memory)``:
    outcome codes (uint8, one per request), the summary counters (as of the last INFO reading,
    plus the final sets/dels/fills/expire-cycle stats), and per request
    ``(used_memory after the eviction step, used_memory after the command, eviction result)``."""
    refuse_server_ops(chunk, "the pure-Python oracle")
    n = len(chunk)
    start_us = int(round(start_time * 1e6))
    t_us = [start_us + int(round(float(t) * 1e6)) for t in chunk.time]
    vtype = chunk.vtype if chunk.vtype is not None else np.zeros(n, np.uint8)
    server = OracleServer(cfg, seed=seed, start_us=start_us, fill=fill == FILL_LOOK_ASIDE,
                          protocol_script=protocol == "script")
    next_vtime = (next_access_vtimes(chunk.key) if policy_spec(cfg.maxmemory_policy).needs_next_access
                  else [NO_NEXT_ACCESS] * n)
    tick_us = int(round(1e6 / server.hz))
    sample_us = int(round(cfg.sample_interval * 1e6))
    outcomes = np.full(n, 255, np.uint8)
    memory: list[tuple[int, int, int]] = []
    state: dict = {"end": None, "next": 0, "last_info": None}

    def running(now) -> bool:
        return state["end"] is None or now() <= state["end"]

    def cron(now) -> Generator[int, None, None]:
        while running(now):
            server.server_cron(start_us + now())
            yield tick_us

    def sampler(now) -> Generator[int, None, None]:
        while running(now):
            state["last_info"] = server.info(start_us + now())
            if server.protocol_script and now() == 0 and getattr(cfg, "info_after_baseline", True):
                server.note_commands(["INFO"])     # the harness's INFO, after the baseline reading
            yield sample_us

    def client(now) -> Generator[int, None, None]:
        while state["next"] < n:
            window = (t_us[state["next"]] - start_us) // tick_us * tick_us
            if window > now():
                yield window - now()
            bound = start_us + now() + tick_us
            while state["next"] < n and t_us[state["next"]] < bound:
                i = state["next"]
                req = Request(int(chunk.key[i]), int(chunk.key_len[i]), int(chunk.size[i]), int(vtype[i]),
                              int(chunk.ttl_ms[i]), next_vtime=next_vtime[i])
                code, after_eviction, result = server.process_command(req, int(chunk.op[i]), t_us[i])
                outcomes[i] = code
                memory.append((after_eviction, server.ks.used_memory, result))
                state["next"] += 1
            yield tick_us
        last_us = int(round(float(chunk.time[-1]) * 1e6)) if n else 0
        # the last reading comes after the window that served the last request (a reading at T
        # runs before the window starting at T): the first sample time after last_us
        state["end"] = max(sample_us * math.ceil((last_us + 1) / sample_us), now())

    run_processes([cron, sampler, client])
    server.check()
    counters = dict(state["last_info"])
    counters.update({k: server.stats[k] for k in ("sets", "dels", "fills")})
    counters["expired_stale_perc"] = round(server.es.stale_perc * 100, 6)
    counters["expired_time_cap_reached_count"] = server.es.time_cap_reached_count
    counters.update(lazyfree_pending_objects=server.lazyfree.pending_objects,
                    lazyfreed_objects=server.lazyfree.freed_objects,
                    lazyfree_pending_bytes=server.lazyfree.pending_bytes)
    return outcomes, counters, memory
