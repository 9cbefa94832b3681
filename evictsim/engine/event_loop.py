"""One server's event loop, compiled: its serverCron ticks, its client's windows of requests and its
readings, in the order the SimPy processes that used to run them took them, with Python called only
when the chunk of requests runs out (or, with per-namespace rows, at each reading).

The loop has three processes, as Redis and the harness that replays a trace against it have:

* the **cron**: every 1000/hz ms a ``serverCron`` tick (and the allocator model's tick). When the
  tick leaves nothing to do but the LRU clock (``cron_is_idle``), it jumps to the tick before the next
  request's window and accounts the skipped ticks in closed form;
* the **client**: at the start of the window (one cron period) that holds the next request, it serves
  every request of that window; a period later it looks again;
* the **sampler**: every ``sample-interval``, a reading for the time series
  (:mod:`evictsim.metrics.readings`), taken here; with per-namespace rows the loop returns to Python
  for it, which copies those rows too.

**Order.** Which of two processes due at the same time runs first decides, for instance, whether a
window's requests see that tick's expire cycle. SimPy runs events due at the same time in the order
they were scheduled, so each process keeps its next time and a scheduling number, and the loop runs
the least (time, number) next. The three start at time 0 in the order cron, sampler, client. So the
cron runs before the client while the client keeps serving window after window, and after the client
waits over two or more empty windows it runs first (it scheduled its wake-up before the cron did);
at a sample time the sampler usually comes first (it scheduled a whole interval earlier). Nothing
here fixes an order: it follows from the schedule, as it did in SimPy.

**Why compiled.** Run as SimPy processes, every tick cost a Python step of the cron and one of the
client, each with a kernel call: at 1,000 requests per simulated second that was most of the run's
time, and over a week-long trace 63% of it (issue 9). Here a tick costs what its work costs.

The state between calls is ``sched`` (slots below), so a call can stop in the middle of a step
(the cron deciding whether to jump, the client looking for its next request or serving a window)
when it needs what only Python has (the next chunk, a routed instance's wake-up time, a reading) and
go on from there.
"""
from __future__ import annotations

import math
import time

import numpy as np

from evictsim.engine.kernel import cron_is_idle, process_requests, server_cron, skip_idle_ticks
from evictsim.jit import kernel
from evictsim.keyspace.allocation import model_quiet, model_tick
from evictsim.metrics.counters import USED_MEMORY
from evictsim.metrics.readings import take_reading

# sched[] slots. Times are µs since the run's start (SimPy's clock); requests are absolute µs.
NOW = 0                   # the time of the event being run (or of the stop)
SEQ = 1                   # the next scheduling number
CRON_AT, CRON_SEQ, CRON_STEP = 2, 3, 4
CLIENT_AT, CLIENT_SEQ, CLIENT_STEP = 5, 6, 7
SAMPLE_AT, SAMPLE_SEQ = 8, 9
ALIVE = 10                # bits of the processes still running
END_US = 11               # when the cron and the sampler stop: -1 until the client has finished
POS = 12                  # the next request of the chunk
BEYOND = 13               # the next request's time after the chunk: UNKNOWN, NONE_LEFT or absolute µs
START_US, TICK_US, SAMPLE_US = 14, 15, 16
READ_HERE = 17            # 1: the loop takes the readings itself (into ``readings``); 0: Python does
N_READ = 18               # readings taken so far (rows of ``readings`` in use)
INFO_NOTE = 19            # the first reading is followed by the INFO command's histogram (readings.py)
N_SLOTS = 20

CRON, SAMPLER, CLIENT = 1, 2, 4
UNKNOWN, NONE_LEFT = -2, -1
CRON_TICK, CRON_SCHEDULE = 0, 1                 # the cron's steps: run the tick; schedule the next one
CLIENT_LOOK, CLIENT_SERVE, CLIENT_SERVED = 0, 1, 2

# why a call returns
STOP_SAMPLE = 0           # Python's reading is due at sched[NOW] (the sampler already rescheduled)
STOP_NEXT = 1             # a step needs the time of the request after the chunk: set BEYOND
STOP_SERVE = 2            # the window at sched[NOW] goes on past the chunk: serve it from Python
STOP_LIMIT = 3            # the window goes on past what this call may serve (room in the allocator model)
STOP_CLIENT_DONE = 4      # no request left: set END_US
STOP_FINISHED = 5         # every process has ended
STOP_FULL = 6             # a reading is due and ``readings`` has no room left


def new_schedule(start_us: int, tick_us: int, sample_us: int, *, read_here: bool,
                 info_note: bool) -> np.ndarray:
    """The three processes at time 0, scheduled in the order cron, sampler, client."""
    sched = np.zeros(N_SLOTS, np.int64)
    sched[READ_HERE], sched[INFO_NOTE] = read_here, info_note
    sched[CRON_SEQ], sched[SAMPLE_SEQ], sched[CLIENT_SEQ] = 0, 1, 2
    sched[SEQ] = 3
    sched[ALIVE] = CRON | SAMPLER | CLIENT
    sched[END_US] = -1
    sched[BEYOND] = UNKNOWN
    sched[START_US], sched[TICK_US], sched[SAMPLE_US] = start_us, tick_us, sample_us
    return sched


@kernel(inline=True)
def _schedule(sched, at_slot, at):
    """Schedule a process (its time slot, then its number slot) at ``at``."""
    sched[at_slot] = at
    sched[at_slot + 1] = sched[SEQ]
    sched[SEQ] += 1


@kernel(inline=True)
def _next_request(t_us, sched):
    """The next request's absolute µs: in the chunk, or what Python said comes after it."""
    pos = sched[POS]
    return t_us[pos] if pos < len(t_us) else sched[BEYOND]


@kernel(inline=True)
def _next_process(sched):
    """The live process with the least (time, scheduling number), or 0 when none is left."""
    alive = sched[ALIVE]
    who = 0
    at = 0
    seq = 0
    for bit, at_slot in ((CRON, CRON_AT), (SAMPLER, SAMPLE_AT), (CLIENT, CLIENT_AT)):
        if alive & bit:
            t, s = sched[at_slot], sched[at_slot + 1]
            if who == 0 or t < at or (t == at and s < seq):
                who, at, seq = bit, t, s
    return who, at


@kernel
def run_event_loop(requests, serve_hi, recording, core, policy, arena, readings, sched):
    """Run the processes from ``sched`` until Python is needed; returns why (``STOP_*``).

    ``requests`` is the chunk (``sched[POS]`` its next request); the client serves no request at or
    after ``serve_hi``; readings go to the rows of ``readings`` from ``sched[N_READ]`` on."""
    t_us = requests.t_us
    n = len(t_us)
    start = sched[START_US]
    tick = sched[TICK_US]
    memory = core.tables.memory
    while True:
        who, now = _next_process(sched)
        if who == 0:
            return STOP_FINISHED
        sched[NOW] = now
        end = sched[END_US]
        if who == CRON:
            if sched[CRON_STEP] == CRON_TICK:
                if end >= 0 and now > end:
                    sched[ALIVE] &= ~CRON
                    continue
                server_cron(core, policy, start + now)
                model_tick(memory, arena, start + now, core.server.stats[USED_MEMORY])
                sched[CRON_STEP] = CRON_SCHEDULE
            wait = tick
            if model_quiet(memory, arena) and cron_is_idle(core):
                nxt = _next_request(t_us, sched)   # jump to the tick before that request's window,
                if nxt == UNKNOWN:                 # which then schedules the window's own tick as an
                    return STOP_NEXT               # unskipped run would (same order vs the client)
                if nxt != NONE_LEFT:
                    window = (nxt - start) // tick * tick
                    wait = max(tick, window - tick - now)
                    if wait // tick > 1:
                        skip_idle_ticks(core, wait // tick - 1)
            sched[CRON_STEP] = CRON_TICK
            _schedule(sched, CRON_AT, now + wait)
        elif who == SAMPLER:
            if end >= 0 and now > end:
                sched[ALIVE] &= ~SAMPLER
                continue
            if sched[READ_HERE] == 0:
                _schedule(sched, SAMPLE_AT, now + sched[SAMPLE_US])
                return STOP_SAMPLE
            row = sched[N_READ]
            if row == len(readings):
                return STOP_FULL
            take_reading(core, policy, arena, readings, row, start + now, now, sched[INFO_NOTE] != 0)
            sched[N_READ] = row + 1
            _schedule(sched, SAMPLE_AT, now + sched[SAMPLE_US])
        else:
            step = sched[CLIENT_STEP]
            if step == CLIENT_LOOK:
                nxt = _next_request(t_us, sched)
                if nxt == UNKNOWN:
                    return STOP_NEXT
                if nxt == NONE_LEFT:
                    sched[ALIVE] &= ~CLIENT
                    return STOP_CLIENT_DONE
                window = (nxt - start) // tick * tick
                if window > now:
                    sched[CLIENT_STEP] = CLIENT_SERVE
                    _schedule(sched, CLIENT_AT, window)
                    continue
                step = CLIENT_SERVE
            if step == CLIENT_SERVE:
                bound = start + now + tick
                pos = sched[POS]
                hi = pos
                while hi < serve_hi and t_us[hi] < bound:
                    hi += 1
                if hi > pos:
                    process_requests(requests, pos, hi, recording, core, policy)
                    sched[POS] = hi
                if hi < n and hi == serve_hi and t_us[hi] < bound:
                    sched[CLIENT_STEP] = CLIENT_SERVE
                    return STOP_LIMIT
                if hi == n:
                    beyond = sched[BEYOND]
                    if beyond == UNKNOWN or (beyond != NONE_LEFT and beyond < bound):
                        sched[CLIENT_STEP] = CLIENT_SERVED
                        return STOP_SERVE
            sched[CLIENT_STEP] = CLIENT_LOOK
            _schedule(sched, CLIENT_AT, now + tick)


class EventLoop:
    """The Python side of one server's loop: hands the compiled loop its chunk, and does what it
    stops for (the next chunk, a window across chunks, a reading from Python, room for readings, the
    end). Readings are taken in the loop unless the run keeps per-namespace rows (Python copies
    those at each reading)."""

    def __init__(self, server, cursor, series, *, tick_us: int, sample_us: int):
        self.server, self.cursor, self.series = server, cursor, series
        self.sched = new_schedule(server.start_us, tick_us, sample_us, read_here=len(server.tag_stats) <= 1,
                                  info_note=series.info_note)
        self.loop_s = 0.0

    def run(self):
        """A generator of simulated times (µs since the start), in order, then None at the end. Each
        is a point where SimPy's clock must come to that time before the loop goes on: a reading
        taken from Python, and each time it reads its stream past the chunk (so the servers of one run
        read the shared stream in the order of their clocks, none ahead of the others)."""
        sched, cursor, server, readings = self.sched, self.cursor, self.server, self.series.readings
        tick_us = int(sched[TICK_US])
        while True:
            t0 = time.perf_counter()
            sched[N_READ] = readings.n
            stop = cursor.run_loop(readings.room(), sched)
            readings.n = int(sched[N_READ])
            self.loop_s += time.perf_counter() - t0
            now = int(sched[NOW])
            if stop == STOP_SAMPLE:
                yield now
                self.series.sample(server.start_us + now, now)
            elif stop == STOP_NEXT:
                yield now
                nxt = cursor.next_time_us()        # may read the next chunk (then POS restarts at it)
                sched[BEYOND] = NONE_LEFT if nxt is None else (UNKNOWN if cursor.chunk is not None else nxt)
            elif stop == STOP_SERVE:
                yield now
                t0 = time.perf_counter()
                cursor.serve_until(server.start_us + now + tick_us)
                self.loop_s += time.perf_counter() - t0
                sched[BEYOND] = UNKNOWN
            elif stop == STOP_CLIENT_DONE:
                last_us = int(round(cursor.last_time * 1e6))
                # the last reading must come after the window that served the last request (a reading
                # at time T comes before the window starting at T), so round (last + 1 µs) up to a
                # sample time
                sample_us = int(sched[SAMPLE_US])
                sched[END_US] = max(sample_us * math.ceil((last_us + 1) / sample_us), now)
            elif stop == STOP_FINISHED:
                yield None
                return
            # STOP_LIMIT and STOP_FULL: call again (the memory model is refitted, the table grown)
