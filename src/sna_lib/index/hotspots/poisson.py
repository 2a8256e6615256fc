"""Poisson-probability hot spots: more events than the population would lead us to expect.

For LSOA ``i`` with population (or other base) ``P_i`` and ``O_i`` observed events, the
expected count under a uniform rate is ``E_i = (Σ O / Σ P) · P_i`` (or ``rate · P_i`` when a
reference rate is given). The upper-tail probability of seeing at least ``O_i`` events is::

    p_i = P(X ≥ O_i | X ~ Poisson(E_i)) = scipy.stats.poisson.sf(O_i − 1, E_i)

An LSOA is a hot spot when ``p_i ≤ alpha`` (default 1 − confidence = 0.05). This test is
aspatial (no neighbours) and one-tailed, so bins are 0…+3 only (``p ≤ 0.10/0.05/0.01``).
An LSOA with a zero base has ``E_i = 0``: ``p = 1`` when it has no events and ``p = 0``
otherwise (any event is infinitely unlikely), and it is reported in ``zero_base``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sna_lib.index.hotspots.bins import DEFAULT_LEVELS, confidence_bins


def poisson_hotspots(observed: pd.Series, base: pd.Series, *, alpha: float = 0.05,
                     rate: float | None = None,
                     levels: Sequence[float] = DEFAULT_LEVELS) -> pd.DataFrame:
    """Upper-tail Poisson probability of each LSOA's count given its population.

    Parameters
    ----------
    observed : pandas.Series
        event counts indexed by ``lsoa_code`` (missing LSOAs of ``base`` count as 0).
    base : pandas.Series
        population (or households, residents 16+) indexed by ``lsoa_code``; defines the
        set of LSOAs analysed. Observed codes absent from ``base`` raise ``ValueError``.
    alpha : float
        upper-tail p at or below which an LSOA is ``hot``.
    rate : float, optional
        events per unit of base; default the pooled rate ``Σ observed / Σ base``.

    Returns
    -------
    pandas.DataFrame
        indexed by ``lsoa_code``: ``value`` (observed), ``base``, ``expected``, ``ratio``
        (observed / expected), ``p_value``, ``bin`` (0…3), ``hot``, ``zero_base``.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.Series({"a": 9, "b": 1, "c": 2})
    >>> pop = pd.Series({"a": 1000, "b": 1000, "c": 1000})
    >>> res = poisson_hotspots(obs, pop)
    >>> round(float(res.loc["a", "expected"]), 3), bool(res.loc["a", "hot"])
    (4.0, True)
    """
    base = pd.Series(base, dtype=float)
    base.index = base.index.astype(str)
    observed = pd.Series(observed)
    observed.index = observed.index.astype(str)
    unknown = observed.index.difference(base.index)
    if len(unknown):
        raise ValueError(f"{len(unknown)} LSOA code(s) have counts but no base, e.g. {list(unknown[:5])}")
    if (base < 0).any() or base.isna().any():
        raise ValueError("base must be non-negative and not missing")
    obs = observed.reindex(base.index).fillna(0).to_numpy(dtype=float)
    if (obs < 0).any():
        raise ValueError("observed counts must be non-negative")
    total_base = base.sum()
    if rate is None:
        rate = obs.sum() / total_base if total_base > 0 else 0.0
    expected = rate * base.to_numpy()
    zero_base = expected <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = stats.poisson.sf(obs - 1, np.where(zero_base, 1.0, expected))
        ratio = np.where(zero_base, np.nan, obs / expected)
    p = np.where(zero_base, np.where(obs > 0, 0.0, 1.0), p)
    p = np.where(obs <= 0, 1.0, p)
    bins = confidence_bins(np.ones(len(p)), p, levels=levels)
    return pd.DataFrame(
        {"value": obs, "base": base.to_numpy(), "expected": expected, "ratio": ratio,
         "p_value": p, "bin": bins, "hot": p <= alpha + 1e-12, "zero_base": zero_base},
        index=pd.Index(base.index, name="lsoa_code"),
    )
