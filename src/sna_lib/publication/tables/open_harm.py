"""Category-mean harm of an open-data book (page 03), county + every CSP.

``open.harm``
    rows: every police.uk category (the order of ``open.category``) × ``crimes`` (the same
    count as ``open.category``), ``weight`` (exempt: the category's mean harm weight, days —
    configuration, :mod:`sna_lib.measures.category_harm`) and ``harm`` (crimes × weight;
    derived from the crimes, so withheld with them); row ``proxy`` × ``crime_share_pct``
    (derived from the proxy and all-crime counts) and ``harm_share_pct`` (derived from every
    category's crimes: withheld as soon as any is, since it could be worked back).
``open.harm_weights``
    county only: rows = categories × ``weight`` (exempt, as above).

Text: ``provenance["text"]["open.harm_weights"]`` holds the weights table's text columns (codes
averaged, codes left out, weights used) and the basis sentence.
"""

from __future__ import annotations

import math

import pandas as pd

from sna_lib.publication.cells import CellBuilder, cell_id
from sna_lib.publication.open_compute import COUNTY, split_by_area
from sna_lib.publication.tables.open_volumes import CATEGORY

__all__ = ["HARM", "WEIGHTS", "add_open_harm_cells"]

HARM, WEIGHTS = "open.harm", "open.harm_weights"
WEIGHT_REASON = "category-mean harm weight (days): configuration, the mean weight of the offence codes a category covers"


def add_open_harm_cells(b: CellBuilder, prep, dataset, text: dict) -> None:
    """Declare :data:`HARM` and :data:`WEIGHTS` (module docstring). Needs ``open.category`` first."""
    from sna_lib.measures.category_harm import category_weights_for_config, harm_table, proxy_harm_share
    from sna_lib.measures.open_proxy import category_counts
    from sna_lib.measures.category_harm import basis_sentence
    from sna_lib.measures.cchi import weights_for_config

    weights = category_weights_for_config(dataset.config)
    codes = text[CATEGORY]["order"]
    crimes = split_by_area(prep.crimes, prep.areas)
    for area in prep.areas:
        table = harm_table(crimes[area], weights)
        table.index = pd.Index(category_counts(crimes[area])["police.uk code"])  # harm_table's row order
        ids = []
        for code in codes:
            r = table.loc[code]
            c = b.count(table=HARM, area=area, row=code, column="crimes", value=int(r["Crimes"]))
            b.same(c, cell_id(CATEGORY, area, code, "crimes"))
            ids.append(c)
            weight = float(r["Weight (days)"]) if pd.notna(r["Weight (days)"]) else math.nan
            b.exempt(table=HARM, area=area, row=code, column="weight", value=weight, reason=WEIGHT_REASON, decimals=1)
            harm = float(r["Category-mean harm (days)"]) if pd.notna(r["Category-mean harm (days)"]) else math.nan
            b.derived(table=HARM, area=area, row=code, column="harm", value=harm, of=[c], decimals=0)
        crime_share, harm_share = proxy_harm_share(table.reset_index(drop=True))
        b.derived(table=HARM, area=area, row="proxy", column="crime_share_pct", value=100 * crime_share,
                  of=[cell_id(CATEGORY, area, "proxy", "crimes"), cell_id(CATEGORY, area, "all", "crimes")],
                  op="ratio", scale=100, decimals=1)
        b.derived(table=HARM, area=area, row="proxy", column="harm_share_pct", value=100 * harm_share, of=ids,
                  decimals=1)
    w = weights.reset_index()
    rows = []
    for r in w.itertuples(index=False):
        b.exempt(table=WEIGHTS, area=COUNTY, row=str(r.category), column="weight",
                 value=float(r.weight) if pd.notna(r.weight) else math.nan, reason=WEIGHT_REASON, decimals=1)
        rows.append({"category": str(r.category), **{k: str(getattr(r, k)) for k in ("codes", "left_out", "weights")}})
    text[WEIGHTS] = {"rows": rows, "basis": basis_sentence(weights, weights_for_config(dataset.config)[0])}

