"""Key measures (Tables A–E): what the page prints beyond the counts, change and p-value.

:func:`sna_lib.publication.compute._key_measures` declares ``measures.key`` (``before``,
``after``, ``pct_change``, ``p_value``) for every area; :func:`add_key_measure_extras` adds, per
row, the verdict of the test (``significant``: 1 or 0 — the page's "Yes"/"No", decided on the
unrounded p-value) and the verdict and p-value after Holm's adjustment (``p_value_holm``,
``significant_holm``). Holm's adjustment of one row depends on every p-value of the family, so
those cells derive from *every* count of the area's tables: withheld whenever any of them is.
The sentence naming the tests used (:func:`sna_lib.measures.key_measures.significance_method`)
goes with the table's text, under ``"_method"``.

:func:`area_populations` gives each area's residents per year (one ``groupby`` over CSP), the
exposure the tests use where the population changed between the periods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["area_populations", "add_key_measure_extras"]


def area_populations(dataset: Any, areas: Sequence[str]) -> dict[str, dict[int, float]]:
    """Residents per calendar year of the county and every CSP: ``{area: {year: residents}}``.

    Equal to :func:`sna_lib.measures.key_measures.area_population_by_year` for each area, from
    one grouping of the population table.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> pop = pd.DataFrame({"lsoa_code": ["a", "b", "a"], "year": [2022, 2022, 2023], "age": 0,
    ...                     "population": [10, 5, 12]})
    >>> geo = pd.DataFrame({"lsoa_code": ["a", "b"], "area": ["North", "South"]})
    >>> area_populations(NS(population=pop, geography=geo), ["county", "North", "South", "West"])
    {'county': {2022: 15.0, 2023: 12.0}, 'North': {2022: 10.0, 2023: 12.0}, 'South': {2022: 5.0}, 'West': {}}
    """
    pop = dataset.population
    out: dict[str, dict[int, float]] = {a: {} for a in areas}
    if pop is None or not len(pop):
        return out
    geo = dataset.geography
    from sna_lib.publication.compute import positions_in

    at = positions_in(pop["lsoa_code"].astype(str), geo["lsoa_code"].astype(str))   # hash join, no Python strings
    area_of = pd.Series(pd.Series(geo["area"].astype(str)).array.take(at, allow_fill=True), index=pop.index)
    county = pop.groupby("year")["population"].sum()
    out["county"] = {int(y): float(v) for y, v in county.items()}
    by_area = pop.groupby([area_of.rename("area"), pop["year"]])["population"].sum()
    for (area, year), value in by_area.items():
        if area in out and area != "county":
            out[area][int(year)] = float(value)
    return out


def _flag(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(bool(value))


def _number(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def add_key_measure_extras(table: Any, area: str, frame: pd.DataFrame, text: dict) -> None:
    """Declare ``significant``, ``p_value_holm`` and ``significant_holm`` for one area's rows of
    ``measures.key`` (``table`` already holds their ``before``/``after`` counts), and the
    sentence on the tests used (``text["measures.key"][area]["_method"]``)."""
    from sna_lib.measures.key_measures import significance_method

    rows = [f"{r['table']}:{r['measure_id']}" for _, r in frame.iterrows()]
    family = [table.id(area, row, column) for row in rows for column in ("before", "after")]
    for row, (_, r) in zip(rows, frame.iterrows()):
        own = [table.id(area, row, "before"), table.id(area, row, "after")]
        table.derived(area, row, "significant", _flag(r.get("significant")), own, decimals=0)
        table.derived(area, row, "p_value_holm", _number(r.get("p_value_holm")), family, decimals=3)
        table.derived(area, row, "significant_holm", _flag(r.get("significant_holm")), family, decimals=0)
    text.setdefault("measures.key", {}).setdefault(area, {})["_method"] = significance_method(frame)
