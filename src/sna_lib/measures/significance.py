"""Is a change between two counts more than chance? Exact tests for Poisson counts.

Published key measures compare two counts (e.g. 15 non-domestic homicides last year, 10 this
year: "-33%"). Treating each count as Poisson, the count in the second period conditional on
the total is binomial with ``p = exposure_b / (exposure_a + exposure_b)`` (``p = 0.5`` for two
periods of equal length). The exact two-sided binomial test of that conditional count is the
classical exact test for comparing two Poisson rates (Przyborowski & Wilenski 1940).

Examples
--------
>>> r = compare_counts(15, 10)
>>> round(r.p_value, 3), r.significant
(0.424, False)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

__all__ = ["CountComparison", "compare_counts", "compare_periods", "holm", "pct_change", "round_half_away", "clopper_pearson",
           "ShareVsBaseline", "share_vs_baseline"]


def round_half_away(x: float, ndigits: int = 0) -> float:
    """Round half away from zero (as published tables do: -32.5% -> -33%).

    Python's :func:`round` rounds halves to even (``round(-32.5) == -32``); published SNA tables
    round ``40 -> 27`` (-32.5%) to -33%.

    Examples
    --------
    >>> round_half_away(-32.5), round_half_away(2.5), round_half_away(0.125, 2)
    (-33.0, 3.0, 0.13)
    """
    factor = 10.0 ** ndigits
    scaled = abs(x) * factor
    # guard against binary representation error (e.g. 0.125 * 100 = 12.499999...)
    rounded = math.floor(scaled + 0.5 + 1e-9)
    return math.copysign(rounded / factor, x)


def pct_change(before: float, after: float, ndigits: int | None = 0) -> float | None:
    """Percentage change from ``before`` to ``after``; ``None`` when ``before`` is 0.

    Parameters
    ----------
    before, after : float
        Counts (or rates) for the earlier and later period.
    ndigits : int or None
        Round half away from zero to this many decimals (0 = whole %, as published);
        ``None`` returns the exact value.

    Examples
    --------
    >>> pct_change(1176, 1066), pct_change(40, 27), pct_change(15, 10, None)
    (-9.0, -33.0, -33.33333333333333)
    >>> pct_change(0, 4) is None
    True
    """
    if before == 0:
        return None
    value = (after - before) / before * 100.0
    return value if ndigits is None else round_half_away(value, ndigits)


@dataclass(frozen=True)
class CountComparison:
    """Result of :func:`compare_counts`.

    Attributes
    ----------
    before, after : int
        The two counts.
    rate_ratio : float or None
        ``(after / exposure_after) / (before / exposure_before)``; ``None`` when ``before`` is 0.
    p_value : float
        Exact two-sided p-value (1.0 when both counts are 0).
    significant : bool
        ``p_value < alpha``.
    alpha : float
    method : str
    """

    before: int
    after: int
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float
    significant: bool
    alpha: float
    method: str
    dispersion: float | None = None

    def label(self) -> str:
        """Short text for tables, e.g. ``'not significant (p = 0.42)'``.

        Examples
        --------
        >>> compare_counts(15, 10).label()
        'not significant (p = 0.42)'
        >>> compare_counts(1176, 1066).label()
        'significant (p = 0.02)'
        >>> compare_counts(1184, 1050).label()   # below 0.01: three decimals, never "p = 0.00"
        'significant (p = 0.005)'
        """
        word = "significant" if self.significant else "not significant"
        if self.p_value < 0.001:
            p = "< 0.001"
        else:
            p = f"= {self.p_value:.3f}" if self.p_value < 0.01 else f"= {self.p_value:.2f}"
        return f"{word} (p {p})"


def compare_counts(before: int, after: int, *, exposure_before: float = 1.0, exposure_after: float = 1.0,
                   alpha: float = 0.05, confidence: float = 0.95) -> CountComparison:
    """Exact conditional (binomial) test that two Poisson counts share one rate.

    Parameters
    ----------
    before, after : int
        Non-negative event counts in the earlier and later period.
    exposure_before, exposure_after : float
        Period lengths or populations (default equal, giving ``p = 0.5``).
    alpha : float
        Significance level for ``significant``.
    confidence : float
        Level of the exact (Clopper-Pearson based) confidence interval for the rate ratio.

    Returns
    -------
    CountComparison

    Examples
    --------
    The reference SNA's "-33%" for non-domestic homicides (15 to 10) is not significant:

    >>> r = compare_counts(15, 10)
    >>> round(r.p_value, 4), r.significant, round(r.rate_ratio, 3)
    (0.4244, False, 0.667)
    >>> compare_counts(40, 10).significant
    True
    """
    for name, value in (("before", before), ("after", after)):
        if value < 0 or int(value) != value:
            raise ValueError(f"{name} must be a non-negative whole count, got {value!r}")
    if exposure_before <= 0 or exposure_after <= 0:
        raise ValueError("exposures must be positive")
    before, after = int(before), int(after)
    n = before + after
    method = "exact conditional binomial test of two Poisson counts"
    if n == 0:
        return CountComparison(0, 0, None, None, None, 1.0, False, alpha, method)
    p = exposure_after / (exposure_before + exposure_after)
    test = stats.binomtest(after, n, p, alternative="two-sided")
    scale = exposure_before / exposure_after
    ratio = after / before * scale if before else None
    ci = test.proportion_ci(confidence_level=confidence, method="exact")
    low = ci.low / (1 - ci.low) * scale if ci.low < 1 else None
    high = ci.high / (1 - ci.high) * scale if ci.high < 1 else None
    pval = float(min(1.0, test.pvalue))
    return CountComparison(before, after, ratio, low, high, pval, pval < alpha, alpha, method)


def clopper_pearson(count: int, of: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) confidence interval for the proportion ``count / of``.

    The bounds are beta quantiles: ``Beta(a/2; k, n-k+1)`` and ``Beta(1-a/2; k+1, n-k)``
    (0 and 1 at the edges). Conservative: coverage is at least ``confidence``.

    Examples
    --------
    >>> tuple(round(x, 4) for x in clopper_pearson(7, 20))
    (0.1539, 0.5922)
    >>> clopper_pearson(0, 10)[0], clopper_pearson(10, 10)[1]
    (0.0, 1.0)
    """
    if of <= 0 or count < 0 or count > of:
        raise ValueError(f"need 0 <= count <= of and of > 0, got {count} of {of}")
    alpha = 1.0 - confidence
    low = 0.0 if count == 0 else float(stats.beta.ppf(alpha / 2, count, of - count + 1))
    high = 1.0 if count == of else float(stats.beta.ppf(1 - alpha / 2, count + 1, of - count))
    return low, high


@dataclass(frozen=True)
class ShareVsBaseline:
    """A share of people beside the same share of all residents (see :func:`share_vs_baseline`)."""

    count: int
    of: int
    share: float | None
    baseline_count: float
    baseline_of: float
    baseline_share: float | None
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    confidence: float
    method: str

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        from dataclasses import asdict

        return asdict(self)


SHARE_VS_BASELINE_METHOD = (
    "ratio of the share to the residents' share; {pct:g} % interval: exact Clopper–Pearson interval "
    "of the share divided by the residents' share (a census count, treated as fixed)"
)


def share_vs_baseline(count: int, of: int, baseline_count: float, baseline_of: float,
                      confidence: float = 0.95) -> ShareVsBaseline:
    """Share of people with a property beside the share of all residents, their ratio and its CI.

    E.g. "60.6 % of suspects live in deprived neighbourhoods" against the 41.1 % of residents
    who do: ratio 1.47. The residents' share is a census count of the whole population, so its
    sampling error is negligible; the interval is the exact Clopper–Pearson interval of the
    people's share (:func:`clopper_pearson`) divided by the residents' share.

    Parameters
    ----------
    count, of : int
        People with the property and people with a known value (e.g. suspects with a known home).
    baseline_count, baseline_of : float
        Residents with the property and all residents.

    Examples
    --------
    >>> r = share_vs_baseline(606, 1000, 411, 1000)
    >>> round(r.ratio, 3), round(r.ratio_low, 3), round(r.ratio_high, 3)
    (1.474, 1.399, 1.549)
    """
    pct = round(confidence * 100, 6)
    method = SHARE_VS_BASELINE_METHOD.format(pct=pct)
    share = count / of if of else None
    base = baseline_count / baseline_of if baseline_of else None
    if share is None or not base:
        return ShareVsBaseline(int(count), int(of), share, baseline_count, baseline_of, base, None, None, None,
                               confidence, method)
    low, high = clopper_pearson(int(count), int(of), confidence)
    return ShareVsBaseline(int(count), int(of), share, baseline_count, baseline_of, base, share / base,
                           low / base, high / base, confidence, method)


#: Below this many events in the two periods together the exact test is kept (the monthly
#: dispersion estimate is unreliable and overdispersion matters little at small counts).
SMALL_TOTAL = 50


def compare_periods(before_monthly: Sequence[float], after_monthly: Sequence[float], *,
                    exposure_before: Sequence[float] | None = None,
                    exposure_after: Sequence[float] | None = None, alpha: float = 0.05,
                    small_total: int = SMALL_TOTAL, confidence: float = 0.95) -> CountComparison:
    """Compare two periods' counts allowing for overdispersion estimated from their monthly series.

    Crime counts vary more from month to month than a Poisson process allows, so the exact
    Poisson test (:func:`compare_counts`) gives p-values that are too small for large counts.
    This fits the quasi-Poisson model ``log E[y_m] = log exposure_m + a + b x after_m`` to the
    monthly counts of both periods (e.g. 12 + 12 months), estimates the dispersion
    ``phi = Pearson X^2 / (months - 2)`` and tests ``b = 0`` with the Wald z-test on the
    standard error ``sqrt(phi x (1/before + 1/after))`` (as ``statsmodels`` GLM Poisson with
    ``scale="X2"``). The exact test is kept when the two periods hold fewer than
    ``small_total`` events together, when either period is empty, or when ``phi <= 1`` (no
    overdispersion seen: the Poisson test is then the honest one).

    Parameters
    ----------
    before_monthly, after_monthly : sequence of float
        Counts per month of each period.
    exposure_before, exposure_after : sequence of float, optional
        Population (or days) per month; default 1 per month. Pass population where it changed
        between the periods, so the comparison is of rates.
    small_total : int
        Below this total the exact test is used.

    Returns
    -------
    CountComparison
        ``method`` names the test used and the dispersion; ``dispersion`` is ``phi``.

    Examples
    --------
    A steady series (Poisson-like) keeps the exact test; a volatile one widens the test:

    >>> steady = compare_periods([98, 100, 102] * 4, [90, 92, 94] * 4)
    >>> steady.method.split(";")[0], steady.significant
    ('exact conditional binomial test of two Poisson counts', True)
    >>> wild = compare_periods([60, 140, 100] * 4, [50, 130, 96] * 4)
    >>> wild.method.split(";")[0], round(wild.dispersion, 1), wild.significant
    ('quasi-Poisson Wald test', 12.2, False)
    """
    yb = np.asarray(before_monthly, dtype=float)
    ya = np.asarray(after_monthly, dtype=float)
    eb = np.ones_like(yb) if exposure_before is None else np.asarray(exposure_before, dtype=float)
    ea = np.ones_like(ya) if exposure_after is None else np.asarray(exposure_after, dtype=float)
    if len(eb) != len(yb) or len(ea) != len(ya):
        raise ValueError("each month needs one exposure")
    if (eb <= 0).any() or (ea <= 0).any():
        raise ValueError("exposures must be positive")
    if (yb < 0).any() or (ya < 0).any() or not (np.all(yb == np.round(yb)) and np.all(ya == np.round(ya))):
        raise ValueError("monthly counts must be non-negative whole numbers")
    before, after = int(yb.sum()), int(ya.sum())
    months = len(yb) + len(ya)
    exact = compare_counts(before, after, exposure_before=float(eb.sum()), exposure_after=float(ea.sum()),
                           alpha=alpha, confidence=confidence)
    phi = None
    if before and after and months > 2:
        mu = np.concatenate([eb * before / eb.sum(), ea * after / ea.sum()])
        y = np.concatenate([yb, ya])
        phi = float(np.sum((y - mu) ** 2 / mu) / (months - 2))
    where = f"{months} monthly counts"
    if phi is None or before + after < small_total or phi <= 1.0:
        why = ("fewer than %d events" % small_total if before + after < small_total
               else "a period with no events" if phi is None else "no overdispersion")
        disp = "" if phi is None else f"dispersion {phi:.2f} from {where}; "
        return replace(exact, dispersion=phi, method=f"{exact.method}; {disp}exact test kept ({why})")
    beta = math.log((after / ea.sum()) / (before / eb.sum()))
    se = math.sqrt(phi * (1.0 / before + 1.0 / after))
    z = stats.norm.ppf(0.5 + confidence / 2)
    pval = float(min(1.0, 2 * stats.norm.sf(abs(beta) / se)))
    return CountComparison(before, after, math.exp(beta), math.exp(beta - z * se), math.exp(beta + z * se),
                           pval, pval < alpha, alpha,
                           f"quasi-Poisson Wald test; dispersion {phi:.2f} from {where}", phi)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of several p-values (``None`` entries are skipped).

    Controls the chance of any false "significant" among the family at ``alpha``. The same
    arithmetic as ``statsmodels.stats.multitest.multipletests(method="holm")`` (sort, multiply
    by ``n, n-1, …, 1``, running maximum, cap at 1, unsort; checked against it in
    ``tests/test_significance.py``), without its ``gc.collect()`` on every call (a full garbage
    collection per area costs about 0.1 s in a publication run).

    Examples
    --------
    >>> holm([0.01, 0.04, None, 0.03])
    [0.03, 0.06, None, 0.06]
    """
    idx = [i for i, p in enumerate(p_values) if p is not None and not math.isnan(p)]
    out: list[float | None] = [None] * len(p_values)
    if idx:
        pvals = np.asarray([p_values[i] for i in idx])
        order = np.argsort(pvals)
        ranked = np.take(pvals, order)
        adjusted_sorted = np.maximum.accumulate(ranked * np.arange(len(ranked), 0, -1))
        adjusted_sorted[adjusted_sorted > 1] = 1
        adjusted = np.empty_like(adjusted_sorted)
        adjusted[order] = adjusted_sorted
        for i, v in zip(idx, adjusted):
            out[i] = float(round(v, 12))
    return out
