"""Data quality: records read, used and rejected per input file, and the harm weights used.

The checks cover the whole data folder, so these are county tables (every CSP book shows the
county's):

``data.quality``
    one row per input file plus ``all files``; counts ``read``, ``used``, ``rejected`` with
    ``read = used + rejected`` declared for every row and the ``all files`` row the sum of the
    files (a declaration that does not hold fails the publication stage).
``data.quality_reasons``
    one row ``<file>|<reason>`` per reason a record was rejected, column ``records`` (a record
    can fail several checks, so each reason's count is at most the file's rejected records).
``harm.weights``
    one row ``fallback``: ``codes`` = how many offence codes the configured official CCHI
    workbook lacks (kept at the shipped estimate) and ``official`` = 1 when a workbook is
    configured; both exempt (configuration, not records).

Text (``provenance["text"]``): the reasons (``data.quality_reasons``: row -> file, reason), and for ``harm.weights`` the
weights' name (``label``), the fallback codes (``fallback_codes``) and whether a workbook is
configured (``workbook``).

Examples
--------
>>> from collections import Counter
>>> from sna_lib.data.validate import DataQuality, FileQuality
>>> from sna_lib.publication.cells import CellBuilder
>>> q = DataQuality({"asb": FileQuality("asb.csv", read=5, used=3, rejected=2,
...                  reasons=Counter({"column 'date': is outside the data period": 2}))})
>>> b, text = CellBuilder(), {}
>>> declare_quality(b, q.to_frame(), text)
>>> cells, relations = b.frame()
>>> float(cells.set_index(["row", "column"])["value"][("all files", "rejected")])
2.0
>>> text["data.quality_reasons"]["county"]["asb.csv|column 'date': is outside the data period"]["reason"]
"column 'date': is outside the data period"
"""

from __future__ import annotations

import pandas as pd

from sna_lib.publication.cells import CellBuilder

__all__ = ["QUALITY", "REASONS", "WEIGHTS", "TOTAL_ROW", "declare_quality", "add_data_quality_cells",
           "reason_counts"]

QUALITY = "data.quality"
REASONS = "data.quality_reasons"
WEIGHTS = "harm.weights"
TOTAL_ROW = "all files"
COUNTY = "county"


def reason_counts(reasons: str) -> list[tuple[str, int]]:
    """Split :meth:`~sna_lib.data.validate.DataQuality.to_frame`'s ``reasons`` text into (reason, n).

    Examples
    --------
    >>> reason_counts("column 'age': is negative: 2; row could not be parsed: 1")
    [("column 'age': is negative", 2), ('row could not be parsed', 1)]
    >>> reason_counts("")
    []
    """
    out = []
    for part in [p for p in str(reasons).split("; ") if p.strip()]:
        reason, _, n = part.rpartition(": ")
        out.append((reason, int(n)))
    return out


def declare_quality(b: CellBuilder, quality: pd.DataFrame, text: dict) -> None:
    """Declare :data:`QUALITY` and :data:`REASONS` from a ``DataQuality.to_frame()`` table."""
    ids = {c: [] for c in ("read", "used", "rejected")}
    reasons = {}
    for r in quality.itertuples(index=False):
        row = str(r.file)
        got = {c: b.count(table=QUALITY, area=COUNTY, row=row, column=c, value=int(getattr(r, c))) for c in ids}
        b.additive(total=got["read"], parts=[got["used"], got["rejected"]])
        for c in ids:
            ids[c].append(got[c])
        for reason, n in reason_counts(r.reasons):
            key = f"{row}|{reason}"
            cid = b.count(table=REASONS, area=COUNTY, row=key, column="records", value=n)
            b.at_most(total=cid, parts=[got["rejected"]])
            reasons[key] = {"file": str(r.file), "reason": reason}
    totals = {c: b.count(table=QUALITY, area=COUNTY, row=TOTAL_ROW, column=c,
                         value=int(quality[c].sum()) if len(quality) else 0) for c in ids}
    if len(quality):
        for c in ids:
            b.additive(total=totals[c], parts=ids[c])
        b.additive(total=totals["read"], parts=[totals["used"], totals["rejected"]])
    text[REASONS] = {COUNTY: reasons}


def add_data_quality_cells(b: CellBuilder, prep, dataset, text: dict) -> None:
    """Declare the data-quality tables and the harm weights used (see the module docstring)."""
    from sna_lib.measures.cchi import weights_for_config, weights_label

    declare_quality(b, dataset.quality.to_frame(), text)
    config = dataset.config
    table, lacking = weights_for_config(config)
    workbook = bool(getattr(getattr(config, "harm", None), "cchi_workbook", None))
    fallback = sorted(str(c) for c in lacking) if workbook else []
    b.exempt(table=WEIGHTS, area=COUNTY, row="fallback", column="codes", value=len(fallback),
             reason="configuration: offence codes the configured CCHI workbook lacks")
    b.exempt(table=WEIGHTS, area=COUNTY, row="fallback", column="official", value=int(workbook),
             reason="configuration: whether an official CCHI workbook is configured")
    text[WEIGHTS] = {COUNTY: {"label": weights_label(table), "workbook": workbook, "fallback_codes": fallback}}
