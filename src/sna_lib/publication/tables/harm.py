"""Harm: the harm-weighted equivalent at the exact ratio, and which weights were used.

``sv.harm_impact`` (declared in :mod:`sna_lib.publication.compute`) holds, per area, the
serious-violence offences, suspects and victims (``number``) and their equivalent at the harm
ratio rounded to a whole number (``equivalent``, the reference assessment's convention).
:func:`add_harm_cells` adds ``equivalent_exact`` (count × the exact ratio, rounded once) derived
from the same cells, and the label of the harm weights (official CCHI workbook or the
estimates) as the table's text (``weights``).

Examples
--------
>>> from sna_lib.measures.harm import harm_equivalent, harm_equivalent_exact
>>> harm_equivalent_exact(1100, 950 / 73), harm_equivalent(1100, 950 / 73)
(14315, 14300)
"""

from __future__ import annotations

import math
from typing import Any

from sna_lib.publication.cells import CellBuilder, cell_id

__all__ = ["add_harm_cells"]


def add_harm_cells(b: CellBuilder, prep: Any, dataset: Any, text: dict) -> None:
    """Declare ``sv.harm_impact`` ``equivalent_exact`` for every area; record the weights label."""
    from sna_lib.measures.cchi import weights_for_config, weights_label
    from sna_lib.measures.harm import harm_equivalent_exact

    for area in prep.areas:
        head = [cell_id("sv.headline", area, "reporting_year", c) for c in ("sv", "all_crime")]
        ratio = b._cells[cell_id("sv.headline", area, "reporting_year", "harm_ratio")]["value"]
        for row in ("offences", "suspects", "victims"):
            own = cell_id("sv.harm_impact", area, row, "number")
            n = int(b._cells[own]["value"])
            value = harm_equivalent_exact(n, ratio) if not math.isnan(ratio) else math.nan
            b.derived(table="sv.harm_impact", area=area, row=row, column="equivalent_exact", value=value,
                      of=[own, *head], decimals=0)
    text["sv.harm"] = {"weights": weights_label(weights_for_config(dataset.config)[0])}
