"""The metric registry: every column and summary key declared once, the kernel's slots declared one per
line, redis_exporter's names, and the derived used_memory_overhead against a real Redis 7.0.15."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import evictsim
from evictsim.metrics import counters as C
from evictsim.metrics import registry as R
from evictsim.results import TIMESERIES_COLUMNS

REF = Path(__file__).parent / "data" / "reference"
START_TIMES = json.loads((REF / "redis-7.0.15" / "start_times.json").read_text())
RUNS = json.loads((REF / "redis-7.0.15" / "runs.json").read_text())
OVERHEAD = json.loads((REF / "redis-7.0.15" / "overhead_series.json").read_text())["runs"]
COUNTERS_SOURCE = (Path(C.__file__)).read_text()
ORIGINAL_COLUMNS = (     # timeseries.csv before the registry: these never move
    "time", "requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys",
    "expired_keys", "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory",
    "used_memory_peak", "keys", "expires", "stale_keys", "stale_bytes", "hit_ratio_interval")


def simulate_reference(run: str):
    info = RUNS[run]
    return evictsim.simulate(str(REF / "traces" / f"{info['trace']}.csv.gz"), maxmemory=info["maxmemory"],
                             policy=info["policy"], start_time=START_TIMES[run],
                             config={"maxmemory-samples": 5, "hz": 10, "lfu-log-factor": 10,
                                     "lfu-decay-time": 1})


@pytest.fixture(scope="module")
def oom_run():
    """A run with TTLs, evictions refused (noeviction at a limit) and lazy and active expiry."""
    return simulate_reference("zipf_ttl__noeviction__mm50")


def test_every_time_series_column_and_summary_key_of_a_run_is_a_registered_metric(oom_run):
    assert list(oom_run.timeseries) == list(TIMESERIES_COLUMNS)
    assert all(R.BY_NAME[name].column for name in oom_run.timeseries)
    unregistered = [key for key in oom_run.summary if key not in R.BY_NAME or not R.BY_NAME[key].summary]
    assert unregistered == []


def test_the_original_columns_keep_their_order_and_new_ones_come_after():
    assert TIMESERIES_COLUMNS[:len(ORIGINAL_COLUMNS)] == ORIGINAL_COLUMNS
    assert {"used_memory_dataset", "used_memory_overhead"} <= set(TIMESERIES_COLUMNS[len(ORIGINAL_COLUMNS):])


def test_every_state_slot_is_declared_on_its_own_line_and_numbered_in_order():
    assert "globals()" not in COUNTERS_SOURCE
    for table, prefix in ((C.STATE, ""), (C.CONFIG, "C_"), (C.FCONFIG, "CF_"), (C.FSTATE, "")):
        for index, name in enumerate(table.names):
            constant = prefix + name.upper()
            assert getattr(C, constant) == index
            assert re.search(rf'^{constant}\s*=\s*\w+\.slot\("{name}"\)', COUNTERS_SOURCE, re.MULTILINE), constant
    assert (C.N_STATE, C.N_CFG, C.N_FSTATE, C.N_CFF) == (len(C.STATE), len(C.CONFIG), 1, 3)


def test_a_metric_read_from_a_slot_names_an_existing_state_slot():
    for m in R.METRICS:
        if m.slot:
            assert C.STATE.index(m.slot) == getattr(C, m.slot.upper())


def test_grep_finds_the_declaration_of_every_info_field():
    registry_source = Path(R.__file__).read_text()
    for m in R.METRICS:
        assert len(re.findall(rf'_m\("{m.name}",', registry_source)) == 1, m.name


@pytest.mark.parametrize("name, prometheus, labels", [
    ("used_memory", "redis_memory_used_bytes", ()), ("maxmemory", "redis_memory_max_bytes", ()),
    ("evicted_keys", "redis_evicted_keys_total", ()), ("expired_keys", "redis_expired_keys_total", ()),
    ("keyspace_hits", "redis_keyspace_hits_total", ()), ("keyspace_misses", "redis_keyspace_misses_total", ()),
    ("used_memory_peak", "redis_memory_used_peak_bytes", ()),
    ("used_memory_rss", "redis_memory_used_rss_bytes", ()),
    ("allocator_active", "redis_allocator_active_bytes", ()),
    ("allocator_allocated", "redis_allocator_allocated_bytes", ()),
    ("allocator_resident", "redis_allocator_resident_bytes", ()),
    ("mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", ()),
    ("allocator_frag_ratio", "redis_allocator_frag_ratio", ()),
    ("used_memory_dataset", "redis_memory_used_dataset_bytes", ()),
    ("used_memory_overhead", "redis_memory_used_overhead_bytes", ()),
    ("keys", "redis_db_keys", (("db", "db0"),)), ("expires", "redis_db_keys_expiring", (("db", "db0"),)),
    ("avg_ttl", "redis_db_avg_ttl_seconds", (("db", "db0"),)),
    ("rejected_writes", "redis_errors_total", (("err", "OOM"),)),
])
def test_prometheus_names_are_redis_exporters(name, prometheus, labels):
    """Spellings from oliver006/redis_exporter exporter/exporter.go and info.go."""
    m = R.BY_NAME[name]
    assert (m.prometheus, m.labels) == (prometheus, labels)
    assert m.kind == (R.COUNTER if prometheus.endswith("_total") else R.GAUGE)


def test_kinds_units_and_help_are_given_for_every_metric():
    for m in R.METRICS:
        assert m.kind in (R.COUNTER, R.GAUGE, R.INFO) and m.help
        assert m.section in (None, "memory", "stats", "errorstats", "keyspace", "server")
        assert not (m.kind == R.COUNTER and m.prometheus and not m.prometheus.endswith("_total"))


@pytest.mark.parametrize("run", sorted(OVERHEAD))
def test_used_memory_overhead_follows_real_redis(run):
    """Real INFO used_memory_overhead every second. The one documented gap: Redis counts the latency
    histograms inside baseline-memory as dataset (real used_memory − overhead at sample 0), evictsim
    counts them as overhead, so the difference should stay at that offset."""
    real = {k: np.asarray(v, np.float64) for k, v in OVERHEAD[run].items()}
    ts = simulate_reference(run).timeseries
    n = min(len(ts["time"]), len(real["used_memory_overhead"]))
    offset = real["used_memory"][0] - real["used_memory_overhead"][0]
    gap = ts["used_memory_overhead"][:n] - real["used_memory_overhead"][:n] - offset
    print(f"{run}: overhead − real − {offset:.0f}: median {np.median(gap):.0f} B, worst {np.abs(gap).max():.0f} B")
    assert abs(np.median(gap[1:])) < 0.005 * real["used_memory_overhead"][n - 1]
    assert np.mean(np.abs(gap[1:]) / real["used_memory_overhead"][1:n]) < 0.01
    np.testing.assert_array_equal(ts["used_memory_dataset"] + ts["used_memory_overhead"], ts["used_memory"])


def test_hashtable_overheads_use_redis_struct_sizes(oom_run):
    """getMemoryOverheadData: keys·(24 + 16) + slots·8 for the main dict, expires·24 + slots·8."""
    ts = oom_run.timeseries
    main_slots = (ts["overhead_hashtable_main"] - 40 * ts["keys"]) / 8
    expires_slots = (ts["overhead_hashtable_expires"] - 24 * ts["expires"]) / 8
    full = ts["keys"] > 0
    for slots, used in ((main_slots[full], ts["keys"][full]), (expires_slots[full], ts["expires"][full])):
        assert np.all(slots >= np.maximum(used, 4) * 0.99 / 1.618) and np.all(np.mod(slots, 4) == 0)
    assert ts["overhead_hashtable_main"][0] == 0 and ts["keys"][0] == 0
