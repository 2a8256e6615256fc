"""Turning points of the suspects' and victims' age curves, for every area.

Table ``people.age_features`` (county + every CSP), rows ``suspect`` / ``victim``, columns
``incline_start``, ``peak``, ``dip``, ``rises_again``, ``plateau_start`` (the first of each, an
age in years; ``NaN`` where the curve has none), computed by
:func:`sna_lib.measures.people.age_profile_features` on the **county's** single-year curve
(``people.age``; each value derives from every single-year count of the role, so it is withheld
if any of them is). Below county level single years of age are not published (they would mostly
be withheld), so a CSP's row repeats the county's features and its text says so:
``provenance["text"]["people.age_features"]["basis"][area]`` is ``"county"`` for a CSP (the page
labels the sentence "Across the county, …"), ``""`` for the county itself.

Examples
--------
>>> from sna_lib.publication.cells import CellBuilder
>>> b = CellBuilder()
>>> n = [1, 1, 2, 3, 6, 25, 55, 90, 70, 85, 88, 75, 60, 50, 44, 41, 40,
...      39, 39, 38, 38, 37, 37, 36, 36, 35, 35, 34, 34, 33, 33, 32, 32]
>>> for age, v in zip(range(8, 41), n):
...     _ = b.count(table="people.age", area="county", row=age, column="suspect", value=v)
>>> prep = type("P", (), {"areas": ["county", "North"]})()
>>> text = {}
>>> add_age_feature_cells(b, prep, text, roles=("suspect",))
>>> cells, _ = b.frame()
>>> f = cells[cells["table"] == "people.age_features"].set_index(["area", "column"])["value"]
>>> [float(f[k]) for k in [("county", "incline_start"), ("county", "peak"), ("North", "plateau_start")]]
[12.0, 15.0, 23.0]
>>> text["people.age_features"]["basis"]["North"]
'county'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sna_lib.publication.cells import CellBuilder

__all__ = ["TABLE", "FEATURES", "add_age_feature_cells"]

TABLE = "people.age_features"
SOURCE = "people.age"
COUNTY = "county"
#: Published columns: name -> how to read it from :class:`~sna_lib.measures.people.AgeFeatures`.
FEATURES = ("incline_start", "peak", "dip", "rises_again", "plateau_start")


def _first(values) -> float:
    if values is None:
        return math.nan
    if isinstance(values, tuple):
        return float(values[0]) if values else math.nan
    return float(values)


def add_age_feature_cells(b: CellBuilder, prep, text: dict, roles: Sequence[str] = ("suspect", "victim")) -> None:
    """Declare :data:`TABLE` for every area of ``prep.areas`` from the county's ``people.age`` cells."""
    from sna_lib.measures.people import AGE_FEATURES_METHOD, age_profile_features

    singles = {role: [] for role in roles}
    for cid, c in b._cells.items():
        if c["table"] == SOURCE and c["area"] == COUNTY and c["column"] in singles and c["kind"] == "count":
            singles[c["column"]].append((int(c["row"]), float(c["value"]), cid))
    for role in roles:
        rows = sorted(singles[role])
        counts = pd.Series([v for _, v, _ in rows], index=[a for a, _, _ in rows], dtype="float64")
        ids = [cid for _, _, cid in rows]
        f = age_profile_features(counts) if len(counts) else None
        values = {"incline_start": _first(f.incline_start if f else None), "peak": _first(f.peaks if f else None),
                  "dip": _first(f.dips if f else None), "rises_again": _first(f.rises_again if f else None),
                  "plateau_start": _first(f.plateau_start if f else None)}
        for area in prep.areas:
            for column in FEATURES:
                if ids:
                    b.derived(table=TABLE, area=area, row=role, column=column, value=values[column], of=ids,
                              decimals=0)
                else:
                    b.exempt(table=TABLE, area=area, row=role, column=column, value=math.nan,
                             reason="no single-year age counts: no feature")
    text[TABLE] = {"basis": {area: "" if area == COUNTY else "county" for area in prep.areas},
                   "method": AGE_FEATURES_METHOD.format(z=1.96, span=25)}
