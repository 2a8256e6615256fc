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
from dataclasses import dataclass

from scipy import stats

__all__ = ["CountComparison", "compare_counts", "pct_change", "round_half_away"]


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
