"""Active expiry: Redis 7.0's ``activeExpireCycle`` (expire.c; MECHANICS §7), and evictsim's
``exact`` mode (every key deleted as soon as it is past its time: the ideal to compare with).

The cycle's CPU time is modelled as the kernel models it: ``cost`` µs per sampled key plus a tenth
of that per visited bucket, so time limits turn into key counts deterministically.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from evictsim.oracle.db import Keyspace, db_generic_delete
from evictsim.oracle.dict import DICT_HT_INITIAL_SIZE

ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP = 20
ACTIVE_EXPIRE_CYCLE_FAST_DURATION = 1000     # µs
ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC = 25
ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE = 10


@dataclass
class ExpireState:
    """The statics of ``activeExpireCycle`` plus db 0's cursor, ``avg_ttl`` and the INFO stats."""

    effort: int
    hz: int
    key_cost_us: float
    timelimit_exit: bool = False
    last_fast_cycle_us: int = 0
    expires_cursor: int = 0
    avg_ttl: int = 0
    stale_perc: float = 0.0                  # stat_expired_stale_perc, a fraction
    time_cap_reached_count: int = 0
    cycle_cpu_us: int = 0
    expired_active: int = 0
    exact_heap: list = field(default_factory=list)   # (expire_ms, key) for the exact mode
    expired_exact: int = 0


def scan_expires_bucket_run(es: ExpireState, ks: Keyspace, num: int, now_ms: int) -> tuple:
    """One loop of the cycle: from the cursor, visit buckets of both tables until ``num`` keys
    were sampled or 20·num buckets checked. Returns (sampled, expired, ttl_sum, ttl_samples, checked).

    A chain is walked as Redis walks it, by ``de->next`` read *after* the previous entry's delete
    (whose rehash step may have moved the rest of the chain into table 1)."""
    sampled = expired = ttl_sum = ttl_samples = checked = 0
    d = ks.expires
    while sampled < num and checked < num * 20:
        for table in (0, 1):
            if table == 1 and not d.is_rehashing():
                break
            checked += 1
            if d.size(table) == 0:
                continue
            chain = d.table[table][es.expires_cursor & (d.size(table) - 1)]
            key = chain[0] if chain else None
            while key is not None:
                nxt = d.next_entry(key)
                when = ks.keys[key].expire
                ttl = when - now_ms
                if now_ms > when:                # activeExpireCycleTryExpire
                    db_generic_delete(ks, key, "expire")
                    es.expired_active += 1
                    expired += 1
                if ttl > 0:
                    ttl_sum += ttl
                    ttl_samples += 1
                sampled += 1
                key = nxt
        es.expires_cursor += 1
    return sampled, expired, ttl_sum, ttl_samples, checked


def active_expire_cycle(es: ExpireState, ks: Keyspace, now_us: int, *, fast: bool) -> None:
    e = es.effort - 1
    keys_per_loop = ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP + ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP // 4 * e
    fast_duration = ACTIVE_EXPIRE_CYCLE_FAST_DURATION + ACTIVE_EXPIRE_CYCLE_FAST_DURATION // 4 * e
    slow_perc = ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC + 2 * e
    acceptable_stale = ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE - e
    if fast:
        # the 7.0 unit quirk: a fraction compared with a percentage (§7 step 2)
        if not es.timelimit_exit and es.stale_perc < acceptable_stale:
            return
        if now_us < es.last_fast_cycle_us + 2 * fast_duration:
            return
        es.last_fast_cycle_us = now_us
    timelimit = max(1, slow_perc * 1_000_000 // es.hz // 100)
    if fast:
        timelimit = fast_duration
    es.timelimit_exit = False
    elapsed = 0.0
    iteration = total_sampled = total_expired = 0
    while True:
        iteration += 1
        num = len(ks.expires)
        if num == 0:
            es.avg_ttl = 0
            break
        slots = ks.expires.slots()
        if slots > DICT_HT_INITIAL_SIZE and num * 100 // slots < 1:
            break                                # under 1% full: wait for the cron shrink
        now_ms = (now_us + int(elapsed)) // 1000
        sampled, expired, ttl_sum, ttl_samples, checked = scan_expires_bucket_run(
            es, ks, min(num, keys_per_loop), now_ms)
        total_expired += expired
        total_sampled += sampled
        if ttl_samples:
            avg = ttl_sum // ttl_samples
            if es.avg_ttl == 0:
                es.avg_ttl = avg
            es.avg_ttl = es.avg_ttl // 50 * 49 + avg // 50
        elapsed += sampled * es.key_cost_us + checked * es.key_cost_us * 0.1
        if iteration & 15 == 0 and elapsed > timelimit:
            es.timelimit_exit = True
            es.time_cap_reached_count += 1
            break
        if not (sampled == 0 or expired * 100 // sampled > acceptable_stale):
            break
    es.cycle_cpu_us += int(elapsed)
    current = total_expired / total_sampled if total_sampled else 0.0
    es.stale_perc = current * 0.05 + es.stale_perc * 0.95


def exact_schedule(es: ExpireState, key: int, when_ms: int) -> None:
    heapq.heappush(es.exact_heap, (when_ms, key))


def expire_due_exact(es: ExpireState, ks: Keyspace, now_ms: int) -> None:
    """Delete every key past its time (``now > when``), earliest first (ties by key id).
    Entries whose key has since changed its expire time are skipped."""
    heap = es.exact_heap
    while heap and heap[0][0] < now_ms:
        when, key = heapq.heappop(heap)
        rec = ks.keys.get(key)
        if rec is not None and rec.expire == when:
            db_generic_delete(ks, key, "expire")
            es.expired_exact += 1
