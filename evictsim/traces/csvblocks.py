"""Parse a block of CSV lines into typed Arrow columns: a fast columnar path, and a slow path that
runs only on a block with a bad line, to name that line (or drop it under ``on_error=skip``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from evictsim.traces.badlines import BadLines


@dataclass(frozen=True)
class CsvLayout:
    """Column names and the Arrow type of each; ``checks`` holds a Python validator per typed column
    (used by the slow path only) and what it expects, for the message."""

    columns: tuple[str, ...]
    types: dict[str, pa.DataType]
    expected: dict[str, str]
    checks: dict[str, Callable[[str], object]] = field(default_factory=dict)

    def describe(self) -> str:
        return ",".join(self.columns)


def int64(text: str) -> int:
    """A slow-path check: an integer Arrow's int64 column can hold (Python's ``int`` has no bound,
    so ``int`` alone would pass a line that the columnar parse then refuses)."""
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError(text)
    return value


def _fast(block: bytes, layout: CsvLayout) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(block),
        read_options=pacsv.ReadOptions(column_names=list(layout.columns), block_size=1 << 22),
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types=layout.types, strings_can_be_null=False,
                                             null_values=[""], quoted_strings_can_be_null=False))


def parse_block(block: bytes, first_line: int, layout: CsvLayout,
                errors: BadLines) -> tuple[pa.Table, np.ndarray]:
    """Return the block's table and the file line number of each of its rows."""
    try:
        table = _fast(block, layout)
        return table, np.arange(first_line, first_line + table.num_rows, dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _slow(block, first_line, layout, errors)


def _slow(block: bytes, first_line: int, layout: CsvLayout,
          errors: BadLines) -> tuple[pa.Table, np.ndarray]:
    keep_lines: list[bytes] = []
    numbers: list[int] = []
    n_cols = len(layout.columns)
    for offset, raw in enumerate(block.split(b"\n")[:-1]):
        line = first_line + offset
        problem = _line_problem(raw, n_cols, layout)
        if problem is None:
            keep_lines.append(raw)
            numbers.append(line)
        else:
            errors.bad(line, problem[1], key=problem[0])
    if not keep_lines:
        return _empty(layout), np.zeros(0, np.int64)
    return _fast(b"\n".join(keep_lines) + b"\n", layout), np.asarray(numbers, dtype=np.int64)


def _line_problem(raw: bytes, n_cols: int, layout: CsvLayout) -> tuple[str | None, str] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "expected UTF-8 text"
    if '"' in text:  # quoted fields: let Arrow judge this one line
        try:
            _fast(raw + b"\n", layout)
            return None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            return None, f"expected {n_cols} columns {layout.describe()} ({str(exc).splitlines()[0]})"
    fields = text.split(",")
    if len(fields) != n_cols:
        return None, f"expected {n_cols} columns {layout.describe()}, got {len(fields)}: {text[:80]!r}"
    for name, value in zip(layout.columns, fields):
        check = layout.checks.get(name)
        if check is not None and value != "":
            try:
                check(value)
            except ValueError:
                return name, f"expected {layout.expected[name]}, got {value!r}"
    return None


def _empty(layout: CsvLayout) -> pa.Table:
    return pa.table({c: pa.array([], type=layout.types.get(c, pa.string())) for c in layout.columns})
