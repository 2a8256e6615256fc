"""Getis-Ord Gi* local hot-spot statistic on LSOA counts or rates.

Method
------
Gi* (Getis & Ord 1992; Ord & Getis 1995) compares the sum of a variable over an area *and*
its queen-contiguous neighbours with what would be expected if values were arranged at
random. With weights ``w_ij`` (``w_ii > 0`` for the star version), ``n`` areas, mean ``x̄``
and ``s = sqrt(Σx²/n − x̄²)``::

    z_i = (Σ_j w_ij x_j − x̄ W_i) / (s · sqrt((n S_i − W_i²) / (n − 1)))
    W_i = Σ_j w_ij,   S_i = Σ_j w_ij²

**Weights: binary, self included.** ``z_i`` (and the conditional-permutation pseudo
p-value) is unchanged when row ``i`` of the weights is multiplied by a constant, so for
contiguity weights the choice between binary and row-standardised weights does not alter
any result *if* the variance uses ``S_i``. esda's ``G_Local.Zs`` uses ``S_i = W_i`` (exact
only for 0/1 weights; tests check our z against it for binary weights); ``transform="R"``
is accepted and computed with the exact formula above, giving identical z-scores.

**Inference.** ``inference="permutation"`` (default) is a permutation test under *total*
randomisation (every value, the focal one included, is shuffled; see
:func:`permutation_p`), seeded, vectorised over permutations; the one-sided pseudo p in the
direction of z is doubled to a two-sided p so that the 90/95/99% bins mean the same as
ArcGIS's z-score bins (|z| > 1.645/1.960/2.576). ``inference="analytical"`` uses
the normal approximation ``p = 2·Φ(−|z|)`` and skips the permutations (fast; fine for
national runs, less reliable for very sparse counts). Constant inputs (e.g. all zero)
have no spatial pattern: z = 0, p = 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

from sna_lib.index.hotspots.bins import DEFAULT_LEVELS, confidence_bins, hot_flag
from sna_lib.index.hotspots.weights import SpatialWeights


def star_weights(weights: SpatialWeights, transform: str = "B") -> sparse.csr_array:
    """Weights with the focal area included (``w_ii = 1``), binary or row-standardised.

    Examples
    --------
    >>> import pandas as pd
    >>> from scipy import sparse
    >>> w = SpatialWeights(pd.Index(["a", "b"]), sparse.csr_array([[0.0, 1.0], [1.0, 0.0]]))
    >>> star_weights(w, "R").toarray().tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    full = (weights.adjacency + sparse.eye_array(weights.n, format="csr")).tocsr()
    if transform.upper() == "B":
        return full
    if transform.upper() == "R":
        rowsum = np.asarray(full.sum(axis=1)).ravel()
        return sparse.csr_array(sparse.diags_array(1.0 / rowsum) @ full)
    raise ValueError(f"transform must be 'B' or 'R', not {transform!r}")


def gi_star_z(values, weights: sparse.csr_array) -> np.ndarray:
    """Analytical Gi* z-scores (Ord & Getis 1995) for any non-negative weights incl. self.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> w = sparse.csr_array(np.ones((3, 3)))          # everyone neighbours everyone
    >>> gi_star_z([1.0, 2.0, 3.0], w).round(6).tolist()  # neighbourhood = whole map -> 0
    [0.0, 0.0, 0.0]
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = x.mean()
    s = np.sqrt(max((x**2).mean() - mean**2, 0.0))
    w_sum = np.asarray(weights.sum(axis=1)).ravel()
    w_sq = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()
    numerator = weights @ x - mean * w_sum
    spread = (n * w_sq - w_sum**2) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = numerator / (s * np.sqrt(spread))
    if s == 0:
        z = np.zeros(n)
    return np.where(np.isfinite(z), z, 0.0)


def gi_star(values: pd.Series, weights: SpatialWeights, *, confidence: float = 0.95,
            permutations: int = 999, seed: int = 12345, inference: str = "permutation",
            transform: str = "B", fdr: bool = False,
            levels: Sequence[float] = DEFAULT_LEVELS) -> pd.DataFrame:
    """Gi* hot and cold spots for one LSOA layer.

    Parameters
    ----------
    values : pandas.Series
        indexed by ``lsoa_code``; LSOAs of ``weights`` missing from it count as 0.
        Codes not in ``weights`` raise ``ValueError`` (never silently dropped).
    weights : SpatialWeights
        from :func:`sna_lib.index.hotspots.weights.contiguity_weights`.
    confidence : float
        level at which an LSOA is flagged ``hot`` (one of ``levels``).
    permutations, seed : int
        conditional permutations and their seed (``inference="permutation"``).
    inference : {"permutation", "analytical"}
    transform : {"B", "R"}
        binary or row-standardised (identical z-scores; see module notes).
    fdr : bool
        Benjamini–Hochberg correction of the bins (ArcGIS "Apply FDR correction").

    Returns
    -------
    pandas.DataFrame
        indexed by ``lsoa_code`` in weights order: ``value``, ``gi_z``, ``p_value``
        (two-sided), ``bin`` (−3…+3), ``hot`` (bool, bin ≥ confidence level).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> from sna_lib.index.hotspots.weights import contiguity_weights
    >>> cells = [box(x, y, x + 1, y + 1) for y in range(5) for x in range(5)]
    >>> g = gpd.GeoDataFrame({"lsoa_code": [f"c{i:02d}" for i in range(25)]}, geometry=cells)
    >>> y = pd.Series(0.0, index=g["lsoa_code"]); y[["c00", "c01", "c05", "c06"]] = 10
    >>> res = gi_star(y, contiguity_weights(g), inference="analytical")
    >>> bool(res.loc["c00", "hot"]), bool(res.loc["c24", "hot"])
    (True, False)
    """
    if inference not in ("permutation", "analytical"):
        raise ValueError(f"inference must be 'permutation' or 'analytical', not {inference!r}")
    x = _align(values, weights)
    z = gi_star_z(x, star_weights(weights, transform))
    constant = np.allclose(x, x[0]) if len(x) else True
    if constant:
        p = np.ones(len(x))
    elif inference == "analytical" or permutations <= 0:
        p = 2.0 * stats.norm.sf(np.abs(z))
    else:
        p = permutation_p(x, star_weights(weights, "B"), z, permutations=permutations, seed=seed)
    bins = confidence_bins(z, p, levels=levels, fdr=fdr)
    return pd.DataFrame(
        {"value": x, "gi_z": z, "p_value": p, "bin": bins,
         "hot": hot_flag(bins, confidence=confidence, levels=levels)},
        index=weights.ids,
    )


def permutation_p(values, weights: sparse.csr_array, z, *, permutations: int, seed: int,
                  chunk: int = 128) -> np.ndarray:
    """Two-sided pseudo p-values for Gi* under total randomisation.

    Each permutation shuffles *all* ``n`` values (the focal value too) and recomputes every
    area's weighted neighbourhood sum ``Σ_j w_ij x_j``; this is the null hypothesis under
    which the Ord–Getis moments of Gi* are derived, so the permutation test and the
    analytical z-score test the same hypothesis. (esda's ``G_Local`` uses *conditional*
    permutation, which keeps the focal value fixed: a single LSOA with many events among
    quiet neighbours is then never a Gi* hot spot, unlike in ArcGIS.)

    The one-sided p in the direction of ``z`` is ``(#{sim ≥ obs} + 1) / (P + 1)`` (or
    ``≤`` for negative ``z``), doubled and capped at 1.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> w = sparse.csr_array(np.eye(4))                  # neighbourhood = the area itself
    >>> p = permutation_p([0, 0, 0, 8], w, [-0.6, -0.6, -0.6, 1.7], permutations=999, seed=1)
    >>> bool(0.4 < p[3] < 0.6)                           # the 8 lands on area 3 in 1/4 of shuffles
    True
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    observed = weights @ x
    tolerance = 1e-9 * max(1.0, float(np.abs(x).sum()))
    upper = np.zeros(n)
    lower = np.zeros(n)
    rng = np.random.default_rng(seed)
    done = 0
    while done < permutations:
        size = min(chunk, permutations - done)
        shuffled = rng.permuted(np.tile(x, (size, 1)), axis=1)      # size x n
        sims = weights @ shuffled.T                                 # n x size
        upper += (sims >= observed[:, None] - tolerance).sum(axis=1)
        lower += (sims <= observed[:, None] + tolerance).sum(axis=1)
        done += size
    one_sided = np.where(np.asarray(z) >= 0, upper, lower)
    return np.minimum(1.0, 2.0 * (one_sided + 1.0) / (permutations + 1.0))


def _align(values: pd.Series, weights: SpatialWeights) -> np.ndarray:
    values = pd.Series(values)
    values.index = values.index.astype(str)
    unknown = values.index.difference(weights.ids)
    if len(unknown):
        raise ValueError(f"{len(unknown)} LSOA code(s) not in the geography, e.g. {list(unknown[:5])}")
    if values.index.has_duplicates:
        raise ValueError("values has duplicate LSOA codes")
    return values.reindex(weights.ids).fillna(0.0).to_numpy(dtype=float)
