"""What :func:`~evictsim.experiments.runner.run_experiment` checks before it writes anything.

:func:`~evictsim.experiments.sweep.expand_sweep` validates every sweep point's settings; this module
adds what needs more than the file: the output folder can be written, the executor can start (a
``--scheduler`` it cannot use, dask not installed, an address that does not parse), and every trace a
run replays reads cleanly to its end, within the span limit. A bad line 1,500 of a trace is then one
error naming ``trace.csv:1500`` before the first run, not one failure per run after a half-written
report. The trace pass is the parse the first run would do anyway: with the parse cache on (the
default) the runs then read the cached columns.
"""
from __future__ import annotations

import re
from pathlib import Path

from evictsim.errors import UserInputError
from evictsim.experiments.sweep import RunSpec

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/:]+(:\d{1,5})?/?$")


def check_output_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserInputError(f"{out} exists and is not a folder; expected a folder", source="--out")
    probe = out.absolute()
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserInputError(f"{out}: {probe} is a file, not a folder", source="--out")


def check_executor(executor: str, scheduler: str | None) -> None:
    """The executor can run with these options (nothing is contacted yet but the import)."""
    if executor != "dask":
        if scheduler:
            raise UserInputError("--scheduler needs --executor dask", source="--scheduler")
        return
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise UserInputError("the dask executor needs dask[distributed]: pip install 'evictsim[dask]'",
                             source="--executor") from None
    if scheduler and not _ADDRESS.match(scheduler):
        raise UserInputError(f"expected a scheduler address like tcp://10.0.0.5:8786, got {scheduler!r}",
                             source="--scheduler")
    if scheduler and scheduler.startswith("tcp://"):
        _check_reachable(scheduler)


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """A TCP connection to the scheduler opens (dask's own client would fail only after the
    experiment folder is written)."""
    import socket
    host, _, port = address.removeprefix("tcp://").rstrip("/").partition(":")
    try:
        socket.create_connection((host, int(port or 8786)), timeout=timeout_s).close()
    except OSError as exc:
        raise UserInputError(f"expected a reachable Dask scheduler, cannot connect to {address} "
                             f"({exc.strerror or exc})", source="--scheduler") from None


def check_workloads(runs: list[RunSpec], *, allow_long_span: bool = False) -> None:
    """Read each distinct trace once to its end, and bound each distinct workload's span."""
    from evictsim.traces.span import limit_span
    seen: set[str] = set()
    for spec in runs:
        key = repr(spec.workload.to_mapping())
        if key in seen:
            continue
        seen.add(key)
        trace = limit_span(spec.workload.build(spec.seed), allow=allow_long_span,
                           option="--allow-long-span")
        if spec.workload.trace is not None:
            for _ in trace.chunks():
                pass
