"""The plot registry: plot names an experiment file may list under ``plots:`` → drawing functions.

Each plot module registers itself; importing them does not import matplotlib (that happens when a plot
is drawn), so validating an experiment file stays fast.
"""
from __future__ import annotations

from evictsim.registry import Registry


class PlotRegistry(Registry):
    """A registry that also knows which plots an experiment draws when ``plots:`` is left out."""

    def __init__(self) -> None:
        super().__init__("plot")
        self._defaults: list[str] = []

    def register(self, name: str, *, default: bool = True):  # type: ignore[override]
        if default:
            self._defaults.append(name)
        return super().register(name)

    def _load(self) -> None:
        from evictsim.report import time_plots, size_plots, leaks  # noqa: F401,I001  (they register themselves)

    def default_names(self) -> list[str]:
        self._load()
        return list(self._defaults)

    def names(self) -> list[str]:
        self._load()
        return super().names()

    def __contains__(self, name: object) -> bool:
        self._load()
        return super().__contains__(name)

    def get(self, name: str, **kw):  # type: ignore[override]
        self._load()
        return super().get(name, **kw)


PLOTS = PlotRegistry()
