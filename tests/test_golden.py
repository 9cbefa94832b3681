"""Nothing moves: every golden case (tests/golden.py) gives the recorded outcomes, counters and
time-series bytes. A refactor of the core that changes any of them is a change of results."""
from __future__ import annotations

import numpy as np
import pytest

from golden import CASES, KEEP_OUTCOMES, fingerprint, load_golden, load_golden_outcomes


@pytest.mark.parametrize("name", sorted(CASES))
def test_outcomes_counters_and_timeseries_unchanged(name):
    result = CASES[name]()
    got, want = fingerprint(result), load_golden(name)
    if name in KEEP_OUTCOMES and got["outcomes_sha256"] != want["outcomes_sha256"]:
        recorded = load_golden_outcomes(name)
        first = int(np.flatnonzero(recorded != result.outcomes)[0])
        pytest.fail(f"{name}: first differing outcome at request {first}: "
                    f"{recorded[first]} recorded, {result.outcomes[first]} now")
    assert _recorded_part(got["summary"], want["summary"]) == want["summary"]   # new fields may be added
    assert got["outcomes_sha256"] == want["outcomes_sha256"]
    assert got["timeseries_sha256"] == want["timeseries_sha256"]


def _recorded_part(now: dict, recorded: dict) -> dict:
    """The fields that were recorded, as they are now (fields added since are not a change)."""
    return {k: _recorded_part(now[k], v) if isinstance(v, dict) and isinstance(now.get(k), dict)
            else now.get(k, "<missing>") for k, v in recorded.items()}
