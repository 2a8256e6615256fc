"""Tests for the key measures (reference SNA Tables A-E)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sna_lib.data.config import Config
from sna_lib.measures.key_measures import (
    calendar_year,
    count_in_period,
    financial_year,
    hospital_admissions_in,
    key_measures,
    rolling_12_months,
)

FLAGS = ["knife", "firearm", "other_weapon", "county_lines", "gang"]


def make(n, code, day, *, knife=False, da=False, tag="x"):
    """n crimes of one kind on one day (a day safely inside the intended period)."""
    return pd.DataFrame({
        "crime_id": [f"{tag}{code}{day}{i}" for i in range(n)], "offence_code": code,
        "date": pd.Timestamp(day), "domestic_abuse": da, "knife": knife, "firearm": False,
        "other_weapon": False, "county_lines": False, "gang": False, "location_type": "public",
    })


@pytest.fixture
def config():
    return Config(county="Testshire", csps=("North",), reporting_year=2023, first_year=2018,
                  rolling_end=dt.date(2023, 7, 31))


@pytest.fixture
def crimes():
    parts = [
        # Table A knife SV: Aug21-Jul22 = 1176, Aug22-Jul23 = 1066 (all in Jan/Feb so calendar split is clean)
        make(1176, "8N", "2022-02-10", knife=True),
        make(1063, "8N", "2023-02-10", knife=True),   # + 3 knife homicides below = 1066
        # Table B knife SV calendar 2020 = 1184
        make(1184, "8N", "2020-05-05", knife=True),
        # knife SV that must NOT count: domestic abuse, or no knife, or not a selected offence
        make(50, "8N", "2023-02-11", knife=True, da=True),
        make(70, "8N", "2023-02-12"),
        make(30, "10D", "2023-02-13", knife=True),
        # homicides: 15 in Aug21-Jul22, 10 in Aug22-Jul23 (3 with a knife), DA homicides excluded
        make(15, "1", "2021-12-01"),
        make(7, "4.1", "2023-03-01"),
        make(3, "1", "2023-03-02", knife=True),
        make(4, "1", "2023-03-03", da=True, knife=True),
        # FY 2018/19 homicides: 15 (10 with a knife) - dated Jan 2019
        make(5, "1", "2019-01-15"),
        make(10, "1", "2019-01-16", knife=True),
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def hospital():
    return pd.DataFrame({
        "financial_year": ["2018/19", "2020/21", "2021/22", "2018/19", "2021/22"],
        "age_band": ["under_25", "under_25", "under_25", "25_plus", "25_plus"],
        "admissions": [40, 35, 27, 90, 95],
    })


def test_periods():
    assert rolling_12_months(dt.date(2023, 7, 31)).label == "Aug 2022 – Jul 2023"
    prev = rolling_12_months(dt.date(2023, 7, 31), 1)
    assert (prev.start, prev.end) == (dt.date(2021, 8, 1), dt.date(2022, 7, 31))
    leap = rolling_12_months(dt.date(2024, 2, 29))
    assert leap.start == dt.date(2023, 3, 1)
    assert financial_year("2018/19").start == dt.date(2018, 4, 1)
    with pytest.raises(ValueError):
        financial_year("2018/20")
    dates = pd.Series([pd.Timestamp("2019-03-31 23:00"), pd.Timestamp("2019-04-01"),
                        pd.Timestamp("2018-04-01")])
    assert financial_year("2018/19").contains(dates).tolist() == [True, False, True]
    assert count_in_period(pd.DataFrame({"date": dates}), np.array([True, True, False]), calendar_year(2019)) == 2


def test_hospital_lookup(hospital):
    assert hospital_admissions_in(hospital, "2021/22") == 27
    assert hospital_admissions_in(hospital, "2021/22", "25_plus") == 95
    assert hospital_admissions_in(hospital, "2019/20") is None


def test_reference_tables(crimes, hospital, config):
    t = key_measures(crimes, hospital, config).set_index(["table", "measure_id"])
    a = t.loc[("A", "knife_sv")]
    assert (a["before_period"], a["after_period"]) == ("Aug 2021 – Jul 2022", "Aug 2022 – Jul 2023")
    assert (a["before"], a["after"], a["pct_change"]) == (1176, 1066, -9)
    # exact Poisson test: p ~ 0.021; but all of each period's crimes fall in one month, so the
    # monthly series is wildly overdispersed and the quasi-Poisson test finds no evidence
    assert a["method"].startswith("quasi-Poisson") and a["dispersion"] > 100 and not a["significant"]

    h = t.loc[("A", "non_domestic_homicide")]
    assert (h["before"], h["after"], h["pct_change"]) == (15, 10, -33)
    assert h["p_value"] == pytest.approx(0.4244, abs=1e-4) and not h["significant"]   # small: exact kept
    assert h["method"].startswith("exact") and "fewer than 50 events" in h["method"]
    assert h["significance"].startswith("not significant")

    u = t.loc[("A", "u25_hospital")]
    assert (u["before_period"], u["after_period"], u["before"], u["after"], u["pct_change"]) == \
        ("2020/21", "2021/22", 35, 27, -23)

    b = t.loc[("B", "knife_sv")]
    # calendar 2023 knife SV: the 1063 assaults of Feb 2023 + 3 knife homicides of Mar 2023
    assert (b["before_period"], b["after_period"], b["before"], b["after"]) == ("2020", "2023", 1184, 1066)
    assert b["pct_change"] == -10                   # (1066 - 1184) / 1184 = -9.97%

    c = t.loc[("C", "non_domestic_homicide")]
    assert (c["before_period"], c["after_period"], c["before"], c["after"], c["pct_change"]) == \
        ("2018/19", "2023", 15, 10, -33)

    d = t.loc[("D", "u25_hospital")]
    assert (d["before"], d["after"], d["pct_change"]) == (40, 27, -33)   # -32.5 -> -33 as published

    e = t.loc[("E", "knife_homicide")]
    assert (e["before"], e["after"], e["pct_change"]) == (10, 3, -70)
    assert list(t.reset_index()["table"]) == ["A", "A", "A", "B", "C", "D", "E"]


def test_periods_outside_data_and_no_hospital(crimes, config):
    cfg = Config(county="T", csps=("North",), reporting_year=2023, first_year=2021,
                 rolling_end=dt.date(2023, 7, 31))
    t = key_measures(crimes, None, cfg).set_index(["table", "measure_id"])
    assert pd.isna(t.loc[("B", "knife_sv"), "before"])          # 2020 before first_year 2021
    assert "no crime data for 2020" in t.loc[("B", "knife_sv"), "note"]
    assert pd.isna(t.loc[("A", "u25_hospital"), "after"])
    assert "not available" in t.loc[("D", "u25_hospital"), "note"]
    assert t.loc[("A", "knife_sv"), "after"] == 1066             # still computed


def test_measures_subset_of_all_crime(crimes, hospital, config):
    t = key_measures(crimes, hospital, config)
    crime_rows = t[t["measure_id"] != "u25_hospital"]
    assert (crime_rows["after"] <= len(crimes)).all()
    # knife homicide <= non-domestic homicide for the same periods
    kh = t[(t["table"] == "E")].iloc[0]
    nh = t[(t["table"] == "C")].iloc[0]
    assert kh["before"] <= nh["before"] and kh["after"] <= nh["after"]


def _monthly_crimes(counts_by_month: dict[str, int], tag: str) -> pd.DataFrame:
    return pd.concat([make(n, "8N", f"{m}-10", knife=True, tag=tag + m) for m, n in counts_by_month.items() if n],
                     ignore_index=True)


def test_tables_use_overdispersion_from_monthly_series(config):
    """Planted overdispersed monthly series: the p-value must match statsmodels' quasi-Poisson
    GLM (scale = Pearson X2 / df) on the same 24 monthly counts, not the exact Poisson test."""
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    before_months = pd.period_range("2021-08", "2022-07", freq="M")
    after_months = pd.period_range("2022-08", "2023-07", freq="M")
    # negative binomial months (mean 100 / 90, size 5: variance far above the mean)
    yb = rng.negative_binomial(5, 5 / (5 + 100), 12)
    ya = rng.negative_binomial(5, 5 / (5 + 90), 12)
    crimes = _monthly_crimes({str(m): int(n) for m, n in zip(list(before_months) + list(after_months),
                                                               np.concatenate([yb, ya]))}, "nb")
    row = key_measures(crimes, None, config).set_index(["table", "measure_id"]).loc[("A", "knife_sv")]
    assert (row["before"], row["after"]) == (yb.sum(), ya.sum())
    y = np.concatenate([yb, ya])
    x = sm.add_constant(np.r_[np.zeros(12), np.ones(12)])
    fit = sm.GLM(y, x, family=sm.families.Poisson()).fit(scale="X2")
    assert row["method"].startswith("quasi-Poisson")
    assert row["dispersion"] == pytest.approx(fit.scale, rel=1e-9)
    assert row["p_value"] == pytest.approx(fit.pvalues[1], rel=1e-6)
    from sna_lib.measures.significance import compare_counts
    assert row["p_value"] > compare_counts(int(yb.sum()), int(ya.sum())).p_value   # honest: wider


def test_population_exposure_changes_the_rate_comparison(config):
    import statsmodels.api as sm

    months = list(pd.period_range("2021-08", "2023-07", freq="M"))
    rng = np.random.default_rng(3)
    y = rng.poisson(np.r_[np.full(12, 100), np.full(12, 120)])
    y[::3] += 25  # some extra variation
    crimes = _monthly_crimes({str(m): int(n) for m, n in zip(months, y)}, "pop")
    pop = {2021: 1000.0, 2022: 1100.0, 2023: 1300.0}
    row = key_measures(crimes, None, config, population_by_year=pop).set_index(
        ["table", "measure_id"]).loc[("A", "knife_sv")]
    exposure = np.array([pop[m.year] for m in months])
    x = sm.add_constant(np.r_[np.zeros(12), np.ones(12)])
    fit = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(exposure)).fit(scale="X2")
    assert row["method"].startswith("quasi") and fit.scale > 1
    assert row["p_value"] == pytest.approx(fit.pvalues[1], rel=1e-6)
    no_pop = key_measures(crimes, None, config).set_index(["table", "measure_id"]).loc[("A", "knife_sv")]
    assert row["p_value"] != pytest.approx(no_pop["p_value"])


def test_holm_adjustment_and_page_method(crimes, hospital, config):
    from sna_lib.measures.key_measures import significance_method

    t = key_measures(crimes, hospital, config)
    raw = t["p_value"].astype(float).to_numpy()
    m = len(raw)
    order = np.argsort(raw)
    # Holm by hand: step-down max of (m - rank) * p, capped at 1
    by_hand = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * raw[i]))
        by_hand[i] = running
    assert t["p_value_holm"].astype(float).to_numpy() == pytest.approx(by_hand)
    text = significance_method(t)
    assert "quasi-Poisson" in text and "exact" in text and "Holm" in text


def test_exact_change_and_significance_flags_beside_the_rounded(crimes, hospital, config):
    t = key_measures(crimes, hospital, config).set_index(["table", "measure_id"])
    a = t.loc[("A", "knife_sv")]
    assert a["pct_change_exact"] == pytest.approx((1066 - 1176) / 1176 * 100, rel=1e-12)
    h = t.loc[("A", "non_domestic_homicide")]
    assert h["pct_change_exact"] == pytest.approx(-100 / 3, rel=1e-12)
    # every compared row carries a real True/False, not a missing flag
    compared = t[t["p_value"].notna()]
    assert compared["significant"].map(lambda v: isinstance(v, (bool, np.bool_))).all()
    assert (compared["significant"] == (compared["p_value"] < 0.05)).all()


def test_hospital_year_before_the_latest_missing(crimes, config):
    # only the latest financial year is supplied: Table A has no "before", so no change and no test
    only_latest = pd.DataFrame({"financial_year": ["2021/22"], "age_band": ["under_25"], "admissions": [27]})
    u = key_measures(crimes, only_latest, config).set_index(["table", "measure_id"]).loc[("A", "u25_hospital")]
    assert pd.isna(u["before"]) and u["after"] == 27
    assert pd.isna(u["pct_change"]) and pd.isna(u["p_value"]) and pd.isna(u["method"])
    assert u["note"] == "no hospital data for 2020/21"


def test_area_population_by_year_by_hand():
    from sna_lib.measures.key_measures import area_population_by_year

    pop = pd.DataFrame({"lsoa_code": ["E1", "E2", "E3", "E1", "E2", "E3"],
                        "year": [2022, 2022, 2022, 2023, 2023, 2023], "age": 0,
                        "population": [100, 20, 3, 110, 25, 4]})
    geo = pd.DataFrame({"lsoa_code": ["E1", "E2", "E3"], "area": ["North", "North", "South"]})
    assert area_population_by_year(pop, geo) == {2022: 123.0, 2023: 139.0}
    assert area_population_by_year(pop, geo, "North") == {2022: 120.0, 2023: 135.0}
    assert area_population_by_year(pop, geo, "South") == {2022: 3.0, 2023: 4.0}
    assert area_population_by_year(None, geo) == {} and area_population_by_year(pop.iloc[:0], geo) == {}


def test_significance_method_without_tests():
    from sna_lib.measures.key_measures import MULTIPLE_COMPARISONS_NOTE, significance_method

    text = significance_method(pd.DataFrame({"method": [None, None]}))
    assert text == "Rates use population as exposure where it changed between the periods. " + MULTIPLE_COMPARISONS_NOTE


def test_key_measure_monthly_counts_equal_pandas_periods():
    """Independent: pandas' ``to_period("M").value_counts()`` over each kind of period (NaT, units)."""
    import datetime

    import numpy as np
    import pandas as pd

    from sna_lib.measures.key_measures import calendar_year, financial_year, monthly_counts, rolling_12_months

    rng = np.random.default_rng(1)
    dates = pd.Series(pd.to_datetime("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365 * 86400, 3000), unit="s"))
    dates[5] = pd.NaT
    mask = rng.random(len(dates)) < 0.5
    for unit in ("ns", "s"):
        crimes = pd.DataFrame({"date": dates.astype(f"datetime64[{unit}]")})
        for p in (calendar_year(2021), financial_year("2020/21"), rolling_12_months(datetime.date(2022, 7, 31)),
                  calendar_year(2030)):
            sel = mask & p.contains(crimes["date"])
            expected = (crimes.loc[sel, "date"].dt.to_period("M").value_counts()
                        .reindex(pd.period_range(p.start, p.end, freq="M"), fill_value=0).to_numpy(dtype="int64"))
            assert monthly_counts(crimes, mask, p).tolist() == expected.tolist()
    assert monthly_counts(crimes, mask, calendar_year(2030)).tolist() == [0] * 12


def test_period_kinds_and_the_financial_year_error_message():
    assert calendar_year(2020).kind == "calendar"
    assert financial_year("2020/21").kind == "financial"
    assert rolling_12_months(dt.date(2023, 7, 31)).kind == "rolling"
    with pytest.raises(ValueError) as info:
        financial_year("2020-21")
    assert str(info.value) == "financial year must look like '2018/19', got '2020-21'"


def test_rows_say_what_they_compare_and_holm_flags_follow_the_adjusted_p(crimes, hospital, config):
    t = key_measures(crimes, hospital, config)
    assert t["comparison"].tolist() == ["previous year"] * 3 + ["baseline"] * 4
    # one row significant after adjustment: hospital 300 -> 27 (annual counts, exact test: p ~ 1e-60,
    # Holm x 7 still below 0.05); Table D (40 -> 27) and the crime rows are not
    hospital = hospital.assign(admissions=[40, 300, 27, 90, 95])
    t = key_measures(crimes, hospital, config)
    holm = t["p_value_holm"].astype(float)
    assert (holm < 0.05).any() and (holm >= 0.05).any()
    assert t["significant_holm"].tolist() == [bool(p < 0.05) for p in holm]
    assert all(isinstance(v, bool) for v in t["significant_holm"])


def test_rows_without_a_test_have_no_holm_verdict(crimes, config):
    # no hospital data and 2020 before first_year: those rows have no p-value, so no Holm verdict
    # (it was False, i.e. "not significant", for a comparison never made)
    cfg = Config(county="T", csps=("North",), reporting_year=2023, first_year=2021, rolling_end=dt.date(2023, 7, 31))
    t = key_measures(crimes, None, cfg).set_index(["table", "measure_id"])
    untested = t["p_value"].isna()
    assert untested.sum() == 5  # A and D hospital, B knife SV (2020), C and E (FY 2018/19)
    assert t.loc[untested, "significant_holm"].isna().all() and t.loc[untested, "p_value_holm"].isna().all()
    assert t.loc[~untested, "significant_holm"].map(lambda v: isinstance(v, bool)).all()


def test_significance_method_sentence_by_hand():
    from sna_lib.measures.key_measures import MULTIPLE_COMPARISONS_NOTE, significance_method

    km = pd.DataFrame({"method": ["exact conditional binomial test (annual counts only)", None,
                                  "quasi-Poisson Wald test; dispersion 3.00 from 24 monthly counts"]})
    assert significance_method(km) == (
        "Significance: small counts (or counts no more variable than Poisson) use the exact conditional binomial "
        "test of two Poisson counts; large counts use a quasi-Poisson test whose dispersion is estimated from "
        "the two periods' monthly counts, because crime counts vary more than Poisson. Rates use population as "
        "exposure where it changed between the periods. " + MULTIPLE_COMPARISONS_NOTE)


def test_a_missing_baseline_hospital_year_is_named_and_the_columns_stay_the_same(crimes, config):
    # hospital data for 2021/22 only: Table D's baseline (2018/19, config.baselines) has no count,
    # so its row says which year is missing, carries no test, and the table keeps its columns
    only_latest = pd.DataFrame({"financial_year": ["2021/22"], "age_band": ["under_25"], "admissions": [27]})
    t = key_measures(crimes, only_latest, config)
    assert list(t.columns) == ["table", "measure_id", "measure", "comparison", "before_period", "after_period",
                               "before", "after", "pct_change", "pct_change_exact", "p_value", "significant",
                               "significance", "note", "method", "dispersion", "p_value_holm", "significant_holm"]
    d = t.set_index(["table", "measure_id"]).loc[("D", "u25_hospital")]
    assert d["note"] == "no hospital data for 2018/19"
    assert d["before_period"] == "2018/19" and pd.isna(d["before"]) and d["after"] == 27
    assert pd.isna(d["p_value"]) and d["significance"] == ""
