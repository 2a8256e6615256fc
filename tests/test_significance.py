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


def test_clopper_pearson_matches_statsmodels_and_beats_wilson():
    from statsmodels.stats.proportion import proportion_confint

    from sna_lib.measures.significance import clopper_pearson

    for k, n in ((0, 10), (3, 10), (7, 20), (606, 1000), (10, 10)):
        low, high = proportion_confint(k, n, alpha=0.05, method="beta")
        assert clopper_pearson(k, n) == pytest.approx((low, high), abs=1e-9)
    # exact is wider than Wilson (which undercovers at small n): not interchangeable
    w = proportion_confint(3, 10, method="wilson")
    cp = clopper_pearson(3, 10)
    assert cp[0] < w[0] and cp[1] > w[1]
    with pytest.raises(ValueError):
        clopper_pearson(5, 4)


def test_rate_ratio_interval_is_exact_conditional():
    """Independent check: the CI of the rate ratio maps the Clopper–Pearson interval of
    after / (before + after), computed here from scipy's beta quantiles."""
    from scipy import stats

    before, after = 15, 10
    n = before + after
    lo = stats.beta.ppf(0.025, after, n - after + 1)
    hi = stats.beta.ppf(0.975, after + 1, n - after)
    r = compare_counts(before, after)
    assert r.ci_low == pytest.approx(lo / (1 - lo), rel=1e-9)
    assert r.ci_high == pytest.approx(hi / (1 - hi), rel=1e-9)


def test_share_vs_baseline_independent():
    from statsmodels.stats.proportion import proportion_confint

    from sna_lib.measures.significance import share_vs_baseline

    r = share_vs_baseline(60, 99, 41_100, 100_000)
    low, high = proportion_confint(60, 99, method="beta")
    assert r.ratio == pytest.approx((60 / 99) / 0.411)
    assert (r.ratio_low, r.ratio_high) == pytest.approx((low / 0.411, high / 0.411))
    assert "Clopper" in r.method
    empty = share_vs_baseline(0, 0, 5, 10)
    assert empty.ratio is None and empty.share is None
