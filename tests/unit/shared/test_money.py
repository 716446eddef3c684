from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.money import Money, allocate


def test_largest_remainder_gives_leftover_kopecks_to_the_largest_remainders():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(1000, [3, 7]) == [300, 700]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(5, [0, 0]) == [3, 2]


@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_parts_always_sum_to_the_whole_and_stay_within_one_unit_of_the_exact_share(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights) or len(weights)
    for part, w in zip(parts, weights if sum(weights) else [1] * len(weights), strict=True):
        assert abs(part - total * w / weight_sum) < 1


def test_money_refuses_to_mix_currencies():
    with pytest.raises(ValueError, match="cannot combine RUB with EUR"):
        Money(100, "RUB") + Money(1, "EUR")
    assert Money(150, "RUB") * 3 == Money(450, "RUB")
