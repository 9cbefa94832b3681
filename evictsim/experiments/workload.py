"""The ``workload:`` section of an experiment: a named generator with parameters, or a trace file.

Generators resolve through the workload registry (``evictsim.workloads``), trace formats through
``evictsim.traces``; nothing is imported by a path written in YAML. A trace path is relative to the
experiment file's folder. The trace's size and modification time are part of the run's config hash, so
replacing the file reruns what used it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evictsim.errors import UserInputError
from evictsim.experiments.config import Experiment

TRACE_KEYS = ("trace", "format")


@dataclass(frozen=True)
class WorkloadSpec:
    """What one run replays: ``generator`` + ``params`` (hyphen spelling), or ``trace`` (+ format)."""

    generator: str | None = None
    params: dict = field(default_factory=dict)
    trace: str | None = None
    format: str | None = None
    source: str | None = None     # the experiment file, for errors raised while building

    def to_mapping(self) -> dict[str, Any]:
        if self.trace is not None:
            return {"trace": self.trace, **({"format": self.format} if self.format else {})}
        return {"generator": self.generator, **self.params}

    def fingerprint(self) -> dict[str, Any]:
        """The mapping plus the trace file's size and mtime (a replaced trace changes the hash)."""
        out = self.to_mapping()
        if self.trace is not None:
            try:
                st = Path(self.trace).stat()
                out["trace-stat"] = [st.st_size, st.st_mtime_ns]
            except OSError:
                out["trace-stat"] = None
        return out

    def build(self, seed: int):
        """The request stream (a :class:`~evictsim.traces.base.Trace`) for one run."""
        if self.trace is not None:
            from evictsim.traces import open_trace
            return open_trace(self.trace, fmt=self.format)
        from evictsim.workloads import build_workload
        return build_workload(self.generator, self.params, seed, source=self.source)


def workload_spec(exp: Experiment, mapping: dict, lines: dict) -> WorkloadSpec:
    """Validate one sweep point's workload mapping into a :class:`WorkloadSpec`."""
    def where(key: str) -> int | None:
        return lines.get(("workload", key)) or exp.line("workload", key) or exp.line("workload")

    def error(message: str, key: str | None = None) -> UserInputError:
        return UserInputError(message, source=str(exp.source), line=where(key) if key else exp.line("workload"),
                              key=f"workload.{key}" if key else "workload")

    has_gen, has_trace = "generator" in mapping, "trace" in mapping
    if has_gen == has_trace:
        raise error("expected exactly one of 'generator: NAME' or 'trace: PATH'")
    if has_trace:
        return _trace_spec(exp, mapping, error)
    name = mapping["generator"]
    if not isinstance(name, str):
        raise error(f"expected a generator name, got {name!r}", "generator")
    params = {k: v for k, v in mapping.items() if k != "generator"}
    _check_generator(name, params, exp, lines, error)
    return WorkloadSpec(generator=name, params=params, source=str(exp.source))


def _trace_spec(exp: Experiment, mapping: dict, error) -> WorkloadSpec:
    for key in mapping:
        if key not in TRACE_KEYS:
            raise error(f"unknown key for a trace workload; expected one of: {', '.join(TRACE_KEYS)}", key)
    raw = mapping["trace"]
    if not isinstance(raw, str) or not raw:
        raise error(f"expected a trace file path, got {raw!r}", "trace")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (Path(exp.source).parent / path).resolve()
    if not path.exists():
        raise error(f"no such trace file: {raw}", "trace")
    fmt = mapping.get("format")
    if fmt is not None:
        from evictsim.traces import canonical_format
        try:
            fmt = canonical_format(str(fmt))     # ours or libCacheSim's spelling (oracleGeneral)
        except UserInputError as exc:
            raise error(exc.message, "format") from None
    else:
        from evictsim.traces import detect_format
        try:
            detect_format(path)
        except UserInputError as exc:
            raise error(exc.message, "trace") from None
    return WorkloadSpec(trace=str(path), format=fmt, source=str(exp.source))


def _check_generator(name: str, params: dict, exp: Experiment, lines: dict, error) -> None:
    """Build the generator once (generators are lazy: nothing is generated until ``chunks()``), so a
    bad name or parameter fails before the first run, pointing at the line that set it."""
    try:
        from evictsim.workloads import build_workload
    except ImportError:
        raise error("workload generators are not available in this build; use 'trace: PATH'",
                    "generator") from None
    try:
        build_workload(name, params, 0, source=str(exp.source))
    except UserInputError as exc:
        key = exc.key or "workload"
        if key == "workload" and exc.message.startswith("unknown workload"):
            key = "workload.generator"
        path = tuple(key.split("."))
        raise UserInputError(exc.message, source=str(exp.source), line=_line_for(path, exp, lines),
                             key=key) from None


def _line_for(path: tuple[str, ...], exp: Experiment, lines: dict) -> int | None:
    """The sweep value that set ``path`` (or a parent of it), else where the base file wrote it."""
    for n in range(len(path), 0, -1):
        if path[:n] in lines and lines[path[:n]]:
            return lines[path[:n]]
    return exp.line(*path)
