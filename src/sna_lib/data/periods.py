"""Month-level periods: which months the data hold, and honest labels for periods that span a gap.

Open data arrive month by month and months can be missing (police.uk Essex has no 2018-08 or
2018-09 here). :class:`Coverage` records the months a data folder holds (``config.yaml``
``coverage``, or the months with records when that is not declared); :func:`label_period`
says how many months of a period are present and which are missing, and
:func:`comparable` refuses a like-for-like comparison between a period with a gap and one
without (or of different lengths).

Examples
--------
>>> cov = Coverage.from_months(["2018-01", "2018-02", "2018-04"])
>>> cov.missing
('2018-03',)
>>> label_period("2018-01", "2018-04", cov).text
'Jan 2018 – Apr 2018 (3 of 4 months; missing: Mar 2018)'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


def _period(month) -> pd.Period:
    return pd.Period(month, freq="M")


def _months(start, end) -> list[pd.Period]:
    return list(pd.period_range(_period(start), _period(end), freq="M"))


def _name(p: pd.Period) -> str:
    return p.strftime("%b %Y")


@dataclass(frozen=True)
class Coverage:
    """The months a data folder covers: ``first`` … ``last`` (``YYYY-MM``) minus ``missing``."""

    first: str
    last: str
    missing: tuple[str, ...] = ()

    @classmethod
    def from_months(cls, months: Iterable) -> "Coverage":
        """Coverage from the months that have records; gaps between them are missing.

        Examples
        --------
        >>> cov = Coverage.from_months(["2019-02", "2018-12"])
        >>> cov.present, cov.missing
        (('2018-12', '2019-02'), ('2019-01',))
        """
        periods = sorted({_period(m) for m in months})
        if not periods:
            raise ValueError("no months: coverage needs at least one month with records")
        have = set(periods)
        missing = tuple(str(p) for p in _months(periods[0], periods[-1]) if p not in have)
        return cls(str(periods[0]), str(periods[-1]), missing)

    @classmethod
    def from_dataset(cls, dataset) -> "Coverage":
        """``config.yaml`` ``coverage`` when declared, else the months of ``dataset.crimes``."""
        declared = dataset.config.coverage
        if declared.first_month and declared.last_month:
            return cls(declared.first_month, declared.last_month, tuple(declared.missing_months))
        return cls.from_months(dataset.crimes["date"].dt.to_period("M"))

    @property
    def present(self) -> tuple[str, ...]:
        """Every covered month (``YYYY-MM``), in order, with the missing ones left out."""
        missing = set(self.missing)
        return tuple(str(p) for p in _months(self.first, self.last) if str(p) not in missing)

    def has(self, month) -> bool:
        """True when ``month`` lies in ``first … last`` and is not missing."""
        p = _period(month)
        return _period(self.first) <= p <= _period(self.last) and str(p) not in self.missing


@dataclass(frozen=True)
class PeriodLabel:
    """A period ``start … end`` (months, inclusive) and what the data hold of it."""

    start: str
    end: str
    months: int
    missing: tuple[str, ...]

    @property
    def present(self) -> int:
        """Months of the period that have data."""
        return self.months - len(self.missing)

    @property
    def complete(self) -> bool:
        """True when no month of the period is missing."""
        return not self.missing

    @property
    def text(self) -> str:
        """Plain label: the span, and for an incomplete period the months present and missing."""
        span = f"{_name(_period(self.start))} – {_name(_period(self.end))}"
        if self.complete:
            return span
        gone = ", ".join(_name(_period(m)) for m in self.missing)
        return f"{span} ({self.present} of {self.months} months; missing: {gone})"


def label_period(start, end, coverage: Coverage) -> PeriodLabel:
    """Label the months ``start … end``; months outside the coverage or declared missing are missing.

    Examples
    --------
    >>> cov = Coverage("2018-01", "2019-02", ("2018-08", "2018-09"))
    >>> label = label_period("2018-01", "2018-12", cov)
    >>> label.complete, label.present, label.missing
    (False, 10, ('2018-08', '2018-09'))
    >>> label_period("2018-10", "2019-02", cov).text
    'Oct 2018 – Feb 2019'
    """
    months = _months(start, end)
    if not months:
        raise ValueError(f"period end {end} is before its start {start}")
    missing = tuple(str(p) for p in months if not coverage.has(p))
    return PeriodLabel(str(months[0]), str(months[-1]), len(months), missing)


def comparable(a: PeriodLabel, b: PeriodLabel) -> bool:
    """May ``a`` and ``b`` be compared like for like? Only two complete periods of equal length.

    Examples
    --------
    >>> cov = Coverage("2018-01", "2019-02", ("2018-08", "2018-09"))
    >>> q1, q3 = label_period("2018-01", "2018-03", cov), label_period("2018-07", "2018-09", cov)
    >>> comparable(q1, label_period("2018-10", "2018-12", cov)), comparable(q1, q3)
    (True, False)
    """
    return a.complete and b.complete and a.months == b.months


def rolling_windows(coverage: Coverage, length: int = 12) -> list[PeriodLabel]:
    """The ``length``-month windows ending at each covered month that has ``length - 1`` months before it
    within the coverage span (windows over a gap are kept and labelled incomplete).

    Examples
    --------
    >>> cov = Coverage("2018-01", "2019-02", ("2018-08", "2018-09"))
    >>> [(w.end, w.present) for w in rolling_windows(cov)]
    [('2018-12', 10), ('2019-01', 10), ('2019-02', 10)]
    """
    first = _period(coverage.first)
    out = []
    for end in coverage.present:
        start = _period(end) - (length - 1)
        if start >= first:
            out.append(label_period(start, end, coverage))
    return out


def monthly_counts(dates: pd.Series, coverage: Coverage) -> pd.Series:
    """Records per month over ``first … last``; a missing month is ``<NA>``, never 0.

    Parameters
    ----------
    dates : Series of datetime64
        One date (or first-of-month) per record, e.g. ``crimes["date"]`` filtered to an area.
    coverage : Coverage

    Returns
    -------
    Series (``Int64``) indexed by ``YYYY-MM`` strings.

    Examples
    --------
    >>> cov = Coverage("2018-01", "2018-04", ("2018-03",))
    >>> monthly_counts(pd.Series(pd.to_datetime(["2018-01-01", "2018-01-01", "2018-04-01"])), cov).tolist()
    [2, 0, <NA>, 1]
    """
    months = [str(p) for p in _months(coverage.first, coverage.last)]
    counts = dates.dt.to_period("M").astype("str").value_counts().reindex(months, fill_value=0).astype("Int64")
    counts[[m for m in months if m in set(coverage.missing)]] = pd.NA
    counts.index.name = "month"
    return counts


def window_total(counts: pd.Series, label: PeriodLabel) -> int:
    """Sum of :func:`monthly_counts` over the months of ``label`` that have data (read it with
    ``label.text``: an incomplete period's total covers only its ``present`` months).

    Examples
    --------
    >>> cov = Coverage("2018-01", "2018-04", ("2018-03",))
    >>> counts = monthly_counts(pd.Series(pd.to_datetime(["2018-01-01", "2018-04-01"])), cov)
    >>> window_total(counts, label_period("2018-01", "2018-04", cov))
    2
    """
    months = [str(p) for p in _months(label.start, label.end)]
    return int(counts.reindex(months).dropna().sum())


def calendar_periods(coverage: Coverage, freq: str = "Q") -> list[PeriodLabel]:
    """Calendar quarters (``"Q"``) or years (``"Y"``) touching the coverage, each labelled.

    Examples
    --------
    >>> cov = Coverage("2018-01", "2019-02", ("2018-08", "2018-09"))
    >>> [(p.start, p.present, p.months) for p in calendar_periods(cov, "Y")]
    [('2018-01', 10, 12), ('2019-01', 2, 12)]
    """
    if freq not in ("Q", "Y"):
        raise ValueError("freq must be 'Q' (quarters) or 'Y' (calendar years)")
    spans = pd.period_range(_period(coverage.first).asfreq(freq), _period(coverage.last).asfreq(freq), freq=freq)
    return [label_period(p.asfreq("M", "start"), p.asfreq("M", "end"), coverage) for p in spans]


def data_period(dataset) -> dict[str, str | None]:
    """First and last date of the records (crimes), ISO dates.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> data_period(NS(crimes=pd.DataFrame({"date": pd.to_datetime(["2023-12-31", "2019-01-02"])})))
    {'first_date': '2019-01-02', 'last_date': '2023-12-31'}
    """
    dates = dataset.crimes["date"].dropna()
    if dates.empty:
        return {"first_date": None, "last_date": None}
    return {"first_date": dates.min().date().isoformat(), "last_date": dates.max().date().isoformat()}


#: how a month without a police.uk file is labelled (never shown as 0)
MISSING_MONTH = "missing: no police.uk file"


def in_months(table: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Rows whose month lies in ``start … end`` (``YYYY-MM``, inclusive)."""
    month = table["date"].dt.to_period("M")
    return table[(month >= pd.Period(start, "M")) & (month <= pd.Period(end, "M"))]


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
    return [q for q in calendar_periods(Coverage.from_dataset(dataset), "Q") if q.complete]
