"""ArcGIS-style confidence bins (−3 … +3) for hot/cold-spot results."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_LEVELS = (0.90, 0.95, 0.99)


def confidence_bins(z, p_values, *, levels: Sequence[float] = DEFAULT_LEVELS,
                    fdr: bool = False) -> np.ndarray:
    """Signed confidence bins like ArcGIS ``Gi_Bin``: ±3 (99%), ±2 (95%), ±1 (90%), 0.

    Parameters
    ----------
    z : array-like
        direction of each result (only the sign is used: + hot, − cold).
    p_values : array-like
        two-sided p-values (for one-tailed tests pass the one-tailed p).
    levels : sequence of float
        confidence levels in increasing order; bin ``k`` means significant at ``levels[k-1]``.
    fdr : bool
        apply the Benjamini–Hochberg false-discovery-rate cut-off (:func:`esda.fdr`)
        separately at each level, as ArcGIS does with its FDR correction.

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> confidence_bins([2.9, -2.1, 1.7, 0.3], [0.004, 0.036, 0.09, 0.76]).tolist()
    [3, -2, 1, 0]
    """
    z = np.asarray(z, dtype=float)
    p = np.asarray(p_values, dtype=float)
    levels = sorted(levels)
    bins = np.zeros(len(p), dtype=int)
    sign = np.sign(np.nan_to_num(z))
    for k, level in enumerate(levels, start=1):
        alpha = 1.0 - level
        cut = alpha
        if fdr and len(p):
            from esda import fdr as esda_fdr

            cut = float(esda_fdr(np.nan_to_num(p, nan=1.0), alpha))
        significant = np.nan_to_num(p, nan=1.0) <= cut + 1e-12
        bins = np.where(significant & (sign != 0), (k * sign).astype(int), bins)
    return bins


def hot_flag(bins, *, confidence: float, levels: Sequence[float] = DEFAULT_LEVELS) -> np.ndarray:
    """True where the bin is a hot spot at ``confidence`` or higher.

    Examples
    --------
    >>> hot_flag([3, 2, 1, 0, -3], confidence=0.95).tolist()
    [True, True, False, False, False]
    """
    levels = sorted(levels)
    matching = [k for k, level in enumerate(levels, start=1) if np.isclose(level, confidence)]
    if not matching:
        raise ValueError(f"confidence {confidence} is not one of the bin levels {list(levels)}")
    return np.asarray(bins) >= matching[0]
