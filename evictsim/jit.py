"""The one compile decorator for the kernels.

``kernel`` compiles in nopython mode *without* numba's reference-counting runtime (NRT). The kernels
never allocate; they only index arrays handed to them. With NRT on, every call between compiled
functions increments and decrements the reference count of each array argument (atomic operations,
~50 ns per call with five arrays: measured), which dominated the per-request cost.
"""
from numba import njit


def kernel(fn=None, *, inline: bool = False):
    opts = dict(cache=True, _nrt=False)
    if inline:
        opts["inline"] = "always"
    if fn is None:
        return lambda f: njit(**opts)(f)
    return njit(**opts)(fn)
