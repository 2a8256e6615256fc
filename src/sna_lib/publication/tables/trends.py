"""Change over time: this year's serious violence against the year before, for every area.

Table ``sv.year_on_year`` (county + every CSP), one row per definition id (the primary
definition), columns:

``before``, ``after``
    offences in calendar years ``reporting_year - 1`` and ``reporting_year`` (the same counts
    as ``sv.annual``, declared ``same``);
``pct_change``
    ``100 * (after - before) / before``;
``p_value``, ``significant``, ``quasi_poisson``, ``dispersion``
    the test Tables A–E use (:func:`sna_lib.measures.significance.compare_periods`): the 24
    monthly counts of the two years, the area's residents as exposure (mid-year estimate of each
    month's year), the exact conditional test for small counts and a quasi-Poisson test when the
    monthly counts are overdispersed. ``quasi_poisson`` is 1 when the quasi-Poisson test was
    used, 0 for the exact test; it follows the two counts (which test was used says whether
    they add up to 50 or more), as do the p-value and the dispersion.

The periods and the row (the primary definition) are text in
``provenance["text"]["sv.year_on_year"]``; page 01 states the method.

Examples
--------
>>> from sna_lib.data.dataset import load_dataset                               # doctest: +SKIP
>>> from sna_lib.publication.compute import publication_cells                  # doctest: +SKIP
>>> cells, _, prov = publication_cells(load_dataset("demo"))                   # doctest: +SKIP
>>> prov["text"]["sv.year_on_year"]["after_period"]                            # doctest: +SKIP
'2023'
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sna_lib.publication.cells import CellBuilder
from sna_lib.publication.compute import Prepared, area_counts

__all__ = ["TABLE", "add_year_on_year_cells"]

TABLE = "sv.year_on_year"


def add_year_on_year_cells(b: CellBuilder, prep: Prepared, dataset, annual: Any, text: dict) -> None:
    """Declare :data:`TABLE` for every area (see the module docstring).

    ``annual`` is the ``sv.annual`` table of :mod:`sna_lib.publication.compute` (its ``id`` and
    ``values`` give the annual count cells of each area).
    """
    from sna_lib.measures.key_measures import _monthly_exposure, calendar_year
    from sna_lib.measures.significance import compare_periods
    from sna_lib.publication.tables.key_measures import area_populations

    year, primary = prep.year, prep.primary
    before_p, after_p = calendar_year(year - 1), calendar_year(year)
    crimes = prep.crimes
    pick = (crimes["sv"] & crimes["year"].isin([year - 1, year])).to_numpy(dtype=bool)
    sel = crimes[pick]
    frame = pd.DataFrame({"area": sel["area"].to_numpy(), "year": sel["year"].to_numpy(),
                          "month": sel["date"].dt.month.to_numpy()})
    monthly = area_counts(frame, ["year", "month"], prep.areas,
                          levels={"year": [year - 1, year], "month": list(range(1, 13))}).sort_index()
    population = area_populations(dataset, prep.areas)
    for area in prep.areas:
        key_before, key_after = (area, str(year - 1), primary), (area, str(year), primary)
        if key_before not in annual.ids or key_after not in annual.ids:  # a year outside the data
            for column in ("before", "after"):
                b.count(table=TABLE, area=area, row=primary, column=column, value=None)
            for column in ("pct_change", "p_value", "significant", "quasi_poisson", "dispersion"):
                b.exempt(table=TABLE, area=area, row=primary, column=column, value=None,
                         reason="no comparison: a year outside the data")
            continue
        mb = monthly.loc[(area, year - 1)].to_numpy(dtype="int64")
        ma = monthly.loc[(area, year)].to_numpy(dtype="int64")
        n_before, n_after = int(mb.sum()), int(ma.sum())
        c_before = b.count(table=TABLE, area=area, row=primary, column="before", value=n_before)
        c_after = b.count(table=TABLE, area=area, row=primary, column="after", value=n_after)
        b.same(c_before, annual.id(area, year - 1, primary))
        b.same(c_after, annual.id(area, year, primary))
        pop = population.get(area) or None
        exposure = {}
        if pop and all(v > 0 for v in pop.values()):
            exposure = {"exposure_before": _monthly_exposure(before_p, pop),
                        "exposure_after": _monthly_exposure(after_p, pop)}
        test = compare_periods(mb, ma, **exposure)
        both = [c_before, c_after]
        pct = 100.0 * (n_after - n_before) / n_before if n_before else math.nan
        b.derived(table=TABLE, area=area, row=primary, column="pct_change", value=pct, of=both,
                  op="pct_change", decimals=0)
        b.derived(table=TABLE, area=area, row=primary, column="p_value", value=test.p_value, of=both, decimals=3)
        b.derived(table=TABLE, area=area, row=primary, column="significant", value=float(test.significant),
                  of=both, decimals=0)
        b.derived(table=TABLE, area=area, row=primary, column="quasi_poisson",
                  value=float(test.method.startswith("quasi")), of=both, decimals=0)
        b.derived(table=TABLE, area=area, row=primary, column="dispersion",
                  value=math.nan if test.dispersion is None else float(test.dispersion), of=both, decimals=2)
    text[TABLE] = {"before_period": before_p.label, "after_period": after_p.label, "row": primary}

