"""Leak detection from a run's per-namespace series: :func:`find_leaks` reads a run folder and
returns the report (``namespaces`` ranked by bytes/s, ``maxmemory_at_s`` forecast)."""
from __future__ import annotations

from evictsim.leaks.analysis import analyse
from evictsim.leaks.series import read_run


def find_leaks(run_dir, *, until: float | None = None, warmup: float | None = None) -> dict:
    return analyse(read_run(run_dir), until=until, warmup=warmup)


__all__ = ["analyse", "find_leaks", "read_run"]
