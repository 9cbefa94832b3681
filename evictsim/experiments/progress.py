"""The sweep's progress bar: runs done, running and failed, with an ETA (tqdm, on stderr)."""
from __future__ import annotations

import sys


class SweepProgress:
    """A thin wrapper so the runner says what happened and tqdm decides how to draw it."""

    def __init__(self, name: str, *, total: int, initial: int, workers: int, enabled: bool = True):
        self.total = total
        self.done = initial
        self.failed = 0
        self.workers = workers
        self._bar = None
        if enabled and total > initial:
            from tqdm import tqdm
            self._bar = tqdm(total=total, initial=initial, desc=name, unit="run", file=sys.stderr,
                             dynamic_ncols=True, smoothing=0.1)
            self._bar.set_postfix_str(self._postfix(), refresh=True)

    def _postfix(self) -> str:
        running = min(self.workers, self.total - self.done)
        return f"running={running} failed={self.failed}"

    def update(self, *, failed: bool) -> None:
        self.done += 1
        self.failed += int(failed)
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
