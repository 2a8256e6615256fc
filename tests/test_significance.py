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


# ------------------------------------------------------------------ mutation-testing survivors
def _exact_two_sided(k: int, n: int, p: float) -> float:
    """Hand two-sided exact binomial p: sum of the outcomes no more likely than the one seen."""
    pmf = [math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, sum(q for q in pmf if q <= pmf[k] * (1 + 1e-7)))


def test_unequal_exposure_p_value_and_interval_by_hand():
    from scipy import stats

    # 12 events over 1 unit, 30 over 2: p = 2 / 3 under the null
    r = compare_counts(12, 30, exposure_before=1, exposure_after=2)
    assert r.p_value == pytest.approx(_exact_two_sided(30, 42, 2 / 3), rel=1e-9)
    assert r.rate_ratio == pytest.approx((30 / 2) / (12 / 1))
    lo, hi = stats.beta.ppf(0.05, 30, 13), stats.beta.ppf(0.95, 31, 12)   # 90 % Clopper–Pearson
    r90 = compare_counts(12, 30, exposure_before=1, exposure_after=2, confidence=0.90)
    assert (r90.ci_low, r90.ci_high) == pytest.approx((lo / (1 - lo) / 2, hi / (1 - hi) / 2), rel=1e-9)
    with pytest.raises(ValueError, match="exposures must be positive"):
        compare_counts(1, 3, exposure_before=0)
    with pytest.raises(ValueError, match="before must be a non-negative whole count"):
        compare_counts(-1, 3)
    with pytest.raises(ValueError, match="after must be a non-negative whole count"):
        compare_counts(3, 2.5)


def test_alpha_and_interval_edges():
    # p = 0.4244 (15 -> 10): significant at alpha 0.5, not at 0.05
    assert compare_counts(15, 10, alpha=0.5).significant and compare_counts(15, 10, alpha=0.5).alpha == 0.5
    # all events after: the ratio and the upper bound are unbounded (None); all before: ratio 0
    up = compare_counts(0, 9)
    assert up.ci_high is None and up.ci_low > 0
    down = compare_counts(9, 0)
    assert down.rate_ratio == 0 and down.ci_low == 0 and down.ci_high > 0
    from sna_lib.measures.significance import CountComparison

    method = "exact conditional binomial test of two Poisson counts"
    assert compare_counts(0, 0, alpha=0.1) == CountComparison(0, 0, None, None, None, 1.0, False, 0.1, method)
    assert compare_counts(15, 10).method == method


def test_label_thresholds_by_hand():
    from sna_lib.measures.significance import CountComparison

    def lab(p, sig=False):
        return CountComparison(1, 2, None, None, None, p, sig, 0.05, "m").label()

    assert lab(0.0004, True) == "significant (p < 0.001)"
    assert lab(0.001, True) == "significant (p = 0.001)"
    assert lab(0.0049, True) == "significant (p = 0.005)"
    assert lab(0.01) == "not significant (p = 0.01)"
    assert lab(0.4244) == "not significant (p = 0.42)"


def test_rounding_decimals():
    assert round_half_away(0.125, 2) == 0.13 and round_half_away(-0.125, 2) == -0.13
    assert round_half_away(2.5) == 3 and round_half_away(-2.5) == -3
    assert pct_change(3, 4, 1) == 33.3 and pct_change(3, 4, None) == pytest.approx(100 / 3)
    assert pct_change(8, 9) == 13    # 12.5 % rounds away from zero


def test_clopper_pearson_confidence_and_bad_input():
    from statsmodels.stats.proportion import proportion_confint

    from sna_lib.measures.significance import clopper_pearson

    assert clopper_pearson(3, 10, 0.9) == pytest.approx(proportion_confint(3, 10, alpha=0.1, method="beta"))
    assert clopper_pearson(0, 10)[0] == 0.0 and clopper_pearson(10, 10)[1] == 1.0
    for bad in ((1, 0), (-1, 10), (11, 10)):
        with pytest.raises(ValueError, match="need 0 <= count <= of"):
            clopper_pearson(*bad)


def test_share_vs_baseline_confidence_and_empty_baseline():
    from statsmodels.stats.proportion import proportion_confint

    from sna_lib.measures.significance import share_vs_baseline

    r = share_vs_baseline(30, 50, 400, 1000, confidence=0.9)
    low, high = proportion_confint(30, 50, alpha=0.1, method="beta")
    assert (r.ratio_low, r.ratio_high) == pytest.approx((low / 0.4, high / 0.4))
    assert (r.count, r.of, r.share, r.baseline_share, r.confidence) == (30, 50, 0.6, 0.4, 0.9)
    assert (r.baseline_count, r.baseline_of, r.ratio) == (400, 1000, pytest.approx(1.5))
    assert "90 % interval" in r.method and "95 % interval" in share_vs_baseline(1, 2, 1, 2).method
    assert "97.5 % interval" in share_vs_baseline(1, 2, 1, 2, confidence=0.975).method
    none = share_vs_baseline(3, 10, 0, 0, confidence=0.9)
    assert none.to_dict() == {"count": 3, "of": 10, "share": 0.3, "baseline_count": 0, "baseline_of": 0,
                              "baseline_share": None, "ratio": None, "ratio_low": None, "ratio_high": None,
                              "confidence": 0.9, "method": r.method}


def _glm_quasi_poisson(before, after, eb=None, ea=None):
    """Independent: statsmodels GLM Poisson with Pearson-X2 scale on the monthly counts."""
    import numpy as np
    import statsmodels.api as sm

    y = np.concatenate([before, after]).astype(float)
    x = np.concatenate([np.zeros(len(before)), np.ones(len(after))])
    e = np.concatenate([np.ones(len(before)) if eb is None else eb, np.ones(len(after)) if ea is None else ea])
    fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson(), offset=np.log(e)).fit(scale="X2")
    return fit


def test_compare_periods_quasi_poisson_matches_statsmodels():
    from sna_lib.measures.significance import compare_periods

    before = [60, 140, 100, 80, 120, 100, 90, 110, 70, 130, 100, 100]
    after = [50, 130, 96, 70, 110, 90, 84, 100, 66, 120, 90, 94]
    fit = _glm_quasi_poisson(before, after)
    r = compare_periods(before, after)
    assert r.method.startswith("quasi-Poisson Wald test; dispersion") and "24 monthly counts" in r.method
    assert r.dispersion == pytest.approx(fit.scale, rel=1e-9)
    assert r.rate_ratio == pytest.approx(math.exp(fit.params[1]), rel=1e-9)
    assert r.p_value == pytest.approx(fit.pvalues[1], rel=1e-6)
    lo, hi = fit.conf_int()[1]
    assert (r.ci_low, r.ci_high) == pytest.approx((math.exp(lo), math.exp(hi)), rel=1e-6)
    assert (r.before, r.after) == (sum(before), sum(after))
    assert r.significant == (fit.pvalues[1] < 0.05)
    # 90 % interval and alpha are passed through
    r90 = compare_periods(before, after, confidence=0.9, alpha=0.9)
    lo90, hi90 = fit.conf_int(alpha=0.1)[1]
    assert (r90.ci_low, r90.ci_high) == pytest.approx((math.exp(lo90), math.exp(hi90)), rel=1e-6)
    assert r90.significant and r90.alpha == 0.9


def test_compare_periods_population_exposure_matches_statsmodels():
    from sna_lib.measures.significance import compare_periods

    before = [60, 140, 100, 80, 120, 100]
    after = [66, 150, 112, 90, 128, 118]
    eb, ea = [100.0] * 6, [110.0] * 6    # population grew 10 %
    fit = _glm_quasi_poisson(before, after, eb, ea)
    r = compare_periods(before, after, exposure_before=eb, exposure_after=ea)
    assert r.rate_ratio == pytest.approx(math.exp(fit.params[1]), rel=1e-9)
    assert r.dispersion == pytest.approx(fit.scale, rel=1e-9)
    assert r.p_value == pytest.approx(fit.pvalues[1], rel=1e-6)


def test_compare_periods_keeps_the_exact_test_and_says_why():
    from sna_lib.measures.significance import compare_periods

    small = compare_periods([2, 1, 3], [1, 0, 2])          # 9 events < 50
    assert small.p_value == pytest.approx(compare_counts(6, 3).p_value)
    assert small.method.endswith("exact test kept (fewer than 50 events)") and "dispersion" in small.method
    empty = compare_periods([0, 0, 0], [40, 30, 35])
    assert empty.dispersion is None and empty.method.endswith("exact test kept (a period with no events)")
    assert "dispersion" not in empty.method
    steady = compare_periods([100] * 6, [90] * 6)           # X2 = 0: no overdispersion
    assert steady.dispersion == pytest.approx(0.0) and steady.method.endswith("(no overdispersion)")
    assert steady.p_value == pytest.approx(compare_counts(600, 540).p_value)
    # the threshold is configurable and strict: exactly small_total events use the dispersion test
    wild = [10, 30, 10, 30]
    assert compare_periods(wild, wild, small_total=161).method.endswith("(fewer than 161 events)")
    assert compare_periods(wild, wild, small_total=160).method.startswith("quasi-Poisson")
    # exposures scale the exact test too: 10 events / 1 month vs 20 / 2 months is no change
    same = compare_periods([10], [10, 10], exposure_before=[1.0], exposure_after=[1.0, 1.0])
    assert same.p_value == pytest.approx(1.0)


def test_compare_periods_bad_input():
    from sna_lib.measures.significance import compare_periods

    with pytest.raises(ValueError, match="each month needs one exposure"):
        compare_periods([1, 2], [1, 2], exposure_before=[1.0])
    with pytest.raises(ValueError, match="each month needs one exposure"):
        compare_periods([1, 2], [1, 2], exposure_after=[1.0])
    with pytest.raises(ValueError, match="exposures must be positive"):
        compare_periods([1, 2], [1, 2], exposure_after=[1.0, 0.0])
    with pytest.raises(ValueError, match="exposures must be positive"):
        compare_periods([1, 2], [1, 2], exposure_before=[-1.0, 1.0])
    for b, a in (([1, -2], [1, 2]), ([1, 2], [-1, 2]), ([1.5, 2], [1, 2]), ([1, 2], [1, 2.5])):
        with pytest.raises(ValueError, match="non-negative whole numbers"):
            compare_periods(b, a)


def test_holm_by_hand():
    from sna_lib.measures.significance import holm

    # sorted 0.01, 0.03, 0.04 x (3, 2, 1) = 0.03, 0.06, 0.04 -> step-down max: 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06])
    # NaN skipped like None: 0.02 x 2 = 0.04, 0.3 x 1 = 0.3; and capped at 1: 0.5 x 2 = 1.0
    assert holm([0.02, float("nan"), 0.3]) == pytest.approx([0.04, None, 0.3])
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    assert holm([]) == [] and holm([None]) == [None]


def test_holm_equals_statsmodels_multipletests_bit_for_bit():
    """Independent: statsmodels' Holm on families with ties, ones and tiny p-values."""
    import numpy as np
    from statsmodels.stats.multitest import multipletests

    from sna_lib.measures.significance import holm

    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 9, 30):
        p = rng.uniform(0, 0.2, n).round(3).tolist()       # rounding makes ties
        p[0] = 1e-12 if n > 1 else p[0]
        expected = [float(round(v, 12)) for v in multipletests(p, method="holm")[1]]
        assert holm(p) == expected


def test_small_periods_pass_alpha_and_confidence_to_the_exact_test():
    from sna_lib.measures.significance import clopper_pearson, compare_periods

    small = compare_periods([2, 1, 3], [1, 0, 2], alpha=0.9, confidence=0.8)
    exact = compare_counts(6, 3, alpha=0.9, confidence=0.8)
    assert (small.before, small.after, small.alpha, small.significant) == (6, 3, 0.9, exact.significant)
    assert (small.ci_low, small.ci_high) == pytest.approx((exact.ci_low, exact.ci_high))
    assert (compare_counts(15, 10).before, compare_counts(15, 10).after) == (15, 10)
    # one trial is a valid proportion: 1 of 1 -> upper bound 1, lower bound 0.025 ** 1
    assert clopper_pearson(1, 1) == pytest.approx((0.025, 1.0))


# ------------------------------------------------------------------ session-8 mutation survivors
def test_exposure_error_is_worded_exactly():
    with pytest.raises(ValueError, match=r"^exposures must be positive$"):
        compare_counts(3, 4, exposure_before=0.0)


def test_share_vs_baseline_without_people_still_gives_the_residents_share():
    from sna_lib.measures.significance import share_vs_baseline

    # nobody with a known value: no share and no ratio, but the residents' share is 411 / 1000
    r = share_vs_baseline(0, 0, 411, 1000)
    assert (r.share, r.baseline_share, r.ratio, r.ratio_low, r.ratio_high) == (None, 0.411, None, None, None)
    # residents' share 0: no ratio, the share itself is kept
    z = share_vs_baseline(3, 10, 0, 1000)
    assert (z.share, z.baseline_share, z.ratio) == (0.3, 0.0, None)


def test_exactly_small_total_events_give_the_real_reason_the_exact_test_is_kept():
    from sna_lib.measures.significance import compare_periods

    # 50 events (= SMALL_TOTAL, not fewer): the exact test is kept for another reason
    empty = compare_periods([0, 0, 0], [20, 20, 10])
    assert empty.method.endswith("exact test kept (a period with no events)")
    steady = compare_periods([5] * 5, [5] * 5)  # X2 = 0
    assert steady.method.endswith("exact test kept (no overdispersion)")
