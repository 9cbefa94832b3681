"""What every twin shares: the default hooks and an ordered queue with newest-first/oldest helpers."""
from __future__ import annotations

from collections import OrderedDict


class Queue(OrderedDict):
    """Keys oldest first (``oldest()``), newest last (``add``); values are the keys' sizes."""

    def add(self, k, size):
        self[k] = size
        self.move_to_end(k)

    def oldest(self):
        return next(iter(self)) if self else None

    def bytes(self):
        return sum(self.values())


class Twin:
    """Defaults: admit everything, never evict on its own."""

    def __init__(self, cache_bytes: int, **params):
        self.cache_bytes = cache_bytes

    def admit(self, k, size, vtime):
        return True

    def overflow(self, vtime):
        return None
