"""Month-level periods over a coverage with missing months (values by hand)."""

from __future__ import annotations

import pytest

from sna_lib.data.periods import Coverage, calendar_periods, comparable, label_period, rolling_windows

ESSEX = Coverage("2018-01", "2019-02", ("2018-08", "2018-09"))


def test_present_months():
    assert len(ESSEX.present) == 12
    assert "2018-08" not in ESSEX.present and ESSEX.present[-1] == "2019-02"
    assert ESSEX.has("2018-07") and not ESSEX.has("2018-09") and not ESSEX.has("2019-03")


def test_period_spanning_the_gap_is_labelled():
    label = label_period("2018-06", "2018-11", ESSEX)
    assert (label.months, label.present, label.missing) == (6, 4, ("2018-08", "2018-09"))
    assert label.text == "Jun 2018 – Nov 2018 (4 of 6 months; missing: Aug 2018, Sep 2018)"


def test_months_outside_the_coverage_count_as_missing():
    label = label_period("2017-12", "2018-01", ESSEX)
    assert label.missing == ("2017-12",) and not label.complete


def test_quarters_and_years():
    quarters = calendar_periods(ESSEX, "Q")
    assert [(q.start, q.present) for q in quarters] == [
        ("2018-01", 3), ("2018-04", 3), ("2018-07", 1), ("2018-10", 3), ("2019-01", 2)]
    assert [q.complete for q in quarters] == [True, True, False, True, False]
    # 2019 Q1 lacks March 2019 (beyond the data), so it is incomplete too
    assert quarters[-1].missing == ("2019-03",)


def test_incomplete_periods_never_compare_like_for_like():
    q1, q2, q3, q4 = calendar_periods(ESSEX, "Q")[:4]
    assert comparable(q1, q2) and comparable(q1, q4)
    assert not comparable(q2, q3) and not comparable(q3, q4)
    year = label_period("2018-01", "2018-12", ESSEX)
    assert not comparable(year, q1)


def test_rolling_windows_end_at_each_month_with_a_full_span():
    windows = rolling_windows(ESSEX, 12)
    assert [w.end for w in windows] == ["2018-12", "2019-01", "2019-02"]
    assert all(w.present == 10 and not w.complete for w in windows)
    three = rolling_windows(ESSEX, 3)
    assert [(w.end, w.complete) for w in three][:6] == [
        ("2018-03", True), ("2018-04", True), ("2018-05", True), ("2018-06", True), ("2018-07", True),
        ("2018-10", False)]


def test_coverage_from_months_finds_gaps():
    cov = Coverage.from_months(["2018-03", "2018-01", "2018-01"])
    assert (cov.first, cov.last, cov.missing) == ("2018-01", "2018-03", ("2018-02",))
    with pytest.raises(ValueError):
        Coverage.from_months([])


def test_monthly_counts_leave_missing_months_empty_not_zero():
    import pandas as pd

    from sna_lib.data.periods import monthly_counts, window_total

    dates = pd.Series(pd.to_datetime(["2018-07-01", "2018-07-01", "2018-10-01", "2019-02-01"]))
    counts = monthly_counts(dates, ESSEX)
    assert len(counts) == 14 and counts.index[0] == "2018-01" and counts.index[-1] == "2019-02"
    assert counts["2018-07"] == 2 and counts["2018-01"] == 0
    assert counts[["2018-08", "2018-09"]].isna().all() and int(counts.isna().sum()) == 2
    year = label_period("2018-01", "2018-12", ESSEX)
    assert window_total(counts, year) == 3 and year.present == 10
