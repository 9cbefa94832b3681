"""The jemalloc model in whole runs against a real Redis 7.0.15's 1-s INFO series (issue 11, acceptance 1).

Each run below is simulated with ``allocator-model jemalloc``, its own policy, maxmemory and start
time, from its own sample 0 (``evictsim.validate.allocator_fidelity``, shared with
``benchmarks/fidelity_allocator.py --engine``, which runs every reference run and whose table is in the
README). Bounds are the issue's, after the first 10 s, per run: mean relative error of
``allocator_active`` and of ``used_memory_rss`` at most 2%, mean absolute error of
``allocator_frag_ratio`` (active / allocated) at most 0.02; RSS flat where real RSS stays flat: over
every stretch of two or more consecutive 1-s steps where real RSS does not change at all, the model's
RSS moves less than 256 KiB (real RSS changes in 128 KiB steps, so a single still second inside a
growth phase is not a flat stretch); and RSS falls (a 1-s step down by 256 KiB or more) within 1 s of
real ones: none in these runs, so none in the model. Worst samples are printed beside the means.

Runs: every reference run (``run_names``: the two ``frag_*`` runs and the sixteen zipf / zipf_ttl
runs). All Redis policies are one kernel specialisation (the redis-pool family), so these runs
compile nothing that ``tests/test_allocator_run.py`` does not.

Known shortfall, asserted as such (strict xfail: the day the model meets the bound, the mark must go):
on the five runs at 25% of the footprint (``__mm25``) the mean ``allocator_active`` error is 2.1-2.8%.
The model's ``allocator_allocated`` sits 340-460 KB above real in every run: real allocated minus
used_memory falls from sample 0's 829 KB to 480-590 KB within the first seconds of traffic (regions
the start-up thread cache held, flushed or reused), while the model keeps sample 0's figure as a
constant and adds its own thread cache. On a 14.4 MB server that offset is ~2.5% (0.7-1.9% on the
larger ones). Modelling the start-up thread cache needs its contents per size class, which
jemalloc's statistics do not print.
"""
from __future__ import annotations

import numpy as np
import pytest

from evictsim.validate.allocator_fidelity import (
    FLAT_BYTES,
    TABLE_HEAD,
    compare,
    falls_within_1_s,
    flat_stretches,
    format_row,
    load_run,
    run_names,
    simulate,
)

RUNS = tuple(run_names())
ACTIVE_SHORTFALL = pytest.mark.xfail(strict=True, reason="start-up thread cache not modelled: "
                                     "allocated +340-460 KB, active > 2% on a 14.4 MB server (docstring)")
ACTIVE_CASES = [pytest.param(name, marks=ACTIVE_SHORTFALL) if "__mm25" in name else name for name in RUNS]


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    out = {}
    for name in RUNS:
        run = load_run(name)
        ticks, simulate_s = simulate(run)
        out[name] = {**compare(run.series, ticks), "simulate_s": simulate_s}
    return out


def test_prints_the_table(results):
    table = "\n".join([TABLE_HEAD] + [format_row(name, r, f"{r['simulate_s']:.1f}") for name, r in results.items()])
    print("\n" + table)
    assert list(results) == list(RUNS) and len(RUNS) == 18


@pytest.mark.parametrize("name", ACTIVE_CASES)
def test_active_within_2_percent_on_average(results, name):
    r = results[name]
    assert r["allocator_active"][0] <= 0.02, (name, r["allocator_active"])


@pytest.mark.parametrize("field", ["used_memory_rss", "allocator_frag_ratio"])
@pytest.mark.parametrize("name", RUNS)
def test_rss_within_2_percent_and_frag_ratio_within_0_02_on_average(results, name, field):
    """Both bounds are 0.02: a relative error for RSS, an absolute one for the ratio."""
    r = results[name]
    assert r[field][0] <= 0.02, (name, field, r[field])


@pytest.mark.parametrize("name", RUNS)
def test_rss_stays_flat_where_real_rss_stays_flat(results, name):
    r = results[name]
    assert r["rss_flat_worst_model_move"] < FLAT_BYTES, (name, r["rss_flat_stretches"], r["rss_flat_worst_model_move"])


@pytest.mark.parametrize("name", RUNS)
def test_rss_falls_within_1_s_of_real_falls(results, name):
    r = results[name]
    assert falls_within_1_s(r["rss_falls_real"], r["rss_falls_model"]), (name, r["rss_falls_real"], r["rss_falls_model"])


def test_flat_stretches_are_two_or_more_unchanged_steps_and_falls_match_within_1_s():
    assert flat_stretches(np.array([1, 2, 2, 3, 3, 3, 4, 4, 4, 4])) == [(3, 5), (6, 9)]
    assert falls_within_1_s([5], [6]) and falls_within_1_s([], [])
    assert not falls_within_1_s([5], [7]) and not falls_within_1_s([], [3])
