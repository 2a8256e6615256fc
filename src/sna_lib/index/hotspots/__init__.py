"""LSOA hot-spot statistics: Getis-Ord Gi* (:mod:`.gistar`) and Poisson probability (:mod:`.poisson`).

:func:`hotspots` runs the method named in the settings (``hotspots.method``) on one layer
and returns a frame with the common columns ``value, p_value, bin, hot``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna_lib.index.hotspots.bins import DEFAULT_LEVELS, confidence_bins, hot_flag
from sna_lib.index.hotspots.gistar import gi_star, gi_star_z, star_weights
from sna_lib.index.hotspots.poisson import poisson_hotspots
from sna_lib.index.hotspots.settings import index_settings
from sna_lib.index.hotspots.weights import SpatialWeights, contiguity_weights, geography_hash

__all__ = [
    "DEFAULT_LEVELS", "SpatialWeights", "confidence_bins", "contiguity_weights", "geography_hash",
    "gi_star", "gi_star_z", "hot_flag", "hotspots", "index_settings", "poisson_hotspots", "star_weights", "weights_for",
]


def weights_for(geography, settings: dict[str, Any] | None = None) -> SpatialWeights:
    """Queen weights of ``geography`` with the configured island rule and snap tolerance (cached).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"lsoa_code": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> weights_for(g).cardinalities.tolist()
    [1, 1]
    """
    cfg = (settings or index_settings())["hotspots"]
    return contiguity_weights(geography, islands=cfg.get("islands", "nearest"),
                              tolerance=float(cfg.get("snap_tolerance", 0.0) or 0.0))


def hotspots(values: pd.Series, *, weights: SpatialWeights | None = None, base: pd.Series | None = None,
             method: str | None = None, settings: dict[str, Any] | None = None) -> pd.DataFrame:
    """Hot spots of one LSOA layer with the configured method.

    Parameters
    ----------
    values : pandas.Series
        counts (or weighted counts) indexed by ``lsoa_code``.
    weights : SpatialWeights
        required for ``gistar``; also defines the LSOA set.
    base : pandas.Series
        population base, required for ``poisson``.
    method : {"gistar", "poisson"}, optional
        overrides ``settings["hotspots"]["method"]``.
    settings : dict, optional
        from :func:`index_settings` (defaults when omitted).

    Returns
    -------
    pandas.DataFrame
        indexed by ``lsoa_code`` with at least ``value, p_value, bin, hot``.

    Examples
    --------
    >>> import pandas as pd
    >>> res = hotspots(pd.Series({"a": 9, "b": 1, "c": 2}),
    ...                base=pd.Series({"a": 1e3, "b": 1e3, "c": 1e3}), method="poisson")
    >>> res["hot"].tolist()
    [True, False, False]
    """
    settings = settings or index_settings()
    cfg = settings["hotspots"]
    method = method or cfg["method"]
    levels = tuple(cfg.get("levels", DEFAULT_LEVELS))
    if method == "gistar":
        if weights is None:
            raise ValueError("Gi* needs spatial weights")
        return gi_star(values, weights, confidence=cfg["confidence"], permutations=cfg["permutations"],
                       seed=cfg["seed"], inference=cfg.get("inference", "permutation"),
                       transform=cfg.get("transform", "B"), fdr=bool(cfg.get("fdr", False)), levels=levels)
    if method == "poisson":
        if base is None:
            raise ValueError("Poisson hot spots need a population base")
        alpha = cfg.get("poisson_alpha") or (1.0 - cfg["confidence"])
        return poisson_hotspots(values, base, alpha=alpha, levels=levels)
    raise ValueError(f"unknown hot-spot method {method!r} (use 'gistar' or 'poisson')")
