"""The simulator against a real Redis 7.0.15: every run in tests/data/reference (issue 3, acceptance 1).

Bounds are the issue's: per run hit ratio within 0.15 pp and a mean within 0.05 pp (real Redis
differs from itself by 0.03–0.08 pp), evicted_keys within 1.5%, expired_keys within 5% and the
lazy/active split within 10% where counts exceed 1,000, final used_memory within 0.1% under
maxmemory (no-limit runs: peak within 0.5%), OOM rejections within 2%. The table is printed
(``pytest -s``) and reproduced by ``benchmarks/fidelity.py``.
"""
from __future__ import annotations

import pytest

from evictsim.validate.reference_runs import RUNS, format_table, run_reference


@pytest.fixture(scope="module")
def comparisons():
    rows = [run_reference(name) for name in sorted(RUNS)]
    print("\n" + format_table(rows))
    return rows


def test_hit_ratio_per_run_and_mean(comparisons):
    for c in comparisons:
        assert abs(c.hit_pp) <= 0.15, (c.run, c.hit_pp)
    mean = sum(abs(c.hit_pp) for c in comparisons) / len(comparisons)
    assert mean <= 0.05, mean


def test_evictions_within_1_5_percent(comparisons):
    for c in comparisons:
        if c.real["evicted_keys"]:
            assert abs(c.rel("evicted_keys")) <= 0.015, (c.run, c.rel("evicted_keys"))
        else:
            assert c.sim["evicted_keys"] == 0, c.run


def test_expirations_and_their_split(comparisons):
    for c in comparisons:
        if c.real["expired_keys"] > 1000:
            assert abs(c.rel("expired_keys")) <= 0.05, (c.run, c.rel("expired_keys"))
            for part in ("expired_keys_lazy", "expired_keys_active"):
                if c.real[part] > 1000:
                    assert abs(c.rel(part)) <= 0.10, (c.run, part, c.rel(part))
        elif c.real["expired_keys"] == 0:
            assert c.sim["expired_keys"] == 0, c.run


def test_memory(comparisons):
    for c in comparisons:
        if RUNS[c.run]["maxmemory"]:
            assert abs(c.rel("used_memory")) <= 0.001, (c.run, c.rel("used_memory"))
        else:
            assert abs(c.rel("used_memory_peak")) <= 0.005, (c.run, c.rel("used_memory_peak"))


def test_oom_rejections_within_2_percent(comparisons):
    for c in comparisons:
        if c.real["rejected_writes"]:
            assert abs(c.rel("rejected_writes")) <= 0.02, (c.run, c.rel("rejected_writes"))
        else:
            assert c.sim["rejected_writes"] == 0, c.run


def test_per_get_agreement_close_to_real_against_itself(comparisons):
    """Two real runs agree on 97.4% (LRU) / 95.1% (LFU) of GETs; random policies agree less by nature."""
    for c in comparisons:
        floor = 0.85 if "random" in c.run else 0.94
        assert c.agreement >= floor, (c.run, c.agreement)
