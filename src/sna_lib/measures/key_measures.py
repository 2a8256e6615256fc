"""Key success measures (reference SNA section 8, Tables A–E) with % change and significance.

Measures
--------
1. Knife-enabled serious violence excluding domestic abuse (definition ``knife_enabled``).
2. Non-domestic homicides (definition ``non_domestic_homicide``).
3. Hospital admissions for assault with a sharp object, victims under 25 (``hospital_admissions``).
E. Knife-enabled non-domestic homicide (definition ``knife_homicide``).

Tables
------
A: latest rolling 12 months (ending ``config.rolling_end``) vs the 12 months before (measures
1, 2); latest financial year of hospital data vs the year before (measure 3).
B: measure 1, calendar baseline year (``baselines.knife_sv_calendar_year``) vs ``reporting_year``.
C: measure 2, baseline financial year (``baselines.homicide_financial_year``) vs calendar
``reporting_year`` (as published).
D: measure 3, baseline financial year (``baselines.hospital_financial_year``) vs latest year.
E: measure E, baseline financial year (``baselines.homicide_financial_year``) vs ``reporting_year``.

Every change is a whole-number % rounded half away from zero (as published) and carries a
test of the two periods (:func:`sna_lib.measures.significance.compare_periods`): the exact Poisson test
for small counts (so a "-33%" from 15 to 10 is shown as not significant), a quasi-Poisson test
with the dispersion estimated from the two periods' monthly counts for large overdispersed
counts, with population exposure when the population changed. Holm-adjusted p-values for the
family of Tables A–E sit beside the unadjusted ones (:data:`MULTIPLE_COMPARISONS_NOTE`);
:func:`significance_method` is the sentence for the page.

Examples
--------
>>> p = rolling_12_months(datetime.date(2023, 7, 31))
>>> p.label, p.start, p.end
('Aug 2022 – Jul 2023', datetime.date(2022, 8, 1), datetime.date(2023, 7, 31))
>>> financial_year("2018/19").label, financial_year("2018/19").end
('2018/19', datetime.date(2019, 3, 31))
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.measures.classify import qualifying_mask
from sna_lib.measures.significance import compare_counts, compare_periods, holm, pct_change

__all__ = [
    "MEASURES",
    "Period",
    "calendar_year",
    "financial_year",
    "rolling_12_months",
    "count_in_period",
    "hospital_admissions_in",
    "key_measures",
    "monthly_counts",
    "area_population_by_year",
    "significance_method",
    "MULTIPLE_COMPARISONS_NOTE",
]

MULTIPLE_COMPARISONS_NOTE = (
    "Tables A–E make several comparisons at once, so by chance alone about one in twenty "
    "would look significant at the 5 % level; the Holm-adjusted p-value controls the chance "
    "of any false 'significant' across the whole family."
)

#: measure id -> (title as published, definition id or ``None`` for hospital data)
MEASURES: dict[str, tuple[str, str | None]] = {
    "knife_sv": ("Knife enabled serious violence (excluding Domestic Abuse)", "knife_enabled"),
    "non_domestic_homicide": ("Non-domestic homicides", "non_domestic_homicide"),
    "u25_hospital": ("U25s admissions to hospitals", None),
    "knife_homicide": ("Knife enabled homicide (excluding Domestic Abuse)", "knife_homicide"),
}


@dataclass(frozen=True)
class Period:
    """An inclusive date range with its published label."""

    label: str
    start: datetime.date
    end: datetime.date
    kind: str  # "calendar", "financial", "rolling"

    def contains(self, dates: pd.Series) -> np.ndarray:
        """Boolean mask of ``dates`` (datetime64) within the period.

        Examples
        --------
        >>> import pandas as pd
        >>> calendar_year(2023).contains(pd.Series(pd.to_datetime(["2022-12-31", "2023-12-31"]))).tolist()
        [False, True]
        """
        start = pd.Timestamp(self.start)
        end = pd.Timestamp(self.end) + pd.Timedelta(days=1)
        return ((dates >= start) & (dates < end)).to_numpy(dtype=bool)


def calendar_year(year: int) -> Period:
    """January–December of ``year``.

    Examples
    --------
    >>> calendar_year(2020).label
    '2020'
    """
    return Period(str(year), datetime.date(year, 1, 1), datetime.date(year, 12, 31), "calendar")


def financial_year(label: str) -> Period:
    """April–March financial year from a label like ``"2018/19"``.

    Examples
    --------
    >>> financial_year("2021/22").start
    datetime.date(2021, 4, 1)
    """
    start_year = int(str(label)[:4])
    if f"{start_year}/{(start_year + 1) % 100:02d}" != label:
        raise ValueError(f"financial year must look like '2018/19', got {label!r}")
    return Period(label, datetime.date(start_year, 4, 1), datetime.date(start_year + 1, 3, 31), "financial")


def _fy_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def rolling_12_months(end: datetime.date, years_back: int = 0) -> Period:
    """The 12 months ending on ``end`` (a month end), or the window ``years_back`` years earlier.

    Examples
    --------
    >>> rolling_12_months(datetime.date(2023, 7, 31), years_back=1).label
    'Aug 2021 – Jul 2022'
    """
    end_ts = pd.Timestamp(end) - pd.DateOffset(years=years_back)
    start_ts = end_ts - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    label = f"{start_ts:%b %Y} – {end_ts:%b %Y}"
    return Period(label, start_ts.date(), end_ts.date(), "rolling")


def count_in_period(crimes: pd.DataFrame, mask: np.ndarray, period: Period) -> int:
    """Number of crimes with ``mask`` true dated within ``period``.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> c = pd.DataFrame({"date": pd.to_datetime(["2023-01-01", "2023-06-01", "2024-01-01"])})
    >>> count_in_period(c, np.array([True, False, True]), calendar_year(2023))
    1
    """
    return int((mask & period.contains(crimes["date"])).sum())


def monthly_counts(crimes: pd.DataFrame, mask: np.ndarray, period: Period) -> np.ndarray:
    """Crimes with ``mask`` true in each calendar month of ``period`` (zeros included).

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> c = pd.DataFrame({"date": pd.to_datetime(["2023-01-05", "2023-01-09", "2023-03-01"])})
    >>> monthly_counts(c, np.ones(3, bool), calendar_year(2023))[:4].tolist()
    [2, 0, 1, 0]
    """
    months = pd.period_range(period.start, period.end, freq="M")
    sel = mask & period.contains(crimes["date"])
    # months since the period's first month, counted by bincount (no Period objects)
    month = crimes["date"].to_numpy()[sel].astype("datetime64[M]").astype("int64")
    first = np.datetime64(period.start, "M").astype("int64")
    return np.bincount(month - first, minlength=len(months))[:len(months)].astype("int64")


def _monthly_exposure(period: Period, population_by_year: Mapping[int, float] | None) -> np.ndarray | None:
    """Population in each month of ``period`` (mid-year estimate of that month's calendar year,
    the nearest year available); ``None`` without population data."""
    if not population_by_year:
        return None
    years = np.array(sorted(population_by_year))
    months = pd.period_range(period.start, period.end, freq="M")
    near = [int(years[np.argmin(np.abs(years - m.year))]) for m in months]
    return np.array([float(population_by_year[y]) for y in near])


def area_population_by_year(population: pd.DataFrame | None, geography: pd.DataFrame,
                            area: str = "county") -> dict[int, float]:
    """Residents of ``area`` (``"county"`` or a CSP) per calendar year, for rate comparisons.

    Examples
    --------
    >>> import pandas as pd
    >>> pop = pd.DataFrame({"lsoa_code": ["a", "b", "a"], "year": [2022, 2022, 2023], "age": 0,
    ...                     "population": [10, 5, 12]})
    >>> geo = pd.DataFrame({"lsoa_code": ["a", "b"], "area": ["North", "South"]})
    >>> area_population_by_year(pop, geo), area_population_by_year(pop, geo, "North")
    ({2022: 15.0, 2023: 12.0}, {2022: 10.0, 2023: 12.0})
    """
    if population is None or not len(population):
        return {}
    rows = population
    if area != "county":
        lsoas = set(geography.loc[geography["area"] == area, "lsoa_code"].astype(str))
        rows = population[population["lsoa_code"].astype(str).isin(lsoas)]
    totals = rows.groupby("year")["population"].sum()
    return {int(y): float(v) for y, v in totals.items()}


def significance_method(km: pd.DataFrame) -> str:
    """The sentence a page prints under Tables A–E: which tests were used, and the family note.

    Examples
    --------
    >>> import pandas as pd
    >>> km = pd.DataFrame({"method": ["exact conditional binomial test of two Poisson counts; exact test kept (fewer than 50 events)",
    ...                               "quasi-Poisson Wald test; dispersion 2.10 from 24 monthly counts"]})
    >>> "quasi-Poisson" in significance_method(km) and "Holm" in significance_method(km)
    True
    """
    used = set()
    for m in km.get("method", pd.Series(dtype="string")).dropna().astype(str):
        used.add("quasi" if m.startswith("quasi") else "exact")
    parts = []
    if "exact" in used:
        parts.append("small counts (or counts no more variable than Poisson) use the exact conditional "
                     "binomial test of two Poisson counts")
    if "quasi" in used:
        parts.append("large counts use a quasi-Poisson test whose dispersion is estimated from the two "
                     "periods' monthly counts, because crime counts vary more than Poisson")
    text = ("Significance: " + "; ".join(parts) + ". ") if parts else ""
    return text + ("Rates use population as exposure where it changed between the periods. "
                   + MULTIPLE_COMPARISONS_NOTE)


def hospital_admissions_in(hospital: pd.DataFrame, fy: str, age_band: str = "under_25") -> int | None:
    """Admissions for one financial year and age band; ``None`` when not supplied.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"financial_year": ["2021/22", "2021/22"], "age_band": ["under_25", "25_plus"],
    ...                   "admissions": [27, 80]})
    >>> hospital_admissions_in(h, "2021/22"), hospital_admissions_in(h, "2018/19")
    (27, None)
    """
    rows = hospital[(hospital["financial_year"] == fy) & (hospital["age_band"] == age_band)]
    return int(rows["admissions"].sum()) if len(rows) else None


def _row(table: str, measure: str, before_p: Period, after_p: Period, before: int | None,
         after: int | None, comparison: str, note: str = "", monthly: tuple | None = None,
         exposure: tuple | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "table": table, "measure_id": measure, "measure": MEASURES[measure][0],
        "comparison": comparison, "before_period": before_p.label, "after_period": after_p.label,
        "before": before, "after": after, "pct_change": None, "pct_change_exact": None,
        "p_value": None, "significant": None, "significance": "", "note": note, "method": None,
        "dispersion": None,
    }
    if before is not None and after is not None:
        out["pct_change"] = pct_change(before, after)
        out["pct_change_exact"] = pct_change(before, after, None)
        if monthly is not None:
            eb, ea = exposure if exposure is not None else (None, None)
            test = compare_periods(monthly[0], monthly[1], exposure_before=eb, exposure_after=ea)
        else:
            test = compare_counts(before, after)
            test = type(test)(**{**test.__dict__, "method": test.method + " (annual counts only)"})
        out["p_value"] = test.p_value
        out["significant"] = test.significant
        out["significance"] = test.label()
        out["method"] = test.method
        out["dispersion"] = test.dispersion
    return out


def _available(period: Period, first: datetime.date, last: datetime.date) -> bool:
    return period.start >= first and period.end <= last


def key_measures(crimes: pd.DataFrame, hospital_admissions: pd.DataFrame | None, config: Any,
                 population_by_year: Mapping[int, float] | None = None) -> pd.DataFrame:
    """Reference Tables A–E for the given crimes (already filtered to the area of interest).

    Parameters
    ----------
    crimes : pandas.DataFrame
        Contract crimes (all crime; the measures' definitions pick the relevant ones).
    hospital_admissions : pandas.DataFrame or None
        Contract hospital table (county level); ``None`` for areas without hospital data.
    config : Config
        Uses ``rolling_end``, ``reporting_year``, ``first_year``, ``baselines``.
    population_by_year : mapping, optional
        The area's population per calendar year: crime comparisons then compare rates
        (monthly exposure = that month's year's population).

    Returns
    -------
    pandas.DataFrame
        One row per table row: ``table, measure_id, measure, comparison, before_period,
        after_period, before, after, pct_change`` (whole %), ``pct_change_exact, p_value,
        significant, significance, note, method, dispersion, p_value_holm,
        significant_holm``. Counts are ``None`` where a period is outside the data (explained
        in ``note``). ``method`` names each row's test; see :func:`significance_method`.
    """
    masks = {m: qualifying_mask(crimes, d) for m, (_, d) in MEASURES.items() if d is not None}
    first = datetime.date(config.first_year, 1, 1)
    last = max(datetime.date(config.reporting_year, 12, 31), config.rolling_end)
    rows: list[dict[str, Any]] = []

    def crime_row(table: str, measure: str, before_p: Period, after_p: Period, comparison: str) -> None:
        missing = [p.label for p in (before_p, after_p) if not _available(p, first, last)]
        if missing:
            rows.append(_row(table, measure, before_p, after_p, None, None, comparison,
                             f"no crime data for {', '.join(missing)}"))
            return
        mb, ma = (monthly_counts(crimes, masks[measure], p) for p in (before_p, after_p))
        exposure = None
        if population_by_year:
            exposure = (_monthly_exposure(before_p, population_by_year), _monthly_exposure(after_p, population_by_year))
        rows.append(_row(table, measure, before_p, after_p, int(mb.sum()), int(ma.sum()), comparison,
                         monthly=(mb, ma), exposure=exposure))

    latest, previous = rolling_12_months(config.rolling_end), rolling_12_months(config.rolling_end, 1)
    crime_row("A", "knife_sv", previous, latest, "previous year")
    crime_row("A", "non_domestic_homicide", previous, latest, "previous year")

    fys = []
    if hospital_admissions is not None and len(hospital_admissions):
        fys = sorted(set(hospital_admissions.loc[hospital_admissions["age_band"] == "under_25", "financial_year"]))
    if fys:
        latest_fy = financial_year(fys[-1])
        prev_fy = financial_year(_fy_label(latest_fy.start.year - 1))
        rows.append(_row("A", "u25_hospital", prev_fy, latest_fy,
                         hospital_admissions_in(hospital_admissions, prev_fy.label),
                         hospital_admissions_in(hospital_admissions, latest_fy.label), "previous year",
                         "" if prev_fy.label in fys else f"no hospital data for {prev_fy.label}"))
    else:
        rows.append(_row("A", "u25_hospital", financial_year(_fy_label(config.reporting_year - 2)),
                         financial_year(_fy_label(config.reporting_year - 1)), None, None, "previous year",
                         "hospital admissions not available for this area"))

    base = config.baselines
    crime_row("B", "knife_sv", calendar_year(int(base["knife_sv_calendar_year"])),
              calendar_year(config.reporting_year), "baseline")
    crime_row("C", "non_domestic_homicide", financial_year(base["homicide_financial_year"]),
              calendar_year(config.reporting_year), "baseline")
    base_fy = financial_year(base["hospital_financial_year"])
    if fys:
        latest_fy = financial_year(fys[-1])
        b = hospital_admissions_in(hospital_admissions, base_fy.label)
        rows.append(_row("D", "u25_hospital", base_fy, latest_fy, b,
                         hospital_admissions_in(hospital_admissions, latest_fy.label), "baseline",
                         "" if b is not None else f"no hospital data for {base_fy.label}"))
    else:
        rows.append(_row("D", "u25_hospital", base_fy, base_fy, None, None, "baseline",
                         "hospital admissions not available for this area"))
    crime_row("E", "knife_homicide", financial_year(base["homicide_financial_year"]),
              calendar_year(config.reporting_year), "baseline")
    out = pd.DataFrame(rows)
    for col in ("before", "after"):
        out[col] = out[col].astype("Int64")
    out["p_value_holm"] = holm([None if pd.isna(p) else float(p) for p in out["p_value"]])
    # the column is float, so a row without a test holds NaN, not None: no verdict for it
    out["significant_holm"] = [None if pd.isna(p) else bool(p < 0.05) for p in out["p_value_holm"]]
    return out
