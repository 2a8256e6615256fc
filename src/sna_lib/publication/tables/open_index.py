"""Place and risk of an open-data book (pages 07, 08): hot spots, persistence, the risk index and
its out-of-time check, the non-residential flag.

``open.hotspot_lsoas``
    county only, one row per LSOA: ``q:<YYYY-MM>`` (1/0: a Gi* hot spot of the open-data proxy
    in the complete quarter starting that month) and ``quarters_hot`` — exempt (hotspot
    statistics, :data:`sna_lib.publication.tables.place.HOTSPOT_REASON`).
``open.persistence``
    rows ``0`` … ``n`` (complete quarters as a hot spot) × ``lsoas`` — exempt (numbers of
    neighbourhoods flagged by that statistic, sums of the published flags).
``open.non_residential``
    row ``lsoas`` × ``flagged`` (how many of the area's LSOAs are non-residential) and one row
    per flagged LSOA × ``flag`` (1) — exempt (a property of a place, published with the
    boundaries; why it is flagged is in the text).
``open.risk_index``
    county only, one row per LSOA × ``score`` — exempt: the equal-weight mean of percentile
    ranks of the proxy layers (:func:`sna_lib.index.risk_index.risk_score`), an ordering
    not invertible to a count.
``open.validation``
    county only (the check is county-wide): rows ``risk_index`` and ``naive`` × ``captured``
    (test-period proxy crimes in the selected LSOAs, count), ``lsoas``, ``area_share_pct``
    (exempt: numbers and land-area share of the selected neighbourhoods), ``capture_pct`` and
    ``pai`` (derived from ``captured`` and row ``outcome`` × ``total``, the test months' proxy
    crimes = Σ those months of ``open.monthly``).

Text (``provenance["text"]["open.index"]``): quarters, the hot-spot method and inference
sentence, train and test windows, selection names, the verdict; ``open.non_residential``:
name, CSP and reason of each flagged LSOA.
"""

from __future__ import annotations

import math

import pandas as pd

from sna_lib.publication.cells import CellBuilder
from sna_lib.publication.open_compute import COUNTY
from sna_lib.publication.tables.open_volumes import MONTHLY, _present_cells, non_residential_lsoas
from sna_lib.publication.tables.place import AREA_COUNT_REASON, HOTSPOT_REASON

__all__ = ["HOTSPOTS", "PERSISTENCE", "NON_RESIDENTIAL", "RISK", "VALIDATION", "add_open_index_cells"]

HOTSPOTS, PERSISTENCE, NON_RESIDENTIAL, RISK, VALIDATION = (
    "open.hotspot_lsoas", "open.persistence", "open.non_residential", "open.risk_index", "open.validation")
SCORE_REASON = ("risk score: equal-weight mean of the proxy layers' percentile ranks, an ordering not invertible "
                "to a count")
SELECTED_REASON = "number or land-area share of the neighbourhoods selected (areas, not records)"
FLAG_REASON = "non-residential flag of a neighbourhood (a property of the place, shown with the boundaries)"
SELECTIONS = (("risk_index", "risk index (proxy layers)"), ("naive", "naive: top train-period proxy counts"))


def _hotspots(b: CellBuilder, prep, dataset) -> dict:
    from sna_lib.index.persistence import persistence_table, quarter_hotspots

    frame, quarters = quarter_hotspots(dataset)
    for code, r in frame.iterrows():
        for q in quarters:
            b.exempt(table=HOTSPOTS, area=COUNTY, row=code, column=f"q:{q.start}", value=int(r[q.text]),
                     reason=HOTSPOT_REASON)
        b.exempt(table=HOTSPOTS, area=COUNTY, row=code, column="quarters_hot", value=int(r["quarters_hot"]),
                 reason=HOTSPOT_REASON)
    codes = {COUNTY: frame.index, **{a: frame.index[prep.lsoa_area.reindex(frame.index).to_numpy() == a]
                                     for a in prep.csps}}
    for area in prep.areas:
        table = persistence_table(frame, quarters, codes[area])
        for k, n in enumerate(table["LSOAs"]):
            b.exempt(table=PERSISTENCE, area=area, row=k, column="lsoas", value=int(n), reason=AREA_COUNT_REASON,
                     decimals=0)
    return {"quarters": [{"start": q.start, "text": q.text} for q in quarters],
            "persistence_rows": persistence_table(frame, quarters, codes[COUNTY])["Hot spot in"].tolist()}


def _non_residential(b: CellBuilder, prep, dataset, text: dict) -> None:
    geo = dataset.geography.set_index(dataset.geography["lsoa_code"].astype(str))
    flagged = non_residential_lsoas(dataset)
    labels = {}
    for area in prep.areas:
        mine = [c for c in flagged if area == COUNTY or prep.lsoa_area.get(c) == area]
        b.exempt(table=NON_RESIDENTIAL, area=area, row="lsoas", column="flagged", value=len(mine),
                 reason=AREA_COUNT_REASON, decimals=0)
        for code in mine:
            b.exempt(table=NON_RESIDENTIAL, area=area, row=code, column="flag", value=1, reason=FLAG_REASON)
    for code in flagged:
        reason = geo.loc[code, "non_residential_reason"] if "non_residential_reason" in geo.columns else ""
        labels[code] = {"name": str(geo.loc[code, "lsoa_name"]), "csp": str(geo.loc[code, "area"]),
                        "reason": "" if pd.isna(reason) else str(reason)}
    text[NON_RESIDENTIAL] = labels


def _risk(b: CellBuilder, prep, dataset) -> dict:
    from sna_lib.index.factors import risk_layers
    from sna_lib.index.risk_index import risk_score
    from sna_lib.index.validation import TEST, TRAIN, out_of_time_check, verdict
    from sna_lib.data.periods import label_period

    score = risk_score(risk_layers(dataset, *TRAIN))
    for code, v in score.items():
        b.exempt(table=RISK, area=COUNTY, row=str(code), column="score", value=float(v) if pd.notna(v) else math.nan,
                 reason=SCORE_REASON, decimals=3)
    check = out_of_time_check(dataset)
    cov = prep.coverage
    total = b.count(table=VALIDATION, area=COUNTY, row="outcome", column="total",
                    value=int(check["Test-period total"].iloc[0]))
    months = _present_cells(MONTHLY, COUNTY, "proxy", *TEST, cov, b)
    if months and sum(b._cells[m]["value"] for m in months) == b._cells[total]["value"]:
        b.additive(total=total, parts=months)
    for (row, _), (_, r) in zip(SELECTIONS, check.iterrows()):
        captured = b.count(table=VALIDATION, area=COUNTY, row=row, column="captured", value=int(r["Captured"]))
        b.exempt(table=VALIDATION, area=COUNTY, row=row, column="lsoas", value=int(r["LSOAs"]), reason=SELECTED_REASON)
        b.exempt(table=VALIDATION, area=COUNTY, row=row, column="area_share_pct", value=100 * float(r["Share of area"]),
                 reason=SELECTED_REASON, decimals=1)
        b.derived(table=VALIDATION, area=COUNTY, row=row, column="capture_pct", value=100 * float(r["Capture rate"]),
                  of=[captured, total], op="ratio", scale=100, decimals=1)
        b.derived(table=VALIDATION, area=COUNTY, row=row, column="pai", value=float(r["PAI"]), of=[captured, total],
                  decimals=2)
    return {"train": label_period(*TRAIN, cov).text, "test": label_period(*TEST, cov).text,
            "selections": [list(pair) for pair in SELECTIONS], "verdict": verdict(check)}


def add_open_index_cells(b: CellBuilder, prep, dataset, text: dict) -> None:
    """Declare the place and risk tables (module docstring). Needs ``open.monthly`` first."""
    from sna_lib.index.hotspots.settings import hotspot_inference_note, hotspot_method, index_settings

    labels = _hotspots(b, prep, dataset)
    _non_residential(b, prep, dataset, text)
    labels.update(_risk(b, prep, dataset))
    settings = index_settings(dataset.config)
    labels.update({"method": hotspot_method(settings), "inference": hotspot_inference_note(settings)})
    text["open.index"] = labels
