"""Data quality of an open-data book (page 11) and the text every open page shares.

``data.quality`` / ``data.quality_reasons``
    as at the full level (:func:`sna_lib.publication.tables.data_quality.declare_quality`):
    records read = used + rejected per contract file.
``open.source_rows``
    county only: one row per police.uk file and month (``<file>|<YYYY-MM>``) and ``all`` ×
    ``read``, ``used_crimes``, ``used_asb``, ``rejected`` and one ``rejected: <reason>`` column
    per reason (:func:`sna_lib.data.data_level.source_reconciliation` of the importer's log).
    ``read`` = used + rejected and ``rejected`` = Σ reasons on every row, ``all`` = Σ rows, and
    the crimes / ASB used are the same counts as the book's totals.

Text ``provenance["text"]["open"]``: the span of the data, the months held and missing, the
open-data definition's categories and, for each part of the book the data cannot support, the
sentence naming the data it needs (``missing``; ``unavailable``: the parts of this data level).
"""

from __future__ import annotations

import pandas as pd

from sna_lib.publication.cells import CellBuilder, cell_id
from sna_lib.publication.open_compute import COUNTY
from sna_lib.data.periods import MISSING_MONTH
from sna_lib.publication.tables.open_volumes import CATEGORY, MONTHLY

__all__ = ["SOURCE_ROWS", "add_open_quality_cells"]

SOURCE_ROWS = "open.source_rows"
COUNTS = ("read", "used_crimes", "used_asb", "rejected")


def _source_rows(b: CellBuilder, dataset, text: dict) -> None:
    from sna_lib.data.data_level import source_reconciliation
    from sna_lib.publication.tables.place import _relate_if_holds

    log = getattr(dataset, "import_log", pd.DataFrame())
    if not len(log):
        return
    table = source_reconciliation(log)
    reasons = [c for c in table.columns if c.startswith("rejected: ")]
    rows = {}
    for r in table.to_dict("records"):
        row = "all" if r["source_file"] == "All files" else f"{r['source_file']}|{r['month']}"
        ids = {c: b.count(table=SOURCE_ROWS, area=COUNTY, row=row, column=c, value=int(r[c])) for c in (*COUNTS, *reasons)}
        b.additive(total=ids["read"], parts=[ids["used_crimes"], ids["used_asb"], ids["rejected"]])
        if reasons:
            b.additive(total=ids["rejected"], parts=[ids[c] for c in reasons])
        rows[row] = {"file": str(r["source_file"]), "month": str(r["month"])}
    files = [row for row in rows if row != "all"]
    for column in (*COUNTS, *reasons):
        b.additive(total=cell_id(SOURCE_ROWS, COUNTY, "all", column),
                   parts=[cell_id(SOURCE_ROWS, COUNTY, row, column) for row in files])
    _relate_if_holds(b, cell_id(SOURCE_ROWS, COUNTY, "all", "used_crimes"), [cell_id(CATEGORY, COUNTY, "all", "crimes")])
    if cell_id(MONTHLY, COUNTY, "total", "asb") in b._cells:
        _relate_if_holds(b, cell_id(SOURCE_ROWS, COUNTY, "all", "used_asb"), [cell_id(MONTHLY, COUNTY, "total", "asb")])
    text[SOURCE_ROWS] = {"rows": rows, "reasons": [c.removeprefix("rejected: ") for c in reasons]}


def add_open_quality_cells(b: CellBuilder, prep, dataset, text: dict) -> None:
    """Declare the data-quality tables and the shared page text (module docstring)."""
    from sna_lib.data.data_level import missing_sentences, unavailable
    from sna_lib.measures.open_proxy import definition_table
    from sna_lib.data.periods import label_period
    from sna_lib.publication.tables.data_quality import declare_quality

    declare_quality(b, dataset.quality.to_frame(), text)
    _source_rows(b, dataset, text)
    cov = prep.coverage
    months = [str(p) for p in pd.period_range(cov.first, cov.last, freq="M")]
    text["open"] = {
        "span": label_period(cov.first, cov.last, cov).text,
        "months": [{"month": pd.Period(m, "M").strftime("%b %Y"), "data": MISSING_MONTH if not cov.has(m)
                    else "present"} for m in months],
        "missing_months": [pd.Period(m, "M").strftime("%b %Y") for m in cov.missing],
        "definition": definition_table().to_dict("records"),
        "missing": missing_sentences(dataset),
        "unavailable": list(unavailable(dataset)),
    }
