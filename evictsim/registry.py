"""A tiny name → factory registry, one per plug-in axis (policies, workloads, trace formats, plots).

Adding a policy or a format is one module that calls ``REGISTRY.register("name")``; nothing else
changes. An unknown name is a user error that lists the valid names.
"""
from __future__ import annotations

from typing import Callable, Generic, Iterator, TypeVar

from evictsim.errors import UserInputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects (usually factories or classes) for one kind of plug-in."""

    def __init__(self, kind: str, loader: Callable[[], None] | None = None):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._loader = loader       # registers the built-in entries on first use (no import cycles)

    def _load(self) -> None:
        if self._loader is not None:
            loader, self._loader = self._loader, None
            loader()

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._items[name] = obj
            return obj
        return decorator

    def add(self, name: str, obj: T) -> None:
        self.register(name)(obj)

    def remove(self, name: str) -> None:
        """Take a plug-in out again (tests that register one for a while)."""
        self._load()
        self._items.pop(name, None)

    def get(self, name: str, *, source: str | None = None, key: str | None = None) -> T:
        self._load()
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(sorted(self._items))
            raise UserInputError(f"unknown {self.kind} {name!r}; expected one of: {valid}",
                                 source=source, key=key) from None

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._items

    def names(self, *, in_order: bool = False) -> list[str]:
        """Sorted, or in the order they were registered (``in_order``: Redis's own order for policies)."""
        self._load()
        return list(self._items) if in_order else sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        self._load()
        return sorted(self._items.items())

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
