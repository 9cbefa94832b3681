"""timeseries.csv's original 18 columns stay byte-identical to what evictsim wrote before the metric
registry (goldens recorded from main at 4512857 with ``evictsim simulate --reproducible``): columns
generated from the registry change nothing. A deliberate model change refreshes the goldens with
``python tests/test_timeseries_golden.py`` (and says so in its commit)."""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

import evictsim
from evictsim.results import timeseries_to_csv

DATA = Path(__file__).parent / "data"
TRACE = DATA / "reference" / "traces" / "zipf_ttl.csv.gz"
ORIGINAL = 18
CASES = {
    "zipf_ttl_allkeys-lru_14443520": {"maxmemory": 14443520, "policy": "allkeys-lru",
                                      "start_time": 1795550788.795},
    "zipf_ttl_volatile-lru_10mb_si0.25_lazyev": {"maxmemory": "10mb", "policy": "volatile-lru",
                                                 "config": {"sample-interval": 0.25,
                                                            "lazyfree-lazy-eviction": "yes"}},
}


def first_columns(text: str, n: int = ORIGINAL) -> list[str]:
    return [",".join(line.split(",")[:n]) for line in text.splitlines()]


def golden_path(name: str) -> Path:
    return DATA / "golden" / f"{name}.timeseries.csv.gz"


def simulated(name: str) -> str:
    return timeseries_to_csv(evictsim.simulate(str(TRACE), **CASES[name]).timeseries)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_original_columns_are_byte_identical_to_the_golden(name):
    golden = gzip.decompress(golden_path(name).read_bytes()).decode()
    assert golden.splitlines()[0].count(",") == ORIGINAL - 1
    assert first_columns(simulated(name)) == first_columns(golden)


if __name__ == "__main__":      # refresh the goldens after a deliberate model change
    for case in sys.argv[1:] or sorted(CASES):
        text = "\n".join(first_columns(simulated(case))) + "\n"
        golden_path(case).write_bytes(gzip.compress(text.encode(), mtime=0))
        print(golden_path(case))
