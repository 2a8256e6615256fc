"""The input data contract as data: one :class:`TableSpec` per table in ``data/README.md``.

The specs drive three things:

* :func:`coerce_frame` — vectorised type coercion (CSV strings or Parquet types → the contract
  dtypes) that records which rows could not be converted;
* :func:`table_schema` — a :mod:`pandera` ``DataFrameSchema`` per table carrying every
  in-table rule (ranges, allowed values, keys, sums, spreadsheet-formula cells) plus the
  cross-table rules (LSOA codes, offence codes, crime ids, date window) bound to the values
  of this particular data folder;
* the dtypes :func:`sna_lib.data.dataset.load_dataset` hands to analysis code: codes and text as
  pandas strings, counts as ``int64`` (nullable ``Int64`` when the column may be empty),
  dates as ``datetime64``, flags as ``bool`` (``boolean`` for optional geography flags).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from sna_lib.data.codes import categorical
from sna_lib.data.names import FORMULA_START, SIGNED_NUMBER

# kinds: "id" (identifier), "code" (short code), "text" (free text), "int", "float", "date",
#        "month" (calendar month 'YYYY-MM', loaded as the first day of the month),
#        "bool", "fy" (financial / academic year 'YYYY/YY')
TEXT_KINDS = frozenset({"id", "code", "text", "fy"})
_MAX_LEN = {"id": 64, "code": 64, "text": 500, "fy": 7}
MAX_ABS_NUMBER = 1e15
TRUE_WORDS = frozenset({"true", "t", "1", "y", "yes"})
FALSE_WORDS = frozenset({"false", "f", "0", "n", "no"})
_FORMULA_FIRST = ("=", "@", "+", "-", " ", "\t", "\r", "\n")
FY_PATTERN = r"^\d{4}/\d{2}$"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the contract.

    Parameters
    ----------
    name : str
        Exact column name.
    kind : str
        ``id``, ``code``, ``text``, ``int``, ``float``, ``date``, ``month``, ``bool`` or ``fy``.
    required : bool
        The column must be present (optional columns are added empty when absent).
    nullable : bool
        Empty cells are allowed.
    min, max : float, optional
        Inclusive numeric bounds.
    allowed : tuple of str, optional
        The only values allowed.
    unique : bool
        Values must not repeat.
    references : str, optional
        ``"geography.lsoa_code"``, ``"crimes.crime_id"`` or ``"reference.offence_code"``:
        values must exist there.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    unique: bool = False
    references: str | None = None
    uppercase: bool = False
    #: text with few distinct values per row (codes, LSOAs, names), held as a sorted ``Categorical``
    #: once loaded (:func:`as_categories`): one small integer per row instead of a string
    categorical: bool = False

    @property
    def dtype(self) -> str:
        """The pandas dtype name this column has after loading."""
        if self.kind in TEXT_KINDS:
            return "str"
        if self.kind == "int":
            return "Int64" if self.nullable else "int64"
        if self.kind == "float":
            return "float64"
        if self.kind == "bool":
            return "boolean" if (self.nullable or not self.required) else "bool"
        return "datetime64[ns]"  # date and month


@dataclass(frozen=True)
class TableSpec:
    """One table of the contract (file stem, columns, key, row-level sums).

    Examples
    --------
    >>> TABLES["crimes"].column("offence_code").references
    'reference.offence_code'
    >>> TABLES["population"].key
    ('lsoa_code', 'year', 'age')
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    required: bool = True
    geo: bool = False
    dated: bool = False
    sums: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    min_rows: int = 0
    derived: tuple[str, ...] = ()  # columns the loader derives (a copy in a file is ignored, no warning)

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Column names in contract order."""
        return [c.name for c in self.columns]


def _col(name: str, kind: str, **kw) -> ColumnSpec:
    return ColumnSpec(name, kind, **kw)


_LSOA = _col("lsoa_code", "code", references="geography.lsoa_code")
_LSOA_CATEGORICAL = dataclasses.replace(_LSOA, categorical=True)  # in the tables with many rows per LSOA
_OPTIONAL_RANK = {"required": False, "nullable": True, "min": 1, "max": 100_000}
_OPTIONAL_DECILE = {"required": False, "nullable": True, "min": 1, "max": 10}
_IMD_DOMAINS = ("income", "employment", "education", "health", "crime", "barriers", "living_environment")

#: Data levels of the one contract (``config.yaml: data_level``): ``full`` = partnership
#: records (Home Office offence codes, flags, persons); ``open`` = police.uk street-level
#: records (category + month + LSOA, no codes, flags or persons).
DATA_LEVELS: tuple[str, ...] = ("full", "open")

#: police.uk crime types (the "Crime type" column) as contract codes, in police.uk order.
#: Anti-social behaviour is not a crime type here: those rows form the ``asb`` table.
POLICE_UK_CATEGORIES: dict[str, str] = {
    "Bicycle theft": "bicycle_theft",
    "Burglary": "burglary",
    "Criminal damage and arson": "criminal_damage_and_arson",
    "Drugs": "drugs",
    "Other crime": "other_crime",
    "Other theft": "other_theft",
    "Possession of weapons": "possession_of_weapons",
    "Public order": "public_order",
    "Robbery": "robbery",
    "Shoplifting": "shoplifting",
    "Theft from the person": "theft_from_the_person",
    "Vehicle crime": "vehicle_crime",
    "Violence and sexual offences": "violence_and_sexual_offences",
}
CATEGORY_CODES: tuple[str, ...] = tuple(POLICE_UK_CATEGORIES.values())
#: police.uk crime types by contract code, as police.uk spells them (anti-social behaviour first:
#: the ``asb`` table's rows), for tables that show categories
CATEGORY_LABELS: dict[str, str] = {"anti_social_behaviour": "Anti-social behaviour",
                                   **{code: label for label, code in POLICE_UK_CATEGORIES.items()}}
_COUNT = {"min": 0, "max": 100_000_000}
_YEAR = {"min": 1990, "max": 2100}
#: the crimes table's weapon / exploitation flags (a definition's ``require_any_flag`` names them)
FLAG_COLUMNS: tuple[str, ...] = ("knife", "firearm", "other_weapon", "county_lines", "gang")
#: the crimes table's ``location_type`` codes (a definition's ``location_types`` names them)
LOCATION_TYPES: tuple[str, ...] = ("dwelling", "public")
_FLAG_NAMES = ("domestic_abuse", *FLAG_COLUMNS)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("geography", (
            _col("lsoa_code", "code", unique=True),
            _col("lsoa_name", "text"),
            _col("area", "text", references="config.csps"),
            _col("urban", "bool", required=False, nullable=True),
            _col("nte", "bool", required=False, nullable=True),
            _col("non_residential", "bool", required=False, nullable=True),
            _col("non_residential_reason", "text", required=False, nullable=True),
        ), key=("lsoa_code",), geo=True, min_rows=1),
        TableSpec("population", (
            _LSOA_CATEGORICAL, _col("year", "int", **_YEAR), _col("age", "int", min=0, max=90),
            _col("population", "int", min=0, max=1_000_000),
            _col("estimate_year", "int", required=False, nullable=True, **_YEAR),
        ), key=("lsoa_code", "year", "age"), min_rows=1),
        TableSpec("census_deprivation", (
            _LSOA, _col("households", "int", **_COUNT),
            *(_col(f"deprived_{i}", "int", **_COUNT) for i in range(5)),
        ), key=("lsoa_code",), sums=(("households", tuple(f"deprived_{i}" for i in range(5))),), min_rows=1),
        TableSpec("census_employment", (
            _LSOA, _col("residents_16_plus", "int", **_COUNT), _col("in_employment", "int", **_COUNT),
            _col("not_in_employment_worked_last_12_months", "int", **_COUNT),
            _col("not_in_employment_not_worked_last_12_months", "int", **_COUNT),
            _col("never_worked", "int", **_COUNT),
        ), key=("lsoa_code",), sums=(("residents_16_plus", (
            "in_employment", "not_in_employment_worked_last_12_months",
            "not_in_employment_not_worked_last_12_months", "never_worked")),), min_rows=1),
        TableSpec("crimes", (
            _col("crime_id", "id", unique=True), _col("date", "date"),
            _col("offence_code", "code", references="reference.offence_code", uppercase=True, categorical=True),
            _col("offence_description", "text", nullable=True, categorical=True),
            _LSOA_CATEGORICAL, *(_col(flag, "bool") for flag in _FLAG_NAMES),
            _col("location_type", "code", allowed=LOCATION_TYPES, categorical=True),
        ), key=("crime_id",), dated=True, min_rows=1),
        TableSpec("persons", (
            _col("crime_id", "id", references="crimes.crime_id"), _col("person_id", "id"),
            _col("role", "code", allowed=("suspect", "victim", "involved_party"), categorical=True),
            _col("age", "int", nullable=True, min=0, max=110),
            _col("sex", "code", allowed=("M", "F", "U"), categorical=True),
            _col("home_lsoa", "code", nullable=True, references="geography.lsoa_code", categorical=True),
            _col("origin_area", "text", categorical=True),
        ), key=("crime_id", "person_id", "role")),
        TableSpec("asb", (
            _col("incident_id", "id", unique=True), _col("date", "date"), _LSOA,
        ), key=("incident_id",), required=False, dated=True),
        TableSpec("fire", (
            _col("incident_id", "id", unique=True), _col("date", "date"), _LSOA,
            _col("fire_type", "code", allowed=("deliberate_fire", "arson_not_endangering_life",
                                               "arson_endangering_life")),
        ), key=("incident_id",), required=False, dated=True),
        TableSpec("ambulance", (
            _col("call_id", "id", unique=True), _col("date", "date"), _LSOA,
            _col("category", "code", allowed=("assault_sexual_assault", "stab_gunshot_penetrating_trauma")),
        ), key=("call_id",), required=False, dated=True),
        TableSpec("hospital_admissions", (
            _col("financial_year", "fy"), _col("age_band", "code", allowed=("under_25", "25_plus")),
            _col("admissions", "int", **_COUNT),
        ), key=("financial_year", "age_band"), required=False),
        TableSpec("school_exclusions", (
            _col("local_authority", "text"), _col("academic_year", "fy"), _col("reason", "text"),
            _col("permanent_exclusions", "int", **_COUNT), _col("suspensions", "int", **_COUNT),
        ), key=("local_authority", "academic_year", "reason"), required=False),
        TableSpec("community_survey", (
            _col("year", "int", **_YEAR), _col("area", "text", references="config.areas"),
            _col("theme", "text"), _col("responses", "int", **_COUNT),
        ), key=("year", "area", "theme"), required=False),
        TableSpec("comparators", (
            _col("series", "code"), _col("area", "text"), _col("year", "int", **_YEAR),
            _col("value", "float", min=-MAX_ABS_NUMBER, max=MAX_ABS_NUMBER),
        ), key=("series", "area", "year"), required=False),
        TableSpec("imd", (
            _LSOA, _col("imd_rank", "int", min=1, max=100_000), _col("imd_decile", "int", min=1, max=10),
            *(_col(f"{d}_rank", "int", **_OPTIONAL_RANK) for d in _IMD_DOMAINS),
            *(_col(f"{d}_decile", "int", **_OPTIONAL_DECILE) for d in _IMD_DOMAINS),
        ), key=("lsoa_code",), required=False),
        TableSpec("import_log", (
            _col("source_file", "text"), _col("table", "code", allowed=("crimes", "asb")),
            _col("month", "month", nullable=True), _col("outcome", "code", allowed=("used", "rejected")),
            _col("reason", "text"), _col("rows", "int", **_COUNT),
        ), key=("source_file", "table", "outcome", "reason"), required=False),
    )
}

#: Tables whose shape differs at the ``open`` data level (everything else is shared).
_OPEN_OVERRIDES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("crimes", (
            _col("crime_id", "id", unique=True), _col("month", "month"),
            _col("category", "code", allowed=CATEGORY_CODES), _LSOA,
            _col("location", "text", required=False, nullable=True),
        ), key=("crime_id",), dated=True, min_rows=1, derived=("date",)),
        TableSpec("asb", (
            _col("incident_id", "id", unique=True), _col("month", "month"), _LSOA,
            _col("location", "text", required=False, nullable=True),
        ), key=("incident_id",), required=False, dated=True, derived=("date",)),
        dataclasses.replace(TABLES["census_employment"], required=False, min_rows=0),
        dataclasses.replace(TABLES["persons"], required=False, min_rows=0),
    )
}
OPEN_TABLES: dict[str, TableSpec] = {name: _OPEN_OVERRIDES.get(name, spec) for name, spec in TABLES.items()}


def tables_for(level: str = "full") -> dict[str, TableSpec]:
    """The table specs of one data level (see :data:`DATA_LEVELS`).

    Examples
    --------
    >>> tables_for("open")["crimes"].names
    ['crime_id', 'month', 'category', 'lsoa_code', 'location']
    >>> tables_for("open")["persons"].required, tables_for("full")["persons"].required
    (False, True)
    """
    if level not in DATA_LEVELS:
        raise ValueError(f"unknown data level {level!r} (known: {', '.join(DATA_LEVELS)})")
    return OPEN_TABLES if level == "open" else TABLES

#: Load order: every table comes after the tables it refers to.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)


# --------------------------------------------------------------------------- coercion


def _by_unique(series: pd.Series, convert) -> pd.Series:
    """Apply ``convert`` (vectorised, on a Series) to the distinct values only, then expand."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    converted = convert(pd.Series(uniques, dtype=object))
    values = np.asarray(converted)
    if len(values) == 0:
        return convert(pd.Series([], dtype=object)).reindex(series.index)
    out = pd.Series(values.take(np.where(codes < 0, 0, codes)), index=series.index)
    if getattr(converted, "dtype", None) is not None:
        out = out.astype(converted.dtype) if converted.dtype != object else out
    return out.mask(codes < 0)


def _is_typed(series: pd.Series) -> bool:
    """True for numeric, boolean and datetime columns (Parquet), False for text/object."""
    return series.dtype.kind in "biufmM" or str(series.dtype) in ("boolean", "Int64", "Float64")


def _stripped_text(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text values trimmed of surrounding whitespace, and where they are blank (missing or '').

    A categorical column of text (a validated copy's Parquet reads back so) is trimmed on its
    distinct values, then expanded by its codes: the same ``str`` values as converting every row
    (about 0.3 CPU s per million rows, ~3.4 s for the scale-1 copy, against ~0.02 s).

    Examples
    --------
    >>> s = pd.Series(pd.Categorical([" a", None, "b ", "", " a"]), index=[5, 6, 7, 8, 9])
    >>> text, blank = _stripped_text(s)
    >>> text.tolist(), blank.tolist(), text.equals(s.astype("str").str.strip())
    (['a', nan, 'b', '', 'a'], [False, True, False, True, False], True)
    """
    if isinstance(series.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(series.cat.categories):
        names = pd.Series(series.cat.categories).astype("str").str.strip()
        codes = series.cat.codes.to_numpy()
        text = pd.Series(names.array.take(codes, allow_fill=True), index=series.index, name=series.name)
        blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
        return text, blank
    text = series if isinstance(series.dtype, pd.StringDtype) else series.astype("str")
    text = text.str.strip()
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
    return text, blank


def _typed_text(series: pd.Series) -> pd.Series:
    """Numbers/booleans stored where text was expected: whole floats lose their '.0'."""
    if series.dtype.kind == "f":
        whole = series.notna() & (series == series.round())
        text = series.astype("str")
        # only the whole values are written as integers (casting the whole column to Int64 raised
        # TypeError as soon as one value, e.g. 2.5, was not whole); "%.0f" has no int64 overflow
        text[whole] = series[whole].map("{:.0f}".format)
        return text
    return series.astype("str")


_ISO_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


#: Dates a ``datetime64[ns]`` column can hold (years 1678 … 2261); anything else is a placeholder.
MIN_DATE, MAX_DATE = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")
OUT_OF_RANGE_DATE = "is not a usable date: the year is before 1678 or after 2261 (a placeholder such as 0001-01-01?)"
_EXPECTED = {"int": "whole numbers", "float": "numbers", "bool": "true/false values", "date": "dates"}


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse ISO dates (``YYYY-MM-DD``, optionally followed by a time, which is dropped).

    Anything else, including impossible dates, a bare year and years outside 1678 … 2261
    (``0001-01-01``), becomes ``NaT``.

    Examples
    --------
    >>> parse_dates(pd.Series(["2023-01-05", "2023-01-05T13:45:00Z", "2023-02-30", "2023", "05/01/2023",
    ...                        "0001-01-01"])).tolist()
    [Timestamp('2023-01-05 00:00:00'), Timestamp('2023-01-05 00:00:00'), NaT, NaT, NaT, NaT]
    """
    day = values.astype("str").str.extract(_ISO_DATE, expand=False)
    year = pd.to_numeric(day.str.slice(0, 4), errors="coerce")
    day = day.where((year >= MIN_DATE.year) & (year <= MAX_DATE.year))
    return pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")


def _typed_mismatch(series: pd.Series, kind: str) -> str | None:
    """Reason when a typed (Parquet) column holds a type that cannot be this ``kind``."""
    k = series.dtype.kind
    if kind in ("date", "month") and k != "M":
        text = "YYYY-MM-DD" if kind == "date" else "YYYY-MM"
        return (f"holds {series.dtype} values, not dates: store the column as a date/timestamp "
                f"or as text {text}")
    if kind in ("int", "float", "bool") and k == "M":
        return f"holds dates, not {_EXPECTED[kind]}"
    return None


def _datetime_in_range(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A typed datetime column as ``datetime64[ns]`` and where it was outside 1678 … 2261."""
    values = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
    outside = (values.notna() & ((values < MIN_DATE) | (values > MAX_DATE))).to_numpy(dtype=bool)
    if outside.any():
        values = values.mask(outside)
    return values.astype("datetime64[ns]"), outside


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_months(values: pd.Series) -> pd.Series:
    """Parse calendar months ``YYYY-MM`` to the first day of the month; anything else is ``NaT``.

    Examples
    --------
    >>> parse_months(pd.Series(["2018-01", "2018-13", "2018-01-05", "2018"])).tolist()
    [Timestamp('2018-01-01 00:00:00'), NaT, NaT, NaT]
    """
    month = values.astype("str").str.extract(_MONTH)
    text = month[0] + "-" + month[1] + "-01"
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def coerce_column(series: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, np.ndarray, str]:
    """Convert one column to its contract dtype.

    Parameters
    ----------
    series : Series
        Raw values (strings from CSV, or Parquet-typed values).
    spec : ColumnSpec

    Returns
    -------
    values : Series
        Converted values (missing where blank or unconvertible).
    bad : ndarray of bool
        Rows whose non-blank value could not be converted.
    reason : str
        Plain-English reason for the ``bad`` rows.

    Examples
    --------
    >>> s = pd.Series(["3", "-1", "2.5", "x", ""])
    >>> values, bad, reason = coerce_column(s, ColumnSpec("age", "int", nullable=True))
    >>> values.tolist(), bad.tolist()
    ([3, -1, <NA>, <NA>, <NA>], [False, False, True, True, False])
    """
    kind = spec.kind
    no_bad = np.zeros(len(series), dtype=bool)
    typed = _is_typed(series)
    if kind in TEXT_KINDS:
        if typed:
            text = _typed_text(series).where(series.notna()).astype("str")
            return (text.str.upper() if spec.uppercase else text), no_bad, ""
        text, blank = _stripped_text(series)
        if spec.uppercase:
            text = text.str.upper()
        text = text.where(~blank).astype("str")
        # clean text (the usual case) keeps the raw column's buffers: a second copy of every
        # string column of a 20 M-row table is ~2 GB while validation holds both frames
        if series.dtype == text.dtype and text.equals(series):
            return series, no_bad, ""
        return text, no_bad, ""

    if typed and (mismatch := _typed_mismatch(series, kind)) is not None:
        bad = series.notna().to_numpy(dtype=bool)
        if kind == "float":
            empty = pd.Series(np.nan, index=series.index, dtype="float64")
        else:
            empty = pd.Series(pd.NA, index=series.index,
                              dtype={"int": "Int64", "bool": "boolean"}.get(kind, "datetime64[ns]"))
        return empty, bad, mismatch
    if typed:
        blank = series.isna().to_numpy(dtype=bool)
        text = None
    else:
        text, blank = _stripped_text(series)

    if kind in ("int", "float"):
        if text is None and series.dtype.kind == "b":
            return series.astype("Int64" if spec.nullable else "int64"), no_bad, ""
        if text is None and series.dtype.kind == "i":
            return (series.astype("Int64") if spec.nullable else series.astype("int64")), no_bad, ""
        if text is None:
            numbers = series.astype("float64")
        else:
            numbers = _by_unique(text, lambda u: pd.to_numeric(u, errors="coerce").astype("float64"))
        raw = numbers.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(raw)
        bad = ~blank & ~finite
        if kind == "float":
            return pd.Series(np.where(finite, raw, np.nan), index=series.index), bad, "is not a number"
        filled = np.where(finite, raw, 0.0)
        too_big = finite & (np.abs(filled) > MAX_ABS_NUMBER)
        fractional = finite & ~too_big & (filled % 1 != 0)
        bad = bad | fractional
        ints = pd.Series(np.where(finite & ~fractional & ~too_big, raw, np.nan), index=series.index).astype("Int64")
        if too_big.any():
            # out-of-range values are kept visible (as just over the limit) so the range check reports them
            ints = ints.mask(too_big, int(MAX_ABS_NUMBER) + 1)
        if not spec.nullable and not ints.isna().any():
            ints = ints.astype("int64")
        return ints, bad, "is not a whole number"

    if kind == "bool":
        reason = "is not true/false (accepted: true, false, 1, 0, Y, N)"
        if series.dtype.kind == "b":
            return series, no_bad, ""
        if text is None:
            mapped = series.map({1: True, 0: False})
        else:
            mapping = {w: True for w in TRUE_WORDS} | {w: False for w in FALSE_WORDS}
            mapped = _by_unique(text.str.lower(), lambda u: u.map(mapping))
        bad = ~blank & mapped.isna().to_numpy()
        values = mapped.astype("boolean")
        if spec.dtype == "bool" and not values.isna().any():
            values = values.astype(bool)
        return values, bad, reason

    if kind == "month":
        reason = "is not a calendar month in the form YYYY-MM"
        if series.dtype.kind == "M":
            values, outside = _datetime_in_range(series)
            bad = outside | (values.notna().to_numpy() & (values.dt.day != 1).to_numpy())
            return values.mask(bad), bad, reason + " (or a first-of-month date, years 1678 to 2261)"
        values = pd.Series(_by_unique(text, parse_months), index=series.index).astype("datetime64[ns]")
        bad = ~blank & values.isna().to_numpy()
        return values, bad, reason
    if kind == "date":
        if series.dtype.kind == "M":
            values, outside = _datetime_in_range(series)
            return values, outside, OUT_OF_RANGE_DATE
        if series.dtype == object and series.map(type).isin([dt.date, dt.datetime, pd.Timestamp]).any():
            values = parse_dates(series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v))
        else:
            values = _by_unique(text, parse_dates)
        values = pd.Series(values, index=series.index).astype("datetime64[ns]")
        bad = ~blank & values.isna().to_numpy()
        return values, bad, "is not a real date in the form YYYY-MM-DD (years 1678 to 2261)"
    raise ValueError(f"unknown column kind {kind!r}")


def coerce_frame(frame: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, str]]]:
    """Coerce every contract column of ``frame``; absent optional columns are added empty.

    Returns the converted frame (contract columns only, contract order, plus ``geometry`` for
    geography) and ``{column: (bad_rows_mask, reason)}`` for columns with unconvertible cells.

    Examples
    --------
    >>> raw = pd.DataFrame({"incident_id": ["a", "b"], "date": ["2020-01-31", "2020-02-30"],
    ...                     "lsoa_code": ["X1", "X1"]})
    >>> typed, bad = coerce_frame(raw, TABLES["asb"])
    >>> str(typed["date"].dtype), bad["date"][0].tolist()
    ('datetime64[ns]', [False, True])
    """
    columns: dict[str, pd.Series] = {}
    bad: dict[str, tuple[np.ndarray, str]] = {}
    for col in spec.columns:
        if col.name not in frame.columns:
            if col.required:
                continue
            columns[col.name] = pd.Series(pd.NA, index=frame.index, dtype=col.dtype)
            continue
        values, mask, reason = coerce_column(frame[col.name], col)
        columns[col.name] = values
        if mask.any():
            bad[col.name] = (mask, reason)
    out = pd.DataFrame(columns, index=frame.index)
    if spec.geo and "geometry" in frame.columns:
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry=frame.geometry, crs=getattr(frame, "crs", None))
    return out, bad


def as_categories(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """``frame`` with its :attr:`ColumnSpec.categorical` text columns as :func:`categorical` (the
    loaded :class:`~sna_lib.data.dataset.Dataset`'s dtype for them); the frame is changed in place.

    Examples
    --------
    >>> f = pd.DataFrame({"role": pd.Series(["victim", "suspect"], dtype="str"), "age": [30, 40]})
    >>> f = as_categories(f, TABLES["persons"])
    >>> str(f["role"].dtype), f["role"].cat.categories.tolist(), f["age"].tolist()
    ('category', ['suspect', 'victim'], [30, 40])
    """
    for col in spec.columns:
        if col.categorical and col.name in frame.columns:
            frame[col.name] = pd.Series(categorical(frame[col.name]), index=frame.index)
    return frame


# --------------------------------------------------------------------------- pandera schemas


@dataclass(frozen=True)
class Context:
    """Values from the config and already-checked tables that cross-table rules refer to."""

    lsoa_codes: pa_arrow.Array | None = None
    lsoa_codes_rejected: pa_arrow.Array | None = None
    crime_ids: pa_arrow.Array | None = None
    crime_ids_rejected: pa_arrow.Array | None = None
    offence_codes: pa_arrow.Array | None = None
    csps: tuple[str, ...] | None = None
    areas: tuple[str, ...] | None = None
    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    max_year: int | None = None
    missing_months: tuple[str, ...] = ()


def looks_like_formula(s: pd.Series) -> pd.Series:
    """True where a text cell would run as a spreadsheet formula (CSV/formula injection).

    A leading ``=``, ``@``, ``+`` or ``-`` (after optional whitespace, including tab/CR)
    counts, except a plain signed number such as ``-0.5`` which a spreadsheet reads as a
    number. Uses RE2-compatible patterns so pyarrow evaluates them vectorised.

    Examples
    --------
    >>> looks_like_formula(pd.Series(["=1+2", "-3", "+44", "-cmd|x", "@SUM(A1)", "Robbery", "\t=x"])).tolist()
    [True, False, False, True, True, False, True]
    """
    arr = _arrow_strings(s)
    # cheap pre-filter on the first character; the regexes run on the few candidates only
    first_chars = pa_arrow.array(_FORMULA_FIRST, type=pa_arrow.large_string())
    candidate = _to_bool_series(pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=first_chars), s.index)
    if not candidate.any():
        return candidate
    subset = arr.filter(pa_arrow.array(candidate.to_numpy()))
    flagged = pc.and_(pc.match_substring_regex(subset, FORMULA_START),
                      pc.invert(pc.match_substring_regex(subset, SIGNED_NUMBER)))
    out = candidate.copy()
    out[candidate.to_numpy()] = flagged.fill_null(False).to_numpy(zero_copy_only=False)
    return out


def _arrow_strings(s: pd.Series) -> pa_arrow.Array:
    return pa_arrow.array(s.astype("str"), type=pa_arrow.large_string(), from_pandas=True)


def _to_bool_series(result: pa_arrow.Array, index: pd.Index) -> pd.Series:
    return pd.Series(result.fill_null(False).to_numpy(zero_copy_only=False), index=index, dtype=bool)


def isin(s: pd.Series, values: pa_arrow.Array) -> pd.Series:
    """Vectorised membership test of a string Series in a pyarrow ``values`` array.

    Examples
    --------
    >>> isin(pd.Series(["a", "b", None], dtype="str"), value_set(["a"])).tolist()
    [True, False, False]
    """
    result = pc.is_in(_arrow_strings(s), value_set=values.cast(pa_arrow.large_string()), skip_nulls=True)
    return _to_bool_series(result, s.index)


def value_set(values: Iterable) -> pa_arrow.Array:
    """The distinct non-missing values of ``values`` as a pyarrow string array (for :func:`isin`)."""
    if not isinstance(values, pd.Series):
        values = pd.Series(list(values), dtype="str")
    arr = pa_arrow.array(values.astype("str"), type=pa_arrow.large_string(), from_pandas=True)
    return pc.unique(arr.drop_null())


def _formula_check() -> pa.Check:
    return pa.Check(lambda s: ~looks_like_formula(s), ignore_na=True,
                    error="starts like a spreadsheet formula (=, +, -, @); refused to protect spreadsheet users")


def _membership_checks(known: pa_arrow.Array, rejected: pa_arrow.Array | None,
                       unknown_error: str, rejected_error: str) -> list[pa.Check]:
    checks = [pa.Check(lambda s: isin(s, known), ignore_na=True, error=unknown_error)]
    if rejected is not None and len(rejected):
        checks.append(pa.Check(lambda s: ~isin(s, rejected), ignore_na=True, error=rejected_error))
    return checks


def _reference_checks(col: ColumnSpec, context: Context) -> list[pa.Check]:
    """Checks that values exist in another table / the config; none when that is unknown."""
    ref = col.references
    if ref == "geography.lsoa_code" and context.lsoa_codes is not None:
        return _membership_checks(context.lsoa_codes, context.lsoa_codes_rejected,
                                  "is not an LSOA code in geography",
                                  "refers to an LSOA whose row in geography was rejected")
    if ref == "crimes.crime_id" and context.crime_ids is not None:
        return _membership_checks(context.crime_ids, context.crime_ids_rejected,
                                  "is not a crime_id in crimes",
                                  "refers to a crime whose row in crimes was rejected")
    if ref == "reference.offence_code" and context.offence_codes is not None:
        codes = context.offence_codes
        return [pa.Check(lambda s: isin(s, codes), ignore_na=True,
                         error="is not a Home Office offence code in the shipped reference table")]
    if ref == "config.csps" and context.csps is not None:
        csps = value_set(context.csps)
        return [pa.Check(lambda s: isin(s, csps), ignore_na=True,
                         error=f"is not a CSP listed in config.csps ({', '.join(context.csps)})")]
    if ref == "config.areas" and context.areas is not None:
        areas = value_set(context.areas)
        return [pa.Check(lambda s: isin(s, areas), ignore_na=True,
                         error="is not a CSP in config.csps, 'county' or the county name")]
    return []


def _is_consecutive_year_pair(s: pd.Series) -> pd.Series:
    first = pd.to_numeric(s.str.slice(0, 4), errors="coerce")
    second = pd.to_numeric(s.str.slice(5, 7), errors="coerce")
    return s.str.match(FY_PATTERN, na=False) & ((first + 1) % 100 == second)


def _column_checks(col: ColumnSpec, table: TableSpec, context: Context) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.kind in TEXT_KINDS:
        checks.append(_formula_check())
        limit = _MAX_LEN[col.kind]
        checks.append(pa.Check(lambda s, n=limit: s.str.len() <= n, ignore_na=True,
                               error=f"is longer than {limit} characters"))
    if col.kind == "fy":
        checks.append(pa.Check(_is_consecutive_year_pair, ignore_na=True,
                               error="is not a year like '2018/19' (two consecutive years)"))
    if col.allowed is not None:
        checks.append(pa.Check.isin(list(col.allowed),
                                    error=f"is not one of the allowed values: {', '.join(col.allowed)}"))
    if col.kind in ("int", "float"):
        low, high = col.min, col.max
        if col.name == "year" and context.max_year is not None:
            high = min(high if high is not None else context.max_year, context.max_year)
        if low is not None and high is not None:
            bound = (lambda x: str(int(x))) if col.name == "year" else _number  # years print without separators
            checks.append(pa.Check.in_range(low, high, error=f"must be between {bound(low)} and {bound(high)}"))
    if col.kind in ("date", "month") and table.dated and context.period_start is not None:
        start, end = context.period_start, context.period_end
        checks.append(pa.Check.in_range(
            start, end, error=f"is outside the data period {start:%Y-%m-%d} to {end:%Y-%m-%d}"))
    if col.kind in ("date", "month") and table.dated and context.missing_months:
        missing = list(context.missing_months)
        checks.append(pa.Check(
            lambda s: ~s.dt.strftime("%Y-%m").isin(missing), ignore_na=True,
            error=f"falls in a month that config.yaml coverage.missing_months declares missing ({', '.join(missing)})"))
    checks.extend(_reference_checks(col, context))
    return checks


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _sum_check(total: str, parts: tuple[str, ...]) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        summed = df[list(parts)].sum(axis=1, min_count=len(parts))
        return (summed == df[total]) | summed.isna() | df[total].isna()

    return pa.Check(check, error=sum_error(total, parts))


def sum_error(total: str, parts: tuple[str, ...]) -> str:
    """The reason given when ``parts`` do not add up to ``total`` in a row."""
    return f"{' + '.join(parts)} does not add up to {total}"


def table_schema(spec: TableSpec, context: Context | None = None) -> pa.DataFrameSchema:
    """Build the pandera schema for one table, binding cross-table rules to ``context``.

    The schema expects the output of :func:`coerce_frame`. Every check carries a
    plain-English ``error`` that becomes the problem's reason.

    Examples
    --------
    >>> schema = table_schema(TABLES["hospital_admissions"])
    >>> frame = pd.DataFrame({"financial_year": pd.Series(["2018/19", "2019/21"], dtype="str"),
    ...                       "age_band": pd.Series(["under_25", "25_plus"], dtype="str"),
    ...                       "admissions": pd.Series([3, -1], dtype="int64")})
    >>> import pandera.errors
    >>> try:
    ...     schema.validate(frame, lazy=True)
    ... except pandera.errors.SchemaErrors as exc:
    ...     sorted(exc.failure_cases["column"].tolist())
    ['admissions', 'financial_year']
    """
    context = context or Context()
    columns = {}
    for col in spec.columns:
        # integer and flag columns stay nullable until rejected rows are dropped, so only the
        # float and date dtypes are asserted here; coerce_frame guarantees the others
        dtype = col.dtype if col.kind in ("float", "date", "month") else None
        columns[col.name] = pa.Column(
            dtype, checks=_column_checks(col, spec, context), nullable=True,
            unique=col.unique or spec.key == (col.name,), report_duplicates="exclude_first",
            required=col.required,
        )
    key = list(spec.key) if len(spec.key) > 1 else None
    return pa.DataFrameSchema(
        columns, checks=[_sum_check(total, parts) for total, parts in spec.sums],
        unique=key, report_duplicates="exclude_first", strict=False, coerce=False, name=spec.name,
    )


def required_missing(frame: pd.DataFrame, spec: TableSpec) -> dict[str, np.ndarray]:
    """Rows where a non-nullable column is blank, per column (after coercion)."""
    out = {}
    for col in spec.columns:
        if not col.nullable and col.name in frame.columns:
            mask = frame[col.name].isna().to_numpy()
            if mask.any():
                out[col.name] = mask
    return out
