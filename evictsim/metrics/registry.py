"""Every counter and gauge evictsim reports, declared once: the one list that ``timeseries.csv``'s
columns, ``summary.json``'s keys, ``evictsim info`` (Redis INFO / MEMORY STATS) and ``evictsim export``
(Prometheus / OpenMetrics with redis_exporter's names) are generated from.

A metric is named as Redis INFO names it where Redis has it (``used_memory``, ``evicted_keys``); the
names evictsim adds (``stale_keys``, ``expired_keys_lazy``) have no INFO section. ``prometheus`` is
redis_exporter's name (``exporter/exporter.go``: ``metricMapGauges``/``metricMapCounters``, and
``db_keys``/``db_keys_expiring``/``db_avg_ttl_seconds``/``errors_total`` with their labels); evictsim's
own metrics export as ``evictsim_*``. Adding a metric is one line here plus the code that computes it
(``metrics/timeseries.py``); a test checks that every column and summary key is declared here.
"""
from __future__ import annotations

from dataclasses import dataclass

COUNTER, GAUGE, INFO = "counter", "gauge", "info"      # INFO: a constant fact about the run


@dataclass(frozen=True)
class Metric:
    """One reported quantity.

    ``slot``: the kernel state slot (``metrics/counters.py``) it is read from as is, or None when it is
    derived. ``column``: a ``timeseries.csv`` column (sampled every ``sample-interval``);
    ``allocator``: a column only of runs with an allocator model (``allocator-model jemalloc``), filled
    from the model's cron sample and written after the others; ``defrag``: a column only of runs with
    ``activedefrag yes`` (after the allocator's); ``summary``:
    a ``summary.json`` key. ``section``: the INFO section that prints it (None: not an INFO field),
    ``info_field`` its spelling there when it differs from ``name``. ``prometheus_scale`` converts the
    unit (INFO's ``avg_ttl`` is in ms, redis_exporter's ``redis_db_avg_ttl_seconds`` in seconds).
    """

    name: str
    kind: str
    unit: str
    help: str
    section: str | None = None
    prometheus: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    slot: str | None = None
    column: bool = False
    allocator: bool = False
    defrag: bool = False
    summary: bool = False
    dtype: str = "int"
    info_field: str | None = None
    prometheus_scale: float = 1.0

    @property
    def redis_exporter(self) -> bool:
        """Whether the Prometheus name is redis_exporter's (a dashboard for it shows this metric)."""
        return (self.prometheus or "").startswith("redis_")


def _m(name, kind, unit, help, **kw) -> Metric:
    return Metric(name, kind, unit, help, **kw)


_DB0 = (("db", "db0"),)

METRICS: tuple[Metric, ...] = (
    # --- timeseries.csv, in column order (the first 18 are the original columns: never reorder) ----
    _m("time", GAUGE, "seconds", "Simulated seconds since the trace's time 0 (the sample's time)",
       column=True, dtype="float"),
    _m("requests", COUNTER, "requests", "Trace requests served", prometheus="evictsim_requests_total",
       slot="requests", column=True, summary=True),
    _m("gets", COUNTER, "requests", "GET requests served", prometheus="evictsim_gets_total",
       slot="gets", column=True, summary=True),
    _m("get_hits", COUNTER, "requests", "GET requests that found their key",
       prometheus="evictsim_get_hits_total", slot="get_hits", column=True, summary=True),
    _m("keyspace_hits", COUNTER, "lookups", "Number of successful lookup of keys in the main dictionary",
       section="stats", prometheus="redis_keyspace_hits_total", slot="keyspace_hits", column=True,
       summary=True),
    _m("keyspace_misses", COUNTER, "lookups", "Number of failed lookup of keys in the main dictionary",
       section="stats", prometheus="redis_keyspace_misses_total", slot="keyspace_misses", column=True,
       summary=True),
    _m("evicted_keys", COUNTER, "keys", "Number of evicted keys due to maxmemory limit", section="stats",
       prometheus="redis_evicted_keys_total", slot="evicted_keys", column=True, summary=True),
    _m("expired_keys", COUNTER, "keys", "Total number of key expiration events (lazy and active)",
       section="stats", prometheus="redis_expired_keys_total", column=True, summary=True),
    _m("expired_keys_lazy", COUNTER, "keys", "Keys expired on access (expireIfNeeded)",
       prometheus="evictsim_expired_keys_lazy_total", slot="expired_keys_lazy", column=True,
       summary=True),
    _m("expired_keys_active", COUNTER, "keys", "Keys expired by the active expire cycle (or at their "
       "expire time under expiry-mode exact)", prometheus="evictsim_expired_keys_active_total",
       column=True, summary=True),
    _m("rejected_writes", COUNTER, "replies", "Writes refused with -OOM (INFO errorstats errorstat_OOM)",
       section="errorstats", info_field="errorstat_OOM", prometheus="redis_errors_total",
       labels=(("err", "OOM"),), slot="rejected_writes", column=True, summary=True),
    _m("used_memory", GAUGE, "bytes", "Total number of bytes allocated by Redis using its allocator",
       section="memory", prometheus="redis_memory_used_bytes", slot="used_memory", column=True,
       summary=True),
    _m("used_memory_peak", GAUGE, "bytes", "Peak memory consumed by Redis (in bytes)", section="memory",
       prometheus="redis_memory_used_peak_bytes", slot="used_memory_peak", column=True, summary=True),
    _m("keys", GAUGE, "keys", "Keys in db0, expired but unreclaimed ones included", section="keyspace",
       prometheus="redis_db_keys", labels=_DB0, column=True, summary=True),
    _m("expires", GAUGE, "keys", "Keys with a TTL in db0", section="keyspace",
       prometheus="redis_db_keys_expiring", labels=_DB0, column=True, summary=True),
    _m("stale_keys", GAUGE, "keys", "Keys past their expire time still held in memory",
       prometheus="evictsim_stale_keys", column=True, summary=True),
    _m("stale_bytes", GAUGE, "bytes", "Bytes held by keys past their expire time",
       prometheus="evictsim_stale_bytes", column=True, summary=True),
    _m("hit_ratio_interval", GAUGE, "ratio", "GET hit ratio since the previous sample (empty when no "
       "GET); a rate, so not exported", column=True, dtype="float"),
    # --- columns added after the first 18 ------------------------------------------------------------
    _m("used_memory_dataset", GAUGE, "bytes", "The size in bytes of the dataset (used_memory minus "
       "used_memory_overhead)", section="memory", prometheus="redis_memory_used_dataset_bytes",
       column=True),
    _m("used_memory_overhead", GAUGE, "bytes", "The sum in bytes of all overheads that the server "
       "allocated for managing its internal data structures", section="memory",
       prometheus="redis_memory_used_overhead_bytes", column=True),
    _m("overhead_hashtable_main", GAUGE, "bytes", "MEMORY STATS db.0 overhead.hashtable.main: "
       "keys·(dictEntry + robj) + buckets·8", prometheus="evictsim_overhead_hashtable_main_bytes",
       column=True),
    _m("overhead_hashtable_expires", GAUGE, "bytes", "MEMORY STATS db.0 overhead.hashtable.expires: "
       "expires·dictEntry + buckets·8", prometheus="evictsim_overhead_hashtable_expires_bytes",
       column=True),
    _m("avg_ttl", GAUGE, "milliseconds", "Average TTL of db0's volatile keys as active expiry samples "
       "it (INFO keyspace avg_ttl)", section="keyspace", prometheus="redis_db_avg_ttl_seconds",
       labels=_DB0, slot="avg_ttl", column=True, prometheus_scale=1e-3),
    # --- the allocator model's columns (allocator-model jemalloc; keyspace/allocator/model.py), as
    # the cron sampled them (cronUpdateMemoryStats, every 100 ms); ratios as INFO prints them ---------
    _m("used_memory_rss", GAUGE, "bytes", "Number of bytes that Redis allocated as seen by the "
       "operating system (resident set size)", section="memory", prometheus="redis_memory_used_rss_bytes",
       allocator=True),
    _m("allocator_allocated", GAUGE, "bytes", "Bytes allocated by the allocator (jemalloc stats)",
       section="memory", prometheus="redis_allocator_allocated_bytes", allocator=True),
    _m("allocator_active", GAUGE, "bytes", "Bytes in the allocator's active pages", section="memory",
       prometheus="redis_allocator_active_bytes", allocator=True),
    _m("allocator_resident", GAUGE, "bytes", "Bytes resident in the allocator", section="memory",
       prometheus="redis_allocator_resident_bytes", allocator=True),
    _m("allocator_frag_ratio", GAUGE, "ratio", "allocator_active / allocator_allocated", section="memory",
       prometheus="redis_allocator_frag_ratio", dtype="float", allocator=True),
    _m("mem_fragmentation_ratio", GAUGE, "ratio", "used_memory_rss / used_memory", section="memory",
       prometheus="redis_mem_fragmentation_ratio", dtype="float", allocator=True),
    _m("active_defrag_running", GAUGE, "percent", "CPU share of the active defrag cycle (0: not running)",
       section="memory", prometheus="redis_active_defrag_running", defrag=True),
    _m("active_defrag_hits", COUNTER, "allocations", "Regions active defrag moved", section="stats",
       prometheus="redis_defrag_hits_total", defrag=True),
    _m("active_defrag_misses", COUNTER, "allocations", "Regions active defrag looked at and left",
       section="stats", prometheus="redis_defrag_misses_total", defrag=True),
    _m("active_defrag_key_hits", COUNTER, "keys", "Keys with a region moved by active defrag",
       section="stats", prometheus="redis_defrag_key_hits_total", defrag=True),
    _m("active_defrag_key_misses", COUNTER, "keys", "Keys active defrag scanned and left",
       section="stats", prometheus="redis_defrag_key_misses_total", defrag=True),
    _m("total_active_defrag_time", COUNTER, "ms", "CPU time of active defrag cycles (Redis 7.2's INFO "
       "name; evictsim: keys scanned / active-defrag-keys-per-ms)", section="stats",
       prometheus="evictsim_active_defrag_time_ms_total", defrag=True),
    # --- summary.json only: final values and the run's constants -------------------------------------
    _m("hit_ratio", GAUGE, "ratio", "get_hits / gets over the run (null without GETs)", summary=True,
       dtype="float"),
    _m("sets", COUNTER, "requests", "SET requests served", slot="sets", summary=True),
    _m("dels", COUNTER, "requests", "DEL requests served", slot="dels", summary=True),
    _m("fills", COUNTER, "requests", "Look-aside fills (SET after a GET miss)", slot="fills", summary=True),
    _m("expired_stale_perc", GAUGE, "percent", "Estimated percentage of expired keys still in memory",
       section="stats", prometheus="redis_expired_stale_percentage", summary=True, dtype="float"),
    _m("expired_time_cap_reached_count", COUNTER, "cycles", "Active expire cycles stopped by their "
       "time limit", section="stats", prometheus="redis_expired_time_cap_reached_total",
       slot="expired_time_cap_reached_count", summary=True),
    _m("lazyfree_pending_objects", GAUGE, "objects", "Objects waiting to be freed by the lazyfree "
       "thread", section="memory", prometheus="redis_lazyfree_pending_objects",
       slot="lazyfree_pending_objects", summary=True),
    _m("lazyfreed_objects", GAUGE, "objects", "Objects freed by the lazyfree thread (a gauge in "
       "redis_exporter)", section="memory",
       prometheus="redis_lazyfreed_objects", slot="lazyfreed_objects", summary=True),
    _m("lazyfree_pending_bytes", GAUGE, "bytes", "Bytes waiting to be freed by the lazyfree thread",
       slot="lazyfree_pending_bytes", summary=True),
    _m("maxmemory", GAUGE, "bytes", "The value of the maxmemory configuration directive (0: no limit)",
       section="memory", prometheus="redis_memory_max_bytes", summary=True),
    _m("maxmemory_policy", INFO, "", "The value of the maxmemory-policy configuration directive",
       section="memory", summary=True),
    _m("hz_effective", INFO, "hz", "serverCron frequency after dynamic-hz (INFO server hz)",
       section="server", info_field="hz", summary=True),
    _m("seed", INFO, "", "Seed of the simulator's random streams", summary=True),
    _m("start_time", INFO, "seconds", "Unix time at the trace's time 0", summary=True, dtype="float"),
    _m("trace", INFO, "", "The trace's name and fill semantics", summary=True),
    _m("config", INFO, "", "The resolved configuration, by redis.conf names", summary=True),
    _m("timing", INFO, "seconds", "Wall-clock seconds spent loading and simulating", summary=True),
    _m("warnings", INFO, "", "Configuration warnings found after the run", summary=True),
    # --- summary.json, added by engine/simulation.py from metrics/ceiling.py and steady_state.py -----
    _m("ceiling_hit_ratio", GAUGE, "ratio", "Hit ratio of an instance with unlimited memory on the same "
       "trace (null without GETs)", summary=True, dtype="float"),
    _m("cold_misses", COUNTER, "requests", "GETs of keys never referenced before", summary=True),
    _m("ceiling_expired_misses", COUNTER, "requests", "GET misses of the unlimited instance: TTL passed",
       summary=True),
    _m("ceiling_absent_misses", COUNTER, "requests", "GET misses of the unlimited instance: key never "
       "written or deleted", summary=True),
    _m("ceiling_get_hits", INFO, "requests", "The unlimited instance's cumulative hits per time-series "
       "row", summary=True),
    _m("warmup_s", GAUGE, "seconds", "Simulated time the steady state starts at (null: none found)",
       summary=True, dtype="float"),
    _m("warmup_reason", INFO, "", "Why the warm-up ends where it does", summary=True),
    _m("steady_hit_ratio", GAUGE, "ratio", "GET hit ratio after the warm-up", summary=True, dtype="float"),
    _m("steady_gets", COUNTER, "requests", "GETs after the warm-up", summary=True),
    _m("steady_ceiling_hit_ratio", GAUGE, "ratio", "The unlimited instance's hit ratio after the "
       "warm-up", summary=True, dtype="float"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
if len(BY_NAME) != len(METRICS):       # pragma: no cover - a duplicated line is a programming error
    raise RuntimeError("a metric is declared twice in evictsim/metrics/registry.py")

TIMESERIES_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS if m.column)
# the columns a run with an allocator model adds after TIMESERIES_COLUMNS, in this order
ALLOCATOR_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS if m.allocator)
# and the columns a run with activedefrag yes adds after those
DEFRAG_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS if m.defrag)
ALL_COLUMNS: tuple[str, ...] = TIMESERIES_COLUMNS + ALLOCATOR_COLUMNS + DEFRAG_COLUMNS
FLOAT_COLUMNS: frozenset[str] = frozenset(m.name for m in METRICS if (m.column or m.allocator)
                                          and m.dtype == "float")
SUMMARY_KEYS: tuple[str, ...] = tuple(m.name for m in METRICS if m.summary)


def metric(name: str) -> Metric:
    """The declaration of ``name``; KeyError names the registry when it is missing."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not declared in evictsim/metrics/registry.py") from None
