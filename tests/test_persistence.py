"""Persistence and new hot spots on a hand-made five-year table."""

from __future__ import annotations

import pandas as pd
import pytest

from sna_lib.index.persistence import hotspots_by_year, persistence, wide

YEARS = [2018, 2019, 2020, 2021, 2022]


def hand_table() -> pd.DataFrame:
    rows = {
        "always": [1, 1, 1, 1, 1],
        "new22": [0, 0, 0, 0, 1],
        "back22": [1, 0, 0, 0, 1],      # hot in 2018 -> not new in 2022
        "gone": [1, 1, 0, 0, 0],
        "never": [0, 0, 0, 0, 0],
        "old17": [0, 0, 0, 0, 1],       # hot in 2017 only outside the window -> still new
    }
    hot = pd.DataFrame(rows, index=YEARS).T.astype(bool)
    hot.insert(0, 2017, [False, False, False, False, False, True])
    return hot


def test_years_hot_and_new_by_hand():
    res = persistence(hand_table(), end_year=2022, window=5)
    assert res["years_hot"].to_dict() == {"always": 5, "new22": 1, "back22": 2, "gone": 2, "never": 0, "old17": 1}
    assert res.index[res["new"]].tolist() == ["new22", "old17"]
    assert res.index[res["hot_now"]].tolist() == ["always", "new22", "back22", "old17"]
    assert res.attrs["window"] == (2018, 2022)


def test_earlier_end_year_and_shorter_window():
    res = persistence(hand_table(), end_year=2019, window=2)
    assert res["years_hot"].to_dict() == {"always": 2, "new22": 0, "back22": 1, "gone": 2, "never": 0, "old17": 0}
    assert res.index[res["new"]].tolist() == []


def test_missing_year_is_an_error_not_zero():
    with pytest.raises(ValueError, match="lacks year"):
        persistence(hand_table().drop(columns=2020), end_year=2022, window=5)


def test_yearly_poisson_hotspots_feed_persistence():
    counts = pd.DataFrame({2021: [12, 2, 2, 1], 2022: [14, 2, 14, 1]}, index=["a", "b", "c", "d"])
    base = pd.Series(1000.0, index=counts.index)
    results = hotspots_by_year(counts, base=base, method="poisson")
    hot = wide(results)
    # 2021: rate 17/4000 -> E = 4.25 per LSOA; P(X >= 12 | 4.25) ~ 0.0014 -> a hot only
    assert hot[2021].tolist() == [True, False, False, False]
    # 2022: E = 31/4 = 7.75; P(X >= 14 | 7.75) ~ 0.027 -> a and c hot
    assert hot[2022].tolist() == [True, False, True, False]
    res = persistence(hot, window=2)
    assert res["years_hot"].tolist() == [2, 0, 1, 0]
    assert res["new"].tolist() == [False, False, True, False]
