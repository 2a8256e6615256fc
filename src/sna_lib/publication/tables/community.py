"""Published table of the community-voices section (notebook ``09_community_voices``).

``community.survey``
    county and every CSP: survey themes × survey years (``"2022"``, …): responses raising the
    theme — counts (suppressed below county level when small). Every area lists every theme
    seen anywhere, in the county's order (latest year first, most responses first), so a row's
    position never depends on a withheld number; the county count is the sum of the CSPs'
    (responses from rows naming no CSP count in the county only, making it at least the sum).

Examples
--------
>>> import pandas as pd
>>> from types import SimpleNamespace as NS
>>> from sna_lib.publication.cells import CellBuilder
>>> survey = pd.DataFrame({"area": ["N", "N", "S"], "year": [2023, 2023, 2023],
...                        "theme": ["Lighting", "Clubs", "Lighting"], "responses": [9, 3, 20]})
>>> b = CellBuilder()
>>> add_community_cells(b, NS(areas=["county", "N", "S"], csps=["N", "S"]), NS(community_survey=survey))
>>> cells, relations = b.frame()
>>> cells.query("area == 'county'")[["row", "value"]].values.tolist()
[['Lighting', 29.0], ['Clubs', 3.0]]
>>> len(relations)
2
"""

from __future__ import annotations

import pandas as pd

from sna_lib.publication.cells import CellBuilder

__all__ = ["add_community_cells", "survey_counts"]

COUNTY = "county"


def survey_counts(community_survey: pd.DataFrame, areas, csps) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Responses by (area, theme, year) for the county (all rows) and every CSP, in one grouping.

    Returns ``(counts, themes, years)``: ``counts`` indexed by ``(area, theme)`` with one column
    per year (str), zeros where a theme was not raised; ``themes`` in the county's order.
    """
    rows = community_survey
    if rows.empty:
        return pd.DataFrame(), [], []
    frame = pd.DataFrame({"area": rows["area"].astype(str).to_numpy(), "theme": rows["theme"].astype(str).to_numpy(),
                          "year": rows["year"].astype("int64").astype(str).to_numpy(),
                          "responses": pd.to_numeric(rows["responses"]).to_numpy(dtype="int64")})
    county = frame.pivot_table(index="theme", columns="year", values="responses", aggfunc="sum", fill_value=0)
    years = sorted(county.columns)
    county = county[years].sort_values(by=years[::-1], ascending=False, kind="mergesort")
    themes = list(county.index)
    csp = frame[frame["area"].isin(list(csps))].pivot_table(index=["area", "theme"], columns="year",
                                                             values="responses", aggfunc="sum", fill_value=0)
    full = pd.MultiIndex.from_product([list(areas), themes], names=["area", "theme"])
    county.index = pd.MultiIndex.from_product([[COUNTY], themes], names=["area", "theme"])
    both = pd.concat([county, csp.reindex(columns=years, fill_value=0)]).reindex(full, fill_value=0)
    return both.astype("int64"), themes, years


def add_community_cells(b: CellBuilder, prep, dataset, text: dict | None = None) -> None:
    """Declare ``community.survey`` (module docstring) for the county and every CSP."""
    counts, themes, years = survey_counts(dataset.community_survey, prep.areas, prep.csps)
    ids = {}
    for area in prep.areas:
        for theme in themes:
            for year in years:
                ids[(area, theme, year)] = b.count(table="community.survey", area=area, row=theme, column=year,
                                                   value=int(counts.at[(area, theme), year]))
    for theme in themes:
        for year in years:
            parts = [ids[(a, theme, year)] for a in prep.csps]
            total = int(counts.at[(COUNTY, theme), year])
            if total == sum(int(counts.at[(a, theme), year]) for a in prep.csps):
                b.additive(total=ids[(COUNTY, theme, year)], parts=parts)
            else:
                b.at_least(total=ids[(COUNTY, theme, year)], parts=parts)
    if text is not None:
        text["community.survey"] = {"years": years, "themes": themes}
