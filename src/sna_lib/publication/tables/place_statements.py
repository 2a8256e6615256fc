"""Where suspects and victims live, beside where residents live (county figures).

Table ``place.people_in_areas`` (county only; CSP pages that quote it label it as the
county's), one row per statement of :func:`sna_lib.index.place.place_statements` that counts
people by home neighbourhood (:data:`STATEMENTS`), for the reporting year, with columns

``people``, ``in_flagged``, ``excluded``
    counts: people with a known home in the county, those living in a flagged LSOA, those with an
    unknown or out-of-county home;
``share_pct``
    ``100 * in_flagged / people``;
``residents``, ``residents_in_flagged``, ``residents_share_pct``
    the baseline: all residents and those in flagged LSOAs (population estimates, exempt);
``ratio``, ``ratio_low``, ``ratio_high``
    the share ÷ the residents' share with its exact 95 % interval
    (:func:`sna_lib.measures.significance.share_vs_baseline`); they follow the two counts.

The interval method is text in ``provenance["text"]["place.people_in_areas"]``.

Examples
--------
>>> from sna_lib.publication.cells import CellBuilder
>>> b = CellBuilder()
>>> s = {"suspects_above_average_deprivation": {"people": 29, "in_flagged": 17, "share": 17 / 29, "excluded": 8,
...      "residents": 1000.0, "residents_in_flagged": 360.0, "residents_share": 0.36, "ratio": 1.63,
...      "ratio_low": 1.08, "ratio_high": 2.12, "ratio_method": "exact"}}
>>> text = {}
>>> _ = declare_people_in_areas(b, s, text)
>>> cells, relations = b.frame()
>>> cells.set_index("column").loc[["in_flagged", "share_pct"], "value"].round(1).tolist()
[17.0, 58.6]
>>> relations["sense"].tolist()
['<=']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sna_lib.publication.cells import CellBuilder

__all__ = ["TABLE", "STATEMENTS", "add_place_statement_cells", "declare_people_in_areas"]

TABLE = "place.people_in_areas"
COUNTY = "county"
#: Statements of :func:`~sna_lib.index.place.place_statements` that count people by home LSOA.
STATEMENTS = ("suspects_above_average_deprivation", "suspects_over_statement_deprivation",
              "suspects_persistent_da", "suspects_victims_disorganisation")
_CENSUS = "residents (population estimate, not a count of people involved)"


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def declare_people_in_areas(b: CellBuilder, statements: Mapping[str, Mapping[str, Any]], text: dict) -> list[str]:
    """Declare the county cells of each statement in ``statements``; returns the rows declared."""
    rows = []
    methods = {}
    for name in STATEMENTS:
        s = statements.get(name)
        if s is None:
            continue
        rows.append(name)

        def cell(kind: str, column: str, value: Any, **kw: Any) -> str:
            return getattr(b, kind)(table=TABLE, area=COUNTY, row=name, column=column, value=value, **kw)

        people = cell("count", "people", int(s["people"]))
        flagged = cell("count", "in_flagged", int(s["in_flagged"]))
        cell("count", "excluded", int(s["excluded"]))
        b.at_most(total=flagged, parts=[people])
        cell("derived", "share_pct", 100.0 * _num(s["share"]), of=[flagged, people], op="ratio", scale=100)
        if "residents" in s:
            cell("exempt", "residents", _num(s["residents"]), reason=_CENSUS, decimals=0)
            cell("exempt", "residents_in_flagged", _num(s["residents_in_flagged"]), reason=_CENSUS, decimals=0)
            cell("exempt", "residents_share_pct", 100.0 * _num(s["residents_share"]), reason=_CENSUS, decimals=1)
            for column in ("ratio", "ratio_low", "ratio_high"):
                cell("derived", column, _num(s[column]), of=[flagged, people], decimals=2)
            methods[name] = str(s.get("ratio_method", ""))
    text[TABLE] = {COUNTY: {"ratio_method": methods}}
    return rows


def add_place_statement_cells(b: CellBuilder, prep, dataset, text: dict) -> None:
    """Compute the county's place statements for the reporting year once and declare them."""
    from sna_lib.index import factors, place
    from sna_lib.measures.classify import serious_violence_ids

    sv_all = serious_violence_ids(dataset, prep.primary)
    layers = factors.build_factor_layers(dataset, prep.year, sv_ids=sv_all)
    statements = place.place_statements(dataset, layers, sv_ids=sv_all, year=prep.year)
    declare_people_in_areas(b, statements, text)
