"""Tables and layers of the open-data (police.uk) edition of the book.

At ``data_level: open`` crimes carry a police.uk category and a month only. This module turns
such a dataset into the aggregates the open-data notebooks (``notebooks/open/*.md``) show — the
publication stage calls it once for the county and every CSP
(:mod:`sna_lib.publication.open_compute`, ``publication/tables/open_*.py``) and the pages read
the disclosure-controlled store (:mod:`sna_lib.book.open_pages`): counts by police.uk category,
calendar-period totals with like-for-like comparison (:func:`period_totals`), Gi* hot spots of
the open-data proxy per complete quarter (persistence), proxy risk layers and the out-of-time
check of the index against the naive "last period's top counts" baseline. The monthly, period
and rolling-window tables themselves are cells of the store (``tables/open_volumes.py``).

Examples
--------
>>> CATEGORY_LABELS["possession_of_weapons"]
'Possession of weapons'
"""

from __future__ import annotations

import pandas as pd

from sna_lib.data.periods import Coverage, calendar_periods, comparable, window_total

PROXY = "open_data_proxy"

#: police.uk crime types, as police.uk spells them
CATEGORY_LABELS = {
    "anti_social_behaviour": "Anti-social behaviour", "bicycle_theft": "Bicycle theft", "burglary": "Burglary",
    "criminal_damage_and_arson": "Criminal damage and arson", "drugs": "Drugs", "other_crime": "Other crime",
    "other_theft": "Other theft", "possession_of_weapons": "Possession of weapons", "public_order": "Public order",
    "robbery": "Robbery", "shoplifting": "Shoplifting", "theft_from_the_person": "Theft from the person",
    "vehicle_crime": "Vehicle crime", "violence_and_sexual_offences": "Violence and sexual offences",
}

#: how a month without a police.uk file is labelled (never shown as 0)
MISSING_MONTH = "missing: no police.uk file"

#: the out-of-time check of issue 11: index built on the first months, tested on the later ones
TRAIN = ("2018-01", "2018-07")
TEST = ("2018-10", "2019-02")


def coverage(dataset) -> Coverage:
    """The months the data folder holds (``config.coverage``, else the months with records)."""
    return Coverage.from_dataset(dataset)


def area_lsoas(dataset, area: str) -> pd.Index:
    """LSOA codes of ``area`` (all of them for ``"county"``)."""
    geo = dataset.geography
    codes = geo["lsoa_code"] if area == "county" else geo.loc[geo["area"] == area, "lsoa_code"]
    return pd.Index(codes.astype(str), name="lsoa_code")


def proxy_categories(definition: str = PROXY) -> tuple[str, ...]:
    """The police.uk categories of an open-data definition."""
    from sna_lib.measures.classify import load_definition

    return tuple(load_definition(definition).categories)


def definition_table(definition: str = PROXY) -> pd.DataFrame:
    """One row per police.uk category of the proxy: ``Category, police.uk code``."""
    cats = proxy_categories(definition)
    return pd.DataFrame({"Category": [CATEGORY_LABELS.get(c, c) for c in cats], "police.uk code": list(cats)})


def in_months(table: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Rows whose month lies in ``start … end`` (``YYYY-MM``, inclusive)."""
    month = table["date"].dt.to_period("M")
    return table[(month >= pd.Period(start, "M")) & (month <= pd.Period(end, "M"))]


def category_counts(crimes: pd.DataFrame, definition: str = PROXY) -> pd.DataFrame:
    """Records per police.uk category (every category, zeros kept), with the proxy flag.

    Examples
    --------
    >>> c = pd.DataFrame({"category": ["robbery", "robbery", "drugs"]})
    >>> t = category_counts(c)
    >>> t.set_index("police.uk code").loc[["robbery", "drugs"], "Crimes"].tolist()
    [2, 1]
    """
    cats = proxy_categories(definition)
    codes = [c for c in CATEGORY_LABELS if c != "anti_social_behaviour"]
    counts = crimes["category"].astype(str).value_counts().reindex(codes, fill_value=0).astype("int64")
    out = pd.DataFrame({"Category": [CATEGORY_LABELS[c] for c in codes], "police.uk code": codes,
                        "In the open-data proxy": ["yes" if c in cats else "no" for c in codes],
                        "Crimes": counts.to_numpy()})
    return out.sort_values(["In the open-data proxy", "Crimes"], ascending=[False, False], kind="stable") \
        .reset_index(drop=True)


def proxy_crimes(crimes: pd.DataFrame, definition: str = PROXY) -> pd.DataFrame:
    """Crimes that meet the open-data definition."""
    return crimes[crimes["category"].astype(str).isin(proxy_categories(definition))]


def period_totals(counts: pd.Series, cov: Coverage, freq: str = "Q") -> list[tuple]:
    """``(label, total, change)`` per calendar quarter (``"Q"``) or year (``"Y"``) of ``counts``
    (:func:`sna_lib.data.periods.monthly_counts`).

    ``change`` is ``(previous label, previous total)`` when the two periods may be compared like
    for like (:func:`sna_lib.data.periods.comparable`), the text saying why not when they may not,
    and ``""`` for the first period.

    Examples
    --------
    >>> cov = Coverage("2018-01", "2018-06", ("2018-05",))
    >>> counts = pd.Series([1, 1, 1, 2, pd.NA, 2], index=[f"2018-0{m}" for m in range(1, 7)], dtype="Int64")
    >>> [(lab.text[:8], total, change) for lab, total, change in period_totals(counts, cov)]
    [('Jan 2018', 3, ''), ('Apr 2018', 4, 'not compared: a period is incomplete (missing months)')]
    """
    rows, previous = [], None
    for label in calendar_periods(cov, freq):
        total = window_total(counts, label)
        if previous is None:
            change = ""
        elif comparable(previous[0], label):
            change = previous
        else:
            change = "not compared: a period is incomplete (missing months)"
        rows.append((label, total, change))
        previous = (label, total)
    return rows


def complete_quarters(dataset) -> list:
    """The calendar quarters with every month present (the periods persistence is counted over)."""
    return [q for q in calendar_periods(coverage(dataset), "Q") if q.complete]


def lsoa_counts(crimes: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """Records per LSOA over ``codes`` (zeros kept)."""
    return crimes["lsoa_code"].astype(str).value_counts().reindex(codes, fill_value=0).astype("int64")


def hotspot_settings(dataset) -> dict:
    """The hot-spot settings of an open-data book: the configured ones, exactly as at the full level.

    ``sna_lib/config/index.yaml`` merged with the data folder's ``hotspots`` key
    (:func:`sna_lib.index.hotspots.index_settings`): by default esda's conditional permutation
    test with the configured permutations and seed; the normal approximation only when
    ``hotspots.inference: analytical`` is configured.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> s = hotspot_settings(SimpleNamespace(config={}))["hotspots"]
    >>> s["inference"], s["permutations"], s["seed"]
    ('permutation', 999, 12345)
    """
    from sna_lib.index.hotspots import index_settings

    return index_settings(dataset.config)


def hotspot_method_text(dataset) -> str:
    """The configured hot-spot test in words (:func:`sna_lib.book.describe.hotspot_method`), for the page."""
    from sna_lib.book.describe import hotspot_method

    return hotspot_method(hotspot_settings(dataset))


def hotspot_inference_note(settings: dict) -> str:
    """One plain sentence on how the configured Gi* inference decides significance.

    Examples
    --------
    >>> from sna_lib.index.hotspots import index_settings
    >>> hotspot_inference_note(index_settings()).split(";")[0]
    "Each LSOA's own count is held fixed and its neighbourhood total is compared with 999 totals made from counts drawn at random from the other LSOAs (esda's conditional permutation)"
    >>> "normal approximation" in hotspot_inference_note(index_settings({"hotspots": {"inference": "analytical"}}))
    True
    """
    cfg = settings["hotspots"]
    permutations = int(cfg.get("permutations", 0) or 0)
    if cfg.get("inference", "permutation") == "analytical" or permutations <= 0:
        return ("Significance comes from the normal approximation of the Gi* z-score (as ArcGIS), as configured "
                "(hotspots.inference: analytical); on sparse, skewed counts it flags more LSOAs than the "
                "conditional permutation test used by default.")
    return (f"Each LSOA's own count is held fixed and its neighbourhood total is compared with {permutations:,} "
            "totals made from counts drawn at random from the other LSOAs (esda's conditional permutation); the "
            "same data and seed give the same hot spots.")


def quarter_hotspots(dataset, definition: str = PROXY, settings: dict | None = None) -> tuple[pd.DataFrame, list]:
    """Gi* hot spots (configured settings) of proxy crimes in every complete quarter, county-wide.

    ``settings`` defaults to :func:`hotspot_settings` (the configured inference: esda's
    conditional permutation, seeded; Essex, 3 quarters x 1,077 LSOAs x 999 permutations: 1.4 s).

    Returns ``(frame, quarters)``: ``frame`` is indexed by ``lsoa_code`` with one bool column per
    quarter label and ``quarters_hot`` (how many complete quarters the LSOA was a hot spot in).
    """
    from sna_lib.index.hotspots import hotspots, weights_for

    key = (id(dataset), definition)
    cached = _HOT_CACHE.get(key)
    if settings is None and cached is not None and cached[0]() is dataset:
        return cached[1], cached[2]
    settings = settings or hotspot_settings(dataset)
    geo = dataset.geography
    weights = weights_for(geo, settings)
    codes = area_lsoas(dataset, "county")
    proxy = proxy_crimes(dataset.crimes, definition)
    quarters = complete_quarters(dataset)
    frame = pd.DataFrame(index=codes)
    for q in quarters:
        counts = lsoa_counts(in_months(proxy, q.start, q.end), codes)
        frame[q.text] = hotspots(counts, weights=weights, method="gistar", settings=settings)["hot"] \
            .reindex(codes).fillna(False).astype(bool)
    frame["quarters_hot"] = frame[[q.text for q in quarters]].sum(axis=1).astype("int64")
    _HOT_CACHE.clear()
    _HOT_CACHE[key] = (_reference(dataset), frame, quarters)
    return frame, quarters


#: The last dataset's hot spots, keyed by ``id(dataset)``. CPython reuses the id of a freed
#: object, so an entry is used only while its reference still names the same dataset: without
#: that check a new dataset allocated where the last one was (another config, e.g. other
#: permutations or seed) silently got the old dataset's hot spots.
_HOT_CACHE: dict = {}


def _reference(obj):
    """A weak reference to ``obj``; a strong one for objects that take none (``SimpleNamespace``)."""
    import weakref

    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def persistence_table(frame: pd.DataFrame, quarters: list, codes: pd.Index) -> pd.DataFrame:
    """LSOAs of ``codes`` by the number of complete quarters they were a hot spot in."""
    n = len(quarters)
    counts = frame.loc[codes, "quarters_hot"].value_counts().reindex(range(n + 1), fill_value=0)
    return pd.DataFrame({"Hot spot in": [f"{k} of {n} complete quarters" for k in range(n + 1)],
                         "LSOAs": counts.to_numpy().astype("int64")})


def category_weights(dataset):
    """Category-mean harm weights of the run (:mod:`sna_lib.measures.category_harm`): the shipped
    estimates, or the official CCHI workbook where ``harm.cchi_workbook`` is configured."""
    from sna_lib.measures.category_harm import category_weights_for_config

    return category_weights_for_config(dataset.config)


def harm_table(crimes: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Crimes and category-mean harm (days) per police.uk category (every category, proxy first).

    ``Category-mean harm (days)`` = crimes x the category's ``Weight (days)`` (NA where it has none);
    ``Proxy``: whether the category is in the open-data proxy.

    Examples
    --------
    >>> w = pd.DataFrame({"weight": pd.array([365.0, 1.0], dtype="Float64")}, index=["robbery", "shoplifting"])
    >>> t = harm_table(pd.DataFrame({"category": ["robbery", "robbery", "shoplifting"]}), w)
    >>> t.set_index("Category").loc[["Robbery", "Shoplifting"], "Category-mean harm (days)"].tolist()
    [730.0, 1.0]
    """
    counts = category_counts(crimes)
    weight = counts["police.uk code"].map(weights["weight"].astype(float))
    return pd.DataFrame({"Category": counts["Category"], "Proxy": counts["In the open-data proxy"],
                         "Crimes": counts["Crimes"], "Weight (days)": weight.round(1),
                         "Category-mean harm (days)": (counts["Crimes"] * weight).round(0)})


def proxy_harm_share(table: pd.DataFrame) -> tuple[float, float]:
    """Shares of the open-data proxy in crimes and in category-mean harm over all categories.

    Examples
    --------
    >>> t = pd.DataFrame({"Proxy": ["yes", "no"], "Crimes": [10, 90],
    ...                   "Category-mean harm (days)": [1000.0, 90.0]})
    >>> [round(x, 3) for x in proxy_harm_share(t)]
    [0.1, 0.917]
    """
    proxy = table["Proxy"] == "yes"
    harm = table["Category-mean harm (days)"].astype(float).fillna(0.0)
    crimes = table["Crimes"].astype(float)
    return (float(crimes[proxy].sum() / crimes.sum()) if crimes.sum() else float("nan"),
            float(harm[proxy].sum() / harm.sum()) if harm.sum() else float("nan"))


#: risk layers open data offer, each with the label the book shows (all proxies)
RISK_LAYERS = {
    "deprivation": "Households deprived in 2+ dimensions, share (Census 2021 TS011)",
    "imd": "Index of Multiple Deprivation 2019 (rank, most deprived = highest)",
    "asb": "Anti-social behaviour incidents (police.uk): disorganisation proxy",
    "drugs": "Drugs offences by location (police.uk): proxy for drug markets",
    "weapons": "Possession of weapons offences by location (police.uk): proxy for weapon carrying",
}


def risk_layers(dataset, start: str, end: str) -> pd.DataFrame:
    """The open-data risk layers per LSOA from the months ``start … end`` (and the static census/IMD)."""
    codes = area_lsoas(dataset, "county")
    crimes = in_months(dataset.crimes, start, end)
    out = pd.DataFrame(index=codes)
    dep = dataset.census_deprivation.set_index(dataset.census_deprivation["lsoa_code"].astype(str))
    if len(dep):
        deprived = dep[["deprived_2", "deprived_3", "deprived_4"]].sum(axis=1) / dep["households"].where(
            dep["households"] > 0)
        out["deprivation"] = deprived.reindex(codes).astype(float)
    imd = getattr(dataset, "imd", pd.DataFrame())
    if len(imd):
        out["imd"] = -imd.set_index(imd["lsoa_code"].astype(str))["imd_rank"].reindex(codes).astype(float)
    if len(dataset.asb):
        out["asb"] = lsoa_counts(in_months(dataset.asb, start, end), codes).astype(float)
    out["drugs"] = lsoa_counts(crimes[crimes["category"].astype(str) == "drugs"], codes).astype(float)
    out["weapons"] = lsoa_counts(crimes[crimes["category"].astype(str) == "possession_of_weapons"], codes).astype(float)
    return out


def risk_score(layers: pd.DataFrame) -> pd.Series:
    """Equal-weight mean of the layers' percentile ranks (``sna_lib.index.risk_index`` ``rank``)."""
    from sna_lib.index.risk_index import risk_scores

    spec = {name: {"column": name, "normalisation": "rank", "weight": 1.0} for name in layers.columns}
    return risk_scores(layers.fillna(layers.median()), spec)["score"]


def out_of_time_check(dataset, *, share: float = 0.05, train=TRAIN, test=TEST,
                      definition: str = PROXY) -> pd.DataFrame:
    """Index built on ``train`` months, scored on the proxy crimes of ``test`` months, vs the naive baseline.

    Rows: ``risk index`` (top ``share`` of LSOAs by :func:`risk_score` of the train-window layers)
    and ``naive: top train-period counts`` (the same number of LSOAs with the most proxy crimes in
    the train window, ties by code). Columns from :func:`sna_lib.index.validation.evaluate_selection`:
    capture rate and PAI (share of test crimes captured ÷ share of land area), and the counts they
    come from (``Captured``, ``Test-period total``).
    """
    from sna_lib.index.risk_index import select_top
    from sna_lib.index.validation import evaluate_selection, lsoa_areas, top_n

    codes = area_lsoas(dataset, "county")
    proxy = proxy_crimes(dataset.crimes, definition)
    outcome = lsoa_counts(in_months(proxy, *test), codes)
    history = lsoa_counts(in_months(proxy, *train), codes)
    area = lsoa_areas(dataset.geography.set_index(dataset.geography["lsoa_code"].astype(str))
                      .reindex(codes).reset_index(drop=True).assign(lsoa_code=codes))
    index_sel = select_top(risk_score(risk_layers(dataset, *train)), share=share, tie_rule="stable")
    naive_sel = top_n(history, int(index_sel.sum()))
    rows = []
    for name, sel in (("risk index (proxy layers)", index_sel), ("naive: top train-period proxy counts", naive_sel)):
        r = evaluate_selection(sel.reindex(codes).fillna(False), outcome, area=area)
        rows.append({"Selection": name, "LSOAs": r["lsoas"], "Capture rate": r["capture_rate"],
                     "Share of area": r["area_share"], "PAI": r["pai"], "Captured": int(r["captured"]),
                     "Test-period total": int(r["total"])})
    return pd.DataFrame(rows)


def verdict(check: pd.DataFrame) -> str:
    """One plain sentence: which selection captured more of the test-period proxy crimes."""
    idx, naive = check.iloc[0], check.iloc[1]
    if idx["Capture rate"] > naive["Capture rate"]:
        return (f"The risk index captured more of the later months' proxy violence than the naive baseline "
                f"({idx['Capture rate']:.1%} vs {naive['Capture rate']:.1%}; PAI {idx['PAI']:.1f} vs {naive['PAI']:.1f}).")
    if idx["Capture rate"] < naive["Capture rate"]:
        pai = ("its PAI is higher only because the LSOAs it picked are smaller"
               if idx["PAI"] > naive["PAI"] else "and its PAI is lower too")
        return (f"The risk index lost to the naive baseline on capture: it captured {idx['Capture rate']:.1%} of "
                f"the later months' proxy violence against {naive['Capture rate']:.1%} for simply taking the LSOAs "
                f"with the most proxy crimes in the earlier months; {pai} (PAI {idx['PAI']:.1f} vs "
                f"{naive['PAI']:.1f}).")
    return f"The risk index and the naive baseline captured the same share ({idx['Capture rate']:.1%})."


def missing_sentences(dataset, parts=None) -> dict[str, str]:
    """``{part: sentence}`` for every part of ``parts`` (default: all of
    :data:`sna_lib.data.data_level.REQUIREMENTS`) the dataset cannot support, for :func:`missing_note`."""
    from sna_lib.data.data_level import REQUIREMENTS, available

    return {p: REQUIREMENTS[p].sentence for p in (REQUIREMENTS if parts is None else parts)
            if not available(dataset, p)}


def missing_note(sentences: dict, *parts: str) -> str:
    """Plain text (for :func:`~sna_lib.book.nbhelpers.show_note`, which escapes it): one sentence for
    each of ``parts`` found in ``sentences`` (:func:`missing_sentences`, or the published store's
    copy of it); ``""`` when all can be computed.

    Examples
    --------
    >>> missing_note({"people": "People need person records."}, "people", "harm")
    'Not computed: People need person records.'
    """
    return "\n\n".join(f"Not computed: {sentences[p]}" for p in parts if p in sentences)


def what_changed_page(area_label: str) -> str:
    """The "What changed" page of an open-data book: one sentence on what it would need.

    Examples
    --------
    >>> what_changed_page("Essex").splitlines()[0]
    '# What changed this month: Essex'
    """
    from sna_lib.book.charts import markdown_escape

    return (f"# What changed this month: {markdown_escape(area_label)}\n\n"
            "*Not computed:* the month-on-month comparison of published figures needs the full figure set, which "
            "needs Home Office offence codes with weapon and domestic-abuse flags on each crime (a police "
            "recorded-crime extract); in this open-data edition the monthly series are on the Trends page.\n")


__all__ = [
    "CATEGORY_LABELS", "MISSING_MONTH", "PROXY", "RISK_LAYERS", "TEST", "TRAIN", "area_lsoas",
    "category_counts", "category_weights", "complete_quarters", "coverage", "definition_table", "harm_table",
    "hotspot_inference_note", "hotspot_method_text", "hotspot_settings", "in_months", "missing_note",
    "missing_sentences", "out_of_time_check", "period_totals", "persistence_table", "proxy_categories",
    "proxy_crimes", "proxy_harm_share", "quarter_hotspots", "risk_layers", "risk_score", "verdict",
    "what_changed_page"
]
