"""Tables of the open-data pages (``notebooks/open/*.md``) built from the published store only.

Each function takes the notebook's :class:`~sna_lib.book.nbhelpers.BookContext` and reshapes
published cells (``ctx.table`` / ``ctx.value`` / ``ctx.labels``: disclosure control has already
run over the county and every CSP) into the table a page shows, with today's column names. No
function here reaches a record: the numbers were computed once by
:mod:`sna_lib.publication.open_compute`.

Examples
--------
>>> signed_percent(12.345), signed_percent(-3.0), signed_percent(float("nan"))
('+12.3%', '-3.0%', '–')
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sna_lib.publication.disclosure import Suppressed

__all__ = ["signed_percent", "category_table", "category_csp_table", "harm_tables", "monthly_table",
           "period_table", "rolling_table", "persistence_table", "non_residential_table", "rates_table",
           "validation_table", "months_table", "source_rows_table", "quality_table"]


def signed_percent(value: Any, decimals: int = 1) -> str:
    """A published percentage change as printed: ``+12.3%``; the marker and ``–`` as they are."""
    if isinstance(value, (str, Suppressed)):
        return str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):+.{decimals}f}%"


def _column(ctx, table: str, rows, column: str, area: str | None = None) -> list[str]:
    return [ctx.text(table, r, column, area=area) for r in rows]


def category_table(ctx, area: str | None = None) -> pd.DataFrame:
    """Crimes by police.uk category (proxy categories first, in the county's order)."""
    labels = ctx.labels("open.category")
    codes, proxy = labels["order"], set(labels["proxy"])
    return pd.DataFrame({"Category": [labels["labels"][c] for c in codes], "police.uk code": codes,
                         "In the open-data proxy": ["yes" if c in proxy else "no" for c in codes],
                         "Crimes": _column(ctx, "open.category", codes, "crimes", area)})


def category_csp_table(ctx, csps, county_name: str, area: str) -> pd.DataFrame:
    """Crimes per category (alphabetical, as police.uk lists them) × CSP, with the county's column
    (``area`` a CSP: that CSP's column only)."""
    labels = ctx.labels("open.category")["labels"]
    codes = sorted(labels)
    areas = list(csps) + ["county"] if area == "county" else [area]
    table = pd.DataFrame({(county_name if a == "county" else a): _column(ctx, "open.category", codes, "crimes", a)
                          for a in areas}, index=pd.Index([labels[c] for c in codes], name="Category"))
    return table


def harm_tables(ctx) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``(harm by category, the weights table, text)`` of page 03."""
    labels = ctx.labels("open.category")
    codes, proxy = labels["order"], set(labels["proxy"])
    harm = pd.DataFrame({"Category": [labels["labels"][c] for c in codes],
                         "Proxy": ["yes" if c in proxy else "no" for c in codes],
                         "Crimes": _column(ctx, "open.harm", codes, "crimes"),
                         "Weight (days)": _column(ctx, "open.harm", codes, "weight"),
                         "Category-mean harm (days)": _column(ctx, "open.harm", codes, "harm")})
    text = ctx.labels("open.harm_weights", "county")
    rows = text["rows"]
    weights = pd.DataFrame({
        "Category": [labels["labels"].get(r["category"], r["category"]) for r in rows],
        "Weight (days)": _column(ctx, "open.harm_weights", [r["category"] for r in rows], "weight", "county"),
        "Home Office codes averaged": [r["codes"] for r in rows],
        "Mapped codes without a count": [r["left_out"] for r in rows],
        "Weights": [r["weights"] for r in rows]})
    return harm, weights, text


def monthly_table(ctx) -> pd.DataFrame:
    """Per month: Data (missing or not), proxy, all crime and ASB (missing months ``–``, never 0)."""
    labels = ctx.labels("open.monthly")
    months = [m for m in ctx.table("open.monthly").index if m in labels]     # the store's row order
    out = pd.DataFrame({"Data": [labels[m]["data"] for m in months],
                        "Proxy serious violence": _column(ctx, "open.monthly", months, "proxy"),
                        "All crime": _column(ctx, "open.monthly", months, "all_crime"),
                        "Anti-social behaviour": _column(ctx, "open.monthly", months, "asb")},
                       index=pd.Index([labels[m]["label"] for m in months], name="Month"))
    return out


def period_table(ctx, table: str) -> pd.DataFrame:
    """Quarters (``open.quarters``) or years (``open.years``): period, months with data, proxy and
    the change on the previous period where the two may be compared."""
    labels = ctx.labels(table)
    shown = ctx.table(table)
    rows = list(shown.index)
    change = []
    for r in rows:
        if labels[r]["note"] or "change_pct" not in shown.columns or not isinstance(shown.loc[r, "change_pct"], str):
            change.append(labels[r]["note"])
        else:
            change.append(signed_percent(ctx.value(table, r, "change_pct")))
    return pd.DataFrame({"Period": [labels[r]["period"] for r in rows], "Months with data": [labels[r]["months"] for r in rows],
                         "Proxy serious violence": _column(ctx, table, rows, "proxy"), "Change on previous": change})


def rolling_table(ctx) -> pd.DataFrame:
    """Rolling 12-month windows: window, months with data, proxy total (empty with under 12 months)."""
    labels = ctx.labels("open.rolling")
    if not labels:
        return pd.DataFrame(columns=["Window", "Months with data", "Proxy serious violence"])
    rows = list(ctx.table("open.rolling").index)
    return pd.DataFrame({"Window": [labels[r]["window"] for r in rows], "Months with data": [labels[r]["months"] for r in rows],
                         "Proxy serious violence": _column(ctx, "open.rolling", rows, "proxy")})


def persistence_table(ctx) -> pd.DataFrame:
    """LSOAs of the area by complete quarters as a hot spot."""
    names = ctx.labels("open.index")["persistence_rows"]
    return pd.DataFrame({"Hot spot in": names, "LSOAs": _column(ctx, "open.persistence", range(len(names)), "lsoas")})


def non_residential_table(ctx) -> pd.DataFrame:
    """The area's LSOAs flagged non-residential: code, name, CSP and why."""
    labels = ctx.labels("open.non_residential")
    codes = [r for r in ctx.table("open.non_residential").index if r != "lsoas"]
    return pd.DataFrame({"LSOA": codes, "Name": [labels[c]["name"] for c in codes], "CSP": [labels[c]["csp"] for c in codes],
                         "Why flagged": [labels[c]["reason"] for c in codes]})


def rates_table(ctx, areas, row: str = "proxy") -> pd.DataFrame:
    """Crimes of ``row`` and rates per 1,000 residents per area, with and without non-residential LSOAs."""
    t = "open.rates"
    columns = {a: set(ctx.table(t, area=a).columns) for a in areas}

    def cell(area, column):
        return ctx.text(t, row, column, area=area) if column in columns[area] else ""

    return pd.DataFrame([{
        "Area": ctx.area_name(a), "Crimes": cell(a, "crimes"), "Per 1,000": cell(a, "rate_per_1000"),
        "Rank": cell(a, "rank"), "At non-residential LSOAs": cell(a, "crimes_non_residential"),
        "Residential per 1,000": cell(a, "rate_residential_per_1000"),
        "Residential rank": cell(a, "rank_residential")} for a in areas])


def validation_table(ctx) -> pd.DataFrame:
    """The out-of-time check (county-wide): selection, LSOAs, capture rate, share of area, PAI."""
    names = dict(ctx.labels("open.index")["selections"])   # a list of (row, name): JSON keeps its order
    rows = [r for r in ctx.table("open.validation", "county").index if r in names]

    def pct(r, column):
        text = ctx.text("open.validation", r, column, area="county")
        return text + "%" if text not in ("–", ctx.store.marker) else text

    return pd.DataFrame({"Selection": [names[r] for r in rows],
                         "LSOAs": _column(ctx, "open.validation", rows, "lsoas", "county"),
                         "Capture rate": [pct(r, "capture_pct") for r in rows],
                         "Share of area": [pct(r, "area_share_pct") for r in rows],
                         "PAI": _column(ctx, "open.validation", rows, "pai", "county")})


def months_table(ctx) -> pd.DataFrame:
    """Months of police.uk data held, each present or missing."""
    months = ctx.labels("open")["months"]
    return pd.DataFrame({"Month": [m["month"] for m in months], "Data": [m["data"] for m in months]})


def source_rows_table(ctx) -> pd.DataFrame | None:
    """police.uk rows read, used and rejected by file and reason (``None`` without an import log)."""
    labels = ctx.labels("open.source_rows", "county")
    if not labels:
        return None
    rows = list(ctx.table("open.source_rows", "county").index)
    columns = ["read", "used_crimes", "used_asb", "rejected", *[f"rejected: {r}" for r in labels["reasons"]]]
    out = pd.DataFrame({"source_file": [labels["rows"][r]["file"] for r in rows],
                        "month": [labels["rows"][r]["month"] for r in rows]})
    for c in columns:
        out[c] = _column(ctx, "open.source_rows", rows, c, "county")
    return out


def quality_table(ctx) -> pd.DataFrame:
    """Records read, used and rejected per contract file, with the reasons."""
    counts = ctx.table("data.quality", "county")
    rows = [r for r in counts.index if r != "all files"]
    reasons = ctx.labels("data.quality_reasons", "county")
    reason_counts = ctx.table("data.quality_reasons", "county") if reasons else pd.DataFrame(columns=["records"])
    return pd.DataFrame({
        "File": rows, "Read": counts.loc[rows, "read"].tolist(), "Used": counts.loc[rows, "used"].tolist(),
        "Rejected": counts.loc[rows, "rejected"].tolist(),
        "Reasons for rejection": ["; ".join(f"{reasons[k]['reason']}: {reason_counts.loc[k, 'records']}"
                                            for k in reason_counts.index if reasons[k]["file"] == r) for r in rows]})
