"""The reporting period of one run: ``--reporting-year`` and ``--as-of YYYY-MM``.

A monthly run names the last complete month (``as_of``): the rolling window is the 12 months
ending on the last day of that month, compared with the 12 months before it (measures A, see
:mod:`sna_lib.measures`). ``reporting_year`` is the calendar year of the year-based tables.
Both default to the data folder's ``config.yaml`` (``reporting_year``, ``rolling_end``); the
CLI, :func:`sna_lib.book.pipeline.build_book` and the notebooks' papermill parameters
(``reporting_year``, ``as_of``) override them, and :func:`apply_period` gives the config every
computation of the run then reads.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re

from sna_lib.errors import SnaError

__all__ = ["PeriodError", "parse_as_of", "as_of_label", "apply_period", "previous_month"]

_AS_OF = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(SnaError):
    """A ``--reporting-year`` / ``--as-of`` value is malformed or outside the data's period."""


def parse_as_of(value: str | dt.date | None) -> dt.date | None:
    """Last day of the month named ``YYYY-MM`` (the end of the rolling 12 months).

    Examples
    --------
    >>> parse_as_of("2023-07"), parse_as_of("2024-02")
    (datetime.date(2023, 7, 31), datetime.date(2024, 2, 29))
    >>> parse_as_of(None) is None
    True
    >>> parse_as_of("2023-7")
    Traceback (most recent call last):
    ...
    sna_lib.period.PeriodError: --as-of must be YYYY-MM (e.g. 2023-07), got '2023-7'
    """
    if value is None:
        return None
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, calendar.monthrange(value.year, value.month)[1])
    match = _AS_OF.match(str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"--as-of must be YYYY-MM (e.g. 2023-07), got {value!r}")
    year, month = int(match.group(1)), int(match.group(2))
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def as_of_label(day: dt.date) -> str:
    """``YYYY-MM`` of a date.

    Examples
    --------
    >>> as_of_label(dt.date(2023, 7, 31))
    '2023-07'
    """
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(as_of: str) -> str:
    """The month before ``YYYY-MM``.

    Examples
    --------
    >>> previous_month("2023-07"), previous_month("2024-01")
    ('2023-06', '2023-12')
    """
    end = parse_as_of(as_of)
    first = end.replace(day=1) - dt.timedelta(days=1)
    return as_of_label(first)


def apply_period(config, *, reporting_year: int | None = None, as_of: str | dt.date | None = None):
    """``config`` with the run's reporting year and rolling-window end.

    Parameters
    ----------
    config : sna_lib.data.config.Config
    reporting_year : int, optional
        Calendar year of the year-based tables; default ``config.reporting_year``. Must lie
        between ``config.first_year`` and the last year of the data (``config.period_end``).
    as_of : str ``YYYY-MM`` or date, optional
        Last month of the rolling 12 months; default ``config.rolling_end``. Must fall within
        ``reporting_year`` or the year after (the rule ``config.yaml`` follows) and not after
        the data's last date.

    Returns
    -------
    Config
        The same object when nothing changes.

    Raises
    ------
    PeriodError
        With the offending option and the allowed range.

    Examples
    --------
    >>> from sna_lib.data.config import Config
    >>> cfg = Config(county="Demo", csps=("A",), reporting_year=2023, first_year=2014,
    ...              rolling_end=dt.date(2023, 12, 31))
    >>> new = apply_period(cfg, as_of="2023-06")
    >>> new.rolling_end, new.reporting_year
    (datetime.date(2023, 6, 30), 2023)
    >>> apply_period(cfg, reporting_year=2022, as_of="2022-12").rolling_end
    datetime.date(2022, 12, 31)
    >>> apply_period(cfg, as_of="2024-03")
    Traceback (most recent call last):
    ...
    sna_lib.period.PeriodError: --as-of 2024-03 is after the last date of the data (2023-12-31)
    """
    if reporting_year is None and as_of is None:
        return config
    data_end = config.period_end
    year = int(config.reporting_year) if reporting_year is None else int(reporting_year)
    if not int(config.first_year) <= year <= data_end.year:
        raise PeriodError(f"--reporting-year {year} is outside the data ({config.first_year}–{data_end.year})")
    if as_of is not None:
        end = parse_as_of(as_of)
    elif reporting_year is not None and reporting_year != config.reporting_year:
        end = dt.date(year, 12, 31)  # a different year without --as-of: its calendar year
    else:
        end = config.rolling_end
    label = as_of_label(end)
    if end > data_end:
        raise PeriodError(f"--as-of {label} is after the last date of the data ({data_end})")
    if not dt.date(year, 1, 1) <= end <= dt.date(year + 1, 12, 31):
        raise PeriodError(f"--as-of {label} must fall in reporting year {year} or the year after "
                          f"(pass --reporting-year {end.year if end.month == 12 else end.year - 1})")
    if end.replace(day=1) < dt.date(int(config.first_year) + 1, 1, 1):
        raise PeriodError(f"--as-of {label} leaves no earlier 12 months to compare with "
                          f"(data start in {config.first_year})")
    if year == config.reporting_year and end == config.rolling_end:
        return config
    return dataclasses.replace(config, reporting_year=year, rolling_end=end)
