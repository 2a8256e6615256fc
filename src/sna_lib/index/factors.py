"""LSOA risk-factor layers (reference SNA section 13) from a :class:`~sna_lib.data.dataset.Dataset`.

Every layer is a column of one frame indexed by ``lsoa_code`` in geography order:

=====================================  ===============================================================
layer                                  definition
=====================================  ===============================================================
``sv_suspect_homes``                   distinct SV suspects in the year by home LSOA (hot-spotted)
``sv_offences``                        SV crimes in the year by offence LSOA (hot-spotted)
``deprivation_share``                  (deprived_2 + deprived_3 + deprived_4) / households (TS011)
``deprivation_high``                   share > ``deprivation.high_share`` (25%)
``deprivation_above_average``          share > county share (Σ deprived 2+ / Σ households)
``da_victim_homes_years_hot``          years (of ``persistence.window`` ending in the year) in which
                                       the LSOA was a hot spot of DA victims' homes
``disorganisation``                    ASB×1 + deliberate fire×2 + arson not endangering life×3 +
                                       arson endangering life×5 (config ``disorganisation_weights``)
``class_a_possession_homes``           distinct suspects of Class A possession by home LSOA
``class_a_supply_homes``               distinct suspects of Class A supply / possession with intent
``unemployment``                       residents 16+ not in employment, not worked in the last
                                       12 months (TS065), Poisson hot spots against residents 16+
=====================================  ===============================================================

Hot-spotted layers carry ``<layer>_bin`` (−3…+3) and ``<layer>_hot``. Count layers use
``hotspots.method`` (Gi* by default; Poisson uses the LSOA's population in the year as base);
unemployment is always Poisson, as in the reference.

Counting people: a person is counted once per layer and year, at the home LSOA recorded on
their latest qualifying crime of the year. Records whose home is unknown or outside the
county are excluded and counted in ``frame.attrs["records"]`` (read / used / rejected).

At ``data_level: open`` the layers are proxies from open data over a span of months
(:func:`risk_layers`: Census deprivation, IMD, ASB, drugs and weapons offences by location).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.index.hotspots import SpatialWeights, hotspots, index_settings, weights_for
from sna_lib.index.persistence import hotspots_by_year, persistence, window_years

DEPRIVED_2_PLUS = ("deprived_2", "deprived_3", "deprived_4")
FIRE_TYPES = ("deliberate_fire", "arson_not_endangering_life", "arson_endangering_life")


@dataclass
class RecordCount:
    """Records read / used / rejected (with reasons) for one layer."""

    read: int = 0
    used: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "used": self.used, "rejected": dict(self.rejected)}


class SharedAttr(dict):
    """A dict kept in ``DataFrame.attrs`` that frames derived from it share instead of copying.

    pandas deep-copies ``attrs`` into the result of every operation (each column read, mask,
    ``astype``, …); the layers' nested record counts made that a measurable part of a
    publication run. Treat it as read-only.

    Examples
    --------
    >>> import copy
    >>> a = SharedAttr({"read": {"x": 1}})
    >>> copy.deepcopy(a) is a, a == {"read": {"x": 1}}
    (True, True)
    """

    def __deepcopy__(self, memo: dict) -> SharedAttr:
        return self


def _codes(values: pd.Series) -> pd.Series:
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def lsoa_population(population: pd.DataFrame, year: int) -> pd.Series:
    """Total population per LSOA for ``year`` (the nearest available year if absent).

    Examples
    --------
    >>> import pandas as pd
    >>> pop = pd.DataFrame({"lsoa_code": ["a", "a", "b"], "year": [2022] * 3,
    ...                     "age": [0, 1, 0], "population": [10, 5, 7]})
    >>> lsoa_population(pop, 2023).to_dict()
    {'a': 15.0, 'b': 7.0}
    """
    years = pd.Index(sorted(population["year"].unique()))
    if not len(years):
        raise ValueError("population table is empty")
    use = year if year in years else int(years[np.argmin(np.abs(years.to_numpy() - year))])
    rows = population[population["year"] == use]
    out = rows.groupby(_codes(rows["lsoa_code"]), sort=True)["population"].sum().astype(float)
    out.index.name = "lsoa_code"
    out.attrs["year_used"] = use
    return out


def isin(values: pd.Series, candidates) -> np.ndarray:
    """Boolean mask ``values ∈ candidates`` via Arrow's hash set (fast for large string columns).

    pandas' string ``isin`` iterates over the candidates in Python; with hundreds of thousands
    of crime ids that dominates the index run time.

    Examples
    --------
    >>> import pandas as pd
    >>> isin(pd.Series(["a", "b", None], dtype="string"), ["b", "c"]).tolist()
    [False, True, False]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        left = pa.array(pd.Series(values).astype("string"))
        right = pa.array(pd.Series(list(candidates) if not isinstance(candidates, (pd.Series, pd.Index))
                                   else candidates, dtype="string"))
        if right.type != left.type:
            right = right.cast(left.type)
        mask = pc.fill_null(pc.is_in(left, value_set=right), False)
        return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)
    except (pa.ArrowException, TypeError, ValueError):  # pragma: no cover - exotic dtypes
        return np.asarray(pd.Series(values).isin(list(candidates)), dtype=bool)


def select_crimes(crimes: pd.DataFrame, crime_ids, *, year: int | None = None) -> pd.DataFrame:
    """Rows of ``crimes`` in ``crime_ids`` (ids, or a boolean mask aligned to ``crimes``), optionally one year.

    Examples
    --------
    >>> import pandas as pd
    >>> crimes = pd.DataFrame({"crime_id": ["a", "b"], "date": pd.to_datetime(["2022-01-01", "2023-01-01"])})
    >>> select_crimes(crimes, ["a", "b"], year=2023)["crime_id"].tolist()
    ['b']
    >>> select_crimes(crimes, crimes["crime_id"] == "a")["crime_id"].tolist()
    ['a']
    """
    if isinstance(crime_ids, (pd.Series, np.ndarray)) and getattr(crime_ids, "dtype", None) == bool:
        if len(crime_ids) != len(crimes):
            raise ValueError("a boolean crime mask must align with crimes")
        rows = crimes[np.asarray(crime_ids, dtype=bool)]
    else:
        rows = crimes
        if year is not None:
            rows = rows[(rows["date"].dt.year == year).to_numpy()]
            year = None
        rows = rows[isin(rows["crime_id"], crime_ids)]
    if year is not None:
        rows = rows[(rows["date"].dt.year == year).to_numpy()]
    return rows


def linked_tables(crimes: pd.DataFrame, persons: pd.DataFrame, crime_ids, *, years=None,
                  person_crime: np.ndarray | None = None):
    """The crimes in ``crime_ids`` (optionally some years) and the person links to them, small.

    Selecting by membership on the full tables once, before any other work, keeps the
    layer and place functions fast on national-scale data (tens of millions of rows).
    ``person_crime`` (optional: the row of ``crimes`` of each row of ``persons``, ``-1`` for
    none, as :attr:`sna_lib.publication.compute.Prepared.person_crime`; crime ids distinct)
    selects the links by those integer rows instead of matching the crime ids again.

    Returns
    -------
    (crimes, persons) : tuple of pandas.DataFrame
        ``crime_id, date, lsoa_code`` and ``crime_id, person_id, role, home_lsoa``.

    Examples
    --------
    >>> import pandas as pd
    >>> crimes = pd.DataFrame({"crime_id": ["a", "b"], "date": pd.to_datetime(["2022-01-01"] * 2),
    ...                        "lsoa_code": ["x", "y"]})
    >>> persons = pd.DataFrame({"crime_id": ["a", "b"], "person_id": ["p", "q"], "role": ["suspect"] * 2,
    ...                         "home_lsoa": ["x", "x"]})
    >>> [len(t) for t in linked_tables(crimes, persons, ["b"])]
    [1, 1]
    """
    small = select_crimes(crimes[["crime_id", "date", "lsoa_code"]], crime_ids)
    if years is not None:
        small = small[small["date"].dt.year.isin(list(years)).to_numpy()]
    if person_crime is None:
        keep = isin(persons["crime_id"], small["crime_id"])
    else:
        chosen = np.zeros(len(crimes) + 1, dtype=bool)            # slot 0: no crime
        chosen[crimes.index.get_indexer(small.index) + 1] = True
        keep = chosen[np.asarray(person_crime, dtype="int64") + 1]
    links = persons.loc[keep, ["crime_id", "person_id", "role", "home_lsoa"]]
    return small, links


def person_homes(crimes: pd.DataFrame, persons: pd.DataFrame, crime_ids, *, roles=("suspect",),
                 year: int | None = None) -> pd.Series:
    """Home LSOA of each distinct person in ``roles`` on the given crimes (latest crime wins).

    Returns
    -------
    pandas.Series
        indexed by ``person_id``; ``<NA>`` where the home is unknown / outside the county.

    Examples
    --------
    >>> import pandas as pd
    >>> crimes = pd.DataFrame({"crime_id": ["c1", "c2"], "date": pd.to_datetime(["2022-01-05", "2022-03-01"])})
    >>> persons = pd.DataFrame({"crime_id": ["c1", "c2"], "person_id": ["p1", "p1"],
    ...                         "role": ["suspect", "suspect"], "home_lsoa": ["a", "b"]})
    >>> person_homes(crimes, persons, ["c1", "c2"]).to_dict()
    {'p1': 'b'}
    """
    return _latest_homes(_sorted_home_links(crimes, persons, crime_ids, roles=roles, year=year))


def _sorted_home_links(crimes: pd.DataFrame, persons: pd.DataFrame, crime_ids, *, roles, year: int | None):
    """The person links in ``roles`` to the selected crimes with the crime's date, sorted by
    ``person_id, date, crime_id`` (pandas sorts several keys stably, so the rows of one year
    of the sorted links are in the order sorting that year's links alone gives)."""
    crime_rows = select_crimes(crimes[["crime_id", "date"]], crime_ids, year=year)
    role_mask = np.zeros(len(persons), dtype=bool)
    for role in roles:
        role_mask |= (persons["role"] == role).to_numpy(dtype=bool, na_value=False)
    linked = persons.loc[role_mask, ["crime_id", "person_id", "home_lsoa"]]
    linked = linked[isin(linked["crime_id"], crime_rows["crime_id"])]
    links = linked.merge(crime_rows, on="crime_id", how="inner")        # inner: the links' order kept
    return links.sort_values(["person_id", "date", "crime_id"])


def _latest_homes(sorted_links: pd.DataFrame) -> pd.Series:
    latest = sorted_links.drop_duplicates("person_id", keep="last")
    return pd.Series(_codes(latest["home_lsoa"]).to_numpy(), index=pd.Index(latest["person_id"], name="person_id"),
                     name="home_lsoa", dtype="string")


class YearHomes:
    """:func:`person_homes` of one set of crimes for any calendar year, from one join and one sort.

    The factor layers count the same people's homes year by year (SV suspects, DA victims and
    drug suspects, for the reporting year and the validation years); joining the links to
    their crimes and sorting them once, then keeping each year's rows, gives each year's
    homes exactly as :func:`person_homes` with ``year`` does.

    Examples
    --------
    >>> import pandas as pd
    >>> crimes = pd.DataFrame({"crime_id": ["c1", "c2", "c3"],
    ...                        "date": pd.to_datetime(["2022-01-05", "2022-03-01", "2023-02-01"])})
    >>> persons = pd.DataFrame({"crime_id": ["c1", "c2", "c3"], "person_id": ["p1", "p1", "p1"],
    ...                         "role": ["suspect"] * 3, "home_lsoa": ["a", "b", "c"]})
    >>> homes = YearHomes(crimes, persons, ["c1", "c2", "c3"])
    >>> homes.homes(2022).to_dict(), homes.homes(2023).to_dict()
    ({'p1': 'b'}, {'p1': 'c'})
    """

    def __init__(self, crimes: pd.DataFrame, persons: pd.DataFrame, crime_ids, *, roles=("suspect",)):
        self._links = _sorted_home_links(crimes, persons, crime_ids, roles=roles, year=None)
        self._year = self._links["date"].dt.year.to_numpy()

    def homes(self, year: int) -> pd.Series:
        """:func:`person_homes` of ``year``."""
        return _latest_homes(self._links[self._year == year])

    def by_home(self, year: int, lsoa_codes: pd.Index) -> pd.Series:
        """:func:`people_by_home` of ``year``."""
        return _count_homes(self.homes(year), lsoa_codes)


def people_by_home(crimes: pd.DataFrame, persons: pd.DataFrame, crime_ids, *, lsoa_codes: pd.Index,
                   roles=("suspect",), year: int | None = None) -> pd.Series:
    """Distinct people in ``roles`` on the given crimes, counted at their home LSOA.

    Parameters
    ----------
    crimes, persons : pandas.DataFrame
        contract tables (``crimes``: ``crime_id, date``; ``persons``: ``crime_id,
        person_id, role, home_lsoa``).
    crime_ids : iterable of str
        the qualifying crimes (e.g. serious violence ids).
    lsoa_codes : pandas.Index
        the county's LSOAs (result index).
    roles : tuple of str
    year : int, optional
        keep crimes dated in this calendar year.

    Returns
    -------
    pandas.Series
        people per LSOA (0 where none); ``attrs["records"]`` has read/used/rejected.

    Examples
    --------
    >>> import pandas as pd
    >>> crimes = pd.DataFrame({"crime_id": ["c1", "c2"], "date": pd.to_datetime(["2022-01-05", "2022-03-01"])})
    >>> persons = pd.DataFrame({"crime_id": ["c1", "c2", "c2"], "person_id": ["p1", "p1", "p2"],
    ...                         "role": ["suspect"] * 3, "home_lsoa": ["a", "b", ""]})
    >>> people_by_home(crimes, persons, ["c1", "c2"], lsoa_codes=pd.Index(["a", "b"])).to_dict()
    {'a': 0, 'b': 1}
    """
    return _count_homes(person_homes(crimes, persons, crime_ids, roles=roles, year=year), lsoa_codes)


def _count_homes(homes: pd.Series, lsoa_codes: pd.Index) -> pd.Series:
    record = RecordCount(read=int(len(homes)))
    unknown = homes.isna()
    outside = ~unknown & ~isin(homes, lsoa_codes)
    if unknown.any():
        record.rejected["home unknown or outside county"] = int(unknown.sum())
    if outside.any():
        record.rejected["home LSOA not in geography"] = int(outside.sum())
    used = homes[~unknown & ~outside]
    record.used = int(len(used))
    counts = used.value_counts().reindex(lsoa_codes, fill_value=0).astype("int64")
    counts.index.name = "lsoa_code"
    counts.attrs["records"] = record.as_dict()
    return counts


def crimes_by_lsoa(crimes: pd.DataFrame, crime_ids, *, lsoa_codes: pd.Index, year: int | None = None) -> pd.Series:
    """Crimes (of ``crime_ids``) per offence LSOA.

    Examples
    --------
    >>> import pandas as pd
    >>> crimes = pd.DataFrame({"crime_id": ["c1", "c2", "c3"], "lsoa_code": ["a", "a", "b"],
    ...                        "date": pd.to_datetime(["2022-01-05", "2022-03-01", "2021-01-01"])})
    >>> crimes_by_lsoa(crimes, ["c1", "c2", "c3"], lsoa_codes=pd.Index(["a", "b"]), year=2022).to_dict()
    {'a': 2, 'b': 0}
    """
    rows = select_crimes(crimes[["crime_id", "date", "lsoa_code"]], crime_ids, year=year)
    codes = _codes(rows["lsoa_code"])
    record = RecordCount(read=len(rows))
    bad = codes.isna() | ~isin(codes, lsoa_codes)
    if bad.any():
        record.rejected["offence LSOA missing or not in geography"] = int(bad.sum())
    record.used = int((~bad).sum())
    counts = codes[~bad].value_counts().reindex(lsoa_codes, fill_value=0).astype("int64")
    counts.index.name = "lsoa_code"
    counts.attrs["records"] = record.as_dict()
    return counts


def deprivation_layer(census_deprivation: pd.DataFrame, *, lsoa_codes: pd.Index,
                      high_share: float = 0.25, statement_share: float = 0.20) -> pd.DataFrame:
    """Share of households deprived in two or more dimensions (Census 2021 TS011) and flags.

    ``above_average`` compares with the county share Σ(deprived 2+)/Σ households (the
    household-weighted average), not the mean of LSOA shares. LSOAs with no households get
    share NaN and all flags False.

    Examples
    --------
    >>> import pandas as pd
    >>> dep = pd.DataFrame({"lsoa_code": ["a", "b"], "households": [100, 300],
    ...                     "deprived_0": [40, 250], "deprived_1": [20, 20], "deprived_2": [30, 20],
    ...                     "deprived_3": [8, 10], "deprived_4": [2, 0]})
    >>> deprivation_layer(dep, lsoa_codes=pd.Index(["a", "b"]))[["deprivation_share", "deprivation_high"]].values.tolist()
    [[0.4, True], [0.1, False]]
    """
    table = census_deprivation.set_index(_codes(census_deprivation["lsoa_code"]))
    missing = lsoa_codes.difference(table.index)
    if len(missing):
        raise ValueError(f"census_deprivation lacks {len(missing)} LSOA(s), e.g. {list(missing[:5])}")
    table = table.reindex(lsoa_codes)
    deprived = table[list(DEPRIVED_2_PLUS)].sum(axis=1).astype(float)
    households = table["households"].astype(float)
    share = (deprived / households.where(households > 0)).astype(float)
    county_share = deprived.sum() / households.sum() if households.sum() > 0 else np.nan
    out = pd.DataFrame({
        "households": households,
        "deprived_2_plus": deprived,
        "deprivation_share": share,
        "deprivation_high": (share > high_share).fillna(False).astype(bool),
        "deprivation_above_average": (share > county_share).fillna(False).astype(bool),
        "deprivation_over_statement_share": (share > statement_share).fillna(False).astype(bool),
    }, index=pd.Index(lsoa_codes, name="lsoa_code"))
    out.attrs["county_share"] = float(county_share)
    return out


def disorganisation_counts(asb: pd.DataFrame, fire: pd.DataFrame, *, lsoa_codes: pd.Index, year: int,
                           weights: dict[str, float]) -> pd.DataFrame:
    """Harm-weighted neighbourhood-disorganisation count per LSOA for one year.

    Examples
    --------
    >>> import pandas as pd
    >>> asb = pd.DataFrame({"incident_id": ["1", "2"], "lsoa_code": ["a", "b"],
    ...                     "date": pd.to_datetime(["2022-02-01", "2022-02-01"])})
    >>> fire = pd.DataFrame({"incident_id": ["3"], "lsoa_code": ["a"], "fire_type": ["arson_endangering_life"],
    ...                      "date": pd.to_datetime(["2022-06-01"])})
    >>> w = {"asb": 1, "deliberate_fire": 2, "arson_not_endangering_life": 3, "arson_endangering_life": 5}
    >>> disorganisation_counts(asb, fire, lsoa_codes=pd.Index(["a", "b"]), year=2022, weights=w)["disorganisation"].tolist()
    [6.0, 1.0]
    """
    missing = [k for k in ("asb", *FIRE_TYPES) if k not in weights]
    if missing:
        raise ValueError(f"disorganisation_weights lacks {missing}")
    out = pd.DataFrame(index=pd.Index(lsoa_codes, name="lsoa_code"))
    a = asb[asb["date"].dt.year == year]
    out["asb"] = _codes(a["lsoa_code"]).value_counts().reindex(lsoa_codes, fill_value=0).to_numpy()
    f = fire[fire["date"].dt.year == year]
    for fire_type in FIRE_TYPES:
        rows = f[f["fire_type"] == fire_type]
        out[fire_type] = _codes(rows["lsoa_code"]).value_counts().reindex(lsoa_codes, fill_value=0).to_numpy()
    out["disorganisation"] = sum(out[k].astype(float) * float(weights[k]) for k in ("asb", *FIRE_TYPES))
    return out


def drug_offence_ids(crimes: pd.DataFrame, offences_table: pd.DataFrame, *, flag: str,
                     extra_codes=()) -> pd.Index:
    """Crime ids whose offence code is flagged ``flag`` in the reference table (+ extra codes).

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"offence_code": ["92D/A", "92E"], "class_a_possession": [True, False]})
    >>> crimes = pd.DataFrame({"crime_id": ["x", "y"], "offence_code": ["92D/A", "92E"]})
    >>> list(drug_offence_ids(crimes, ref, flag="class_a_possession"))
    ['x']
    """
    codes = set(map(str, extra_codes))
    if flag in offences_table.columns:
        codes |= set(offences_table.loc[offences_table[flag].astype(bool), "offence_code"].astype(str))
    elif not codes:
        raise ValueError(f"reference table has no column {flag!r} and no fallback codes were configured")
    return pd.Index(crimes.loc[isin(crimes["offence_code"], sorted(codes)), "crime_id"])


def unemployment_layer(census_employment: pd.DataFrame, *, lsoa_codes: pd.Index, alpha: float) -> pd.DataFrame:
    """Poisson hot spots of residents 16+ not in employment who have not worked in the last 12 months.

    Examples
    --------
    >>> import pandas as pd
    >>> emp = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "residents_16_plus": [1000, 1000, 1000],
    ...                     "not_in_employment_not_worked_last_12_months": [60, 20, 20]})
    >>> bool(unemployment_layer(emp, lsoa_codes=pd.Index(["a", "b", "c"]), alpha=0.05).loc["a", "unemployment_hot"])
    True
    """
    from sna_lib.index.hotspots import poisson_hotspots

    table = census_employment.set_index(_codes(census_employment["lsoa_code"]))
    missing = lsoa_codes.difference(table.index)
    if len(missing):
        raise ValueError(f"census_employment lacks {len(missing)} LSOA(s), e.g. {list(missing[:5])}")
    table = table.reindex(lsoa_codes)
    res = poisson_hotspots(table["not_in_employment_not_worked_last_12_months"].astype(float),
                           table["residents_16_plus"].astype(float), alpha=alpha)
    return pd.DataFrame({
        "unemployment": res["value"], "unemployment_expected": res["expected"],
        "unemployment_p": res["p_value"], "unemployment_bin": res["bin"], "unemployment_hot": res["hot"],
    }, index=pd.Index(lsoa_codes, name="lsoa_code"))


def _hotspot_columns(name: str, counts: pd.Series, *, weights: SpatialWeights, base: pd.Series,
                     settings: dict) -> pd.DataFrame:
    res = hotspots(counts, weights=weights, base=base, settings=settings)
    out = pd.DataFrame({name: counts.reindex(weights.ids).to_numpy(),
                        f"{name}_bin": res["bin"].reindex(weights.ids).to_numpy(),
                        f"{name}_hot": res["hot"].reindex(weights.ids).to_numpy()}, index=weights.ids)
    if "gi_z" in res:
        out[f"{name}_z"] = res["gi_z"].reindex(weights.ids).to_numpy()
    return out


class FactorSource:
    """What the layers of every year share, selected once: build many years' layers from one source.

    The out-of-time validation builds the layers of five consecutive years beside the
    reporting year's. Each year alone would select the SV, domestic-abuse and drug crimes (and
    their person links) from the full tables again, and recount the DA victims' homes of every
    year of its five-year persistence window, which overlaps the next year's by four. A source
    selects those subsets once (all years), builds the year-independent layers (deprivation,
    unemployment) once, joins each set of people (SV suspects, DA victims, drug suspects) to
    its crimes once for all years (:class:`YearHomes`), and memoises per year the populations,
    the DA victims' homes and the finished layers (:meth:`layers`). Every layer is computed by the same functions on the
    same rows in the same order as :func:`build_factor_layers` without a source, so the values
    are the same.

    Parameters
    ----------
    dataset : Dataset
    sv_ids, settings, weights, offences_table
        As :func:`build_factor_layers` (defaults likewise).
    definition : str
        Serious-violence definition when ``sv_ids`` is not given.
    person_crime : numpy.ndarray, optional
        Row of ``dataset.crimes`` of each row of ``dataset.persons`` (``-1``: none), e.g.
        :attr:`sna_lib.publication.compute.Prepared.person_crime`; see :func:`linked_tables`.

    Examples
    --------
    >>> source = FactorSource(load_dataset("demo-data"))          # doctest: +SKIP
    >>> source.layers(2022) is source.layers(2022)                  # doctest: +SKIP
    True
    """

    def __init__(self, dataset, *, sv_ids=None, settings: dict | None = None, weights: SpatialWeights | None = None,
                 offences_table: pd.DataFrame | None = None, definition: str = "partnership",
                 person_crime: np.ndarray | None = None):
        self.dataset = dataset
        self.person_crime = person_crime                 # see linked_tables
        self.settings = settings or index_settings(dataset.config)
        self.weights = weights or weights_for(dataset.geography, self.settings)
        if sv_ids is None:
            from sna_lib.measures.classify import serious_violence_ids

            sv_ids = serious_violence_ids(dataset.crimes, definition)
        self.sv_ids = sv_ids
        if offences_table is None:
            from sna_lib.reference import offences

            offences_table = offences()
        self.offences_table = offences_table
        # the small qualifying subsets of the big tables, once (national scale: 10^7 rows)
        self.sv_crimes, self.sv_persons = linked_tables(dataset.crimes, dataset.persons, sv_ids,
                                                        person_crime=person_crime)
        self._population: dict[int, pd.Series] = {}
        self._da: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._da_homes: dict[int, pd.Series] = {}
        self._drugs: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        self._homes: dict[str, YearHomes] = {}           # people's homes of every year, joined once
        self._fixed: dict[str, pd.DataFrame] = {}
        self._layers: dict[int, pd.DataFrame] = {}

    @property
    def codes(self) -> pd.Index:
        return self.weights.ids

    def population(self, year: int) -> pd.Series:
        """:func:`lsoa_population` of ``year`` on the weights' LSOAs (0 where absent); do not modify."""
        if year not in self._population:
            self._population[year] = lsoa_population(self.dataset.population, year).reindex(self.codes,
                                                                                            fill_value=0.0)
        return self._population[year]

    def da_victim_homes(self, year: int) -> pd.Series:
        """Distinct DA victims of ``year`` by home LSOA (:func:`people_by_home`)."""
        if year not in self._da_homes:
            self._da_homes[year] = self.year_homes("da_victim").by_home(year, self.codes)
        return self._da_homes[year]

    def year_homes(self, name: str) -> YearHomes:
        """The homes of ``"sv_suspect"``, ``"da_victim"`` or ``"<drug layer>_suspect"`` for any year."""
        if name not in self._homes:
            if name == "sv_suspect":
                crimes, persons, roles = self.sv_crimes, self.sv_persons, ("suspect",)
            elif name == "da_victim":
                if self._da is None:
                    crimes = self.dataset.crimes
                    self._da = linked_tables(crimes, self.dataset.persons,
                                             crimes["domestic_abuse"].astype(bool).to_numpy(),
                                             person_crime=self.person_crime)
                (crimes, persons), roles = self._da, ("victim",)
            else:
                (crimes, persons), roles = self.drug_links(name.removesuffix("_suspect")), ("suspect",)
            self._homes[name] = YearHomes(crimes, persons, np.ones(len(crimes), dtype=bool), roles=roles)
        return self._homes[name]

    def drug_links(self, layer: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Crimes of one drug layer (all years) and their person links."""
        if layer not in self._drugs:
            spec = self.settings["drugs"][layer]
            crimes = self.dataset.crimes
            ids = drug_offence_ids(crimes, self.offences_table, flag=spec.get("reference_flag", layer),
                                   extra_codes=spec.get("codes", ()))
            self._drugs[layer] = linked_tables(crimes, self.dataset.persons, ids, person_crime=self.person_crime)
        return self._drugs[layer]

    def fixed(self, name: str) -> pd.DataFrame:
        """The year-independent layers: ``"deprivation"`` (Census TS011) and ``"unemployment"`` (TS065)."""
        if name not in self._fixed:
            if name == "deprivation":
                dep_cfg = self.settings["deprivation"]
                self._fixed[name] = deprivation_layer(self.dataset.census_deprivation, lsoa_codes=self.codes,
                                                      high_share=dep_cfg["high_share"],
                                                      statement_share=dep_cfg["statement_share"])
            else:
                hs = self.settings["hotspots"]
                alpha = hs.get("poisson_alpha") or (1.0 - hs["confidence"])
                self._fixed[name] = unemployment_layer(self.dataset.census_employment, lsoa_codes=self.codes,
                                                       alpha=alpha)
        return self._fixed[name]

    def layers(self, year: int) -> pd.DataFrame:
        """:func:`build_factor_layers` of ``year`` from this source, built once; do not modify."""
        year = int(year)
        if year not in self._layers:
            self._layers[year] = _build_layers(self, year)
        return self._layers[year]


def build_factor_layers(dataset, year: int | None = None, *, sv_ids=None, settings: dict | None = None,
                        weights: SpatialWeights | None = None, offences_table: pd.DataFrame | None = None,
                        definition: str = "partnership", source: FactorSource | None = None) -> pd.DataFrame:
    """Every risk-factor layer for one analysis year.

    Parameters
    ----------
    dataset : Dataset
        as returned by ``sna_lib.data.dataset.load_dataset`` (only the tables named in the module
        docstring are read).
    year : int, optional
        analysis year (default ``config.reporting_year``).
    sv_ids : iterable of str, optional
        serious-violence crime ids (all years); default
        ``sna_lib.measures.classify.serious_violence_ids(dataset.crimes, definition)``.
    settings : dict, optional
        :func:`sna_lib.index.hotspots.index_settings` (default: from ``dataset.config``).
    weights : SpatialWeights, optional
        default: queen contiguity of ``dataset.geography`` (cached per geography).
    offences_table : pandas.DataFrame, optional
        default ``sna_lib.reference.offences()``.
    source : FactorSource, optional
        selections shared with other years' layers (then ``sv_ids``, ``settings``, ``weights``
        and ``offences_table`` are the source's); the result is the source's memoised frame.

    Returns
    -------
    pandas.DataFrame
        indexed by ``lsoa_code`` (geography order) with ``area``, ``population`` and the
        layer columns; ``attrs["records"]`` maps layer → read/used/rejected counts.

    Examples
    --------
    >>> from sna_lib.data.dataset import load_dataset                        # doctest: +SKIP
    >>> layers = build_factor_layers(load_dataset("demo-data"), 2022)   # doctest: +SKIP
    >>> layers["sv_suspect_homes_hot"].sum()                            # doctest: +SKIP
    """
    year = int(year if year is not None else dataset.config.reporting_year)
    if source is None:
        source = FactorSource(dataset, sv_ids=sv_ids, settings=settings, weights=weights,
                              offences_table=offences_table, definition=definition)
    return source.layers(year)


def _build_layers(source: FactorSource, year: int) -> pd.DataFrame:
    dataset, settings, weights = source.dataset, source.settings, source.weights
    config = dataset.config
    geography = dataset.geography
    codes = weights.ids
    crimes = dataset.crimes
    sv_crimes = source.sv_crimes
    population = source.population(year)
    records: dict[str, Any] = {}

    area = pd.Series(geography["area"].astype(str).to_numpy(), index=pd.Index(geography["lsoa_code"].astype(str)))
    parts = [pd.DataFrame({"area": area.reindex(codes).to_numpy(), "population": population.to_numpy()}, index=codes)]

    all_sv = np.ones(len(sv_crimes), dtype=bool)
    suspects = source.year_homes("sv_suspect").by_home(year, codes)
    records["sv_suspect_homes"] = suspects.attrs["records"]
    parts.append(_hotspot_columns("sv_suspect_homes", suspects, weights=weights, base=population, settings=settings))

    offences_at = crimes_by_lsoa(sv_crimes, all_sv, lsoa_codes=codes, year=year)
    records["sv_offences"] = offences_at.attrs["records"]
    parts.append(_hotspot_columns("sv_offences", offences_at, weights=weights, base=population, settings=settings))

    deprivation = source.fixed("deprivation")
    parts.append(deprivation)

    window = int(settings["persistence"]["window"])
    da_years = window_years(year, window, getattr(config, "first_year", None) or None)
    notes = []
    if len(da_years) < window:
        notes.append(f"DA hot-spot persistence uses {len(da_years)} year(s) ({da_years[0]}-{year}), not {window}: "
                     f"the data start in {da_years[0]}")
    da_by_year = {y: source.da_victim_homes(y) for y in da_years}
    records["da_victim_homes"] = {y: counts.attrs["records"] for y, counts in da_by_year.items()}
    da_counts = pd.DataFrame(da_by_year)
    da_base = pd.DataFrame({y: source.population(y) for y in da_years})
    da_hot = pd.DataFrame({y: r["hot"] for y, r in hotspots_by_year(
        da_counts, weights=weights, base=da_base, settings=settings).items()})
    da_persist = persistence(da_hot, end_year=year, window=len(da_years))
    persistent_years = min(int(settings["domestic_abuse"]["persistent_years"]), len(da_years))
    parts.append(pd.DataFrame({
        "da_victim_homes": da_counts[year].to_numpy(),
        "da_victim_homes_years_hot": da_persist["years_hot"].to_numpy(),
        "da_victim_homes_persistent": (da_persist["years_hot"] >= persistent_years).to_numpy(),
    }, index=codes))

    weights_cfg = dict(settings["disorganisation_weights"])
    dis = disorganisation_counts(dataset.asb, dataset.fire, lsoa_codes=codes, year=year, weights=weights_cfg)
    parts.append(_hotspot_columns("disorganisation", dis["disorganisation"], weights=weights, base=population,
                                  settings=settings))

    for layer in ("class_a_possession", "class_a_supply"):
        homes = source.year_homes(f"{layer}_suspect").by_home(year, codes)
        records[f"{layer}_homes"] = homes.attrs["records"]
        parts.append(_hotspot_columns(f"{layer}_homes", homes, weights=weights, base=population, settings=settings))

    parts.append(source.fixed("unemployment"))

    layers = pd.concat(parts, axis=1)
    layers.index.name = "lsoa_code"
    layers.attrs["records"] = SharedAttr(records)  # read-only: shared by the frames derived from the layers
    layers.attrs["notes"] = notes
    layers.attrs["deprivation_county_share"] = deprivation.attrs["county_share"]
    layers.attrs["da_years"] = (da_years[0], da_years[-1])
    layers.attrs["year"] = year
    layers.attrs["population_year"] = population.attrs.get("year_used", year)
    return layers


def lsoa_counts(crimes: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """Records per LSOA over ``codes`` (zeros kept)."""
    return crimes["lsoa_code"].astype(str).value_counts().reindex(codes, fill_value=0).astype("int64")


def risk_layers(dataset, start: str, end: str) -> pd.DataFrame:
    """The open-data risk layers per LSOA from the months ``start … end`` (and the static census/IMD)."""
    from sna_lib.data.dataset import area_lsoas
    from sna_lib.data.periods import in_months

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


def population_in(population: pd.DataFrame, year: int) -> pd.Series:
    """Residents per LSOA in the latest population year not after ``year`` (all ages).

    Examples
    --------
    >>> p = pd.DataFrame({"lsoa_code": ["A", "A", "A"], "year": [2022, 2022, 2024],
    ...                   "age": [0, 1, 0], "population": [10, 5, 99]})
    >>> population_in(p, 2023).to_dict()
    {'A': 15}
    """
    years = population["year"]
    usable = years[years <= year]
    chosen = int(usable.max()) if len(usable) else int(years.min())
    rows = population[population["year"] == chosen]
    return rows.groupby("lsoa_code", sort=True)["population"].sum()
