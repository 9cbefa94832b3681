"""What a reader does with a malformed record: stop with ``file:line: what was expected`` (the default),
or, with ``on_error="skip"``, drop it, count it, and keep the first few messages for the report.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from evictsim.errors import UserInputError

ON_ERROR = ("raise", "skip")


class BadLines:
    """The on-error policy of one pass over a trace, and the count of lines it skipped."""

    def __init__(self, path: str, mode: str = "raise"):
        if mode not in ON_ERROR:
            raise UserInputError(f"expected one of {', '.join(ON_ERROR)}, got {mode!r}", key="on-error")
        self.path = path
        self.mode = mode
        self.skipped = 0
        self.examples: list[str] = []

    def bad(self, line: int | None, message: str, key: str | None = None) -> None:
        """One bad record: raise in ``raise`` mode, else count it."""
        err = UserInputError(message, source=self.path, line=line, key=key)
        if self.mode == "raise":
            raise err
        self.skipped += 1
        if len(self.examples) < 5:
            self.examples.append(str(err))

    def check(self, bad: np.ndarray, lines: np.ndarray, column: str, expected: str,
              values: Sequence[Any]) -> np.ndarray:
        """Vectorised form: ``bad`` marks rows; returns the mask of rows to keep."""
        if not bad.any():
            return np.ones(len(bad), dtype=bool)
        for i in np.flatnonzero(bad)[: 1 if self.mode == "raise" else 5]:
            shown = values[int(i)]
            shown = shown.as_py() if hasattr(shown, "as_py") else shown
            shown = shown.item() if isinstance(shown, np.generic) else shown   # 5, not np.int64(5)
            if isinstance(shown, str) and len(shown) > 80:
                shown = f"{shown[:40]}... ({len(shown)} characters)"   # keep the message one short line
            self.bad(int(lines[i]), f"expected {expected}, got {shown!r}", key=column)
        extra = int(bad.sum()) - min(5, int(bad.sum()))
        self.skipped += extra
        return ~bad

    def check_all(self, lines: np.ndarray, tests: list[tuple[np.ndarray, str, str, Any]]) -> np.ndarray:
        """Run ``(bad, column, expected, values)`` tests in order; a row counts once, at its first
        failing column. Returns the mask of rows to keep."""
        keep = np.ones(len(lines), dtype=bool)
        for bad, column, expected, values in tests:
            keep &= self.check(np.asarray(bad, dtype=bool) & keep, lines, column, expected, values)
        return keep

    def summary(self) -> str:
        return f"{self.skipped} bad line(s) skipped" if self.skipped else ""
