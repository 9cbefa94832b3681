"""evictsim: a discrete-event simulator of Redis 7.0 memory management.

Notebook entry points: ``evictsim.simulate(trace_or_generator, maxmemory=..., policy=..., **redis_config)``
and ``evictsim.run_experiment("experiments/quickstart.yaml", out_dir)``.
"""
__version__ = "0.1.0"

from evictsim.api import run_experiment, simulate  # noqa: E402
from evictsim import mrc  # noqa: E402  (a callable package: evictsim.mrc(trace, ...))
from evictsim.results import Result, load_result  # noqa: E402

__all__ = ["simulate", "mrc", "run_experiment", "Result", "load_result", "__version__"]
