"""Queen-contiguity spatial weights for an LSOA geography, built once and cached.

Weights are *binary* and exclude the focal area; :func:`sna_lib.index.hotspots.gistar.gi_star`
adds the self-weight and applies the chosen transform. LSOAs that touch no other LSOA
(islands, e.g. an offshore LSOA or one separated by an estuary) are handled explicitly:

``islands="nearest"`` (default)
    join each island to its nearest LSOA by centroid distance (symmetrically), so that
    every area has a neighbourhood of at least two (itself and one neighbour);
``islands="keep"``
    leave islands with no neighbour: their Gi* neighbourhood is the area alone, so
    their Gi* z-score only reflects their own value and their permutation p-value is 1.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from sna_lib.errors import DataValidationError, Problem

_CACHE: dict[tuple[str, str, float], "SpatialWeights"] = {}
_CACHE_MAX = 8


@dataclass(frozen=True)
class SpatialWeights:
    """Binary contiguity weights aligned to ``ids`` (no self-weights).

    Attributes
    ----------
    ids : pandas.Index
        LSOA codes, in the order of the matrix rows.
    adjacency : scipy.sparse.csr_array
        ``n x n`` symmetric 0/1 matrix, zero diagonal.
    islands : tuple of str
        codes that had no contiguous neighbour in the geography.
    joined : tuple of (str, str)
        (island, nearest) pairs added when ``islands="nearest"``.
    """

    ids: pd.Index
    adjacency: sparse.csr_array
    islands: tuple[str, ...] = ()
    joined: tuple[tuple[str, str], ...] = ()
    _w_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours (excluding self) per area."""
        return np.asarray(self.adjacency.sum(axis=1)).ravel().astype(int)

    def to_libpysal(self):
        """The same weights as a binary :class:`libpysal.weights.W` (cached)."""
        if "w" not in self._w_cache:
            from libpysal.weights import WSP

            w = WSP(sparse.csr_matrix(self.adjacency), id_order=list(self.ids)).to_W(silence_warnings=True)
            w.transform = "B"
            self._w_cache["w"] = w
        return self._w_cache["w"]


def geography_hash(geography) -> str:
    """SHA-1 of the LSOA codes (in order) and their geometries (WKB).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"lsoa_code": ["a"]}, geometry=[box(0, 0, 1, 1)])
    >>> len(geography_hash(g))
    40
    """
    digest = hashlib.sha1()
    digest.update("\x1f".join(map(str, geography["lsoa_code"])).encode())
    for wkb in geography.geometry.to_wkb():
        digest.update(wkb)
    return digest.hexdigest()


def contiguity_weights(geography, *, islands: str = "nearest", tolerance: float = 0.0) -> SpatialWeights:
    """Queen contiguity (shared edge or vertex) between LSOA polygons, cached by geography.

    Parameters
    ----------
    geography : geopandas.GeoDataFrame
        one row per LSOA with ``lsoa_code`` and polygon ``geometry`` (projected CRS).
    islands : {"nearest", "keep"}
        how to treat LSOAs with no contiguous neighbour (see module docstring).
    tolerance : float
        treat polygons whose boundaries are within this distance (CRS units, metres for
        EPSG:27700) as touching; 0 (default) needs a shared boundary point. Use a small value
        (e.g. 1) for generalised boundaries that leave slivers between neighbours.

    Returns
    -------
    SpatialWeights
        binary weights in the row order of ``geography``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 1, y + 1) for y in range(2) for x in range(2)]
    >>> g = gpd.GeoDataFrame({"lsoa_code": list("abcd")}, geometry=cells)
    >>> contiguity_weights(g).cardinalities.tolist()   # every cell touches the other three
    [3, 3, 3, 3]
    """
    if islands not in ("nearest", "keep"):
        raise ValueError(f"islands must be 'nearest' or 'keep', not {islands!r}")
    codes = pd.Index(geography["lsoa_code"].astype(str), name="lsoa_code")
    if codes.has_duplicates:
        dups = codes[codes.duplicated()].unique()[:10]
        raise DataValidationError([Problem("geography", "lsoa_code", None, f"duplicate LSOA code {c!r}") for c in dups])
    key = (geography_hash(geography), islands, float(tolerance))
    if key in _CACHE:
        return _CACHE[key]

    adjacency = _queen_adjacency(geography, tolerance)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    isolated = np.flatnonzero(degree == 0)
    joined: list[tuple[str, str]] = []
    if islands == "nearest" and len(isolated) and len(codes) > 1:
        centroids = np.column_stack([geography.geometry.centroid.x, geography.geometry.centroid.y])
        tree = cKDTree(centroids)
        _, nearest = tree.query(centroids[isolated], k=2)
        rows, cols = [], []
        for i, pair in zip(isolated, nearest):
            j = int(pair[1] if pair[0] == i else pair[0])
            rows += [i, j]
            cols += [j, i]
            joined.append((codes[i], codes[j]))
        extra = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=adjacency.shape)
        adjacency = ((adjacency + extra) > 0).astype(float).tocsr()
    weights = SpatialWeights(codes, sparse.csr_array(adjacency), tuple(codes[isolated]), tuple(joined))
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = weights
    return weights


def _queen_adjacency(geography, tolerance: float = 0.0) -> sparse.csr_array:
    """0/1 symmetric adjacency from shared boundary points (queen), via an STRtree."""
    import shapely

    geoms = geography.geometry.values
    n = len(geoms)
    boundaries = shapely.boundary(np.asarray(geoms))
    if tolerance > 0:
        left, right = geography.sindex.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        # candidate pairs whose polygons intersect, then exact "boundaries share a point" test
        left, right = geography.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left):
        if tolerance > 0:
            close = shapely.dwithin(boundaries[left], boundaries[right], tolerance)
        else:
            close = shapely.intersects(boundaries[left], boundaries[right])
        left, right = left[close], right[close]
    data = np.ones(2 * len(left))
    adjacency = sparse.csr_array((data, (np.r_[left, right], np.r_[right, left])), shape=(n, n))
    adjacency.sum_duplicates()
    adjacency.data[:] = 1.0
    return adjacency
