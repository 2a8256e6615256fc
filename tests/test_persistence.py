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


def test_default_window_is_five_years():
    # "never before 2022" over five years: 2017 is outside the default window, 2018 inside
    res = persistence(hand_table())
    assert res.attrs["window"] == (2018, 2022)
    assert res["years_hot"].to_dict() == {"always": 5, "new22": 1, "back22": 2, "gone": 2, "never": 0, "old17": 1}
    assert res["years_hot"].dtype == "int64"


def test_missing_year_error_names_the_window():
    with pytest.raises(ValueError, match=r"window 2018-2022 lacks year\(s\) \[2020\]"):
        persistence(hand_table().drop(columns=2020), end_year=2022, window=5)


def test_hot_in_a_middle_year_only_is_not_new():
    # hot in 2020 (neither the first nor the last year of the window) and again in 2022
    hot = pd.DataFrame({y: [y in (2020, 2022)] for y in YEARS}, index=["mid"])
    res = persistence(hot, window=5)
    assert res.loc["mid", "years_hot"] == 2
    assert not res.loc["mid", "new"]


def test_unknown_years_count_as_not_hot():
    # wide() of years with different LSOA sets leaves gaps: a gap is "not hot", never "hot"
    hot = wide({2021: pd.DataFrame({"hot": [True]}, index=["a"]),
                2022: pd.DataFrame({"hot": [True, True]}, index=["a", "b"])})
    assert hot[2021].isna().tolist() == [False, True]
    res = persistence(hot, window=2)
    assert res["years_hot"].to_dict() == {"a": 2, "b": 1}
    assert res["new"].to_dict() == {"a": False, "b": True}
    # the same gap in a 0/1 float table
    flags = pd.DataFrame({2021: [1.0, float("nan")], 2022: [1.0, 1.0]}, index=["a", "b"])
    res = persistence(flags, window=2)
    assert res["years_hot"].to_dict() == {"a": 2, "b": 1}
    assert res["new"].to_dict() == {"a": False, "b": True}


def test_yearly_bases_and_settings_are_used():
    # a population base per year: in 2022 "c" has ten times the people, so its 14 is expected
    counts = pd.DataFrame({2021: [12, 2, 2, 1], 2022: [14, 2, 14, 1]}, index=["a", "b", "c", "d"])
    base = pd.DataFrame({2021: [1000.0] * 4, 2022: [1000.0, 1000.0, 10000.0, 1000.0]}, index=counts.index)
    hot = wide(hotspots_by_year(counts, base=base, method="poisson"))
    # 2022: rate 31/13000; E(c) = 23.8 > 14 -> not hot; E(a) = 2.38, P(X >= 14) ~ 1e-7 -> hot
    assert hot[2022].tolist() == [True, False, False, False]
    # the caller's settings reach the statistic: alpha 1e-9 leaves no hot spot in either year
    from sna_lib.index.hotspots import index_settings

    strict = index_settings({"hotspots": {"poisson_alpha": 1e-9}})
    hot = wide(hotspots_by_year(counts, base=pd.Series(1000.0, index=counts.index),
                                method="poisson", settings=strict))
    assert not hot.to_numpy().any()


def test_gistar_years_use_the_callers_weights():
    # a path a - b - c - d (binary weights, self included): Gi* z by hand for each year
    import math

    import numpy as np
    from scipy import sparse

    from sna_lib.index.hotspots import SpatialWeights, index_settings

    ids = pd.Index(["a", "b", "c", "d"])
    adj = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    w = SpatialWeights(ids, sparse.csr_array(adj))
    counts = pd.DataFrame({2021: [9.0, 7.0, 1.0, 0.0], 2022: [0.0, 1.0, 6.0, 9.0]}, index=ids)
    settings = index_settings({"hotspots": {"inference": "analytical"}})
    res = hotspots_by_year(counts, weights=w, method="gistar", settings=settings)
    star = adj + np.eye(4)
    for year in (2021, 2022):
        x = counts[year].to_numpy()
        n, xbar = 4, x.mean()
        s = math.sqrt((x**2).mean() - xbar**2)
        wi = star.sum(axis=1)
        z = (star @ x - xbar * wi) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))
        np.testing.assert_allclose(res[year]["gi_z"].to_numpy(), z, rtol=1e-10)
    with pytest.raises(ValueError, match="weights"):
        hotspots_by_year(counts, method="gistar", settings=settings)


def test_persistence_table_counts_lsoas_of_the_area_by_quarters_hot():
    from sna_lib.index.persistence import persistence_table

    frame = pd.DataFrame({"quarters_hot": [0, 2, 2, 3, 1, 0]}, index=["a", "b", "c", "d", "e", "f"])
    quarters = ["q1", "q2", "q3"]  # only their number matters
    # LSOAs b, c (2 quarters), d (3), e (1), f (0); a is outside the area
    table = persistence_table(frame, quarters, pd.Index(["b", "c", "d", "e", "f"]))
    assert table["Hot spot in"].tolist() == [f"{k} of 3 complete quarters" for k in range(4)]
    assert table["LSOAs"].tolist() == [1, 1, 2, 1] and table["LSOAs"].dtype == "int64"
    # a count with no LSOA is a 0 row, not a missing one
    assert persistence_table(frame, quarters, pd.Index(["a"]))["LSOAs"].tolist() == [1, 0, 0, 0]


def test_cache_reference_is_weak_where_it_can_be():
    import gc
    from types import SimpleNamespace

    from sna_lib.index.persistence import _reference

    class Dataset:
        pass

    ds = Dataset()
    ref = _reference(ds)
    assert ref() is ds
    del ds
    gc.collect()
    assert ref() is None                       # a weak reference: the freed dataset is not kept alive
    plain = SimpleNamespace(x=1)               # takes no weak reference: held strongly
    assert _reference(plain)() is plain


def test_window_years_stop_at_the_first_year_of_the_records():
    from sna_lib.index.persistence import window_years

    assert window_years(2023, 5) == [2019, 2020, 2021, 2022, 2023]          # no first year: the whole window
    assert window_years(2023, 5, None) == [2019, 2020, 2021, 2022, 2023]
    assert window_years(2023, 5, first_year=2021) == [2021, 2022, 2023]      # records from 2021: 3 years
    assert window_years(2023, 5, first_year=2014) == [2019, 2020, 2021, 2022, 2023]
    assert window_years(2023, 5, first_year=2023) == [2023]
    assert window_years(2022, 3, first_year=2010) == [2020, 2021, 2022]
    assert window_years("2023", "2") == [2022, 2023]                         # config text is read as numbers
    with pytest.raises(ValueError, match="at least 1 year, got 0"):
        window_years(2023, 0)
    with pytest.raises(ValueError, match="the records start in 2024, after the analysis year 2023"):
        window_years(2023, 5, first_year=2024)


def test_window_label_is_first_en_dash_last_or_one_year():
    from sna_lib.index.persistence import window_label

    assert window_label([2021, 2022, 2023]) == "2021–2023"
    assert window_label(range(2019, 2024)) == "2019–2023"
    assert window_label([2022, 2023]) == "2022–2023"        # two years: first and last, not years[1] by accident
    assert window_label([2023]) == "2023"
    assert window_label(["2020", "2021", "2022"]) == "2020–2022"
