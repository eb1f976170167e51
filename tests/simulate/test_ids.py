"""Vectorised ids: the formats the tables carry, and hashes that never collide by accident."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from creatorscore.simulate.ids import format_ids, hex_digests


def test_ids_are_prefixed_and_zero_padded_to_one_width():
    ids = format_ids("od", np.array([0, 7, 1_234_567])).to_pylist()
    assert ids == ["od0000000", "od0000007", "od1234567"]


@given(st.lists(st.integers(0, 10**12), min_size=2, max_size=200, unique=True))
def test_ids_sort_in_number_order(numbers):
    ids = format_ids("cr", np.array(numbers)).to_pylist()
    assert sorted(ids) == [ids[i] for i in np.argsort(numbers)]


@given(st.lists(st.integers(0, 2**62), min_size=1, max_size=200, unique=True))
def test_distinct_values_hash_to_distinct_16_hex_digests(values):
    digests = hex_digests(np.array(values, dtype=np.int64)).to_pylist()
    assert len(set(digests)) == len(values)
    assert all(len(d) == 16 and int(d, 16) >= 0 for d in digests)
