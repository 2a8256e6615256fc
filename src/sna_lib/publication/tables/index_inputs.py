"""Inputs shared by the place and risk-factor tables, computed once per publication run.

The factor layers of the reporting year (every Gi*/Poisson layer of :mod:`sna_lib.index.factors`),
the spatial weights and the index settings are needed by :mod:`.place` and :mod:`.risk`; building
the layers costs most of both sections, so :func:`index_inputs` builds them once and keeps them
on the :class:`~sna_lib.publication.compute.Prepared` object of the run, with the
:class:`~sna_lib.index.factors.FactorSource` the out-of-time validation builds its years from.

Examples
--------
>>> from sna_lib.publication.compute import prepare            # doctest: +SKIP
>>> inputs = index_inputs(prepare(ds), ds)                     # doctest: +SKIP
>>> inputs.layers.attrs["year"] == inputs.year                 # doctest: +SKIP
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["IndexInputs", "index_inputs"]


@dataclass
class IndexInputs:
    """What the place and risk tables share.

    Attributes
    ----------
    year : int
        The reporting year.
    sv_ids : pandas.Index
        Crime ids of serious violence under the book's primary definition (all years), the
        same crimes every other published SV count uses (``Prepared.crimes["sv"]``).
    settings : dict
        :func:`sna_lib.index.hotspots.index_settings` of the data folder's config.
    weights : SpatialWeights
        Contiguity weights of the county's LSOAs.
    layers : pandas.DataFrame
        :func:`sna_lib.index.factors.build_factor_layers` of the reporting year.
    source : FactorSource
        The selections every year's layers share (:class:`sna_lib.index.factors.FactorSource`):
        the out-of-time validation builds its years' layers from it.
    """

    year: int
    sv_ids: pd.Index
    settings: dict
    weights: Any
    layers: pd.DataFrame
    source: Any = None


_KEY = "_index_inputs"


def index_inputs(prep, dataset) -> IndexInputs:
    """The shared inputs, built on first use and kept on ``prep`` for the rest of the run."""
    cached = prep.__dict__.get(_KEY)
    if cached is not None:
        return cached
    from sna_lib.index.factors import FactorSource
    from sna_lib.index.hotspots import index_settings, weights_for

    settings = index_settings(dataset.config)
    weights = weights_for(dataset.geography, settings)
    crimes = prep.crimes
    sv_ids = pd.Index(crimes.loc[crimes["sv"].to_numpy(dtype=bool), "crime_id"].astype(str))
    source = FactorSource(dataset, sv_ids=sv_ids, settings=settings, weights=weights,
                          person_crime=prep.person_crime)  # person links by integer row, not crime id
    out = IndexInputs(year=int(prep.year), sv_ids=sv_ids, settings=settings, weights=weights,
                      layers=source.layers(prep.year), source=source)
    prep.__dict__[_KEY] = out
    return out
