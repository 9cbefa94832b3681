"""Miss-ratio curves in Redis bytes: SHARDS for exact LRU, miniature simulation for every other
policy (Redis's sampled ones included), or full simulations as the reference.

``evictsim.mrc(trace, policy="allkeys-lru", points=20)`` → :class:`~evictsim.mrc.curve.MissRatioCurve`.
The package itself is callable: importing a submodule (``evictsim.mrc.shards``) rebinds the
attribute ``evictsim.mrc`` to this package, so a plain function of that name would vanish; calling
the package keeps ``evictsim.mrc(...)`` working either way. Imports are lazy so ``import evictsim``
stays light.
"""
from __future__ import annotations

import sys
import types
from typing import Any


def mrc(trace: Any, policy: str | None = None, **options: Any):
    """See :func:`evictsim.mrc.profile.mrc`."""
    from evictsim.mrc.profile import mrc as profile_mrc
    return profile_mrc(trace, policy, **options)


class _CallablePackage(types.ModuleType):
    def __call__(self, trace: Any, policy: str | None = None, **options: Any):
        return mrc(trace, policy, **options)


sys.modules[__name__].__class__ = _CallablePackage

__all__ = ["mrc"]
