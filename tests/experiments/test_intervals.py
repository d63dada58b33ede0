"""The intervals against published values (Newcombe 1998: single proportion, and difference of proportions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.analytics.intervals import mean_difference, mean_interval, newcombe, wilson


def test_wilson_matches_newcombes_published_examples() -> None:
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson(15, 148) == pytest.approx((0.0624, 0.1605), abs=1e-4)
    assert wilson(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_newcombe_difference_matches_the_published_example() -> None:
    difference, low, high = newcombe(56, 70, 48, 80)
    assert difference == pytest.approx(0.8 - 0.6)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-4)


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_holds_the_observed_share(successes: int, trials: int) -> None:
    successes = min(successes, trials)
    low, high = wilson(successes, trials)
    assert 0 <= low <= successes / trials <= high <= 1


def test_mean_intervals() -> None:
    assert mean_interval([1.0]) == (1.0, 1.0, 1.0)
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 2.0])
    assert mean == 2.0 and low < 2.0 < high
    assert high - low == pytest.approx(2 * 1.96 * (2 / 3) ** 0.5 / 2, rel=1e-3)
    difference, low, high = mean_difference([2.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert difference == pytest.approx(4 / 3) and low < difference < high
