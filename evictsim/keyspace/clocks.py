"""Redis's LRU and LFU clocks and counters (evict.c, MECHANICS §2–3), compiled.

The 24-bit ``lru`` field of each object holds either an LRU stamp (seconds of the wall clock, as of
the last cron tick, mod 2^24) or, under an LFU policy, ``ldt << 8 | counter`` with ``ldt`` in minutes
mod 2^16 and an 8-bit logarithmic counter. Both follow the wall clock, so the Unix time at trace
time 0 matters (which keys decay at which minute boundary).
"""
from __future__ import annotations

from evictsim.jit import kernel

from evictsim.keyspace.rng import rng_double

LRU_CLOCK_MAX = (1 << 24) - 1
LRU_CLOCK_RESOLUTION_MS = 1000
LFU_INIT_VAL = 5


@kernel
def lru_clock(now_ms):
    """``getLRUClock``: whole seconds of the wall clock, wrapping every ~194 days."""
    return (now_ms // LRU_CLOCK_RESOLUTION_MS) & LRU_CLOCK_MAX


@kernel
def idle_ms(clock, lru):
    """``estimateObjectIdleTime`` (including its one-tick-short wrap quirk)."""
    if clock >= lru:
        return (clock - lru) * LRU_CLOCK_RESOLUTION_MS
    return (clock + (LRU_CLOCK_MAX - lru)) * LRU_CLOCK_RESOLUTION_MS


@kernel
def lfu_minutes(now_ms):
    """``LFUGetTimeInMinutes``: (unixtime / 60) mod 2^16."""
    return ((now_ms // 1000) // 60) & 65535


@kernel
def lfu_decr(field, now_min, decay_time):
    """``LFUDecrAndReturn``: the counter less one per ``decay_time`` elapsed minutes (not stored)."""
    ldt = field >> 8
    counter = field & 255
    elapsed = now_min - ldt if now_min >= ldt else 65535 - ldt + now_min
    periods = elapsed // decay_time if decay_time > 0 else 0
    if periods > 0:
        counter = 0 if periods > counter else counter - periods
    return counter


@kernel
def lfu_log_incr(counter, log_factor, rng):
    """``LFULogIncr``: +1 with probability 1 / ((counter - 5) · factor + 1), saturating at 255."""
    if counter == 255:
        return 255
    r = rng_double(rng)
    base = counter - LFU_INIT_VAL
    if base < 0:
        base = 0
    p = 1.0 / (base * log_factor + 1)
    if r < p:
        counter += 1
    return counter


@kernel
def lfu_touch(field, now_min, decay_time, log_factor, rng):
    """``updateLFU``: decay, then a probabilistic increment, then stamp the current minute."""
    c = lfu_decr(field, now_min, decay_time)
    c = lfu_log_incr(c, log_factor, rng)
    return (now_min << 8) | c


@kernel
def lfu_new(now_min):
    return (now_min << 8) | LFU_INIT_VAL
