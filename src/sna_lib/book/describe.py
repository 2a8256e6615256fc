"""Presentation shaping for the section notebooks: sentences, labels, captions and page tables.

The statistics come from the analysis modules (:mod:`sna_lib.measures.people`, :mod:`sna_lib.measures.key_measures`,
:mod:`sna_lib.index.place`, :mod:`sna_lib.index.factors`, :mod:`sna_lib.index.persistence`, …). The functions here
only arrange their results for a page — rename and order columns, turn turning points into a
sentence, join values to LSOA names and polygons for a map, write alt text — so that notebook
cells stay one call per table, chart or map and hold no logic of their own.

Examples
--------
>>> from sna_lib.measures.people import AgeFeatures
>>> age_profile_sentence(AgeFeatures(12, peaks=(15, 18), dips=(16,), rises_again=(17,), plateau_start=23))
'Involvement of suspects begins a steep incline at age 12 and peaks at 15; it falls back and rises again at 17, then levels off from about age 23.'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "KEY_MEASURE_CAPTIONS",
    "significance_cell",
    "crimes_in_year",
    "percent",
    "publish_table",
    "tables_by_area",
    "cross_csp_mask",
    "context_withheld",
    "context_row",
    "change_withheld",
    "people_repeats_for",
    "context_volumes",
    "context_shares",
    "year_on_year_for",
    "annual_counts_for",
    "withheld_note",
    "key_measure_row",
    "significance_text",
    "year_on_year",
    "context_table",
    "sv_csp_masks",
    "csp_count_mask",
    "publish_csp_table",
    "sv_year_withheld",
    "published_numbers",
    "trend_withheld",
    "age_profile_sentence",
    "age_feature_marks",
    "people_repeats_table",
    "publish_people_table",
    "publish_key_measures",
    "annual_counts",
    "trend_alt_text",
    "comparator_series",
    "comparator_alt_text",
    "map_frame",
    "flag_labels",
    "csp_table",
    "exclusions_alt_text",
    "series_label",
    "top_risk_table",
    "validation_table",
    "baseline_comparison_table",
    "baseline_sentence",
    "tie_sentence",
    "top_method_sentence",
    "tie_from_published",
    "validation_summary",
    "comparison_notes",
    "irr_table",
    "moran_sentence",
    "survey_themes",
    "survey_alt_text",
]

#: Captions of the key-measure tables (reference SNA section 8).
KEY_MEASURE_CAPTIONS = {
    "A": "latest twelve months compared with the previous twelve months",
    "B": "knife-enabled serious violence since the knife baseline year",
    "C": "non-domestic homicides since the baseline year",
    "D": "hospital admissions of under-25s since the baseline year",
    "E": "knife-enabled non-domestic homicide since the baseline year",
}


def crimes_in_year(crimes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Crimes dated in calendar ``year``.

    Examples
    --------
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "date": pd.to_datetime(["2022-12-31", "2023-01-01"])})
    >>> crimes_in_year(c, 2023)["crime_id"].tolist()
    ['b']
    """
    return crimes[(crimes["date"].dt.year == int(year)).to_numpy(dtype=bool)]


def percent(share: float | None) -> float | None:
    """A proportion as a percentage, or ``None`` when there is nothing to divide (shown as "–").

    Examples
    --------
    >>> percent(0.25), percent(None), percent(float("nan"))
    (25.0, None, None)
    """
    if share is None or share is pd.NA or (isinstance(share, float) and np.isnan(share)):
        return None
    return 100.0 * float(share)


def publish_table(df: pd.DataFrame, count_columns: Sequence[str], rate_pairs: Mapping[str, str] | None = None, *,
                  area_level: str, config: Any = None, assume_published_totals: bool = True,
                  decimals: int | Mapping[str, int] = 1, also_withhold: pd.DataFrame | None = None) -> pd.DataFrame:
    """Withhold small counts and every rate/share derived from a withheld count, with one pattern.

    ``rate_pairs`` maps each rate column to the count column it was computed from. Counts and
    rates are suppressed with the same pattern (:func:`sna_lib.publication.disclosure.suppression_mask`),
    so a visible rate can never reveal a hidden count. ``decimals`` is one number for every
    rate or a mapping rate column -> decimals (default 1). Returns text cells ready for
    ``nb.show_table``. ``also_withhold`` (bool, ``df``'s index × count columns, e.g. from
    :func:`cross_csp_mask`) withholds further counts, and their rates, below county level.

    Examples
    --------
    >>> t = pd.DataFrame({"CSP": ["A", "B", "C"], "n": [3, 200, 150], "per_1000": [0.31, 2.5, 1.94]})
    >>> publish_table(t, ["n"], {"per_1000": "n"}, area_level="csp")[["n", "per_1000"]].values.tolist()
    [['[c]', '[c]'], ['200', '2.5'], ['[c]', '[c]']]
    >>> publish_table(t, ["n"], {"per_1000": "n"}, area_level="county")["per_1000"].tolist()
    ['0.3', '2.5', '1.9']
    """
    from sna_lib.publication import disclosure

    kw = {"area_level": area_level, "config": config, "assume_published_totals": assume_published_totals}
    mask = disclosure.suppression_mask(df, list(count_columns), **kw)
    marker = disclosure.Suppressed(disclosure.disclosure_rules(config).marker)
    out = disclosure.suppress_counts(df, list(count_columns), **kw)
    if also_withhold is not None and disclosure.disclosure_rules(config).applies(area_level):
        extra = also_withhold.reindex(index=df.index, columns=list(count_columns), fill_value=False).astype(bool)
        mask = mask | extra
        for column in count_columns:
            hidden = mask[column].to_numpy(dtype=bool)
            out[column] = pd.Series([marker if h else v for v, h in zip(out[column].tolist(), hidden)],
                                    index=df.index, dtype=object)
    for rate, count_column in (rate_pairs or {}).items():
        hidden = mask[count_column].to_numpy(dtype=bool)
        places = decimals.get(rate, 1) if isinstance(decimals, Mapping) else decimals
        out[rate] = pd.Series([marker if h else _format_rate(v, places) for v, h in zip(df[rate].tolist(), hidden)],
                              index=df.index, dtype=object)
    return out


def withheld_note(table: pd.DataFrame, config: Any = None) -> str:
    """The suppression footnote when any cell of a published table is withheld, else ``""``.

    Examples
    --------
    >>> from sna_lib.publication.disclosure import Suppressed
    >>> withheld_note(pd.DataFrame({"n": ["12"]}))
    ''
    >>> withheld_note(pd.DataFrame({"n": pd.Series([Suppressed("[c]")], dtype=object)})).startswith("[c]")
    True
    """
    from sna_lib.publication import disclosure

    if any(disclosure.is_suppressed(v) for column in table.columns for v in table[column].tolist()):
        return disclosure.suppression_note(config)
    return ""


def tables_by_area(dataset, build, *args, **kwargs) -> dict[str, pd.DataFrame]:
    """``build(area_crimes, *args, **kwargs)`` for the county and for every CSP: ``{"county": …, csp: …}``.

    ``build`` is one of this module's table builders taking an area's crimes first (for example
    :func:`context_volumes`). The tables must have the same rows in the same order for every
    area, so that :func:`cross_csp_mask` can compare them.
    """
    from sna_lib.book.sv_overview import area_crimes

    memo = _area_tables_memo(dataset)
    key = (getattr(build, "__module__", ""), getattr(build, "__qualname__", repr(build)),
           tuple(_memo_key(a) for a in args), tuple(sorted((k, _memo_key(v)) for k, v in kwargs.items())))
    if key not in memo:
        tables = {area: build(area_crimes(dataset, area), *args, **kwargs)
                  for area in ("county", *dataset.config.csps)}
        # the arguments are kept alive with the tables, so an identity in the key is never re-used
        memo[key] = (args, kwargs, tables)
    return {area: table.copy() for area, table in memo[key][2].items()}


_AREA_TABLES: dict[int, tuple[Any, dict]] = {}


def _area_tables_memo(dataset) -> dict:
    """Tables already built for every area from this loaded dataset. Every book notebook of a
    kernel shares one dataset, so each CSP book re-uses the all-area tables instead of rebuilding
    them (otherwise the work grows with the square of the number of CSPs)."""
    import weakref

    entry = _AREA_TABLES.get(id(dataset))
    if entry is None or entry[0]() is not dataset:
        _AREA_TABLES.clear()
        entry = (weakref.ref(dataset), {})
        _AREA_TABLES[id(dataset)] = entry
    return entry[1]


def _memo_key(value):
    """A hashable stand-in for an argument: the value itself, or the object's identity."""
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def cross_csp_mask(tables: Mapping[str, pd.DataFrame], area: str, count_columns: Sequence[str], *,
                   config: Any = None) -> pd.DataFrame | None:
    """Cells of ``area``'s table to withhold so that no CSP's withheld count can be recovered across books.

    Every CSP book publishes its own counts and the county book their total, so a count withheld
    in one CSP's book could be worked out as the county figure minus the other CSPs' books. For
    each cell, the CSPs' values (with the county as a published total) are passed through
    :func:`sna_lib.publication.disclosure.suppression_mask`; a CSP withholds the cell whenever that
    cross-CSP table withholds it (primary or secondary). Returns ``None`` for the county.

    Examples
    --------
    >>> t = {"county": pd.DataFrame({"n": [40]}), "A": pd.DataFrame({"n": [3]}),
    ...      "B": pd.DataFrame({"n": [12]}), "C": pd.DataFrame({"n": [25]})}
    >>> [bool(cross_csp_mask(t, a, ["n"]).loc[0, "n"]) for a in ("A", "B", "C")]
    [True, True, False]
    """
    from sna_lib.publication import disclosure

    if area == "county":
        return None
    csps = [a for a in tables if a != "county"]
    own = tables[area]
    out = pd.DataFrame(False, index=own.index, columns=list(count_columns))
    for column in count_columns:
        for position, label in enumerate(own.index):
            values = [tables[c][column].iloc[position] for c in csps]
            if any(v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) for v in values):
                continue
            frame = pd.DataFrame({"n": [*values, tables["county"][column].iloc[position]]},
                                 index=[*csps, "__county__"])
            mask = disclosure.suppression_mask(frame, ["n"], area_level="csp", config=config,
                                               total_row="__county__", assume_published_totals=False,
                                               total_published=True)
            out.loc[label, column] = bool(mask.loc[area, "n"])
    return out


def context_withheld(tables: Mapping[str, pd.DataFrame], area: str, sv_withheld: Iterable[str], *,
                     config: Any = None) -> pd.DataFrame | None:
    """Extra cells a CSP withholds in a context table (:func:`context_volumes` / :func:`context_shares`).

    The cross-CSP pattern of every row (:func:`cross_csp_mask`), plus the partnership serious
    violence row wherever the place section's CSP table withholds the CSP's count
    (``sv_withheld``, from :func:`sv_year_withheld`). ``None`` for the county.
    """
    mask = cross_csp_mask(tables, area, ["Offences"], config=config)
    if mask is None:
        return None
    own = tables[area]
    if area in set(sv_withheld):
        rows = own["Crime"].astype(str).str.startswith("Serious violence (partnership)").to_numpy()
        mask.loc[rows, "Offences"] = True
    return mask


def context_row(published: pd.DataFrame, label: str) -> dict[str, str]:
    """The published cells of the context-table row whose ``Crime`` starts with ``label``.

    Examples
    --------
    >>> context_row(pd.DataFrame({"Crime": ["All crime", "Serious violence (partnership)"],
    ...                           "Offences": ["900", "[c]"]}), "Serious violence")["Offences"]
    '[c]'
    """
    rows = published[published["Crime"].astype(str).str.startswith(label).to_numpy(dtype=bool)]
    return {str(k): str(v) for k, v in rows.iloc[0].items()} if len(rows) else {}


def change_withheld(tables: Mapping[str, pd.DataFrame], area: str, before_hidden: bool, after_hidden: bool, *,
                    config: Any = None) -> pd.DataFrame | None:
    """Extra counts a CSP withholds in :func:`year_on_year_for` rows: cross-CSP pattern, plus the
    previous/current year wherever the place section's CSP table withholds them. ``None`` for the county."""
    mask = cross_csp_mask(tables, area, ["before", "after"], config=config)
    if mask is None:
        return None
    if before_hidden:
        mask["before"] = True
    if after_hidden:
        mask["after"] = True
    return mask


def people_repeats_for(crimes: pd.DataFrame, persons: pd.DataFrame, year: int) -> pd.DataFrame:
    """:func:`people_repeats_table` with the area's crimes first (builder for :func:`tables_by_area`)."""
    return people_repeats_table(persons, crimes, year)


def context_volumes(crimes: pd.DataFrame, year: int) -> pd.DataFrame:
    """:func:`context_table` of ``context.crime_volumes`` for ``year`` (builder for :func:`tables_by_area`)."""
    from sna_lib.measures import context

    return context_table(context.crime_volumes(crimes_in_year(crimes, year)))


def context_shares(crimes: pd.DataFrame, year: int, persons: pd.DataFrame) -> pd.DataFrame:
    """:func:`context_table` of ``context.crime_shares`` for ``year`` (builder for :func:`tables_by_area`)."""
    from sna_lib.measures import context

    return context_table(context.crime_shares(crimes_in_year(crimes, year), persons))


def year_on_year_for(crimes: pd.DataFrame, config: Any, year: int, definition: str = "partnership") -> pd.DataFrame:
    """:func:`year_on_year` of one definition's annual counts (builder for :func:`tables_by_area`)."""
    return year_on_year(annual_counts(crimes, config, [definition]), year)


def annual_counts_for(crimes: pd.DataFrame, config: Any, definitions: Sequence[str]) -> pd.DataFrame:
    """:func:`annual_counts` with the year as the index (builder for :func:`tables_by_area`)."""
    return annual_counts(crimes, config, definitions).set_index("Year")


def _format_rate(value: Any, decimals: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{float(value):,.{decimals}f}"


def key_measure_row(published: pd.DataFrame, table: str, measure_id: str) -> dict[str, str]:
    """One published key-measure row as text (for prose): ``before, after, change, significance, period``.

    Examples
    --------
    >>> p = pd.DataFrame({"Table": ["A"], "measure_id": ["knife_sv"], "Before": ["63"], "After": ["55"],
    ...                   "% change": ["-13%"], "Significant change?": ["No (p = 0.52)"],
    ...                   "Period after": ["Aug 2022 – Jul 2023"]})
    >>> key_measure_row(p, "A", "knife_sv")["change"]
    '-13%'
    """
    row = published[((published["Table"] == table) & (published["measure_id"] == measure_id)).to_numpy(dtype=bool)]
    if row.empty:
        return {"before": "–", "after": "–", "change": "–", "significance": "–", "significance_text": "–",
                "period": "–"}
    r = row.iloc[0]
    return {"before": str(r["Before"]), "after": str(r["After"]), "change": str(r["% change"]),
            "significance": str(r["Significant change?"]),
            "significance_text": significance_text(str(r["Significant change?"])),
            "period": str(r["Period after"])}


def significance_cell(flag_text: str, p_text: str, flag: float, p: float, *, marker: str = "[c]") -> str:
    """A published test result as the key-measure tables print it: ``"Yes (p = 0.02)"``,
    ``"No (p < 0.001)"``; the marker when either cell is withheld, ``"–"`` when there is no test.

    ``flag`` is the published verdict (1 significant, 0 not: decided on the unrounded p-value),
    ``p`` the published (rounded) p-value.

    Examples
    --------
    >>> significance_cell("1", "0.020", 1.0, 0.02), significance_cell("0", "0.000", 0.0, 0.0)
    ('Yes (p = 0.02)', 'No (p < 0.001)')
    >>> significance_cell("[c]", "[c]", float("nan"), float("nan")), significance_cell("–", "–", float("nan"), float("nan"))
    ('[c]', '–')
    """
    if marker in (str(flag_text), str(p_text)):
        return marker
    if flag != flag or p != p:  # NaN: no comparison
        return "–"
    p_part = "p < 0.001" if p < 0.001 else f"p = {_p_text(p)}"
    return f"{'Yes' if flag >= 0.5 else 'No'} ({p_part})"


def significance_text(cell: str) -> str:
    """Prose for a published significance cell.

    Examples
    --------
    >>> significance_text("No (p = 0.41)"), significance_text("Yes (p < 0.001)"), significance_text("[c]")
    ('not statistically significant, p = 0.41', 'statistically significant, p < 0.001', 'significance withheld')
    """
    if cell.startswith("Yes"):
        return "statistically significant" + _p_part(cell)
    if cell.startswith("No"):
        return "not statistically significant" + _p_part(cell)
    if cell == "–":
        return "no comparison possible"
    return "significance withheld"


def _p_part(cell: str) -> str:
    inner = cell[cell.find("(") + 1:cell.rfind(")")] if "(" in cell else ""
    return f", {inner}" if inner else ""


# --------------------------------------------------------------------------- people


def age_profile_sentence(features, who: str = "suspects") -> str:
    """One sentence describing an age profile's turning points (see ``people.age_profile_features``).

    Examples
    --------
    >>> from sna_lib.measures.people import AgeFeatures
    >>> age_profile_sentence(AgeFeatures(None))
    'There are too few suspects with a known age to describe how involvement changes with age.'
    >>> age_profile_sentence(AgeFeatures(14, peaks=(19,), plateau_start=None), "victims")
    'Involvement of victims begins a steep incline at age 14 and peaks at 19.'
    >>> age_profile_sentence(AgeFeatures(12, peaks=(15,), plateau_start=22, basis="county"))
    'Across the county, involvement of suspects begins a steep incline at age 12 and peaks at 15, then levels off from about age 22.'
    """
    peaks = tuple(features.peaks)
    if not peaks:
        return f"There are too few {who} with a known age to describe how involvement changes with age."
    lead = "Involvement"
    if getattr(features, "basis", "") == "county":
        lead = "Across the county, involvement"
    if features.incline_start is not None:
        text = f"{lead} of {who} begins a steep incline at age {features.incline_start} and peaks at {peaks[0]}"
    else:
        text = f"{lead} of {who} peaks at age {peaks[0]}"
    rises = tuple(features.rises_again)
    if rises:
        text += f"; it falls back and rises again at {rises[0]}"
    if features.plateau_start is not None:
        text += f", then levels off from about age {features.plateau_start}"
    return text + "."


def age_feature_marks(features) -> dict[str, int]:
    """Ages to mark on the age chart: ``{"incline": 12, "peak": 15, "plateau": 23}`` (those found).

    Examples
    --------
    >>> from sna_lib.measures.people import AgeFeatures
    >>> age_feature_marks(AgeFeatures(12, peaks=(15, 18), plateau_start=23))
    {'incline': 12, 'peak': 15, 'plateau': 23}
    """
    marks: dict[str, int] = {}
    if features.incline_start is not None:
        marks["incline"] = int(features.incline_start)
    if features.peaks:
        marks["peak"] = int(features.peaks[0])
    if features.plateau_start is not None:
        marks["plateau"] = int(features.plateau_start)
    return marks


def people_repeats_table(persons: pd.DataFrame, crimes: pd.DataFrame, year: int,
                         definition: str = "partnership") -> pd.DataFrame:
    """Suspects and victims of ``year``'s serious violence: records, people, repeats, previous involvement.

    ``crimes`` are the area's crimes of all years (previous involvement looks back five years).
    """
    from sna_lib.measures.classify import qualifying_mask
    from sna_lib.measures.people import person_counts, previous_involvement

    sv = crimes[qualifying_mask(crimes, definition)]
    ids = crimes_in_year(sv, year)["crime_id"]
    rows = []
    for role, label in (("suspect", "Suspects"), ("victim", "Victims")):
        c = person_counts(persons, ids, role)
        prev = previous_involvement(persons, sv, year, role=role)
        rows.append({"Role": label, "Records": c.records, "People": c.unique,
                     "Repeat people": c.repeat_people, "Involved in previous five years": prev.count})
    return pd.DataFrame(rows)


def publish_people_table(table: pd.DataFrame, *, area_level: str, config: Any = None,
                         also_withhold: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`people_repeats_table` with small counts withheld (primary suppression only).

    The columns are different measures of overlapping groups (records, people, repeat people,
    people seen before), so neither rows nor columns add up to anything published: secondary
    suppression along them would hide sound numbers without protecting anyone. Records do add
    up across CSPs; pass their cross-CSP pattern as ``also_withhold`` (:func:`cross_csp_mask`).

    Examples
    --------
    >>> t = pd.DataFrame({"Role": ["Suspects"], "Records": [70], "People": [61], "Repeat people": [5],
    ...                   "Involved in previous five years": [12]})
    >>> publish_people_table(t, area_level="csp").iloc[0].tolist()
    ['Suspects', '70', '61', '[c]', '12']
    """
    counts = ["Records", "People", "Repeat people", "Involved in previous five years"]
    return publish_table(table, counts, area_level=area_level, config=config, assume_published_totals=False,
                         also_withhold=also_withhold)


# --------------------------------------------------------------------------- key measures


def publish_key_measures(km: pd.DataFrame, *, area_level: str, config: Any = None,
                         also_withhold: pd.DataFrame | None = None) -> pd.DataFrame:
    """Key measures ready to publish: small counts withheld, and with them their % change and test.

    A change and its significance are withheld when either count is (a p-value from two small
    counts could reveal them). Output columns: ``Table, measure_id, Measure, Period before,
    Before, Period after, After, % change, Significance, Note``.

    Examples
    --------
    >>> km = pd.DataFrame({"table": ["A"], "measure_id": ["x"], "measure": ["X"], "before_period": ["2022"],
    ...                    "after_period": ["2023"], "before": pd.array([3], dtype="Int64"),
    ...                    "after": pd.array([40], dtype="Int64"), "pct_change": [1233.0],
    ...                    "significance": ["significant (p < 0.001)"], "note": [""]})
    >>> publish_key_measures(km, area_level="csp").iloc[0][["Before", "After", "% change", "Significant change?"]].tolist()
    ['[c]', '40', '[c]', '[c]']
    >>> publish_key_measures(km, area_level="county").iloc[0][["Before", "% change", "Significant change?"]].tolist()
    ['3', '+1,233%', 'Yes (p < 0.001)']
    """
    from sna_lib.publication import disclosure

    kw = {"area_level": area_level, "config": config, "assume_published_totals": False}
    marker = disclosure.Suppressed(disclosure.disclosure_rules(config).marker)
    mask = disclosure.suppression_mask(km, ["before", "after"], **kw)
    if also_withhold is not None and disclosure.disclosure_rules(config).applies(area_level):
        mask = mask | also_withhold.reindex(index=km.index, columns=["before", "after"], fill_value=False).astype(bool)
    counts = disclosure.suppress_counts(km, ["before", "after"], **kw)
    for column in ("before", "after"):
        hidden = mask[column].to_numpy(dtype=bool)
        counts[column] = pd.Series([marker if h else v for v, h in zip(counts[column].tolist(), hidden)],
                                   index=km.index, dtype=object)
    either = (mask["before"] | mask["after"]).to_numpy(dtype=bool)
    withheld = pd.Series(either, index=km.index) & km["pct_change"].notna()
    rates = pd.DataFrame({"pct_change": km["pct_change"].astype("float64").where(~withheld)})
    change = [marker if w else ("–" if pd.isna(v) else f"{v:+,.0f}%")
              for v, w in zip(rates["pct_change"].tolist(), withheld.tolist())]
    both = km["before"].notna() & km["after"].notna()
    significance = [marker if w else (_yes_no(s) if b else "–")
                    for s, w, b in zip(km["significance"].tolist(), withheld.tolist(), both.tolist())]
    holm = km["p_value_holm"] if "p_value_holm" in km else pd.Series([None] * len(km), index=km.index)
    after_holm = [marker if w else ("–" if (p is None or pd.isna(p) or not b)
                                    else f"{'Yes' if p < 0.05 else 'No'} (p = {_p_text(p)})")
                  for p, w, b in zip(holm.tolist(), withheld.tolist(), both.tolist())]
    return pd.DataFrame({
        "Table": km["table"].astype(str).to_numpy(),
        "measure_id": km["measure_id"].astype(str).to_numpy(),
        "Measure": km["measure"].astype(str).to_numpy(),
        "Period before": km["before_period"].astype(str).to_numpy(),
        "Before": counts["before"].to_numpy(),
        "Period after": km["after_period"].astype(str).to_numpy(),
        "After": counts["after"].to_numpy(),
        "% change": change,
        "Significant change?": significance,
        "After Holm adjustment": after_holm,
        "Note": km["note"].fillna("").astype(str).to_numpy(),
    })


def _p_text(p: float) -> str:
    """p-value as the tables print it (``0.42``, ``0.005``, ``< 0.001``)."""
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def _yes_no(label: str) -> str:
    """``'not significant (p = 0.42)'`` -> ``'No (p = 0.42)'``; ``'significant (…)'`` -> ``'Yes (…)'``."""
    label = str(label)
    if label.startswith("not significant"):
        return "No" + label[len("not significant"):]
    if label.startswith("significant"):
        return "Yes" + label[len("significant"):]
    return label


def year_on_year(series: pd.DataFrame, year: int) -> pd.DataFrame:
    """Key-measure-shaped rows (table ``"Y"``) comparing ``year`` with the year before, per column.

    ``series`` is :func:`annual_counts` output; each definition column becomes one row with the
    % change and the exact test of :func:`sna_lib.measures.significance.compare_counts`, ready for
    :func:`publish_key_measures`. ``measure_id`` is the column's position-independent name.

    Examples
    --------
    >>> s = pd.DataFrame({"Year": [2022, 2023], "SV": [15, 10]})
    >>> year_on_year(s, 2023)[["before", "after", "pct_change", "significance"]].values.tolist()
    [[15, 10, -33.0, 'not significant (p = 0.42)']]
    """
    from sna_lib.measures.significance import compare_counts, pct_change

    rows = []
    by_year = series.set_index("Year")
    for column in by_year.columns:
        before = int(by_year.loc[year - 1, column]) if (year - 1) in by_year.index else None
        after = int(by_year.loc[year, column]) if year in by_year.index else None
        both = before is not None and after is not None
        rows.append({"table": "Y", "measure_id": "partnership" if column == by_year.columns[0] else str(column),
                     "measure": str(column), "before_period": str(year - 1), "after_period": str(year),
                     "before": before, "after": after,
                     "pct_change": pct_change(before, after) if both else None,
                     "significance": compare_counts(before, after).label() if both else "", "note": ""})
    out = pd.DataFrame(rows)
    for column in ("before", "after"):
        out[column] = out[column].astype("Int64")
    out["pct_change"] = out["pct_change"].astype("float64")
    return out


def context_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Page version of ``context.crime_volumes`` / ``crime_shares``: ``Crime, Offences, % of all crime``."""
    return pd.DataFrame({
        "Crime": frame["measure"].astype(str).to_numpy(),
        "Offences": frame["volume"].astype("int64").to_numpy(),
        "% of all crime": frame["pct_of_crime"].astype("float64").to_numpy(),
    })


def _across_csps(values: Sequence[Any], total: Any, config: Any) -> np.ndarray:
    """Withheld CSPs for one figure published per CSP beside its (always published) county total."""
    from sna_lib.publication import disclosure

    frame = pd.DataFrame({"n": [*values, total]}, index=[*range(len(values)), "__county__"])
    mask = disclosure.suppression_mask(frame, ["n"], area_level="csp", config=config, total_row="__county__",
                                       assume_published_totals=False, total_published=True)
    return mask["n"].to_numpy(dtype=bool)[:-1]


def sv_csp_masks(dataset, year: int, *, config: Any = None, definition: str = "partnership",
                 window: int = 5) -> pd.DataFrame:
    """The one withholding pattern for per-CSP serious-violence counts in the window ending ``year``.

    Index: CSPs; columns: each year of the window (withheld across CSPs beside the county total,
    exactly as every CSP book publishes it) and ``"window"``: a CSP's window total is withheld
    whenever any of its yearly counts is, so it cannot be used to work a withheld year out
    (window minus the other years). Every page that shows these counts uses this pattern.
    """
    from sna_lib.measures.classify import serious_violence_ids
    from sna_lib.index.place import csp_breakdown

    ids = serious_violence_ids(dataset, definition)
    years = list(range(int(year) - window + 1, int(year) + 1))
    out = {}
    index = None
    for y in years:
        b = csp_breakdown(dataset.crimes, ids, dataset.geography, dataset.population, years=[y])
        index = b.index.astype(str)
        out[y] = _across_csps([int(v) for v in b["crimes"].tolist()], int(b["crimes"].sum()), config)
    mask = pd.DataFrame(out, index=index)
    mask["window"] = mask[years].any(axis=1)
    return mask


def csp_count_mask(table: pd.DataFrame, *, config: Any = None, masks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts to withhold in :func:`csp_table`: the shared pattern of :func:`sv_csp_masks` when given,
    else each count column withheld across CSPs beside its county total.

    Indexed like ``table`` (one row per CSP), columns = the ``Offences …`` columns.
    """
    counts = [c for c in table.columns if c.startswith("Offences")]
    mask = pd.DataFrame(False, index=table.index, columns=counts)
    for column in counts:
        label = column.removeprefix("Offences ")
        if masks is not None:
            key = int(label) if label.isdigit() else "window"
            mask[column] = masks[key].reindex(table["CSP"].astype(str)).fillna(False).to_numpy(dtype=bool)
        else:
            values = [int(v) for v in table[column].tolist()]
            mask[column] = _across_csps(values, sum(values), config)
    return mask

def publish_csp_table(table: pd.DataFrame, year: int, *, config: Any = None,
                      masks: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`csp_table` with CSP-level disclosure control on counts and everything derived from them.

    Shares, rates and ranks are withheld wherever their count is (a rank can reveal a withheld
    zero); the change in share wherever either year's count is (it reveals last year's share).
    The pattern is :func:`csp_count_mask` (pass ``masks`` from :func:`sv_csp_masks`), shared with
    the CSP books.
    """
    from sna_lib.publication import disclosure

    counts = [c for c in table.columns if c.startswith("Offences")]
    now, window = f"Offences {year}", counts[-1]
    span = window.removeprefix("Offences ")
    change = f"Share change on {year - 1} (points)"
    pairs = {"Share (%)": now, change: now, f"Rate {year}": now, f"Rank {year}": now,
             f"Rate {span}": window, f"Rank {span}": window}
    places = {c: (2 if c.startswith("Rate") else 1) for c in pairs}
    mask = csp_count_mask(table, config=config, masks=masks)
    out = publish_table(table, counts, pairs, area_level="csp", config=config, decimals=places, also_withhold=mask,
                        assume_published_totals=False)
    previous = f"Offences {year - 1}"
    if previous in counts:
        marker = disclosure.Suppressed(disclosure.disclosure_rules(config).marker)
        hidden = mask[previous].to_numpy(dtype=bool)
        out[change] = pd.Series([marker if h else v for v, h in zip(out[change].tolist(), hidden)],
                                index=out.index, dtype=object)
    return out

def sv_year_withheld(dataset, year: int, *, config: Any = None, definition: str = "partnership",
                     column_year: int | None = None) -> frozenset[str]:
    """CSPs whose serious-violence count is withheld (:func:`sv_csp_masks`) for ``column_year``
    (default ``year``; ``year - 1`` for last year's count).

    A CSP book withholds its own count wherever the shared pattern does, so the county figure
    minus the other CSPs cannot reveal a withheld count.
    """
    masks = sv_csp_masks(dataset, year, config=config, definition=definition)
    column = masks[int(column_year if column_year is not None else year)]
    return frozenset(str(c) for c, h in column.items() if h)

def published_numbers(published: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Published text cells back to numbers for charts: withheld (``[c]``) and missing cells become ``<NA>``.

    Examples
    --------
    >>> published_numbers(pd.DataFrame({"n": ["1,234", "[c]", "–"]}), ["n"])["n"].tolist()
    [1234.0, <NA>, <NA>]
    """
    out = published.copy()
    for column in columns:
        text = pd.Series([str(v).replace(",", "") for v in published[column].tolist()], index=published.index)
        out[column] = pd.to_numeric(text, errors="coerce").astype("Float64")
    return out


def trend_withheld(tables: Mapping[str, pd.DataFrame], area: str, year: int, sv_now: Iterable[str],
                   sv_before: Iterable[str], *, config: Any = None) -> pd.DataFrame | None:
    """Extra cells a CSP withholds in its annual series (:func:`annual_counts_for` tables).

    Cross-CSP pattern of every year and definition, plus the partnership column for ``year`` and
    ``year - 1`` wherever the place section's CSP table withholds them. ``None`` for the county.
    """
    own = tables[area]
    mask = cross_csp_mask(tables, area, list(own.columns), config=config)
    if mask is None:
        return None
    from sna_lib.data.definitions import load_definition

    partnership = load_definition("partnership").name
    if partnership not in own.columns:
        return mask
    if area in set(sv_now) and year in own.index:
        mask.loc[year, partnership] = True
    if area in set(sv_before) and (year - 1) in own.index:
        mask.loc[year - 1, partnership] = True
    return mask


# --------------------------------------------------------------------------- trends


def annual_counts(crimes: pd.DataFrame, config: Any, definitions: Sequence[str] | None = None) -> pd.DataFrame:
    """Offences per calendar year from ``config.first_year`` to ``config.reporting_year``, one column per definition.

    Column names are the definitions' names (``Definition.name``).
    """
    from sna_lib.data.definitions import load_definition
    from sna_lib.measures.classify import qualifying_mask
    from sna_lib.measures.key_measures import calendar_year, count_in_period

    years = list(range(int(config.first_year), int(config.reporting_year) + 1))
    out = pd.DataFrame({"Year": years})
    for entry in definitions or config.definitions:
        d = load_definition(entry)
        mask = qualifying_mask(crimes, d)
        out[d.name] = [count_in_period(crimes, mask, calendar_year(y)) for y in years]
    return out


def trend_alt_text(frame: pd.DataFrame, x: str) -> str:
    """Alt text for a line chart: first and last value of every numeric series.

    Examples
    --------
    >>> trend_alt_text(pd.DataFrame({"Year": [2014, 2023], "SV": [10, 12]}), "Year")
    'Line chart by year from 2014 to 2023. SV: 10 in 2014, 12 in 2023.'
    """
    if frame.empty:
        return "Line chart with no data to show."
    first, last = frame[x].iloc[0], frame[x].iloc[-1]
    parts = []
    for column in frame.columns:
        if column == x or not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        a, b = frame[column].iloc[0], frame[column].iloc[-1]
        fa = "withheld" if pd.isna(a) else f"{a:,.4g}"
        fb = "withheld" if pd.isna(b) else f"{b:,.4g}"
        parts.append(f"{column}: {fa} in {first}, {fb} in {last}")
    return f"Line chart by {x.lower()} from {first} to {last}. " + "; ".join(parts) + "."


def comparator_series(comparators: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split the comparators table into one frame per series (``year, area, value``), in name order."""
    out = {}
    for name in sorted(comparators["series"].astype(str).unique()):
        rows = comparators[(comparators["series"].astype(str) == name).to_numpy(dtype=bool)]
        out[name] = pd.DataFrame({"year": rows["year"].astype("int64").to_numpy(),
                                  "area": rows["area"].astype(str).to_numpy(),
                                  "value": rows["value"].astype("float64").to_numpy()})
    return out


def comparator_alt_text(frame: pd.DataFrame, name: str) -> str:
    """Alt text naming each comparator area with its first and latest value."""
    parts = []
    for area in dict.fromkeys(frame["area"]):
        rows = frame[(frame["area"] == area).to_numpy(dtype=bool)]
        parts.append(f"{area}: {rows['value'].iloc[0]:,.4g} in {rows['year'].iloc[0]}, "
                     f"{rows['value'].iloc[-1]:,.4g} in {rows['year'].iloc[-1]}")
    return f"Line chart of {name.replace('_', ' ')} by year. " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- place and maps


def map_frame(geography, values: pd.Series, name: str = "value"):
    """LSOA polygons with names and one value column (``values`` indexed by ``lsoa_code``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"lsoa_code": ["X1", "X2"], "lsoa_name": ["A", "B"], "area": ["N", "N"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700)
    >>> map_frame(g, pd.Series({"X2": 5.0, "X1": 1.0}))["value"].tolist()
    [1.0, 5.0]
    """
    out = geography[["lsoa_code", "lsoa_name", "area", "geometry"]].copy()
    out[name] = values.reindex(pd.Index(out["lsoa_code"].astype(str))).to_numpy()
    return out.reset_index(drop=True)


def flag_labels(bins: pd.Series, *, min_bin: int = 2) -> pd.Series:
    """Hot/cold labels from confidence bins (−3…+3; 95% confidence = ±2 and beyond).

    Examples
    --------
    >>> flag_labels(pd.Series([3, 2, 1, 0, -2])).tolist()
    ['hot', 'hot', 'not significant', 'not significant', 'cold']
    """
    values = bins.astype("float64").to_numpy()
    labels = np.where(values >= min_bin, "hot", np.where(values <= -min_bin, "cold", "not significant"))
    return pd.Series(labels, index=bins.index, dtype="string")


def csp_table(csp_year: pd.DataFrame, csp_window: pd.DataFrame, year: int,
              csp_previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """CSP comparison for the page from ``place.csp_breakdown`` results (year, window, previous year).

    Shares are percentages; the change in share is in percentage points; rates are per 1,000
    residents (over the whole window for the window columns); ranks are by rate, 1 = highest.
    With ``csp_previous`` the previous year's offences are shown too, so that the change in
    share can be withheld with either year's count.
    """
    start, end = csp_window.attrs.get("years", (year - 4, year))
    w = f"{start}–{end}"
    columns = {"CSP": csp_year.index.astype(str)}
    if csp_previous is not None:
        columns[f"Offences {year - 1}"] = csp_previous["crimes"].reindex(csp_year.index).astype("int64").to_numpy()
    columns.update({
        f"Offences {year}": csp_year["crimes"].astype("int64").to_numpy(),
        "Share (%)": (100 * csp_year["share"]).round(1).to_numpy(),
        f"Share change on {year - 1} (points)": (100 * csp_year["share_change"]).round(1).to_numpy(),
        f"Rate {year}": csp_year["rate_per_1000"].round(2).to_numpy(),
        f"Rank {year}": csp_year["rank_rate"].astype("Int64").to_numpy(),
        f"Offences {w}": csp_window["crimes"].reindex(csp_year.index).astype("int64").to_numpy(),
        f"Rate {w}": csp_window["rate_per_1000"].reindex(csp_year.index).round(2).to_numpy(),
        f"Rank {w}": csp_window["rank_rate"].reindex(csp_year.index).astype("Int64").to_numpy(),
    })
    return pd.DataFrame(columns)

# --------------------------------------------------------------------------- risk factors


def exclusions_alt_text(exclusions: pd.DataFrame) -> str:
    """Alt text for the exclusions chart (first and latest academic year of each measure)."""
    if exclusions.empty:
        return "No school exclusions data to show."
    first, last = exclusions.iloc[0], exclusions.iloc[-1]
    parts = [f"{m}: {first[m]:,} in {first['Academic year']}, {last[m]:,} in {last['Academic year']}"
             for m in ("Permanent exclusions", "Suspensions")]
    return "Two bar charts of school exclusions by academic year. " + "; ".join(parts) + "."


def series_label(name: str) -> str:
    """Readable label for a comparator series id.

    Examples
    --------
    >>> series_label("robbery_serious_wounding_per_1000")
    'Robbery serious wounding per 1,000'
    """
    text = name.replace("_", " ").replace("per 1000", "per 1,000")
    return text[:1].upper() + text[1:]


def top_risk_table(index: pd.DataFrame, geography: pd.DataFrame, area: str) -> pd.DataFrame:
    """Top-ranked LSOAs of ``risk_index.risk_index`` / ``risk_model.configured_index``: county-wide
    selection, or the CSP's own top share.

    Columns ``Neighbourhood, LSOA code, CSP, Score, Rank in county`` (plus ``Predicted offences
    next year`` when the fitted model chose them) sorted by rank.
    """
    flag = "top_county" if area == "county" else "top_csp"
    rows = index[index[flag].to_numpy(dtype=bool)]
    if area != "county":
        rows = rows[(rows["area"] == area).to_numpy(dtype=bool)]
    names = pd.Series(geography["lsoa_name"].astype(str).to_numpy(), index=geography["lsoa_code"].astype(str))
    out = pd.DataFrame({
        "Neighbourhood": names.reindex(rows.index.astype(str)).to_numpy(),
        "LSOA code": rows.index.astype(str),
        "CSP": rows["area"].astype(str).to_numpy(),
        "Score": [f"{v:.3f}" for v in rows["score"].astype(float).tolist()],
        "Rank in county": rows["rank"].to_numpy(),
    })
    if "predicted_sv" in rows:
        out.insert(4, "Predicted offences next year", [f"{v:.1f}" for v in rows["predicted_sv"].astype(float).tolist()])
    return out.sort_values(["Rank in county", "LSOA code"], kind="mergesort").reset_index(drop=True)


SELECTION_LABELS = {
    "risk_index": "Risk index (top-ranked neighbourhoods)",
    "model": "Fitted model (highest predicted serious violence)",
    "last_year_top_counts_model": "Naive baseline: same number of neighbourhoods with most offences last year",
    "last_year_hotspots": "Naive baseline: last year's hotspots",
    "last_year_top_counts": "Naive baseline: same number of neighbourhoods with most offences last year",
}


def validation_table(validation: pd.DataFrame) -> pd.DataFrame:
    """Page table of ``index_validation.validate_index`` for its latest analysis year."""
    if validation.empty:
        return pd.DataFrame({"Selection": pd.Series(dtype="string")})
    latest = validation[(validation["year"] == validation["year"].max()).to_numpy(dtype=bool)]
    year = int(latest["year"].iloc[0])
    return pd.DataFrame({
        "Selection": [SELECTION_LABELS.get(s, s) for s in latest["selection"]],
        f"Neighbourhoods selected ({year} data)": latest["lsoas"].astype("int64").to_numpy(),
        f"Share of {year + 1} offences captured (%)": (100 * latest["capture_rate"].astype(float)).round(1).to_numpy(),
        "Lift (capture ÷ area share)": latest["lift"].astype(float).round(2).to_numpy(),
    })


METHOD_LABELS = {"risk_index": "the risk index", "model": "the fitted model", "score": "the risk index score"}


def _with_interval(value: float, interval, scale: float = 1.0, digits: int = 1) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    low, high = interval
    text = f"{scale * value:.{digits}f}"
    if np.isfinite(low) and np.isfinite(high):
        text += f" ({scale * low:.{digits}f} to {scale * high:.{digits}f})"
    return text


def baseline_comparison_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Page table of ``index_validation.index_vs_baseline``: each method beside its same-size
    naive baseline, pooled over the years, with 95% intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> row = {"years": [2021, 2022], "lsoas": [55, 54], "capture": 0.243, "capture_interval": (0.2, 0.29),
    ...        "baseline_capture": 0.32, "baseline_capture_interval": (0.28, 0.36), "pai": 5.2,
    ...        "pai_interval": (4.1, 6.3), "baseline_pai": 6.9, "baseline_pai_interval": (6.0, 7.8),
    ...        "verdict": "loses", "area_basis": "land area",
    ...        "capture_by_year": {2021: 0.25, 2022: 0.236}, "baseline_capture_by_year": {2021: 0.31, 2022: 0.33}}
    >>> t = baseline_comparison_table(pd.DataFrame([row], index=pd.Index(["risk_index"], name="method")))
    >>> t.iloc[:, 2].tolist()
    ['24.3 (20.0 to 29.0)', '32.0 (28.0 to 36.0)']
    >>> t["Compared with the baseline"].tolist()
    ['worse', '']
    """
    rows = []
    for method, r in summary.iterrows():
        first, last = r["years"][0] + 1, r["years"][-1] + 1
        sizes = sorted(set(r["lsoas"]))
        size = f"{sizes[0]:,}" if len(sizes) == 1 else f"{sizes[0]:,}–{sizes[-1]:,}"
        for label, prefix in ((SELECTION_LABELS.get(method, method), ""),
                              ("Naive baseline: same number of neighbourhoods with most offences the year before",
                               "baseline_")):
            by_year = r.get(f"{prefix}capture_by_year") or {}
            rows.append({
                "Selection": label,
                "Neighbourhoods selected each year": size,
                f"Share of next year's offences captured, {first}–{last} (%, 95% interval)":
                    _with_interval(r[f"{prefix}capture"], r[f"{prefix}capture_interval"], 100),
                f"PAI (capture ÷ share of {r['area_basis']}, 95% interval)":
                    _with_interval(r[f"{prefix}pai"], r[f"{prefix}pai_interval"], 1, 2),
                "Capture by year (%)": ", ".join(f"{100 * v:.1f}" for _, v in sorted(by_year.items())),
                "Compared with the baseline": ({"wins": "better", "loses": "worse"}.get(r["verdict"], "no clear difference")
                                               if not prefix else ""),
            })
    return pd.DataFrame(rows)


def baseline_sentence(summary: pd.DataFrame, method: str = "risk_index") -> str:
    """One plain sentence: did ``method`` beat the same-size naive baseline?

    Examples
    --------
    >>> import pandas as pd
    >>> row = {"years": [2019, 2022], "capture": 0.243, "baseline_capture": 0.32, "verdict": "loses",
    ...        "capture_difference": -0.077, "capture_difference_interval": (-0.12, -0.03)}
    >>> baseline_sentence(pd.DataFrame([row], index=["risk_index"]))
    "Over 2020–2023, the risk index captured 24.3% of the next year's serious violence; simply taking the same number of neighbourhoods with the most serious violence the year before captured 32.0%. The risk index does worse than this naive baseline (difference −7.7 percentage points, 95% interval −12.0 to −3.0)."
    """
    r = summary.loc[method]
    name = METHOD_LABELS.get(method, method)
    low, high = (100 * v for v in r["capture_difference_interval"])
    diff = f"difference {_signed(100 * r['capture_difference'])} percentage points, 95% interval {_signed(low)} to {_signed(high)}"
    verdict = {"wins": f"{name[0].upper() + name[1:]} does better than this naive baseline ({diff}).",
               "loses": f"{name[0].upper() + name[1:]} does worse than this naive baseline ({diff}).",
               }.get(r["verdict"], f"There is no clear difference between {name} and this naive baseline ({diff}).")
    return (f"Over {r['years'][0] + 1}–{r['years'][-1] + 1}, {name} captured {100 * r['capture']:.1f}% of the next "
            f"year's serious violence; simply taking the same number of neighbourhoods with the most serious "
            f"violence the year before captured {100 * r['baseline_capture']:.1f}%. {verdict}")


def _signed(value: float) -> str:
    return f"{value:.1f}".replace("-", "−")


def tie_sentence(tie: dict) -> str:
    """What the tie rule did at the top-share cut-off (``risk_index.tie_summary``), for the page.

    Examples
    --------
    >>> tie_sentence({"n": 1100, "k": 55, "selected": 3, "above": 3, "tied": 60, "straddles": True,
    ...               "tie_rule": "at_most", "tie_groups": [(0.5, 60)]})
    '60 neighbourhoods share the score at the cut-off for the top 55 of 1,100, and only 3 score higher. The tie rule (at_most: never split a tied group) leaves the tied group out, so 3 neighbourhoods are selected rather than 55. Among the highest-ranked, 1 group of neighbourhoods shares a score (the largest has 60).'
    """
    rules = {"at_most": "at_most: never split a tied group", "include_ties": "include_ties: keep the whole tied group",
             "stable": "stable: break ties by neighbourhood code"}
    rule = rules.get(tie["tie_rule"], tie["tie_rule"])
    groups = tie.get("tie_groups") or []
    within = ""
    if groups:
        many = len(groups) > 1
        within = (f" Among the highest-ranked, {len(groups):,} group{'s' if many else ''} of neighbourhoods "
                  f"share{'' if many else 's'} a score (the largest has {max(size for _, size in groups):,}).")
    if tie["tied"] <= 1 or not tie["straddles"]:
        return (f"No tied group crosses the cut-off for the top {tie['k']:,} of {tie['n']:,} neighbourhoods: "
                f"{tie['selected']:,} are selected.{within}")
    effect = {"at_most": "leaves the tied group out", "include_ties": "takes the whole tied group",
              "stable": "takes part of the tied group, in code order"}.get(tie["tie_rule"], "resolves the tie")
    return (f"{tie['tied']:,} neighbourhoods share the score at the cut-off for the top {tie['k']:,} of "
            f"{tie['n']:,}, and only {tie['above']:,} score higher. The tie rule ({rule}) {effect}, so "
            f"{tie['selected']:,} neighbourhoods are selected rather than {tie['k']:,}.{within}")


def top_method_sentence(share: float, model: bool) -> str:
    """How the top share of neighbourhoods is chosen, in one sentence.

    Examples
    --------
    >>> top_method_sentence(0.05, False)
    'The top 5% of neighbourhoods are chosen by score (`risk_index.method: score`); they are mapped and listed below.'
    """
    how = ("the fitted model's predicted serious violence for next year (`risk_index.method: model`)" if model
           else "score (`risk_index.method: score`)")
    return f"The top {share:.0%} of neighbourhoods are chosen by {how}; they are mapped and listed below."


def tie_from_published(cells: pd.DataFrame, tie_rule: str) -> dict:
    """The :func:`sna_lib.index.risk_index.tie_summary` dict back from the published ``risk.ties``
    table of one area (numbers: rows ``cut`` and ``group:<i>``), for :func:`tie_sentence`.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [60, None], "k": [3, None], "selected": [2, None], "above": [2, None],
    ...                   "tied": [4, None], "straddles": [1, None], "score": [None, 0.5], "size": [None, 4]},
    ...                  index=["cut", "group:1"])
    >>> tie_from_published(t, "at_most")["tie_groups"]
    [(0.5, 4)]
    """
    cut = cells.loc["cut"]
    groups = [(float(cells.at[r, "score"]), int(cells.at[r, "size"])) for r in cells.index if str(r).startswith("group:")]
    out = {k: int(cut[k]) for k in ("n", "k", "selected", "above", "tied")}
    out.update({"straddles": bool(cut["straddles"]), "tie_groups": groups, "tie_rule": tie_rule})
    return out


def validation_summary(numbers: pd.DataFrame, labels: Mapping[str, Any]) -> pd.DataFrame:
    """The summary of ``index_validation.index_vs_baseline`` rebuilt from the published
    ``risk.validation`` table (numbers as published: percentages to 1 decimal, PAI to 2), for
    :func:`baseline_comparison_table` and :func:`comparison_notes`.

    ``labels`` is the table's text (``years``, ``methods``, ``area_basis``, ``verdict``).
    """
    years = [int(y) for y in labels["years"]]
    rows = []
    for method in labels["methods"]:
        m, b = numbers.loc[method], numbers.loc[f"{method}:baseline"]
        row = {"method": method, "years": years, "lsoas": [int(m["lsoas_min"]), int(m["lsoas_max"])],
               "area_basis": labels["area_basis"], "verdict": labels["verdict"][method],
               "capture_difference": m["difference_pts"] / 100,
               "capture_difference_interval": (m["difference_low"] / 100, m["difference_high"] / 100)}
        for prefix, r in (("", m), ("baseline_", b)):
            row[f"{prefix}capture"] = r["capture_pct"] / 100
            row[f"{prefix}capture_interval"] = (r["capture_low"] / 100, r["capture_high"] / 100)
            row[f"{prefix}pai"] = r["pai"]
            row[f"{prefix}pai_interval"] = (r["pai_low"], r["pai_high"])
            row[f"{prefix}capture_by_year"] = {t: r[f"capture_pct_{t}"] / 100 for t in years}
        rows.append(row)
    if not rows:  # no out-of-time check on these data (``labels["unavailable"]`` says why)
        return pd.DataFrame(columns=["method", "years", "capture"]).set_index("method")
    return pd.DataFrame(rows).set_index("method")


def comparison_notes(summary: pd.DataFrame, run, configured: str) -> dict:
    """Sentences for the index-vs-baseline section (``index_validation.index_vs_baseline``).

    Returns ``area_basis`` (what the PAI divides by), one verdict sentence per method
    (``risk_index``, ``model``; empty for a method not compared) and ``best`` (which method captured
    more, and which one the page's top share uses). With no comparison at all (``summary`` empty),
    ``risk_index`` is ``run.unavailable``, the reason.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> empty = pd.DataFrame(columns=["method", "capture"]).set_index("method")
    >>> notes = comparison_notes(empty, NS(area_basis="land area", unavailable="Too few years."), "score")
    >>> notes["risk_index"], notes["model"], notes["best"]
    ('Too few years.', '', '')
    """
    out = {"area_basis": ("the county's land area" if run.area_basis == "land area"
                          else "all neighbourhoods (no land areas in the geography)"),
           "risk_index": "" if len(summary) else str(getattr(run, "unavailable", "")), "model": ""}
    for method in summary.index:
        out[method] = baseline_sentence(summary, method)
    if len(summary) > 1:
        order = sorted(summary.index, key=lambda m: -float(summary.loc[m, "capture"]))
        best, other = order[0], order[1]
        out["best"] = (f"Of the two, {METHOD_LABELS.get(best, best)} captured more "
                       f"({100 * summary.loc[best, 'capture']:.1f}% against {100 * summary.loc[other, 'capture']:.1f}%); "
                       f"the top share on this page uses {METHOD_LABELS.get(configured, configured)}.")
    else:
        out["best"] = ""
    return out


def irr_table(result) -> pd.DataFrame:
    """Page table of a ``regression.NBResult``: one row per factor with IRR, 95% interval and p-value."""
    rows = result.table.drop(index="const", errors="ignore")
    ci = [("–" if not (np.isfinite(lo) and np.isfinite(hi)) else f"{lo:.2f} to {hi:.2f}")
          for lo, hi in zip(rows["irr_low"].tolist(), rows["irr_high"].tolist())]
    return pd.DataFrame({
        "Factor": [_sentence_case(result.labels.get(t, t)) for t in rows.index],
        "Incidence rate ratio": [f"{v:.2f}" if np.isfinite(v) and v < 1e6 else "–" for v in rows["irr"].tolist()],
        "95% interval": ci,
        "p-value": ["< 0.001" if p < 0.001 else f"{p:.3f}" for p in rows["p_value"].tolist()],
    })


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def left_out_sentence(left_out: dict) -> str:
    """Which configured factors the model left out, and why (``{label: [labels it duplicates]}``;
    an empty list means the factor did not vary that year).

    Examples
    --------
    >>> left_out_sentence({})
    ''
    >>> left_out_sentence({"class A supply": ["class A possession"], "unemployment": []})
    'Left out of the model: class A supply (in this year a linear combination of class A possession, so the model cannot separate them); unemployment (the same in every neighbourhood this year).'
    """
    if not left_out:
        return ""
    reasons = [f"{label} (in this year a linear combination of {', '.join(others)}, so the model cannot separate them)"
               if others else f"{label} (the same in every neighbourhood this year)"
               for label, others in left_out.items()]
    return "Left out of the model: " + "; ".join(reasons) + "."


def moran_sentence(result) -> str:
    """One sentence on residual spatial autocorrelation (Moran's I) of a fitted model.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> moran_sentence(NS(moran={"I": 0.21, "p_value": 0.003}, n=1100, excluded=2))
    "Moran's I of the model's residuals is 0.21 (p = 0.003): neighbouring areas have similar residuals, so the model misses some spatial pattern and its intervals are too narrow. The model used 1,100 neighbourhoods (2 left out for lack of population or data)."
    """
    tail = f" The model used {result.n:,} neighbourhoods ({result.excluded:,} left out for lack of population or data)."
    moran = result.moran
    if not moran:
        return "Residual spatial autocorrelation was not tested." + tail
    p = moran["p_value"]
    ptext = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if p < 0.05 and moran["I"] > 0:
        verdict = ("neighbouring areas have similar residuals, so the model misses some spatial pattern and its "
                   "intervals are too narrow.")
    elif p < 0.05:
        verdict = "residuals alternate between neighbouring areas more than chance would suggest."
    else:
        verdict = "there is no significant evidence (at the 5% level) that the residuals cluster in space."
    return f"Moran's I of the model's residuals is {moran['I']:.2f} ({ptext}): {verdict}" + tail


# --------------------------------------------------------------------------- community voices


def survey_themes(community_survey: pd.DataFrame, area: str, county: str | None = None) -> pd.DataFrame:
    """Responses raising each theme, by survey year, for a CSP (its rows) or the county (all rows).

    Returns ``Theme`` and one column per year, themes ordered by their latest-year count.
    """
    rows = community_survey
    if area != "county":
        rows = rows[(rows["area"].astype(str) == area).to_numpy(dtype=bool)]
    if rows.empty:
        return pd.DataFrame({"Theme": pd.Series(dtype="string")})
    table = rows.pivot_table(index="theme", columns="year", values="responses", aggfunc="sum", fill_value=0)
    table = table.sort_values(by=list(table.columns[::-1]), ascending=False, kind="mergesort")
    table.columns = [str(c) for c in table.columns]
    return table.rename_axis("Theme").reset_index().astype({c: "int64" for c in table.columns})


def survey_alt_text(chart: pd.DataFrame, year: str) -> str:
    """Alt text for the survey bar chart: every theme with its (published) count.

    Examples
    --------
    >>> survey_alt_text(pd.DataFrame({"Theme": ["Lighting", "Clubs"], "2023": pd.array([9, None], dtype="Int64")}), "2023")
    'Bar chart of responses raising each theme in 2023: Lighting 9; Clubs withheld.'
    """
    parts = [f"{t} {'withheld' if pd.isna(n) else f'{int(n):,}'}" for t, n in zip(chart["Theme"], chart[year])]
    return f"Bar chart of responses raising each theme in {year}: " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- area profile


