"""Pure-Python twins of the exact policies: small, slow, obviously written, for differential tests.

Each twin has the compiled policy's hooks as methods (``hit``, ``admit``, ``insert``, ``remove``,
``victim``, ``overflow``) over Python containers (``OrderedDict`` queues, dicts), and ``driver``
runs them under the same object-bytes rule as ``evictsim.policies.exact.object_bytes``.
"""
from __future__ import annotations

from evictsim.oracle.policies.basic import ClockTwin, FifoTwin, LfuTwin, LruTwin, SieveTwin
from evictsim.oracle.policies.future import BeladySizeTwin, BeladyTwin
from evictsim.oracle.policies.ghosts import ArcTwin, S3FifoTwin, TwoQTwin
from evictsim.oracle.policies.segmented import SlruTwin, WTinyLfuTwin

TWINS = {"lru": LruTwin, "fifo": FifoTwin, "clock": ClockTwin, "sieve": SieveTwin, "lfu": LfuTwin,
         "belady": BeladyTwin, "beladysize": BeladySizeTwin, "arc": ArcTwin, "twoq": TwoQTwin,
         "s3fifo": S3FifoTwin, "slru": SlruTwin, "wtinylfu": WTinyLfuTwin}
