"""Vectorised random-sampling helpers shared by the synthetic-county generators.

Every generator draws from its own named random stream (:func:`stream`), so changing one
layer never changes another layer's numbers for the same seed.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """Independent, reproducible random generator for one named component.

    Examples
    --------
    >>> a = stream(1, "crimes").integers(0, 100, 3)
    >>> b = stream(1, "crimes").integers(0, 100, 3)
    >>> bool((a == b).all())
    True
    """
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]))


def knots_pmf(knots: Mapping, support: np.ndarray) -> np.ndarray:
    """Probability mass over ``support`` by linear interpolation between ``{x: weight}`` knots.

    Outside the knots the weight is zero.

    Examples
    --------
    >>> knots_pmf({0: 1, 2: 1}, np.arange(4)).round(3).tolist()
    [0.333, 0.333, 0.333, 0.0]
    """
    xs = np.array(sorted(float(k) for k in knots))
    ys = np.array([float(knots[k]) for k in sorted(knots, key=float)])
    w = np.interp(support.astype(float), xs, ys, left=0.0, right=0.0)
    return w / w.sum()


def systematic_counts(pmf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Integer counts summing to ``n`` that follow ``pmf`` to within one (systematic sampling).

    Examples
    --------
    >>> systematic_counts(np.array([0.5, 0.25, 0.25]), 8, np.random.default_rng(0)).tolist()
    [4, 2, 2]
    """
    if n <= 0:
        return np.zeros(len(pmf), dtype=np.int64)
    cum = np.concatenate([[0.0], np.cumsum(pmf)])
    cum /= cum[-1]
    points = (np.arange(n) + rng.random()) / n
    idx = np.searchsorted(cum, points, side="right") - 1
    return np.bincount(np.clip(idx, 0, len(pmf) - 1), minlength=len(pmf)).astype(np.int64)


def systematic_values(values: np.ndarray, pmf: np.ndarray, n: int,
                      rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of ``values`` with counts fixed by :func:`systematic_counts`, shuffled.

    Examples
    --------
    >>> v = systematic_values(np.array([1, 2]), np.array([0.5, 0.5]), 4, np.random.default_rng(0))
    >>> sorted(v.tolist())
    [1, 1, 2, 2]
    """
    out = np.repeat(values, systematic_counts(pmf, n, rng))
    return rng.permutation(out)


def sample_index(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices drawn with replacement, probability proportional to ``weights``.

    Examples
    --------
    >>> sample_index(np.array([0.0, 1.0]), 3, np.random.default_rng(0)).tolist()
    [1, 1, 1]
    """
    weights = np.asarray(weights, dtype=float)
    if n < 2000:
        cum = np.cumsum(weights)
        u = rng.random(n) * cum[-1]
        return np.minimum(np.searchsorted(cum, u, side="right"), len(weights) - 1)
    # many draws: multinomial counts then a shuffle (cache-friendly, O(len(weights) + n))
    counts = rng.multinomial(n, weights / weights.sum())
    return rng.permutation(np.repeat(np.arange(len(weights)), counts))


def pick_without_replacement(weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``k`` items chosen without replacement, inclusion favouring large weights.

    Efraimidis-Spirakis keys: ``-log(U) / w``; the ``k`` smallest are chosen. Zero weights are
    never chosen. Returns fewer than ``k`` positions when fewer items have positive weight.

    Examples
    --------
    >>> pick_without_replacement(np.array([0.0, 1.0, 1.0]), 2, np.random.default_rng(0)).tolist()
    [1, 2]
    """
    weights = np.asarray(weights, dtype=float)
    positive = np.flatnonzero(weights > 0)
    k = int(min(k, len(positive)))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = -np.log(rng.random(len(positive))) / weights[positive]
    chosen = positive[np.argpartition(keys, k - 1)[:k]] if k < len(positive) else positive
    return np.sort(chosen)


def stochastic_round(x: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Round to an integer up or down with probability given by the fractional part.

    Examples
    --------
    >>> int(stochastic_round(3.0, np.random.default_rng(0)))
    3
    """
    x = np.asarray(x, dtype=float)
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)


def categorical(probs: Mapping[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels drawn from ``{label: probability}`` (probabilities renormalised).

    Examples
    --------
    >>> categorical({"a": 1.0, "b": 0.0}, 2, np.random.default_rng(0)).tolist()
    ['a', 'a']
    """
    labels = np.array(list(probs.keys()), dtype=object)
    p = np.array(list(probs.values()), dtype=float)
    return labels[sample_index(p, n, rng)]


def day_weights(year: int, seasonality: float, lockdown_dip: float = 0.0) -> np.ndarray:
    """Relative daily volume within ``year``: summer peak, and an April-May 2020 dip.

    Examples
    --------
    >>> w = day_weights(2023, 0.1)
    >>> len(w), bool(w[180] > w[0])
    (365, True)
    """
    start = np.datetime64(f"{year}-01-01")
    n = int((np.datetime64(f"{year + 1}-01-01") - start).astype(int))
    doy = np.arange(n)
    w = 1.0 + seasonality * np.sin(2 * np.pi * (doy - 100) / n)
    if year == 2020 and lockdown_dip:
        lock = (doy >= 83) & (doy < 150)
        w[lock] *= 1.0 - lockdown_dip
    return w


def random_dates(years: np.ndarray, rng: np.random.Generator, seasonality: float,
                 lockdown_dip: float = 0.0) -> np.ndarray:
    """A date (``datetime64[D]``) within each row's year, following :func:`day_weights`.

    Examples
    --------
    >>> d = random_dates(np.array([2020, 2021]), np.random.default_rng(0), 0.1)
    >>> d.astype("datetime64[Y]").astype(int).tolist()
    [50, 51]
    """
    years = np.asarray(years)
    out = np.empty(len(years), dtype="datetime64[D]")
    for year in np.unique(years):
        rows = np.flatnonzero(years == year)
        offsets = sample_index(day_weights(int(year), seasonality, lockdown_dip), len(rows), rng)
        out[rows] = np.datetime64(f"{int(year)}-01-01") + offsets
    return out
