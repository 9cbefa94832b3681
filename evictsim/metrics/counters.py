"""Named slots of the kernel's state vectors: counters (named as Redis INFO names them) and the
engine's own bookkeeping, so Python reads ``st[EVICTED_KEYS]`` and reporters map names generically."""
from __future__ import annotations

import numpy as np

# --- int64 state vector `st` ---------------------------------------------------------------------
_NAMES = (
    "requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys",
    "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory", "used_memory_peak",
    "sets", "dels", "fills", "key_bytes", "table_bytes", "overhead_bytes", "lazyfree_pending_bytes",
    "lazyfreed_objects", "evict_proc_active", "timelimit_exit", "last_fast_cycle_us", "expires_cursor",
    "lru_clock", "commands_seen", "client_started", "expired_time_cap_reached_count",
    "expire_cycle_cpu_us", "next_loop_us", "avg_ttl", "heap_size", "expired_keys_exact", "evict_calls",
    "lazyfree_pending_objects",
    "lazyfreed_bytes", "lazyfree_last_us", "evict_proc_last_us", "lua_value_alloc",
)
for _i, _n in enumerate(_NAMES):
    globals()[_n.upper()] = _i
N_STATE = len(_NAMES)

# --- float64 state vector `fst` ------------------------------------------------------------------
EXPIRED_STALE_PERC = 0
N_FSTATE = 1

# --- int64 config vector `cfg` -------------------------------------------------------------------
_CFG = ("maxmemory", "policy", "samples", "evict_limit_us", "hz", "effort", "lfu_log_factor",
        "lfu_decay_time", "lazyfree_eviction", "lazyfree_expire", "lazyfree_server_del",
        "lazyfree_user_del", "expiry_mode", "quantum", "fill_lookaside", "shared_int_ok",
        "histogram_bytes", "client_growth", "script_protocol", "batch_us", "rehash_buckets_per_cron",
        "activerehashing")
for _i, _n in enumerate(_CFG):
    globals()["C_" + _n.upper()] = _i
N_CFG = len(_CFG)

# float64 config vector `cff`
CF_EXPIRE_KEY_COST_US, CF_EVICT_KEY_COST_US, CF_LAZYFREE_BYTES_PER_US = 0, 1, 2
N_CFF = 3

EXPIRY_REDIS, EXPIRY_LAZY, EXPIRY_EXACT = 0, 1, 2

# Command names whose first use allocates a latency histogram (bit positions in COMMANDS_SEEN).
CMD_GET, CMD_SET, CMD_DEL, CMD_EVALSHA, CMD_DBSIZE, CMD_INFO = 0, 1, 2, 3, 4, 5


def new_state() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(N_STATE, np.int64), np.zeros(N_FSTATE, np.float64)
