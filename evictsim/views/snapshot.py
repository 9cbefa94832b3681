"""One sample of a run: the time-series row an INFO at simulated time ``at`` would have read.

The sampler writes a row every ``sample-interval`` of simulated time, as the reference harness ran
INFO every second, so the state at ``at`` is the last row at or before it, both on the engine's clock
(integer microseconds: ``at`` is rounded to it). A time outside the run or
a column the run lacks (a run from an older evictsim) is a one-line user error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evictsim.errors import UserInputError

US = 1_000_000         # the engine's clock ticks in microseconds


@dataclass(frozen=True)
class Snapshot:
    """The row at ``time`` (column → value, only the columns the run has) and the run's summary."""

    time: float
    row: dict[str, Any]
    summary: dict[str, Any]
    source: str

    def has(self, *names: str) -> bool:
        return all(name in self.row for name in names)

    def require(self, names: tuple[str, ...], what: str) -> None:
        missing = [name for name in names if name not in self.row]
        if missing:
            raise UserInputError(f"timeseries.csv has no column {', '.join(missing)} needed for {what} "
                                 "(written by an older evictsim? re-run evictsim simulate)",
                                 source=self.source)

    def __getitem__(self, name: str) -> Any:
        return self.row[name]


def row_index(times: np.ndarray, at: float | None) -> int:
    """Index of the last sample at or before ``at`` (the last sample when ``at`` is None)."""
    if len(times) == 0:
        raise UserInputError("the run has no samples", source="timeseries.csv")
    if at is None:
        return len(times) - 1
    at = float(at)
    ticks = np.round(times * US).astype(np.int64)
    if not np.isfinite(at) or not ticks[0] <= round(at * US) <= ticks[-1]:
        raise UserInputError(f"{at:g} is outside the run: simulated time runs from {times[0]:g} to "
                             f"{times[-1]:g} s", source="--at")
    return int(np.searchsorted(ticks, round(at * US), side="right")) - 1


def snapshot(result, at: float | None = None, *, source: str = "the run") -> Snapshot:
    """The sample of ``result`` (a :class:`evictsim.results.Result`) at simulated time ``at``."""
    ts = result.timeseries
    if "time" not in ts:
        raise UserInputError("timeseries.csv has no time column", source=source)
    times = np.asarray(ts["time"], dtype=np.float64)
    i = row_index(times, at)
    row = {name: _scalar(values[i]) for name, values in ts.items()}
    return Snapshot(time=float(times[i]), row=row, summary=dict(result.summary), source=source)


def _scalar(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
