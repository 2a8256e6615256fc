"""Tests for the exact Poisson count comparison and published-style rounding."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna_lib.measures.significance import compare_counts, pct_change, round_half_away


def two_sided_equal_exposure(before: int, after: int) -> float:
    """Independent hand computation: p = 2 * P(X <= min) for X ~ Bin(n, 1/2), capped at 1."""
    n = before + after
    k = min(before, after)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def test_reference_homicide_change_is_not_significant():
    # Table A: 15 -> 10 non-domestic homicides, published as -33%
    r = compare_counts(15, 10)
    # by hand: sum_{i<=10} C(25, i) = 7,119,516 ; 2 * 7,119,516 / 2**25 = 0.42435...
    assert sum(math.comb(25, i) for i in range(11)) == 7_119_516
    assert r.p_value == pytest.approx(2 * 7_119_516 / 2 ** 25, abs=1e-12)
    assert r.p_value == pytest.approx(0.424, abs=0.0005)
    assert not r.significant
    assert pct_change(15, 10) == -33


def test_reference_knife_change_is_significant():
    r = compare_counts(1176, 1066)
    assert r.p_value == pytest.approx(two_sided_equal_exposure(1176, 1066), rel=1e-9)
    assert r.significant  # p ~ 0.021


def test_published_rounding_matches_reference_tables():
    # Tables A-E of the reference SNA
    assert pct_change(1176, 1066) == -9
    assert pct_change(35, 27) == -23
    assert pct_change(1184, 1043) == -12
    assert pct_change(15, 9) == -40
    assert pct_change(40, 27) == -33      # -32.5 rounds away from zero
    assert pct_change(10, 3) == -70
    assert pct_change(0, 5) is None
    assert round_half_away(0.5) == 1 and round_half_away(-0.5) == -1 and round_half_away(1.49) == 1


def test_exposure_changes_null_proportion():
    # 10 events in 1 year vs 20 in 2 years: identical rates, p = 1
    r = compare_counts(10, 20, exposure_before=1, exposure_after=2)
    assert r.rate_ratio == pytest.approx(1.0)
    assert r.p_value == pytest.approx(1.0)
    assert r.ci_low < 1 < r.ci_high


def test_zero_counts_and_bad_input():
    r = compare_counts(0, 0)
    assert r.p_value == 1 and not r.significant and r.rate_ratio is None
    r = compare_counts(0, 9)
    assert r.rate_ratio is None and r.significant   # p = 2 / 2**9
    assert r.p_value == pytest.approx(2 / 2 ** 9)
    with pytest.raises(ValueError):
        compare_counts(-1, 3)
    with pytest.raises(ValueError):
        compare_counts(1.5, 3)
    with pytest.raises(ValueError):
        compare_counts(1, 3, exposure_after=0)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 150), st.integers(0, 150))
def test_property_matches_hand_binomial_and_is_symmetric(a, b):
    r = compare_counts(a, b)
    assert 0 <= r.p_value <= 1
    assert r.p_value == pytest.approx(compare_counts(b, a).p_value, rel=1e-9, abs=1e-12)
    if a + b:
        assert r.p_value == pytest.approx(two_sided_equal_exposure(a, b), rel=1e-7, abs=1e-12)
    if a and b:
        assert r.ci_low <= r.rate_ratio <= r.ci_high
