"""INFO's allocator fields derived a column at a time (``info_columns``, what a run's time series uses)
give exactly what ``info_fields`` gives one reading at a time: bytes, and ratios rounded as
``round(a / b, 2)`` (INFO's ``%.2f``), exact ties and zero denominators included."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evictsim.keyspace.allocator.metrics import info_columns, info_fields, info_ratio

FIELDS = st.integers(0, 1 << 40)
# quotients whose scaled value is an exact half or the binary neighbour of one (1/8, 5/8, 1.005...)
TIES = st.sampled_from([(1, 8), (5, 8), (3, 8), (7, 8), (201, 200), (1005, 1000), (2675, 1000), (9, 8),
                        (1, 0), (0, 0), (0, 5), (12345, 12345)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FIELDS, FIELDS, FIELDS, FIELDS, FIELDS), min_size=1, max_size=40))
def test_columns_equal_per_reading_fields(readings):
    columns = info_columns(*(np.array(column, np.int64) for column in zip(*readings)))
    for i, reading in enumerate(readings):
        for name, value in info_fields(*reading).items():
            assert columns[name][i] == value, (name, reading)


@given(st.lists(TIES | st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=30))
def test_ratio_rounds_ties_as_python_round(pairs):
    numerators, denominators = (np.array(column, np.int64) for column in zip(*pairs))
    expected = [round(a / b, 2) if b else 0.0 for a, b in pairs]
    assert info_ratio(numerators, denominators).tolist() == expected
