"""Published volumes of an open-data book (pages 01, 03, 04, 05, 10), county + every CSP.

Tables (``table`` → rows × columns; *area* ``county`` and every CSP; all counts unless said):

``open.category``
    rows: every police.uk crime category (code, in the county's order: proxy categories first,
    then by the county's count — the same order in every area, so a withheld cell's position
    says nothing about its size), ``proxy`` and ``all`` × ``crimes`` (every month held).
    ``all`` = Σ categories, ``proxy`` = Σ proxy categories, county = Σ CSPs.
``open.monthly``
    rows: every month ``YYYY-MM`` of the coverage span and ``total`` × ``proxy``,
    ``all_crime``, ``asb``; a month without a police.uk file is *no data* (NaN), never 0.
    ``total`` = Σ months with data; it is the same count as ``open.category``'s ``proxy`` / ``all``.
``open.quarters`` / ``open.years``
    rows: calendar quarter / year (first month ``YYYY-MM``) × ``proxy`` (= Σ its months with
    data) and, only where the period and the one before it are complete and of equal length
    (:func:`sna_lib.data.periods.comparable`), ``change_pct`` (derived, ``pct_change``).
``open.rolling``
    rows: the last month of each rolling 12-month window × ``proxy`` (= Σ its months with data).
``open.rates``
    the reporting year (calendar year; labelled with its months held): rows
    ``possession_of_weapons`` (:data:`RATE_CATEGORY`), ``proxy_other`` (the other proxy categories),
    ``proxy`` (= the two) and ``all`` × ``crimes``, ``crimes_residential``,
    ``crimes_non_residential`` (counts; the first = the other two), ``population``,
    ``population_residential`` (exempt: ONS mid-year estimate, nearest year; without the
    non-residential LSOAs), ``rate_per_1000``, ``rate_residential_per_1000`` (derived) and
    ``rank`` / ``rank_residential`` (1 = highest rate; derived). The residential split is a CSP
    table: the county row has ``crimes``, ``population`` and ``rate_per_1000`` only (a county
    split would give back a CSP's small non-residential count as county − the other CSPs). A non-residential LSOA
    (airport, prison: flagged by the importer) is in every count but out of the residential
    rate and its ranking, and both are shown.

Text: ``provenance["text"][<table>]`` holds the period labels (months with data, the
"not compared" notes), category names and the rates' period and population year.
"""

from __future__ import annotations

import math

import pandas as pd

from sna_lib.data.periods import MISSING_MONTH
from sna_lib.publication.cells import CellBuilder, cell_id
from sna_lib.publication.open_compute import COUNTY, relate_across, split_by_area

__all__ = ["CATEGORY", "MONTHLY", "QUARTERS", "YEARS", "ROLLING", "RATES", "add_open_volume_cells",
           "non_residential_lsoas"]

CATEGORY, MONTHLY, QUARTERS, YEARS, ROLLING, RATES = ("open.category", "open.monthly", "open.quarters",
                                                      "open.years", "open.rolling", "open.rates")
SERIES = ("proxy", "all_crime", "asb")
POPULATION_REASON = "resident population (ONS estimate)"
#: The proxy category with a row of its own in ``open.rates`` (the weapons-carrying proxy: the
#: non-residential case of issue 11, Stansted airport, is one of its places); the other proxy
#: categories share the row ``proxy_other`` — a category row per category would publish
#: single-figure non-residential counts (robbery at the airport) that withhold the airport's weapons.
RATE_CATEGORY = "possession_of_weapons"


def non_residential_lsoas(dataset) -> list[str]:
    """LSOA codes the importer flagged non-residential (``geography.non_residential``)."""
    geo = dataset.geography
    if "non_residential" not in geo.columns:
        return []
    flag = geo["non_residential"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return sorted(geo.loc[flag, "lsoa_code"].astype(str))


def _months(start: str, end: str) -> list[str]:
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def _categories(b: CellBuilder, prep, crimes: dict, text: dict) -> list[str]:
    from sna_lib.data.schemas import CATEGORY_LABELS
    from sna_lib.measures.open_proxy import category_counts, proxy_categories

    cats = proxy_categories()
    codes = category_counts(prep.crimes)["police.uk code"].tolist()   # the county's order, for every area
    for area in prep.areas:
        counts = category_counts(crimes[area]).set_index("police.uk code")["Crimes"]
        parts = {c: b.count(table=CATEGORY, area=area, row=c, column="crimes", value=int(counts[c])) for c in codes}
        proxy = b.count(table=CATEGORY, area=area, row="proxy", column="crimes", value=int(counts[list(cats)].sum()))
        total = b.count(table=CATEGORY, area=area, row="all", column="crimes", value=int(counts[codes].sum()))
        b.additive(total=total, parts=list(parts.values()))
        b.additive(total=proxy, parts=[parts[c] for c in cats])
    relate_across(b, CATEGORY, [*codes, "proxy", "all"], ["crimes"], prep)
    text[CATEGORY] = {"order": codes, "proxy": list(cats), "labels": {c: CATEGORY_LABELS[c] for c in codes}}
    return codes


def _monthly(b: CellBuilder, prep, crimes: dict, asb: dict, text: dict) -> dict[str, pd.Series]:
    from sna_lib.measures.open_proxy import proxy_crimes
    from sna_lib.data.periods import monthly_counts
    from sna_lib.publication.tables.place import _relate_if_holds

    cov = prep.coverage
    months = _months(cov.first, cov.last)
    proxy_by_area = {}
    for area in prep.areas:
        rows = crimes[area]
        series = {"proxy": monthly_counts(proxy_crimes(rows)["date"], cov), "all_crime": monthly_counts(rows["date"], cov),
                  "asb": monthly_counts(asb[area]["date"], cov) if len(prep.asb) else None}
        for column, counts in series.items():
            present = []
            for m in months:
                v = math.nan if counts is None or pd.isna(counts[m]) else int(counts[m])
                cid = b.count(table=MONTHLY, area=area, row=m, column=column, value=v)
                if not math.isnan(v):
                    present.append(cid)
            total = b.count(table=MONTHLY, area=area, row="total", column=column,
                            value=int(counts.sum()) if counts is not None else math.nan)
            if present:
                b.additive(total=total, parts=present)
        for column, row in (("proxy", "proxy"), ("all_crime", "all")):
            _relate_if_holds(b, cell_id(MONTHLY, area, "total", column), [cell_id(CATEGORY, area, row, "crimes")])
        proxy_by_area[area] = series["proxy"]
    relate_across(b, MONTHLY, [*months, "total"], SERIES, prep)
    text[MONTHLY] = {m: {"label": pd.Period(m, "M").strftime("%b %Y"), "data": "" if cov.has(m) else MISSING_MONTH}
                     for m in months}
    return proxy_by_area


def _present_cells(table: str, area: str, column: str, start: str, end: str, cov, b: CellBuilder) -> list[str]:
    """The monthly cells (with data) of ``start … end``."""
    ids = [cell_id(table, area, m, column) for m in _months(start, end) if cov.has(m)]
    return [c for c in ids if c in b._cells]


def _periods(b: CellBuilder, prep, proxy: dict, text: dict) -> None:
    from sna_lib.data.periods import period_totals

    cov = prep.coverage
    for table, freq in ((QUARTERS, "Q"), (YEARS, "Y")):
        labels = {}
        for area in prep.areas:
            for label, total, change in period_totals(proxy[area], cov, freq):
                cid = b.count(table=table, area=area, row=label.start, column="proxy", value=total)
                parts = _present_cells(MONTHLY, area, "proxy", label.start, label.end, cov, b)
                if parts:
                    b.additive(total=cid, parts=parts)
                if isinstance(change, tuple):
                    before, n = change
                    b.derived(table=table, area=area, row=label.start, column="change_pct",
                              value=100.0 * (total - n) / n if n else math.nan,
                              of=[cell_id(table, area, before.start, "proxy"), cid], op="pct_change", decimals=1)
                labels[label.start] = {"period": label.text, "months": f"{label.present} of {label.months}",
                                       "note": change if isinstance(change, str) else ""}
        relate_across(b, table, list(labels), ["proxy"], prep)
        text[table] = labels


def _rolling(b: CellBuilder, prep, proxy: dict, text: dict, length: int = 12) -> None:
    from sna_lib.data.periods import rolling_windows, window_total

    cov = prep.coverage
    windows = rolling_windows(cov, length)
    for area in prep.areas:
        for w in windows:
            cid = b.count(table=ROLLING, area=area, row=w.end, column="proxy", value=window_total(proxy[area], w))
            parts = _present_cells(MONTHLY, area, "proxy", w.start, w.end, cov, b)
            if parts:
                b.additive(total=cid, parts=parts)
    relate_across(b, ROLLING, [w.end for w in windows], ["proxy"], prep)
    text[ROLLING] = {w.end: {"window": w.text, "months": f"{w.present} of {w.months}"} for w in windows}


def _rates(b: CellBuilder, prep, dataset, text: dict) -> None:
    from sna_lib.data.schemas import CATEGORY_LABELS
    from sna_lib.measures.open_proxy import proxy_categories
    from sna_lib.data.periods import label_period
    from sna_lib.index.factors import lsoa_population
    from sna_lib.publication.tables.place import _relate_if_holds

    cov = prep.coverage
    year = int(dataset.config.reporting_year)
    period = label_period(f"{year}-01", f"{year}-12", cov)
    pop = lsoa_population(dataset.population, year)
    nonres = set(non_residential_lsoas(dataset))
    cats = list(proxy_categories())
    single = [c for c in cats if c == RATE_CATEGORY]
    rest = [c for c in cats if c not in single]
    rows = [(c, [c]) for c in single] + ([("proxy_other", rest)] if single and rest else []) + \
        [("proxy", cats), ("all", None)]
    parts = [r for r, _ in rows[:-2]] or None
    in_year = prep.crimes[(prep.crimes["date"].dt.year == year).to_numpy()]
    by_area = split_by_area(in_year, prep.areas)
    lsoas = {COUNTY: prep.lsoa_area.index, **{a: prep.lsoa_area.index[prep.lsoa_area.to_numpy() == a]
                                              for a in prep.csps}}
    rates: dict[tuple[str, str], float] = {}
    for area in prep.areas:
        codes = pd.Index(lsoas[area])
        residential = codes[~codes.isin(list(nonres))]
        people = float(pop.reindex(codes).fillna(0).sum())
        people_res = float(pop.reindex(residential).fillna(0).sum())
        frame = by_area[area]
        category = frame["category"].astype(str)
        at_nonres = frame["lsoa_code"].astype(str).isin(list(nonres)).to_numpy()
        split = area != COUNTY   # the county's split would give a CSP's back as county − the other CSPs
        for row, members in rows:
            chosen = category.isin(members).to_numpy() if members is not None else slice(None)
            n = int(len(frame[chosen]))
            c = b.count(table=RATES, area=area, row=row, column="crimes", value=n)
            p = b.exempt(table=RATES, area=area, row=row, column="population", value=round(people),
                         reason=POPULATION_REASON, decimals=0)
            rates[(area, row)] = 1000.0 * n / people if people else math.nan
            b.derived(table=RATES, area=area, row=row, column="rate_per_1000", value=rates[(area, row)], of=[c, p],
                      op="ratio", scale=1000, decimals=2)
            if split:
                n_nonres = int(at_nonres[chosen].sum())
                cr = b.count(table=RATES, area=area, row=row, column="crimes_residential", value=n - n_nonres)
                cn = b.count(table=RATES, area=area, row=row, column="crimes_non_residential", value=n_nonres)
                b.additive(total=c, parts=[cr, cn])
                pr = b.exempt(table=RATES, area=area, row=row, column="population_residential",
                              value=round(people_res), reason=POPULATION_REASON + ", non-residential LSOAs left out",
                              decimals=0)
                rates[(area, f"{row}|res")] = 1000.0 * (n - n_nonres) / people_res if people_res else math.nan
                b.derived(table=RATES, area=area, row=row, column="rate_residential_per_1000",
                          value=rates[(area, f"{row}|res")], of=[cr, pr], op="ratio", scale=1000, decimals=2)
        for column in ("crimes", "crimes_residential", "crimes_non_residential") if split else ("crimes",):
            if parts:
                b.additive(total=cell_id(RATES, area, "proxy", column), parts=[cell_id(RATES, area, r, column) for r in parts])
        for row, series in (("proxy", "proxy"), ("all", "all_crime")):
            _relate_if_holds(b, cell_id(RATES, area, row, "crimes"),
                             _present_cells(MONTHLY, area, series, period.start, period.end, cov, b))
    for row, _ in rows:
        for key, column, count in ((row, "rank", "crimes"), (f"{row}|res", "rank_residential", "crimes_residential")):
            order = pd.Series({a: rates[(a, key)] for a in prep.csps}, dtype=float).rank(ascending=False, method="min")
            for area in prep.csps:
                b.derived(table=RATES, area=area, row=row, column=column,
                          value=float(order[area]) if math.isfinite(order[area]) else math.nan,
                          of=[cell_id(RATES, area, row, count)], decimals=0)
    relate_across(b, RATES, [r for r, _ in rows], ["crimes"], prep)
    text[RATES] = {"period": period.text, "year": year, "population_year": int(pop.attrs.get("year_used", year)),
                   "non_residential": sorted(nonres),
                   "labels": {**{c: CATEGORY_LABELS[c] for c in single},
                              "proxy_other": " and ".join(CATEGORY_LABELS[c] for c in rest),
                              "proxy": "Open-data proxy", "all": "All police.uk crime"}}


def add_open_volume_cells(b: CellBuilder, prep, dataset, text: dict) -> None:
    """Declare the volume tables (module docstring) for the county and every CSP."""
    crimes = split_by_area(prep.crimes, prep.areas)
    asb = split_by_area(prep.asb, prep.areas)
    _categories(b, prep, crimes, text)
    proxy = _monthly(b, prep, crimes, asb, text)
    _periods(b, prep, proxy, text)
    _rolling(b, prep, proxy, text)
    _rates(b, prep, dataset, text)
