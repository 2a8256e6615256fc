"""Compute every published table for the county and every CSP in one pass, as declared cells.

:func:`publication_cells` reads a validated :class:`~sna_lib.dataset.Dataset` once: crimes get
their CSP (from ``geography``), calendar year, serious-violence flags (every configured
definition, classified once over all crimes) and offence group; person links get the CSP, year
and flags of their crime. Each table is then a ``groupby`` over CSP (plus the county over all
rows), never a loop that recomputes an area from raw data. Every number is declared on a
:class:`~sna_lib.publication.cells.CellBuilder` as a count, a value derived from counts, or
exempt with a reason, together with the relations an attacker could use:

* within a table: totals = sum of parts (records = people + repeat records; known age = under 25
  + 25 and over; unique suspects = in county + outside + unknown origin; serious violence = the
  sum of its offence groups);
* across tables: one logical count shown twice is declared ``same``;
* across areas: county = sum of CSPs for records and offences; county <= sum of CSPs for people
  (one person may be counted in several CSPs).

County-wide concepts stay county-wide in CSP rows: "involved in the previous five years" and
"linked to domestic abuse" look up a person's history anywhere in the county.

Tables (``table`` name → rows × columns), each for ``"county"`` and every CSP:

============================  ===============================================================
``sv.headline``               one row ``reporting_year``: ``all_crime``, ``sv``, ``sv_pct``,
                              ``harm_share_pct``, ``harm_ratio``
``sv.annual``                 calendar years × definition ids: offences
``sv.by_group``               offence groups × ``offences``, ``mean_harm``
``sv.harm``                   ``serious_violence``/``all_crime`` × ``offences``,
                              ``total_harm``, ``mean_harm``, ``share_offences_pct``,
                              ``share_harm_pct``
``sv.harm_impact``            ``offences``/``suspects``/``victims`` × ``number``, ``equivalent``
``context.crime``             context measures × ``volume``, ``volume_rounded``,
                              ``pct_of_crime``
``people.summary``            ``suspect``/``victim`` × ``records``, ``people``,
                              ``repeat_records``, ``repeat_records_pct``, ``repeat_people``,
                              ``previous_five_years``, ``previous_five_years_pct``
``people.age``                county only: single years of age × ``suspect``, ``victim`` (people)
``people.age_band``           age bands (:data:`AGE_BANDS`) × ``suspect``, ``victim``
``people.age_summary``        role × ``known_age``, ``under_25``, ``aged_25_plus``,
                              ``unknown_age``, ``under_25_pct``, ``aged_25_plus_pct``
``people.origins``            ``area:<name>`` / ``place:<in county|outside county|unknown|all>``
                              × ``suspects``
``measures.key``              ``<table>:<measure_id>`` × ``before``, ``after``, ``pct_change``,
                              ``p_value``
``place.profile``             calendar years with population × ``offences``, ``population``,
                              ``rate_per_1000``, ``rank`` (CSPs) and the window total
============================  ===============================================================

Text that goes with the numbers (period labels, measure names, notes) is not a number and is
returned separately, per table and area, in ``provenance["text"]``.

Examples
--------
>>> from sna_lib.data.dataset import load_dataset                      # doctest: +SKIP
>>> cells, relations, prov = publication_cells(load_dataset("demo"))  # doctest: +SKIP
>>> sorted(cells["table"].unique())[:2]                           # doctest: +SKIP
['context.crime', 'measures.key']
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.data.periods import data_period
from sna_lib.data.codes import categorical
from sna_lib.publication.cells import CellBuilder
from sna_lib.publication.open_compute import open_publication_cells  # data_level: open

__all__ = ["COUNTY", "Prepared", "prepare", "area_counts", "publication_cells", "data_period",
           "input_hashes", "run_publication", "STORE_DIR"]

#: Area label of the whole county in every table.
COUNTY = "county"
#: Folder (inside the validated data copy) holding the published store.
STORE_DIR = "published"
#: Age bands published below county level (label, first age, last age); 25 is a band edge.
AGE_BANDS = (("0-9", 0, 9), ("10-14", 10, 14), ("15-17", 15, 17), ("18-24", 18, 24), ("25-34", 25, 34),
             ("35-49", 35, 49), ("50+", 50, 200))
#: Look-back of "involved in the previous five years" and of domestic-abuse links.
LOOKBACK_YEARS = 5


# --------------------------------------------------------------------------- preparation


@dataclass
class Prepared:
    """Crimes and person links with their CSP, year and flags, computed once for all areas.

    Attributes
    ----------
    crimes : DataFrame
        ``crime_id, area, year, date, sv, harm, offence_group, domestic_abuse`` and one bool
        column ``def:<id>`` per configured definition (plus the key-measure definitions).
    links : DataFrame
        ``crime_id, person_id, role, age, origin_area, area, year, sv, domestic_abuse`` (one row
        per distinct crime, person and role) and the integer keys ``crime`` (row of ``crimes``)
        and ``person`` (one code per distinct ``person_id``).
    areas : list of str
        ``["county", *csps]``.
    """

    crimes: pd.DataFrame
    links: pd.DataFrame
    areas: list[str]
    csps: list[str]
    year: int
    primary: str
    definitions: dict[str, str]  # id -> name
    #: row of ``crimes`` of each row of ``dataset.persons`` (-1: no such crime), from the one hash join
    person_crime: np.ndarray | None = field(default=None, repr=False)


def prepare(dataset) -> Prepared:
    """Join every crime to its CSP and flags, every person link to its crime (one pass).

    String keys are matched once, with Arrow's hash join (:func:`positions_in`): each crime's
    LSOA to its row of ``geography`` and each person link's crime to its row of ``crimes``.
    The links also carry those integer keys (``crime``: row of :attr:`Prepared.crimes`;
    ``person``: a code per distinct ``person_id``), so later tables can select and count by
    integer instead of by string.

    Examples
    --------
    >>> from sna_lib.data.dataset import load_dataset          # doctest: +SKIP
    >>> p = prepare(load_dataset("demo"))                 # doctest: +SKIP
    >>> p.areas[0]                                        # doctest: +SKIP
    'county'
    """
    from sna_lib.data.definitions import load_definition, load_definitions, primary_definition
    from sna_lib.measures.classify import qualifying_mask
    from sna_lib.measures.context import offence_attribute
    from sna_lib.measures.cchi import weights_for_config
    from sna_lib.measures.harm import MissingHarmWeightWarning, crime_harm
    from sna_lib.measures.key_measures import MEASURES

    config = dataset.config
    crimes = dataset.crimes
    geography = dataset.geography
    at_lsoa = positions_in(crimes["lsoa_code"], geography["lsoa_code"])
    frame = pd.DataFrame({
        "crime_id": _text(crimes["crime_id"]),
        "area": categorical(geography["area"]).take(at_lsoa, allow_fill=True),
        "date": crimes["date"].to_numpy(),
        "year": crimes["date"].dt.year.to_numpy(dtype="int64"),
        "domestic_abuse": crimes["domestic_abuse"].fillna(False).to_numpy(dtype=bool),
    })
    definitions = load_definitions(config.definitions)
    primary = primary_definition(config)
    wanted = {d.id: d for d in definitions.values()}
    wanted.setdefault(primary.id, primary)
    wanted.setdefault("home_office", load_definition("home_office"))
    for _, d in MEASURES.values():
        if d is not None:
            wanted.setdefault(d, load_definition(d))
    for did, d in wanted.items():
        frame[f"def:{did}"] = qualifying_mask(crimes, d)
    frame["sv"] = frame[f"def:{primary.id}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingHarmWeightWarning)
        frame["harm"] = crime_harm(crimes, weights_for_config(config)[0]).to_numpy(dtype="float64")
    frame["offence_group"] = categorical(offence_attribute(crimes, "offence_group").astype("string")
                                          .fillna("unknown code"))
    frame["violence"] = offence_attribute(crimes, "violence_against_the_person").to_numpy(dtype=bool)
    frame["sexual"] = offence_attribute(crimes, "sexual").to_numpy(dtype=bool)
    persons = dataset.persons
    pos = person_crime = positions_in(persons["crime_id"], crimes["crime_id"])
    found = pos >= 0
    female_victim = ((persons["role"] == "victim") & (persons["sex"] == "F")).fillna(False).to_numpy(dtype=bool)
    of_female_victim = np.zeros(len(frame), dtype=bool)
    of_female_victim[pos[found & female_victim]] = True            # crimes with a female victim
    vawg_relevant = offence_attribute(crimes, "vawg_relevant").to_numpy(dtype=bool)
    frame["vawg"] = of_female_victim & (vawg_relevant | frame["domestic_abuse"].to_numpy())

    every = bool(found.all())                                   # then no copy of the person columns
    rows = np.arange(len(found)) if every else np.flatnonzero(found)
    pos = pos if every else pos[rows]

    def linked(column: str) -> pd.Series:                       # one person column, linked rows only
        values = persons[column]                                # (categorical columns stay categorical)
        values = values.reset_index(drop=True) if isinstance(values.dtype, pd.CategoricalDtype) else _text(values)
        return values if every else pd.Series(values.array.take(rows))

    origin = _origins(linked("origin_area")) if "origin_area" in persons else \
        categorical(pd.Series("Unknown", index=range(len(rows)), dtype="str"))
    person_id, role = linked("person_id"), linked("role")
    person = pd.factorize(person_id, use_na_sentinel=True)[0].astype("int64")
    role_code = pd.factorize(role, use_na_sentinel=True)[0].astype("int64")
    # one row per (crime, person, role): the crime's row, the role and the person as one integer key
    key = ((pos * (int(role_code.max(initial=0)) + 2) + role_code + 1) * (int(person.max(initial=0)) + 2)
           + person + 1)
    first = ~pd.Series(key).duplicated(keep="first").to_numpy()
    age = pd.to_numeric(persons["age"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    age = age if every else age[rows]
    links = pd.DataFrame({
        "crime_id": linked("crime_id").array,
        "person_id": person_id.array,
        "role": role.array,
        "age": age,
        "origin_area": origin,
        "area": frame["area"].array.take(pos),
        "year": frame["year"].to_numpy()[pos],
        "sv": frame["sv"].to_numpy()[pos],
        "domestic_abuse": frame["domestic_abuse"].to_numpy()[pos],
        "crime": pos,
        "person": person,
    }, copy=False)                                              # every column is a new array already
    if not first.all():
        links = links[first]
    names = {did: d.name for did, d in wanted.items()}
    return Prepared(frame, links.reset_index(drop=True), [COUNTY, *config.csps], list(config.csps),
                    int(config.reporting_year), primary.id, names, person_crime=person_crime)


def _origins(values: pd.Series) -> pd.Categorical:
    """Suspects' origin areas as :func:`~sna_lib.data.schemas.categorical`, stripped, missing and
    empty ones ``"Unknown"`` (the cleaning is done on the distinct names, not on every row).

    Examples
    --------
    >>> o = _origins(pd.Series(["b ", None, "", "a", "b"], dtype="category"))
    >>> o.tolist(), o.categories.tolist()
    (['b', 'Unknown', 'Unknown', 'a', 'b'], ['Unknown', 'a', 'b'])
    """
    cat = values.array if isinstance(values.dtype, pd.CategoricalDtype) else categorical(values)
    names = pd.Series(cat.categories, dtype="str").str.strip()
    names = names.mask(names == "", "Unknown")
    # code -1 (missing) picks the appended last name
    clean = categorical(pd.Series([*names.tolist(), "Unknown"], dtype="str"))
    codes = np.asarray(clean.codes)[np.asarray(cat.codes)]
    return pd.Categorical.from_codes(codes, categories=clean.categories).remove_unused_categories()


def _text(values) -> pd.Series:
    """``values`` as pandas' default string dtype (``str``, Arrow-backed, ``NaN`` = missing), index
    dropped; strings already of that dtype are not copied into Python objects."""
    values = pd.Series(values)
    out = values if values.dtype == "str" else values.astype("string").astype("str")
    return out.reset_index(drop=True)


def positions_in(values, lookup) -> np.ndarray:
    """Position of each of ``values`` in ``lookup`` (``-1`` where absent or missing), by Arrow's hash
    join on the strings (no Python string objects): ``lookup`` must hold distinct values.

    Examples
    --------
    >>> positions_in(pd.Series(["b", None, "z", "a"]), pd.Series(["a", "b"])).tolist()
    [1, -1, -1, 0]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pd.Series(values)
    if isinstance(values.dtype, pd.CategoricalDtype):           # look up the distinct values only
        at = positions_in(pd.Series(values.cat.categories), lookup)
        codes = np.asarray(values.cat.codes, dtype="int64")
        return np.where(codes >= 0, at[codes], -1).astype("int64")
    left = pa.array(_text(values).array)
    right = pa.array(_text(lookup).array)
    # distinct non-missing values (pc.unique is about twice as fast as pc.count_distinct; it
    # keeps one null among its values when there are any)
    if len(pc.unique(right)) - (1 if right.null_count else 0) != len(right) - right.null_count:
        raise ValueError("positions_in: the look-up values are not distinct")
    found = pc.index_in(left, value_set=right)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype="int64")


def area_counts(frame: pd.DataFrame, by: Sequence[str], areas: Sequence[str], *,
                levels: Mapping[str, Sequence[Any]] | None = None, unique: str | None = None) -> pd.Series:
    """Counts (rows, or distinct ``unique`` values) by area and ``by``, county + every CSP, zeros kept.

    The CSP counts are one ``groupby`` over ``frame["area"]``; the county is the same grouping
    without the area (so a person in two CSPs is one person in the county).

    Parameters
    ----------
    frame : DataFrame
        With an ``area`` column (CSP name; missing = outside every CSP, counted in the county).
    by : sequence of str
        Further grouping columns.
    areas : sequence of str
        ``"county"`` and the CSPs (the order of the result).
    levels : mapping, optional
        Every value of each ``by`` column to report (absent combinations are 0).
    unique : str, optional
        Count distinct values of this column instead of rows.

    Returns
    -------
    Series
        Indexed by ``(area, *by)``.

    Examples
    --------
    >>> f = pd.DataFrame({"area": ["N", "N", "S"], "person_id": ["a", "b", "a"], "role": "s"})
    >>> area_counts(f, ["role"], ["county", "N", "S"], unique="person_id").tolist()
    [2, 2, 1]
    >>> area_counts(f, [], ["county", "N", "S", "W"]).tolist()
    [3, 2, 1, 0]
    """
    by = list(by)
    keys = ["area", *by]
    if unique is None:
        csp = frame.groupby(keys, observed=True, sort=False, dropna=True).size()
        county = frame.groupby(by, observed=True, sort=False).size() if by else pd.Series([len(frame)])
    else:
        csp = frame.groupby(keys, observed=True, sort=False, dropna=True)[unique].nunique()
        county = (frame.groupby(by, observed=True, sort=False)[unique].nunique() if by
                  else pd.Series([frame[unique].nunique()]))
    if by:
        county.index = pd.MultiIndex.from_tuples([(COUNTY, *(k if isinstance(k, tuple) else (k,)))
                                                  for k in county.index], names=keys)
    else:
        county.index = pd.Index([COUNTY], name="area")
    both = pd.concat([county, csp])
    level_values = [list(areas)] + [list(levels[c]) if levels and c in levels
                                    else sorted(frame[c].dropna().unique().tolist()) for c in by]
    full = pd.MultiIndex.from_product(level_values, names=keys) if by else pd.Index(list(areas), name="area")
    return both.reindex(full, fill_value=0).astype("int64")


def series_dict(series: pd.Series) -> dict:
    """A Series (unique labels) as a ``{label: value}`` dict of Python scalars, for look-ups in
    loops over LSOAs (``Series.get`` costs a pandas call each time).

    Examples
    --------
    >>> series_dict(pd.Series([3, 1], index=["E01", "E02"]))
    {'E01': 3, 'E02': 1}
    """
    return dict(zip(series.index.tolist(), series.tolist()))


def member(codes: np.ndarray, of: np.ndarray) -> np.ndarray:
    """``codes ∈ of`` for integer codes ``>= -1`` (e.g. the links' ``person``), by a look-up table.

    Examples
    --------
    >>> member(np.array([3, 0, 7, 3]), np.array([3, 5])).tolist()
    [True, False, False, True]
    """
    codes, of = np.asarray(codes, dtype="int64"), np.asarray(of, dtype="int64")
    table = np.zeros(int(max(codes.max(initial=-1), of.max(initial=-1))) + 2, dtype=bool)
    table[of + 1] = True
    return table[codes + 1]


def _ratio(a: float, b: float, scale: float = 100.0) -> float:
    return scale * a / b if b else math.nan


# --------------------------------------------------------------------------- cross-area relations


def _across_areas(b: CellBuilder, ids: Mapping[str, str], values: Mapping[str, float], sense: str,
                  csps: Sequence[str]) -> None:
    """County total (=, <=) sum of the CSPs for one logical count, when every value is known."""
    if COUNTY not in ids or any(c not in ids for c in csps) or not csps:
        return
    if any(math.isnan(values[a]) for a in [COUNTY, *csps]):
        return
    parts = [ids[c] for c in csps]
    total = values[COUNTY]
    s = sum(values[c] for c in csps)
    if sense == "=" and total != s:  # crimes outside every CSP: the county holds more
        sense = ">="
    if sense == "=":
        b.additive(total=ids[COUNTY], parts=parts)
    elif sense == "<=":
        b.at_most(total=ids[COUNTY], parts=parts)
    else:
        b.at_least(total=ids[COUNTY], parts=parts)


class _Table:
    """Cells of one table for every area, with helpers to relate them."""

    def __init__(self, b: CellBuilder, name: str, prep: Prepared):
        self.b, self.name, self.prep = b, name, prep
        self.ids: dict[tuple[str, str, str], str] = {}
        self.values: dict[tuple[str, str, str], float] = {}

    def count(self, area: str, row: Any, column: str, value: Any) -> str:
        v = math.nan if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)
        cid = self.b.count(table=self.name, area=area, row=row, column=column, value=v)
        self.ids[(area, str(row), column)] = cid
        self.values[(area, str(row), column)] = float(v)
        return cid

    def derived(self, area: str, row: Any, column: str, value: Any, of: Sequence[str], **kw: Any) -> str:
        v = math.nan if value is None else float(value)
        cid = self.b.derived(table=self.name, area=area, row=row, column=column, value=v, of=of, **kw)
        self.ids[(area, str(row), column)] = cid
        return cid

    def exempt(self, area: str, row: Any, column: str, value: Any, reason: str, **kw: Any) -> str:
        v = math.nan if value is None else float(value)
        cid = self.b.exempt(table=self.name, area=area, row=row, column=column, value=v, reason=reason, **kw)
        self.ids[(area, str(row), column)] = cid
        return cid

    def id(self, area: str, row: Any, column: str) -> str:
        return self.ids[(area, str(row), column)]

    def across(self, rows: Iterable[Any], columns: Iterable[str], sense: str = "=") -> None:
        for row in rows:
            for column in columns:
                key = {a: (a, str(row), column) for a in self.prep.areas}
                if all(k in self.ids for k in key.values()):
                    _across_areas(self.b, {a: self.ids[k] for a, k in key.items()},
                                  {a: self.values[k] for a, k in key.items()}, sense, self.prep.csps)

    def within(self, area: str, total: tuple[Any, str], parts: Iterable[tuple[Any, str]]) -> None:
        keys = [(area, str(r), c) for r, c in [total, *parts]]
        if any(math.isnan(self.values[k]) for k in keys):
            return
        self.b.additive(total=self.ids[keys[0]], parts=[self.ids[k] for k in keys[1:]])


# --------------------------------------------------------------------------- tables


def _sv_tables(b: CellBuilder, prep: Prepared, text: dict) -> dict[str, _Table]:
    crimes = prep.crimes
    year = prep.year
    areas = prep.areas
    # ---- annual counts per definition (every year of data), the backbone of SV counts
    years = sorted(int(y) for y in crimes["year"].unique())
    annual = _Table(b, "sv.annual", prep)
    def_cols = [c for c in crimes.columns if c.startswith("def:")]
    long = crimes[["area", "year", *def_cols]]
    sums_csp = long.groupby(["area", "year"], observed=True)[def_cols].sum()
    sums_county = long.groupby("year")[def_cols].sum()
    for area in areas:
        table = sums_county if area == COUNTY else (sums_csp.xs(area, level="area") if area in
                                                    sums_csp.index.get_level_values("area") else None)
        for y in years:
            for col in def_cols:
                v = 0 if table is None or y not in table.index else int(table.loc[y, col])
                annual.count(area, y, col.removeprefix("def:"), v)
    annual.across(years, [c.removeprefix("def:") for c in def_cols])
    text["sv.annual"] = {"columns": dict(prep.definitions), "primary": prep.primary}

    in_year = crimes[(crimes["year"] == year).to_numpy()]
    sv_year = in_year[in_year["sv"].to_numpy(dtype=bool)]
    all_n = area_counts(in_year, [], areas)
    harm_all = in_year.groupby("area", observed=True)["harm"].sum()
    harm_sv = sv_year.groupby("area", observed=True)["harm"].sum()
    harm_all[COUNTY], harm_sv[COUNTY] = in_year["harm"].sum(), sv_year["harm"].sum()

    # ---- headline and harm
    head = _Table(b, "sv.headline", prep)
    harm = _Table(b, "sv.harm", prep)
    ratios = {}
    for area in areas:
        n_all = int(all_n[area])
        n_sv = int(annual.values[(area, str(year), prep.primary)])
        h_all, h_sv = float(harm_all.get(area, 0.0)), float(harm_sv.get(area, 0.0))
        c_all = head.count(area, "reporting_year", "all_crime", n_all)
        c_sv = b.count(table="sv.headline", area=area, row="reporting_year", column="sv", value=n_sv)
        head.ids[(area, "reporting_year", "sv")] = c_sv
        head.values[(area, "reporting_year", "sv")] = float(n_sv)
        b.same(c_sv, annual.id(area, year, prep.primary))
        mean_sv = h_sv / n_sv if n_sv else math.nan
        mean_all = h_all / n_all if n_all else math.nan
        ratio = mean_sv / mean_all if (n_sv and n_all and mean_all) else math.nan
        ratios[area] = ratio
        head.derived(area, "reporting_year", "sv_pct", _ratio(n_sv, n_all), [c_sv, c_all], op="ratio", scale=100)
        head.derived(area, "reporting_year", "harm_share_pct", _ratio(h_sv, h_all), [c_sv, c_all])
        head.derived(area, "reporting_year", "harm_ratio", ratio, [c_sv, c_all], decimals=1)
        for row, n, h, cid in (("serious_violence", n_sv, h_sv, c_sv), ("all_crime", n_all, h_all, c_all)):
            own = harm.count(area, row, "offences", n)
            b.same(own, cid)
            harm.derived(area, row, "total_harm", h, [own], decimals=0)
            harm.derived(area, row, "mean_harm", h / n if n else math.nan, [own], decimals=1)
            harm.derived(area, row, "share_offences_pct", _ratio(n, n_all), [own, c_all], op="ratio", scale=100)
            harm.derived(area, row, "share_harm_pct", _ratio(h, h_all), [own, c_all])
    head.across(["reporting_year"], ["all_crime", "sv"])

    # ---- SV by offence group (fixed rows: every group seen in the county's year)
    groups = sorted(sv_year["offence_group"].dropna().unique().tolist())
    by_group = _Table(b, "sv.by_group", prep)
    gn = area_counts(sv_year, ["offence_group"], areas, levels={"offence_group": groups})
    gh = sv_year.groupby(["area", "offence_group"], observed=True)["harm"].sum()
    gh_county = sv_year.groupby("offence_group", observed=True)["harm"].sum()
    for area in areas:
        for g in groups:
            n = int(gn[(area, g)])
            h = float(gh_county.get(g, 0.0) if area == COUNTY else gh.get((area, g), 0.0))
            cid = by_group.count(area, g, "offences", n)
            by_group.derived(area, g, "mean_harm", h / n if n else math.nan, [cid], decimals=1)
        if groups:
            b.additive(total=head.id(area, "reporting_year", "sv"), parts=[by_group.id(area, g, "offences")
                                                                          for g in groups])
    by_group.across(groups, ["offences"])

    # ---- context: volumes and shares of all crime (reporting year)
    ctx = _Table(b, "context.crime", prep)
    measures = [("All crime", None), ("All violence", "violence"), ("All serious violence", "def:home_office"),
                ("Serious violence (partnership)", f"def:{prep.primary}")]
    measures += [(f"Definition {d}", f"def:{d}") for d in prep.definitions if d not in ("home_office", prep.primary)
                 and f"def:{d}" in crimes.columns and d in _configured(prep)]
    measures += [("Domestic Abuse", "domestic_abuse"), ("Sexual Offences", "sexual"),
                 ("Violence Against Women and Girls", "vawg")]
    flag_cols = [c for _, c in measures if c is not None]
    sums = in_year.groupby("area", observed=True)[flag_cols].sum()
    county_sums = in_year[flag_cols].sum()
    from sna_lib.measures.context import round_to

    for area in areas:
        c_all = head.id(area, "reporting_year", "all_crime")
        n_all = int(all_n[area])
        for label, col in measures:
            if col is None:
                n, own = n_all, ctx.count(area, label, "volume", n_all)
                b.same(own, c_all)
            else:
                n = int(county_sums[col] if area == COUNTY else (sums.loc[area, col] if area in sums.index else 0))
                own = ctx.count(area, label, "volume", n)
                if col.startswith("def:"):
                    b.same(own, annual.id(area, year, col.removeprefix("def:")))
            ctx.derived(area, label, "volume_rounded", round_to(n, 100), [own], decimals=0)
            ctx.derived(area, label, "pct_of_crime", _ratio(n, n_all), [own, c_all], op="ratio", scale=100)
    ctx.across([m for m, _ in measures], ["volume"])
    text["sv.headline"] = {"harm_ratio": ratios and "mean harm of an SV offence ÷ mean harm of all crime"}
    return {"annual": annual, "headline": head, "harm": harm, "by_group": by_group, "context": ctx}


def _configured(prep: Prepared) -> set[str]:
    return set(prep.definitions)


def _people_tables(b: CellBuilder, prep: Prepared, sv: Mapping[str, _Table], dataset) -> None:
    links, year, areas = prep.links, prep.year, prep.areas
    roles = ["suspect", "victim"]
    now = links[(links["sv"] & (links["year"] == year)).to_numpy(dtype=bool)]
    # records (links), unique people, people with two or more crimes — by area and role
    records = area_counts(now, ["role"], areas, levels={"role": roles})
    people = area_counts(now, ["role"], areas, levels={"role": roles}, unique="person_id")
    per = now.groupby(["area", "role", "person_id"], observed=True).size()
    rep_csp = (per >= 2).groupby(level=["area", "role"]).sum()
    rep_county = (now.groupby(["role", "person_id"], observed=True).size() >= 2).groupby(level="role").sum()
    # county-wide look-back: people of this year seen in the same role in SV anywhere in the county
    lookback = int(getattr(dataset.config.people, "previous_years", LOOKBACK_YEARS))  # config.people
    past = links[(links["sv"] & (links["year"] >= year - lookback) & (links["year"] < year)).to_numpy()]
    flag = np.zeros(len(now), dtype=bool)                       # (role, person) seen in the look-back
    for role in roles:
        in_role = (now["role"] == role).to_numpy(dtype=bool)
        flag[in_role] = member(now["person"].to_numpy()[in_role],
                               past.loc[(past["role"] == role).to_numpy(dtype=bool), "person"].to_numpy())
    previous = area_counts(now[flag], ["role"], areas, levels={"role": roles}, unique="person_id")

    summary = _Table(b, "people.summary", prep)
    for area in areas:
        for role in roles:
            rec, ppl = int(records[(area, role)]), int(people[(area, role)])
            rp = int(rep_county.get(role, 0) if area == COUNTY else rep_csp.get((area, role), 0))
            c_rec = summary.count(area, role, "records", rec)
            c_ppl = summary.count(area, role, "people", ppl)
            c_rr = summary.count(area, role, "repeat_records", rec - ppl)
            summary.within(area, (role, "records"), [(role, "people"), (role, "repeat_records")])
            summary.derived(area, role, "repeat_records_pct", _ratio(rec - ppl, rec), [c_rr, c_rec], op="ratio",
                            scale=100)
            summary.count(area, role, "repeat_people", rp)
            c_prev = summary.count(area, role, "previous_five_years", int(previous[(area, role)]))
            summary.derived(area, role, "previous_five_years_pct", _ratio(int(previous[(area, role)]), ppl),
                            [c_prev, c_ppl], op="ratio", scale=100)
    summary.across(roles, ["records"], "=")
    summary.across(roles, ["people", "previous_five_years"], "<=")  # repeat people: no relation (a person
    # with one crime in each of two CSPs repeats in the county only)

    # ---- age: each person once per area and role, at the youngest age recorded there
    def youngest(keys: list[str]) -> pd.DataFrame:
        return now.groupby([*keys, "role", "person_id"], observed=True)["age"].min().reset_index()

    y_csp, y_county = youngest(["area"]), youngest([])
    y_county["area"] = COUNTY
    ages_all = pd.concat([y_county, y_csp], ignore_index=True)
    known = ages_all.dropna(subset=["age"]).astype({"age": "int64"})
    span = range(int(known["age"].min()), int(known["age"].max()) + 1) if len(known) else range(0)
    counts = series_dict(known.groupby(["area", "role", "age"], observed=True).size())  # looked up per age
    unknown = ages_all[ages_all["age"].isna()].groupby(["area", "role"], observed=True).size()
    age = _Table(b, "people.age", prep)
    band = _Table(b, "people.age_band", prep)
    summ = _Table(b, "people.age_summary", prep)
    for area in areas:
        for role in roles:
            # single years for the county; below county, bands (single-year CSP counts are mostly
            # 0-7 and would all be withheld)
            ids = ({a: age.count(area, a, role, int(counts.get((area, role, a), 0))) for a in span}
                   if area == COUNTY else {})
            for label, lo, hi in AGE_BANDS:
                n = sum(int(counts.get((area, role, a), 0)) for a in span if lo <= a <= hi)
                cid = band.count(area, label, role, n)
                singles = [ids[a] for a in span if lo <= a <= hi and a in ids]
                if singles:
                    b.additive(total=cid, parts=singles)
            b.additive(total=summ.ids.get((area, role, "known_age")) or summ.count(
                area, role, "known_age", sum(int(counts.get((area, role, a), 0)) for a in span)),
                parts=[band.id(area, label, role) for label, _, _ in AGE_BANDS])
            n_known = sum(int(counts.get((area, role, a), 0)) for a in span)
            n_under = sum(int(counts.get((area, role, a), 0)) for a in span if a < 25)
            c_known = summ.id(area, role, "known_age")
            c_under = summ.count(area, role, "under_25", n_under)
            c_over = summ.count(area, role, "aged_25_plus", n_known - n_under)
            summ.count(area, role, "unknown_age", int(unknown.get((area, role), 0)))
            summ.within(area, (role, "known_age"), [(role, "under_25"), (role, "aged_25_plus")])
            b.additive(total=c_under, parts=[band.id(area, label, role) for label, _, hi in AGE_BANDS if hi < 25])
            b.additive(total=c_over, parts=[band.id(area, label, role) for label, lo, _ in AGE_BANDS if lo >= 25])
            b.additive(total=summary.id(area, role, "people"),
                       parts=[c_known, summ.id(area, role, "unknown_age")])
            summ.derived(area, role, "under_25_pct", _ratio(n_under, n_known), [c_under, c_known], op="ratio",
                         scale=100)
            summ.derived(area, role, "aged_25_plus_pct", _ratio(n_known - n_under, n_known), [c_over, c_known],
                         op="ratio", scale=100)
    band.across([label for label, _, _ in AGE_BANDS], roles, "<=")
    summ.across(roles, ["known_age", "under_25", "aged_25_plus", "unknown_age"], "<=")

    # ---- origins: each suspect once per area, under the origin recorded most often there
    sus = now[(now["role"] == "suspect").to_numpy()]

    def modal(keys: list[str]) -> pd.DataFrame:
        per = sus.groupby([*keys, "person_id", "origin_area"], observed=True).size().rename("n").reset_index()
        per = per.sort_values([*keys, "person_id", "n", "origin_area"], ascending=[True] * len(keys) +
                              [True, False, True], kind="mergesort")
        return per.drop_duplicates([*keys, "person_id"], keep="first")

    o_csp, o_county = modal(["area"]), modal([])
    o_county["area"] = COUNTY
    origins_all = pd.concat([o_county, o_csp], ignore_index=True)
    csp_set = set(prep.csps)
    place = np.where(origins_all["origin_area"].isin(csp_set), "in county",
                     np.where(origins_all["origin_area"].str.lower() == "unknown", "unknown", "outside county"))
    origins_all["place"] = place
    by_origin = origins_all.groupby(["area", "origin_area"], observed=True).size()
    names = sorted(set(origins_all["origin_area"].tolist()))
    place_of = dict(zip(origins_all["origin_area"], origins_all["place"]))
    org = _Table(b, "people.origins", prep)
    for area in areas:
        parts: dict[str, list[str]] = {"in county": [], "outside county": [], "unknown": []}
        totals = {k: 0 for k in parts}
        for name in names:
            n = int(by_origin.get((area, name), 0))
            parts[place_of[name]].append(org.count(area, f"area:{name}", "suspects", n))
            totals[place_of[name]] += n
        for p_name, ids in parts.items():
            cid = org.count(area, f"place:{p_name}", "suspects", totals[p_name])
            if ids:
                b.additive(total=cid, parts=ids)
        c_all = org.count(area, "place:all", "suspects", sum(totals.values()))
        b.additive(total=c_all, parts=[org.id(area, f"place:{p}", "suspects") for p in parts])
        b.same(c_all, summary.id(area, "suspect", "people"))
        known_n = totals["in county"] + totals["outside county"]
        c_known = org.count(area, "place:known", "suspects", known_n)
        org.within(area, ("place:known", "suspects"), [("place:in county", "suspects"),
                                                       ("place:outside county", "suspects")])
        org.derived(area, "place:outside county", "pct_of_known", _ratio(totals["outside county"], known_n),
                    [org.id(area, "place:outside county", "suspects"), c_known], op="ratio", scale=100)
    org.across(["place:all", "place:known"] + [f"area:{n}" for n in names] +
               [f"place:{p}" for p in ("in county", "outside county", "unknown")], ["suspects"], "<=")


    # ---- harm impact: SV offences, their different suspects and victims, harm-weighted
    from sna_lib.measures.harm import harm_equivalent

    impact = _Table(b, "sv.harm_impact", prep)
    head = sv["headline"]
    for area in areas:
        ratio = b._cells[head.id(area, "reporting_year", "harm_ratio")]["value"]
        for row, src in (("offences", head.id(area, "reporting_year", "sv")),
                         ("suspects", summary.id(area, "suspect", "people")),
                         ("victims", summary.id(area, "victim", "people"))):
            n = int(b._cells[src]["value"])
            own = impact.count(area, row, "number", n)
            b.same(own, src)
            eq = harm_equivalent(n, ratio) if not math.isnan(ratio) else None
            impact.derived(area, row, "equivalent", eq, [own, head.id(area, "reporting_year", "sv"),
                                                         head.id(area, "reporting_year", "all_crime")], decimals=0)


def _key_measures(b: CellBuilder, prep: Prepared, dataset, text: dict) -> None:
    """Tables A–E for every area: the measure rows of :func:`sna_lib.measures.key_measures`,
    computed on each CSP's crimes (``groupby`` over CSP) and on all crimes for the county."""
    from sna_lib.measures.key_measures import MEASURES, key_measures
    from sna_lib.publication.tables.key_measures import add_key_measure_extras, area_populations

    config = dataset.config
    # the measures count only crimes meeting one of their definitions (row by row), so the
    # others are left out before grouping by area: the same counts from a small frame
    relevant = np.zeros(len(prep.crimes), dtype=bool)
    for _, d in MEASURES.values():
        if d is not None:
            relevant |= prep.crimes[f"def:{d}"].to_numpy(dtype=bool)
    crimes = dataset.crimes[relevant]
    area_of = prep.crimes["area"].to_numpy()[relevant]

    pops = area_populations(dataset, prep.areas)  # tests compare rates where the population changed
    km: dict[str, pd.DataFrame] = {COUNTY: key_measures(crimes, dataset.hospital_admissions, config,
                                                        population_by_year=pops[COUNTY])}
    for area, rows in crimes.groupby(pd.Series(area_of, index=crimes.index), observed=True, sort=True):
        km[str(area)] = key_measures(rows, None, config, population_by_year=pops.get(str(area)))
    empty = crimes.iloc[0:0]
    t = _Table(b, "measures.key", prep)
    text["measures.key"] = {}
    for area in prep.areas:
        frame = km.get(area)
        if frame is None:
            frame = key_measures(empty, None, config, population_by_year=pops.get(area))
        labels = {}
        for _, r in frame.iterrows():
            row = f"{r['table']}:{r['measure_id']}"
            before = None if pd.isna(r["before"]) else int(r["before"])
            after = None if pd.isna(r["after"]) else int(r["after"])
            cb = t.count(area, row, "before", before)
            ca = t.count(area, row, "after", after)
            pct = None if pd.isna(r["pct_change_exact"]) else float(r["pct_change_exact"])
            t.derived(area, row, "pct_change", pct, [cb, ca], op="pct_change", decimals=0)
            t.derived(area, row, "p_value", None if pd.isna(r["p_value"]) else float(r["p_value"]), [cb, ca],
                      decimals=3)
            labels[row] = {"measure": str(r["measure"]), "before_period": str(r["before_period"]),
                           "after_period": str(r["after_period"]), "note": "" if pd.isna(r["note"]) else str(r["note"])}
        text["measures.key"][area] = labels
        add_key_measure_extras(t, area, frame, text)
    rows = [f"{r['table']}:{r['measure_id']}" for _, r in km[COUNTY].iterrows() if r["measure_id"] != "u25_hospital"]
    t.across(rows, ["before", "after"])


def _place_profile(b: CellBuilder, prep: Prepared, dataset, annual: _Table) -> None:
    """Serious violence per 1,000 residents by year for every CSP and the county, with ranks."""
    from sna_lib.index.factors import lsoa_population

    config = dataset.config
    pop_years = sorted(int(y) for y in dataset.population["year"].unique())
    lsoa_area = dataset.lsoa_area().astype(str)
    t = _Table(b, "place.profile", prep)
    years = [y for y in range(int(config.first_year), int(config.reporting_year) + 1) if y in pop_years]
    for y in years:
        pop = lsoa_population(dataset.population, y)
        by_csp = pop.groupby(lsoa_area.reindex(pop.index.astype(str)).to_numpy()).sum()
        pops = {COUNTY: float(pop.sum()), **{c: float(by_csp.get(c, 0.0)) for c in prep.csps}}
        counts = {a: annual.values.get((a, str(y), prep.primary), 0.0) for a in prep.areas}
        rates = {a: _ratio(counts[a], pops[a], 1000) for a in prep.areas}
        order = pd.Series({c: rates[c] for c in prep.csps}).rank(ascending=False, method="min")
        for area in prep.areas:
            c = t.count(area, y, "offences", counts[area])
            b.same(c, annual.id(area, y, prep.primary))
            p = t.exempt(area, y, "population", round(pops[area]), reason="resident population (ONS estimate)",
                         decimals=0)
            t.derived(area, y, "rate_per_1000", rates[area], [c, p], op="ratio", scale=1000, decimals=2)
            if area != COUNTY:
                t.derived(area, y, "rank", float(order[area]), [c], decimals=0)
    t.across(years, ["offences"])
    _lsoa_rates(b, prep, dataset, annual, t)


def _lsoa_rates(b: CellBuilder, prep: Prepared, dataset, annual: _Table, profile: _Table) -> None:
    """Serious violence per 1,000 residents a year by LSOA over the persistence window (maps).

    The window is :func:`~sna_lib.index.persistence.window_years`: the configured years
    (``persistence.window``, 5) ending at the reporting year, none before the records start, so a
    rate a year divides by the years analysed. Cells are published under the LSOA's CSP (so small
    counts are suppressed) with the CSP's window total = the sum of its LSOAs = the sum of its
    yearly counts; the county window total is the sum of the CSPs'.
    """
    from sna_lib.index.factors import population_in
    from sna_lib.index.hotspots import index_settings
    from sna_lib.index.persistence import window_years

    year = prep.year
    crimes = prep.crimes
    years = window_years(year, index_settings(dataset.config)["persistence"]["window"],
                         getattr(dataset.config, "first_year", None) or None)
    window = len(years)
    selected = (crimes["sv"] & (crimes["year"] >= years[0]) & (crimes["year"] <= year)).to_numpy()
    in_window = crimes[selected]
    lsoa_of = dataset.crimes["lsoa_code"].astype("string")
    codes = lsoa_of[crimes.index[selected]]
    counts = series_dict(codes.value_counts())            # per-LSOA look-ups: plain dicts
    pop = series_dict(population_in(dataset.population, year))
    geo = dataset.geography
    label = f"window:{years[0]}-{years[-1]}"
    t = _Table(b, "place.lsoa_rate", prep)
    windows = {}
    for area in prep.csps:
        lsoas = sorted(geo.loc[(geo["area"] == area).to_numpy(dtype=bool), "lsoa_code"].astype(str).tolist())
        ids = []
        for code in lsoas:
            n = int(counts.get(code, 0))
            c = t.count(area, code, "offences", n)
            ids.append(c)
            p = t.exempt(area, code, "population", int(pop.get(code, 0)), reason="resident population (ONS estimate)",
                         decimals=0)
            t.derived(area, code, "rate_per_1000", _ratio(n, float(pop.get(code, 0)), 1000 / window) if
                      pop.get(code, 0) else math.nan, [c, p], op="ratio", scale=1000 / window, decimals=2)
        total = sum(int(counts.get(code, 0)) for code in lsoas)
        windows[area] = profile.count(area, label, "offences", total)
        if ids:
            b.additive(total=windows[area], parts=ids)
        yearly = [annual.id(area, y, prep.primary) for y in years if (area, str(y), prep.primary) in annual.ids]
        if len(yearly) == window:
            b.additive(total=windows[area], parts=yearly)
    county_total = sum(profile.values[(a, label, "offences")] for a in prep.csps)
    if len(in_window) == county_total:
        windows[COUNTY] = profile.count(COUNTY, label, "offences", county_total)
        profile.across([label], ["offences"])


def _comparators(b: CellBuilder, prep: Prepared, dataset) -> None:
    """External comparator series as supplied (other areas' published statistics): exempt cells of
    the county's ``comparators`` table, rows ``<series>|<area>|<year>``, column ``value``."""
    comp = dataset.comparators
    for series, area, year, value in zip(comp["series"].astype(str), comp["area"].astype(str),
                                         comp["year"].astype("int64"), comp["value"].astype("float64")):
        b.exempt(table="comparators", area=COUNTY, row=f"{series}|{area}|{int(year)}", column="value",
                 value=float(value), reason="comparator series as supplied (published elsewhere)")


# --------------------------------------------------------------------------- provenance


def input_hashes(data_dir: Path | str) -> dict[str, str]:
    """sha256 of every file in ``data_dir`` (relative POSIX path → hex digest)."""
    root = Path(data_dir)
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def publication_cells(dataset, *, inputs: Mapping[str, str] | None = None, code: str | None = None,
                      git: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Every published number for the county and every CSP: ``(cells, relations, provenance)``.

    Parameters
    ----------
    dataset : Dataset
        Validated (:func:`sna_lib.dataset.load_dataset`).
    inputs : mapping, optional
        Input file → sha256 (the pipeline passes its hashes); recorded in the provenance.
    code, git : str, optional
        Code fingerprint and git commit recorded in the provenance.

    Returns
    -------
    cells, relations : DataFrame
        See :mod:`sna_lib.publication.cells`.
    provenance : dict
        ``inputs``, ``code``, ``git``, ``version``, ``first_date``, ``last_date``,
        ``data_as_at`` (= ``last_date``), ``reporting_year``, ``areas`` and ``text`` (labels that
        go with the numbers, per table and area).
    """
    from sna_lib import __version__

    if getattr(dataset.config, "data_level", "full") == "open": return open_publication_cells(dataset, inputs=inputs, code=code, git=git)  # noqa: E501,E701  police.uk open data
    prep = prepare(dataset)
    b = CellBuilder()
    text: dict[str, Any] = {}
    sv = _sv_tables(b, prep, text)
    _people_tables(b, prep, sv, dataset)
    _key_measures(b, prep, dataset, text)
    _place_profile(b, prep, dataset, sv["annual"])
    _comparators(b, prep, dataset)
    from sna_lib.publication.tables import harm, people, trends_monthly  # noqa: E402  (per-section tables)
    harm.add_harm_cells(b, prep, dataset, text)
    people.add_people_window_cells(b, prep, dataset, text)
    trends_monthly.add_monthly_cells(b, prep, dataset)
    from sna_lib.publication.tables import community, place, risk  # noqa: E402  (07, 08, 09)
    place.add_place_cells(b, prep, dataset, text)
    risk.add_risk_cells(b, prep, dataset, text)
    community.add_community_cells(b, prep, dataset, text)
    from sna_lib.publication.tables import age_features, data_quality, trends, windows  # 01 02 05 11
    windows.add_window_text(prep, dataset, text)
    trends.add_year_on_year_cells(b, prep, dataset, sv["annual"], text)
    age_features.add_age_feature_cells(b, prep, text)
    data_quality.add_data_quality_cells(b, prep, dataset, text)
    cells, relations = b.frame()
    period = data_period(dataset)
    config = dataset.config
    provenance = {
        "inputs": dict(sorted((inputs or {}).items())),
        "code": code,
        "git": git,
        "version": __version__,
        **period,
        "data_as_at": period["last_date"],
        "reporting_year": int(config.reporting_year),
        "first_year": int(config.first_year),
        "rolling_end": str(config.rolling_end),
        "county": str(config.county),
        "synthetic": bool(config.synthetic),
        "areas": list(prep.areas),
        "text": text,
    }
    return cells, relations, provenance


def run_publication(dataset, out_dir: Path | str, **kwargs: Any) -> Path:
    """Compute, disclosure-control once over everything and write the store to ``out_dir``.

    Keyword arguments go to :func:`publication_cells`. Returns ``out_dir``.
    """
    from sna_lib.publication.disclosure import disclosure_rules
    from sna_lib.publication.control import control
    from sna_lib.publication.store import write_store

    cells, relations, provenance = publication_cells(dataset, **kwargs)
    rules = disclosure_rules(dataset.config)
    write_store(Path(out_dir), control(cells, relations, rules), relations, provenance, rules=rules)
    return Path(out_dir)
