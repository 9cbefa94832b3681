"""Synthetic workloads: generators registered by name, each yielding a seeded, streaming trace.

``build_workload("zipf", {"keys": 100000, "alpha": 0.99}, seed=7)`` returns a
:class:`~evictsim.traces.base.Trace`; parameters use the hyphen spelling of the YAML files, and every
generator lists its own in ``PARAMS`` (name, default, doc). Adding a generator is one module that
subclasses :class:`~evictsim.workloads.base.Workload` and one line in :func:`_load_builtin`.
"""
from __future__ import annotations

from typing import Any, Mapping

from evictsim.errors import UserInputError
from evictsim.registry import Registry
from evictsim.workloads.base import GeneratedTrace, Workload
from evictsim.workloads.params import BadValue, resolve, table_rows

# name -> Workload subclass
WORKLOADS: Registry = Registry("workload")


def _load_builtin() -> None:
    if "zipf" in WORKLOADS:
        return
    from evictsim.workloads import diurnal, namespaces, scan, shifting, simple, ycsb
    for cls in (simple.ZipfWorkload, simple.UniformWorkload, simple.HotspotWorkload,
                shifting.ShiftingWorkload, scan.ScanWorkload, diurnal.DiurnalWorkload,
                namespaces.NamespacesWorkload, *ycsb.YCSB_WORKLOADS):
        WORKLOADS.add(cls.NAME, cls)


def workload_class(name: str, *, source: str | None = None) -> type[Workload]:
    _load_builtin()
    return WORKLOADS.get(name, source=source, key="workload")


def build_workload(name: str, params: Mapping[str, Any] | None, seed: int, *,
                   source: str | None = None) -> GeneratedTrace:
    """The trace of workload ``name`` with ``params`` (hyphen spelling), seeded by ``seed``."""
    cls = workload_class(name, source=source)
    if params is not None and not isinstance(params, Mapping):
        raise UserInputError(f"expected a mapping of parameters, got {params!r}", source=source,
                             key="workload")
    resolved = resolve(cls.PARAMS, params or {}, source=source)
    try:
        workload = cls(resolved, seed)
    except BadValue as exc:
        key = f"workload.{exc.sub}" if exc.sub else "workload"
        raise UserInputError(str(exc), source=source, key=key) from None
    return GeneratedTrace(workload, name)


def describe(name: str) -> list[tuple[str, str, str]]:
    """(param, default, doc) rows for one workload, for listings and docs."""
    return table_rows(workload_class(name).PARAMS)


__all__ = ["WORKLOADS", "build_workload", "describe", "workload_class"]
