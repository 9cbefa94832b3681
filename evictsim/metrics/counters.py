"""Named slots of the kernel's state vectors: counters (named as Redis INFO names them) and the
engine's own bookkeeping, so Python reads ``st[EVICTED_KEYS]`` and reporters map names generically.

Each slot is declared on its own line (``grep USED_MEMORY`` finds it). The compiled kernels import
these integers and numba folds them into the machine code as constants, so a slot is a plain ``int``.
``STATE.names`` lists the int64 state vector's slots in order; the metrics a run reports are declared
in :mod:`evictsim.metrics.registry`, whose ``slot`` field names the state slot a metric is read from
(a test checks both lists agree).
"""
from __future__ import annotations

import numpy as np


class SlotTable:
    """Hands out consecutive indices of one state vector and remembers their names."""

    def __init__(self, vector: str):
        self.vector = vector
        self.names: list[str] = []

    def slot(self, name: str) -> int:
        if name in self.names:
            raise ValueError(f"{self.vector} slot {name!r} declared twice")
        self.names.append(name)
        return len(self.names) - 1

    def index(self, name: str) -> int:
        """The slot of ``name``; KeyError when it is not a slot of this vector."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"{name!r} is not a slot of the {self.vector} vector") from None

    def __len__(self) -> int:
        return len(self.names)


# --- int64 state vector `st` ---------------------------------------------------------------------
STATE = SlotTable("st")
REQUESTS                       = STATE.slot("requests")
GETS                           = STATE.slot("gets")
GET_HITS                       = STATE.slot("get_hits")
KEYSPACE_HITS                  = STATE.slot("keyspace_hits")
KEYSPACE_MISSES                = STATE.slot("keyspace_misses")
EVICTED_KEYS                   = STATE.slot("evicted_keys")
EXPIRED_KEYS_LAZY              = STATE.slot("expired_keys_lazy")
EXPIRED_KEYS_ACTIVE            = STATE.slot("expired_keys_active")
REJECTED_WRITES                = STATE.slot("rejected_writes")
USED_MEMORY                    = STATE.slot("used_memory")
USED_MEMORY_PEAK               = STATE.slot("used_memory_peak")
SETS                           = STATE.slot("sets")
DELS                           = STATE.slot("dels")
FILLS                          = STATE.slot("fills")
KEY_BYTES                      = STATE.slot("key_bytes")
TABLE_BYTES                    = STATE.slot("table_bytes")
OVERHEAD_BYTES                 = STATE.slot("overhead_bytes")
LAZYFREE_PENDING_BYTES         = STATE.slot("lazyfree_pending_bytes")
LAZYFREED_OBJECTS              = STATE.slot("lazyfreed_objects")
EVICT_PROC_ACTIVE              = STATE.slot("evict_proc_active")
TIMELIMIT_EXIT                 = STATE.slot("timelimit_exit")
LAST_FAST_CYCLE_US             = STATE.slot("last_fast_cycle_us")
EXPIRES_CURSOR                 = STATE.slot("expires_cursor")
LRU_CLOCK                      = STATE.slot("lru_clock")
COMMANDS_SEEN                  = STATE.slot("commands_seen")
CLIENT_STARTED                 = STATE.slot("client_started")
EXPIRED_TIME_CAP_REACHED_COUNT = STATE.slot("expired_time_cap_reached_count")
EXPIRE_CYCLE_CPU_US            = STATE.slot("expire_cycle_cpu_us")
NEXT_LOOP_US                   = STATE.slot("next_loop_us")
AVG_TTL                        = STATE.slot("avg_ttl")
HEAP_SIZE                      = STATE.slot("heap_size")
EXPIRED_KEYS_EXACT             = STATE.slot("expired_keys_exact")
EVICT_CALLS                    = STATE.slot("evict_calls")
LAZYFREE_PENDING_OBJECTS       = STATE.slot("lazyfree_pending_objects")
LAZYFREED_BYTES                = STATE.slot("lazyfreed_bytes")
LAZYFREE_LAST_US               = STATE.slot("lazyfree_last_us")
EVICT_PROC_LAST_US             = STATE.slot("evict_proc_last_us")
LUA_VALUE_ALLOC                = STATE.slot("lua_value_alloc")
N_STATE = len(STATE)

# --- float64 state vector `fst` ------------------------------------------------------------------
FSTATE = SlotTable("fst")
EXPIRED_STALE_PERC = FSTATE.slot("expired_stale_perc")
N_FSTATE = len(FSTATE)

# --- int64 config vector `cfg` -------------------------------------------------------------------
CONFIG = SlotTable("cfg")
C_MAXMEMORY               = CONFIG.slot("maxmemory")
C_POLICY                  = CONFIG.slot("policy")
C_SAMPLES                 = CONFIG.slot("samples")
C_EVICT_LIMIT_US          = CONFIG.slot("evict_limit_us")
C_HZ                      = CONFIG.slot("hz")
C_EFFORT                  = CONFIG.slot("effort")
C_LFU_LOG_FACTOR          = CONFIG.slot("lfu_log_factor")
C_LFU_DECAY_TIME          = CONFIG.slot("lfu_decay_time")
C_LAZYFREE_EVICTION       = CONFIG.slot("lazyfree_eviction")
C_LAZYFREE_EXPIRE         = CONFIG.slot("lazyfree_expire")
C_LAZYFREE_SERVER_DEL     = CONFIG.slot("lazyfree_server_del")
C_LAZYFREE_USER_DEL       = CONFIG.slot("lazyfree_user_del")
C_EXPIRY_MODE             = CONFIG.slot("expiry_mode")
C_QUANTUM                 = CONFIG.slot("quantum")
C_FILL_LOOKASIDE          = CONFIG.slot("fill_lookaside")
C_SHARED_INT_OK           = CONFIG.slot("shared_int_ok")
C_HISTOGRAM_BYTES         = CONFIG.slot("histogram_bytes")
C_CLIENT_GROWTH           = CONFIG.slot("client_growth")
C_SCRIPT_PROTOCOL         = CONFIG.slot("script_protocol")
C_BATCH_US                = CONFIG.slot("batch_us")
C_REHASH_BUCKETS_PER_CRON = CONFIG.slot("rehash_buckets_per_cron")
C_ACTIVEREHASHING         = CONFIG.slot("activerehashing")
C_MAIN_ENTRY              = CONFIG.slot("main_entry")    # bytes requested per main-dict dictEntry
C_LAZYFREE_USER_FLUSH     = CONFIG.slot("lazyfree_user_flush")   # FLUSHALL without SYNC/ASYNC
N_CFG = len(CONFIG)

# --- float64 config vector `cff` -----------------------------------------------------------------
FCONFIG = SlotTable("cff")
CF_EXPIRE_KEY_COST_US    = FCONFIG.slot("expire_key_cost_us")
CF_EVICT_KEY_COST_US     = FCONFIG.slot("evict_key_cost_us")
CF_LAZYFREE_BYTES_PER_US = FCONFIG.slot("lazyfree_bytes_per_us")
N_CFF = len(FCONFIG)

# Values of C_EXPIRY_MODE.
EXPIRY_REDIS, EXPIRY_LAZY, EXPIRY_EXACT = 0, 1, 2

# Command names whose first use allocates a latency histogram (bit positions in COMMANDS_SEEN).
CMD_GET, CMD_SET, CMD_DEL, CMD_EVALSHA, CMD_DBSIZE, CMD_INFO = 0, 1, 2, 3, 4, 5
CMD_FLUSHALL, CMD_MEMORY_PURGE = 6, 7     # 7.0 keeps one histogram per subcommand too (memory|purge)


def new_state() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(N_STATE, np.int64), np.zeros(N_FSTATE, np.float64)
