"""One root exception for evictsim, and the user-error type the CLI turns into one line + exit 2.

Library code never calls ``exit()``: it raises. Simulated failures (an OOM-rejected write) are
metrics, never exceptions.
"""
from __future__ import annotations


class EvictsimError(Exception):
    """Root of every exception evictsim raises on purpose."""


def read_user_file(path, what: str) -> str:
    """The text of a file a user named; an unreadable one is a one-line user error."""
    from pathlib import Path
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserInputError(f"cannot read {what}: {exc.strerror}", source=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserInputError(f"expected UTF-8 text, got byte 0x{data[exc.start]:02x}", source=str(path),
                             line=line) from None


class UserInputError(EvictsimError):
    """Bad input from a user: a YAML key, a trace line, a CLI argument.

    ``str()`` gives the one-line message the CLI prints: ``source:line: key: message``, with the
    parts that are known. ``source`` is a file name or an option name (``--maxmemory``).
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 key: str | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = str(self.source) + (f":{self.line}" if self.line is not None else "") + ": "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"
