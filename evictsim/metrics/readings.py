"""A reading of the server: what one time-series row is computed from, taken in compiled code.

At every ``sample-interval`` the harness reads INFO. A reading copies what that row needs, as
integers, into one row of a growing table: the whole state vector, the stale keys and bytes, the
two dicts' sizes and the memory model's last cron sample. The columns (the INFO names) are then
derived from the whole table at once (:mod:`evictsim.metrics.timeseries`), so a reading costs a
copy of ~60 integers and the walk of the expires dict, wherever it is taken: inside the compiled
event loop (:mod:`evictsim.engine.event_loop`), or from Python when the run also keeps per-namespace
rows. Over a week-long trace at one reading per second that is 604,800 readings, which as Python
rows cost more than simulating the requests (issue 9).
"""
from __future__ import annotations

import numpy as np

from evictsim.engine.expire import expire_due_exact
from evictsim.engine.kernel import count_stale, note_commands, update_peak
from evictsim.jit import kernel
from evictsim.keyspace import hashtable as ht
from evictsim.keyspace.allocation import model_reading
from evictsim.metrics.counters import C_EXPIRY_MODE, C_LAZYFREE_EXPIRE, CMD_INFO, EXPIRY_EXACT, N_STATE

# columns of a reading
R_TIME = 0                           # µs since the run's start
R_STATE = 1                          # the state vector, slot by slot
R_STALE_KEYS = R_STATE + N_STATE
R_STALE_BYTES = R_STALE_KEYS + 1
R_DICTS = R_STALE_BYTES + 1          # per dict (main, expires): used0, used1, size0, size1
DICT_FIELDS = (ht.USED0, ht.USED1, ht.SIZE0, ht.SIZE1)
R_MODEL = R_DICTS + 2 * len(DICT_FIELDS)     # the memory model's last cron sample, as it keeps it


def width(model_slots: int) -> int:
    return R_MODEL + model_slots


@kernel
def take_reading(core, policy, arena, readings, row, now_us, rel_us, info_note):
    """Row ``row`` of ``readings`` at ``now_us``, as INFO would see the server then: exact expiry
    runs first (``expiry-mode exact``), INFO refreshes the peak; with ``info_note``, the first reading
    (``rel_us`` 0) is followed by the INFO command's own latency histogram, as the harness's first
    INFO allocates it after the baseline reading."""
    config = core.server.config
    stats = core.server.stats
    if config[C_EXPIRY_MODE] == EXPIRY_EXACT:
        expire_due_exact(core, policy, now_us // 1000, config[C_LAZYFREE_EXPIRE] != 0)
    update_peak(stats)
    readings[row, R_TIME] = rel_us
    for i in range(N_STATE):
        readings[row, R_STATE + i] = stats[i]
    stale_keys, stale_bytes = count_stale(core, now_us // 1000)
    readings[row, R_STALE_KEYS] = stale_keys
    readings[row, R_STALE_BYTES] = stale_bytes
    dicts = core.tables.dicts
    col = R_DICTS
    for d in range(2):
        for field in DICT_FIELDS:
            readings[row, col] = dicts[d, field]
            col += 1
    model_reading(core.tables.memory, arena, readings, row, R_MODEL)
    if info_note and rel_us == 0:
        note_commands(np.int64(1 << CMD_INFO), config, stats)


# At most this many rows are reserved up front (np.zeros: pages are touched only as rows are written).
RESERVE_MAX_ROWS = 1 << 20        # ~400 MB of address space at 49 columns; a week at 1 s is 605k


class Readings:
    """The table of readings. Sized once when the run's length is known (``expected_rows``), else
    grown as the run goes by doubling. Each doubling copies the table into fresh pages that the OS
    must zero first: over a week at one reading a second (605k rows, 240 MB) that was a fifth of
    the run's time."""

    def __init__(self, model_slots: int, rows: int = 1024, expected_rows: int | None = None):
        if expected_rows is not None:
            rows = max(rows, min(int(expected_rows), RESERVE_MAX_ROWS))
        self.table = np.zeros((rows, width(model_slots)), np.int64)
        self.n = 0

    def room(self) -> np.ndarray:
        """The table with room for at least one more row."""
        if self.n == len(self.table):
            grown = np.zeros((2 * len(self.table), self.table.shape[1]), np.int64)
            grown[:self.n] = self.table
            self.table = grown
        return self.table

    def rows(self) -> np.ndarray:
        return self.table[:self.n]

    def state(self, slot: int) -> np.ndarray:
        return self.table[:self.n, R_STATE + slot]

    def dict_field(self, d: int, field: int) -> np.ndarray:
        return self.table[:self.n, R_DICTS + d * len(DICT_FIELDS) + DICT_FIELDS.index(field)]
