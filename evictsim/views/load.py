"""Read a run folder for the views, with every problem a one-line user error naming the file."""
from __future__ import annotations

import json
from pathlib import Path

from evictsim.errors import UserInputError, read_user_file


def load_run(run_dir: str | Path):
    """(Result, the timeseries.csv path for messages) of a run folder written by ``evictsim simulate``."""
    from evictsim.results import Result, read_timeseries

    folder = Path(run_dir)
    if not folder.is_dir():
        raise UserInputError("no such run folder", source=str(run_dir))
    summary_path, series_path = folder / "summary.json", folder / "timeseries.csv"
    for path in (summary_path, series_path):
        if not path.is_file():
            raise UserInputError(f"not a run folder: no {path.name}", source=str(run_dir))
    try:
        summary = json.loads(read_user_file(summary_path, "summary.json"))
    except json.JSONDecodeError as exc:
        raise UserInputError(f"not valid JSON ({exc.msg})", source=str(summary_path), line=exc.lineno) from None
    try:
        series = read_timeseries(series_path)
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise UserInputError(f"unreadable time series ({exc})", source=str(series_path)) from None
    return Result(summary=summary, timeseries=series), str(series_path)
