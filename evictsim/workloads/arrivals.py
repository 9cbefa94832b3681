"""Request arrival times: Poisson at a rate, a fixed rate, or either one following a rate curve.

A rate curve is a list of multipliers of ``rate``, evenly spaced over ``curve-period`` seconds,
linearly interpolated and repeated (24 values over 86400 s is an hourly daily curve). Arrivals follow
it by time rescaling: unit-rate event "times" (exponential gaps for Poisson, 1, 2, 3, ... for fixed)
are mapped through the inverse of the cumulative intensity Λ(t) = ∫ rate(s) ds, which gives a
non-homogeneous Poisson process exactly (Çinlar's method). Times are rounded to whole microseconds,
as the native format stores them.
"""
from __future__ import annotations

import numpy as np

_GRID = 4096  # points per curve period for Λ; its inverse is interpolated linearly between them


class Arrivals:
    """Stateful arrival-time stream: ``next(n)`` gives the next ``n`` times."""

    def __init__(self, rate: float, process: str, rng: np.random.Generator,
                 curve: tuple[float, ...] | None = None, period: float = 86400.0):
        self.rate = rate
        self.process = process
        self.rng = rng
        self.events = 0.0  # cumulative intensity reached so far
        self.curve = None
        if curve:
            points = np.asarray(curve + (curve[0],), dtype=np.float64)
            self.grid_t = np.linspace(0.0, period, _GRID + 1)
            rates = rate * np.interp(self.grid_t, np.linspace(0.0, period, len(points)), points)
            steps = (rates[1:] + rates[:-1]) / 2 * np.diff(self.grid_t)   # trapezoids
            self.grid_l = np.concatenate([[0.0], np.cumsum(steps)])
            self.period = period
            self.curve = curve

    def next(self, n: int) -> np.ndarray:
        if self.process == "poisson":
            steps = self.rng.exponential(1.0, n)
        else:
            steps = np.ones(n)
        cumulative = self.events + np.cumsum(steps)
        self.events = float(cumulative[-1]) if n else self.events
        return np.rint(self._time_of(cumulative) * 1e6) / 1e6

    def _time_of(self, cumulative: np.ndarray) -> np.ndarray:
        if self.curve is None:
            return cumulative / self.rate
        per_period = self.grid_l[-1]
        k = np.floor(cumulative / per_period)
        return k * self.period + np.interp(cumulative - k * per_period, self.grid_l, self.grid_t)

    def rate_at(self, t: np.ndarray) -> np.ndarray:
        """The intended rate at times ``t`` (for tests and plots)."""
        if self.curve is None:
            return np.full(len(t), self.rate)
        phase = np.mod(t, self.period)
        return np.interp(phase, self.grid_t[1:], np.diff(self.grid_l) / np.diff(self.grid_t))
