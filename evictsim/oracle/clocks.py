"""The LRU clock and the LFU counter of Redis 7.0 (evict.c; MECHANICS §2–3), in plain Python."""
from __future__ import annotations

LRU_CLOCK_MAX = (1 << 24) - 1
LRU_CLOCK_RESOLUTION = 1000     # ms
LFU_INIT_VAL = 5


def get_lru_clock(now_ms: int) -> int:
    """``getLRUClock``: whole seconds mod 2^24 (cron stores it in ``server.lruclock``)."""
    return (now_ms // LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX


def estimate_object_idle_time(lruclock: int, lru: int) -> int:
    """``estimateObjectIdleTime`` in ms, with its one-tick-short wrap (§2)."""
    if lruclock >= lru:
        return (lruclock - lru) * LRU_CLOCK_RESOLUTION
    return (lruclock + (LRU_CLOCK_MAX - lru)) * LRU_CLOCK_RESOLUTION


def lfu_time_in_minutes(now_ms: int) -> int:
    """``LFUGetTimeInMinutes``: (unixtime / 60) mod 2^16."""
    return (now_ms // 1000 // 60) & 65535


def lfu_decr_and_return(field: int, now_min: int, decay_time: int) -> int:
    """``LFUDecrAndReturn``: subtract one per ``decay_time`` elapsed minutes; not stored (§3)."""
    ldt, counter = field >> 8, field & 255
    elapsed = now_min - ldt if now_min >= ldt else 65535 - ldt + now_min
    periods = elapsed // decay_time if decay_time else 0
    return max(0, counter - periods)


def lfu_log_incr(counter: int, log_factor: int, rng) -> int:
    """``LFULogIncr``: +1 with probability 1/((counter-5)·factor+1); one draw unless saturated."""
    if counter == 255:
        return 255
    r = rng.double()
    p = 1.0 / (max(0, counter - LFU_INIT_VAL) * log_factor + 1)
    return counter + 1 if r < p else counter


def update_lfu(field: int, now_min: int, decay_time: int, log_factor: int, rng) -> int:
    """``updateLFU`` (the touch in lookupKey): decay, increment, stamp the minute."""
    counter = lfu_log_incr(lfu_decr_and_return(field, now_min, decay_time), log_factor, rng)
    return (now_min << 8) | counter


def lfu_new_object(now_min: int) -> int:
    """``createObject`` under LFU: counter LFU_INIT_VAL stamped now."""
    return (now_min << 8) | LFU_INIT_VAL
