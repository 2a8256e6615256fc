"""Emerging hot-spot categories for annual LSOA Gi* series (after ArcGIS Emerging Hot Spot Analysis).

ArcGIS classifies each location from its sequence of Gi* results (one per time step) and a
Mann–Kendall trend test on its Gi* z-scores. Definitions (hot spots; cold spots mirror them):

new
    hot in the final step and never hot before.
consecutive
    a single uninterrupted run of ≥ 2 hot steps ending in the final step, never hot before
    the run, and fewer than 90% of steps hot.
intensifying / persistent / diminishing
    hot in at least 90% of steps including the final one, with a significant increasing
    trend / no significant trend / a significant decreasing trend in the Gi* z-scores.
sporadic
    hot in the final step, on-and-off before, fewer than 90% of steps hot, never cold.
oscillating
    hot in the final step, fewer than 90% of steps hot, and cold in some earlier step.
historical
    not hot in the final step, but hot in at least 90% of steps.

Adaptation to short annual LSOA series
--------------------------------------
* A *step* is a calendar year; "hot" means Gi* bin ≥ the configured confidence (95%:
  ±2 or ±3), computed per year with the same weights and settings (no space-time
  neighbours: an LSOA's neighbourhood is spatial only, because years are few and long).
* "90% of steps" is ``floor(0.9·n)`` steps by default (``emerging.share_rounding``):
  with 5 years this is 4 of 5. The literal ``ceil`` would require 5 of 5 and make
  "historical" (not hot now yet 90% hot) impossible.
* ArcGIS does not require the final step for "persistent"; with ``floor`` rounding a
  location hot 4 of 5 years but not in the final year is "historical", so persistent
  requires the final year hot (checked before historical).
* Mann–Kendall (``pymannkendall.original_test``) with 5 points reaches p < 0.05 only for
  a strictly monotone series (S = ±10, p ≈ 0.027), so intensifying/diminishing are strict.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

HOT_CATEGORIES = ("new", "consecutive", "intensifying", "persistent", "diminishing",
                  "sporadic", "oscillating", "historical")
CATEGORIES = tuple(f"{c} hotspot" for c in HOT_CATEGORIES) + tuple(
    f"{c} coldspot" for c in HOT_CATEGORIES) + ("no pattern",)


def threshold_steps(n: int, *, share: float = 0.9, rounding: str = "floor") -> int:
    """Number of steps that counts as "90% of the time-step intervals".

    Examples
    --------
    >>> threshold_steps(5), threshold_steps(5, rounding="ceil"), threshold_steps(20)
    (4, 5, 18)
    """
    if rounding not in ("floor", "ceil"):
        raise ValueError("rounding must be 'floor' or 'ceil'")
    value = share * n
    steps = math.floor(value + 1e-9) if rounding == "floor" else math.ceil(value - 1e-9)
    return max(1, steps)


def classify_series(sig_hot, sig_cold, *, trend: str = "no trend", threshold: int) -> str:
    """Emerging category of one location from yearly significance flags and the z trend.

    Parameters
    ----------
    sig_hot, sig_cold : sequence of bool
        per step (oldest first): significant hot / cold spot.
    trend : {"increasing", "decreasing", "no trend"}
        significant Mann–Kendall trend of the Gi* z-scores.
    threshold : int
        steps that count as 90% (:func:`threshold_steps`).

    Examples
    --------
    >>> classify_series([0, 0, 0, 0, 1], [0] * 5, threshold=4)
    'new hotspot'
    >>> classify_series([0, 0, 1, 1, 1], [0] * 5, threshold=4)
    'consecutive hotspot'
    >>> classify_series([1, 0, 1, 0, 1], [0] * 5, threshold=4)
    'sporadic hotspot'
    >>> classify_series([1, 0, 0, 0, 1], [0, 1, 0, 0, 0], threshold=4)
    'oscillating hotspot'
    """
    hot = np.asarray(sig_hot, dtype=bool)
    cold = np.asarray(sig_cold, dtype=bool)
    if len(hot) != len(cold) or not len(hot):
        raise ValueError("hot and cold flags must be equally long and non-empty")
    for label, this, other, up in (("hotspot", hot, cold, "increasing"), ("coldspot", cold, hot, "decreasing")):
        down = "decreasing" if up == "increasing" else "increasing"
        count = int(this.sum())
        if this[-1]:
            if count == 1:
                return f"new {label}"
            if count >= threshold:
                if trend == up:
                    return f"intensifying {label}"
                if trend == down:
                    return f"diminishing {label}"
                return f"persistent {label}"
            run = _final_run(this)
            if run >= 2 and run == count:
                return f"consecutive {label}"
            if other[:-1].any():
                return f"oscillating {label}"
            return f"sporadic {label}"
    for label, this in (("hotspot", hot), ("coldspot", cold)):
        if int(this.sum()) >= threshold:
            return f"historical {label}"
    return "no pattern"


def emerging_hotspots(z: pd.DataFrame, bins: pd.DataFrame, *, confidence_bin: int = 2,
                      trend_alpha: float = 0.05, share: float = 0.9,
                      rounding: str = "floor") -> pd.DataFrame:
    """Emerging hot-spot category of every LSOA from yearly Gi* z-scores and bins.

    Parameters
    ----------
    z, bins : pandas.DataFrame
        index ``lsoa_code``, one column per year (oldest first), as returned by
        ``persistence.wide(results, "gi_z")`` and ``wide(results, "bin")``.
    confidence_bin : int
        bin magnitude that counts as significant (2 = 95%).
    trend_alpha : float
        significance of the Mann–Kendall trend test.
    share, rounding
        see :func:`threshold_steps`.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``years_hot``, ``years_cold``, ``trend`` and ``trend_p`` (NaN where the
        trend was not needed: only locations hot/cold in ≥ 90% of years are tested).

    Examples
    --------
    >>> import pandas as pd
    >>> z = pd.DataFrame([[2.1, 2.5, 3.0, 3.5, 4.0], [0.1, 0.2, 0.1, 0.0, 2.2]],
    ...                  index=["a", "b"], columns=range(2018, 2023))
    >>> b = pd.DataFrame([[2, 2, 3, 3, 3], [0, 0, 0, 0, 2]], index=z.index, columns=z.columns)
    >>> emerging_hotspots(z, b)["category"].tolist()
    ['intensifying hotspot', 'new hotspot']
    """
    import pymannkendall as mk

    if not z.index.equals(bins.index) or list(z.columns) != list(bins.columns):
        raise ValueError("z and bins must have the same LSOAs and years")
    n = z.shape[1]
    threshold = threshold_steps(n, share=share, rounding=rounding)
    sig_hot = (bins.to_numpy() >= confidence_bin)
    sig_cold = (bins.to_numpy() <= -confidence_bin)
    years_hot = sig_hot.sum(axis=1)
    years_cold = sig_cold.sum(axis=1)
    needs_trend = (years_hot >= threshold) | (years_cold >= threshold)
    trend = np.full(len(z), "no trend", dtype=object)
    trend_p = np.full(len(z), np.nan)
    values = z.to_numpy(dtype=float)
    for i in np.flatnonzero(needs_trend):
        if n < 3 or np.allclose(values[i], values[i][0]):
            trend_p[i] = 1.0
            continue
        result = mk.original_test(values[i], alpha=trend_alpha)
        trend_p[i] = result.p
        if result.p <= trend_alpha:
            trend[i] = "increasing" if result.s > 0 else "decreasing"
    categories = [classify_series(sig_hot[i], sig_cold[i], trend=trend[i], threshold=threshold)
                  for i in range(len(z))]
    return pd.DataFrame({
        "category": pd.Categorical(categories, categories=list(CATEGORIES)),
        "years_hot": years_hot.astype("int64"),
        "years_cold": years_cold.astype("int64"),
        "trend": trend.astype(str),
        "trend_p": trend_p,
    }, index=z.index)


def _final_run(flags: np.ndarray) -> int:
    run = 0
    for flag in flags[::-1]:
        if not flag:
            break
        run += 1
    return run
