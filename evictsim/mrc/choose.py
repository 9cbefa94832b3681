"""``--method auto``: which method and which sample a curve uses, and why (said on stderr and in
summary.json).

* Exact ``lru`` → SHARDS: one pass over the sample whatever the number of sizes, so the sample can
  be large: fixed-size SHARDS with ``SHARDS_KEYS`` keys (rate 1, exact, on smaller traces).
* Every other policy → miniature simulation: one small simulation per size, each costing about
  ``rate ×`` a full one. The sample should hold ``MINISIM_KEYS`` keys (with fewer, single curves on
  the Zipf test traces miss the 0.3 pp mean error: tests/test_mrc_accuracy.py), but a curve should
  not cost more than ``BUDGET`` full simulations of requests, so the rate is also capped at
  ``BUDGET / points``; when the cap wins, the sample is smaller and the choice says so.
"""
from __future__ import annotations

from dataclasses import dataclass

from evictsim.errors import UserInputError

METHODS = ("auto", "shards", "minisim", "full")
SHARDS_KEYS = 100_000
MINISIM_KEYS = 32_768
BUDGET = 2.0                       # full-simulation equivalents of sampled requests for a curve
EXACT_LRU_NAMES = ("lru",)


@dataclass(frozen=True)
class Choice:
    """A method and a sample: a fixed ``rate``, or a fixed ``size`` in keys capped at ``max_rate``."""

    method: str                    # shards | minisim | full
    rate: float | None
    size: int | None
    max_rate: float
    reason: str


def check_method(method: str) -> str:
    name = str(method).strip().lower()
    if name not in METHODS:
        raise UserInputError(f"expected one of {', '.join(METHODS)}, got {method!r}", source="--method")
    return name


def choose(method: str, policy: str, points: int, *, rate: float | None, size: int | None) -> Choice:
    """The method and sample for a curve of ``points`` sizes of ``policy``."""
    method = check_method(method)
    if method == "full":
        return Choice("full", 1.0, None, 1.0, "full simulation of the whole trace at each size")
    if method == "auto":
        method = "shards" if policy in EXACT_LRU_NAMES else "minisim"
        why = ("exact LRU: SHARDS" if method == "shards"
               else f"{policy} is not exact LRU: miniature simulation")
    else:
        why = f"{method} as asked"
        if method == "shards" and policy not in EXACT_LRU_NAMES:
            why += f" (exact LRU's curve stands in for {policy})"
    if rate is not None or size is not None:
        return Choice(method, rate, size, 1.0, f"{why}, sample as asked")
    if method == "shards":
        return Choice(method, None, SHARDS_KEYS, 1.0, f"{why}, fixed-size sample of {SHARDS_KEYS} keys")
    cap = min(1.0, BUDGET / points)
    return Choice(method, None, MINISIM_KEYS, cap,
                  f"{why}, fixed-size sample of {MINISIM_KEYS} keys at a rate of at most {cap:.4g} "
                  f"({points} points within {BUDGET:g} full simulations)")
