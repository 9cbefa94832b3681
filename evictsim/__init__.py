"""evictsim: a discrete-event simulator of Redis 7.0 memory management.

Notebook entry point: ``evictsim.simulate(trace, maxmemory=..., policy=..., **redis_config)``.
"""
__version__ = "0.1.0"

from evictsim.api import simulate  # noqa: E402
from evictsim.results import Result, load_result  # noqa: E402

__all__ = ["simulate", "Result", "load_result", "__version__"]
