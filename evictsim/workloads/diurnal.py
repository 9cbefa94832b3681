"""``diurnal``: Zipf traffic whose arrival rate follows a daily curve (non-homogeneous Poisson).

By default the curve is a cosine: rate(t) = ``rate`` × (1 + ``amplitude`` × cos(2π (t − ``peak``) /
``curve-period``)), so the mean rate is ``rate``, the busiest instant is ``peak`` seconds into each
period and the quietest half a period later. A ``rate-curve`` (e.g. 24 hourly multipliers measured
in production) replaces the cosine. Arrivals come from :class:`~evictsim.workloads.arrivals.Arrivals`.
"""
from __future__ import annotations

import numpy as np

from evictsim.workloads.base import COMMON
from evictsim.workloads.params import BadValue, Param, fraction, non_negative
from evictsim.workloads.simple import ALPHA, KEYS, ZipfWorkload

CURVE_POINTS = 96


class DiurnalWorkload(ZipfWorkload):
    """Zipf popularity, arrivals following a daily rate curve."""

    NAME = "diurnal"
    PARAMS = (KEYS, ALPHA,
              Param("amplitude", 0.5, "relative swing of the cosine curve: peak rate = rate x "
                                      "(1 + amplitude)", fraction),
              Param("peak", 50400, "seconds into each period of the busiest instant (14:00)", non_negative),
              ) + COMMON

    def __init__(self, params: dict, seed: int):
        super().__init__(params, seed)
        if params["rate-curve"] is None:
            phase = np.linspace(0.0, 1.0, CURVE_POINTS, endpoint=False)
            peak = params["peak"] / params["curve-period"]
            if not 0 <= peak <= 1:
                raise BadValue("expected peak within one curve-period", sub="peak")
            curve = 1.0 + params["amplitude"] * np.cos(2 * np.pi * (phase - peak))
            self.p = {**params, "rate-curve": tuple(float(c) for c in curve)}
