"""What every file reader shares: its fields, and the set-up of one pass over the file.

Each pass maps key names to dense ids afresh (in order of first appearance, so every pass yields the
same ids) and counts its own bad lines under the reader's ``on_error`` policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from evictsim.traces.badlines import BadLines
from evictsim.traces.keymap import KeyMapper
from evictsim.traces.names import ListNamer


@dataclass
class FileTrace:
    path: Path
    fill: str | None = None
    name: str = ""
    n_keys_hint: int | None = None
    on_error: str = "raise"
    key_names: list[str] = field(default_factory=list)
    has_key_names: ClassVar[bool] = True      # False: the format stores ids, not names (oracleGeneral)

    def __post_init__(self) -> None:
        self.name = self.name or self.path.name.split(".")[0]
        self.key_namer = ListNamer(self.key_names) if self.has_key_names else None
        self.errors = BadLines(str(self.path), self.on_error)

    @property
    def skipped_lines(self) -> int:
        """Bad lines the last pass skipped (``on_error="skip"``); ``simulate`` reports it."""
        return self.errors.skipped

    def start_pass(self) -> KeyMapper:
        """Fresh bad-line counts and a key mapper that refills ``key_names`` in id order."""
        mapper = KeyMapper()
        mapper.names = self.key_names
        self.key_names.clear()
        self.errors = BadLines(str(self.path), self.on_error)
        return mapper
