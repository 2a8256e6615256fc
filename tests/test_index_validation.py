"""Index validation: capture rate, PAI lift, precision/recall and the naive baselines by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import numpy as np

from sna_lib.index.validation import (
    ValidationRun,
    compare_to_baselines,
    evaluate_selection,
    lsoa_areas,
    method_vs_baseline,
    selections_for_year,
    top_n,
    validate_index,
)

CODES = list("abcdefghij")


def test_capture_rate_lift_precision_recall_by_hand():
    selected = pd.Series([True, True] + [False] * 8, index=CODES)
    outcome = pd.Series([10, 0, 5, 5, 0, 0, 0, 0, 0, 0], index=CODES)
    hot = pd.Series([True, False, True, False, False, False, False, False, False, False], index=CODES)
    r = evaluate_selection(selected, outcome, hot)
    # 10 of 20 offences in 2 of 10 LSOAs: capture .5, area .2, PAI 2.5; 1 of 2 selected hot; 1 of 2 hot selected
    assert r["capture_rate"] == 0.5 and r["area_share"] == 0.2 and r["lift"] == pytest.approx(2.5)
    assert r["precision"] == 0.5 and r["recall"] == 0.5
    assert r["captured"] == 10 and r["total"] == 20 and r["lsoas"] == 2


def test_empty_outcome_and_selection():
    r = evaluate_selection(pd.Series(False, index=CODES), pd.Series(0, index=CODES))
    assert math.isnan(r["capture_rate"]) and math.isnan(r["lift"]) and r["lsoas"] == 0


def test_baselines_by_hand():
    layers = pd.DataFrame({"sv_offences": [4, 4, 3, 0, 0, 0, 1, 0, 0, 0],
                           "sv_offences_hot": [True, True, True] + [False] * 7}, index=CODES)
    index_top = pd.Series([False] * 3 + [True, True] + [False] * 5, index=CODES)
    next_counts = pd.Series([1, 0, 1, 3, 3, 0, 0, 0, 0, 0], index=CODES)
    res = compare_to_baselines(index_top, layers, next_counts)
    # index: d, e -> 6 of 8; last year's hot spots a, b, c -> 2 of 8; same-size top counts a, b -> 1 of 8
    assert res.loc["risk_index", "capture_rate"] == pytest.approx(6 / 8)
    assert res.loc["last_year_hotspots", "capture_rate"] == pytest.approx(2 / 8)
    assert res.loc["last_year_top_counts", "lsoas"] == 2
    assert res.loc["last_year_top_counts", "capture_rate"] == pytest.approx(1 / 8)
    assert res.loc["risk_index", "lift_vs_baseline"] == pytest.approx(6.0)
    assert res.loc["last_year_hotspots", "lift"] == pytest.approx((2 / 8) / 0.3)


def test_top_n_exact_size_with_ties():
    values = pd.Series([2, 2, 2, 1], index=["d", "c", "b", "a"])
    assert values.index[top_n(values, 2)].tolist() == ["c", "b"]
    assert not top_n(values, 0).any()


def test_validate_index_on_hand_dataset():
    from test_factors import REFERENCE, tiny_dataset

    ds = tiny_dataset()
    ds.config.first_year = 2018
    sv = ds.crimes.loc[ds.crimes["offence_code"] == "5A", "crime_id"]
    res = validate_index(ds, [2021], sv_ids=sv, offences_table=REFERENCE, model=False)
    assert res["selection"].tolist() == ["risk_index", "last_year_hotspots", "last_year_top_counts"]
    assert (res["year"] == 2021).all()
    # 2022 has 14 SV offences (12 at X22, 2 at X33)
    assert (res["total"] == 14).all()
    # 2021's only SV offence was at X30: the same-size baseline picks X30 first, which has none in 2022
    assert res.set_index("selection").loc["last_year_top_counts", "captured"] == 0


def test_pai_uses_land_area_when_given():
    selected = pd.Series([True, True] + [False] * 8, index=CODES)
    outcome = pd.Series([10, 0, 5, 5, 0, 0, 0, 0, 0, 0], index=CODES)
    area = pd.Series([0.5, 0.5] + [1.0] * 8, index=CODES)      # the selected LSOAs are small (urban)
    r = evaluate_selection(selected, outcome, area=area)
    # capture .5 over 1 km2 of 9 km2 -> PAI 4.5; by LSOA count 2 of 10 -> lift 2.5
    assert r["area_share"] == pytest.approx(1 / 9) and r["pai"] == pytest.approx(4.5)
    assert r["lift"] == pytest.approx(2.5) and r["area_basis"] == "land area"
    assert evaluate_selection(selected, outcome)["area_basis"] == "LSOA count"


def test_lsoa_areas_none_without_projected_geometry():
    import geopandas as gpd
    from shapely.geometry import box

    g = gpd.GeoDataFrame({"lsoa_code": ["a", "b"]}, geometry=[box(0, 0, 1000, 500), box(0, 0, 10, 10)],
                         crs="EPSG:27700")
    assert lsoa_areas(g).to_dict() == {"a": 0.5, "b": 0.0001}
    assert lsoa_areas(g.to_crs("EPSG:4326")) is None
    assert lsoa_areas(pd.DataFrame({"lsoa_code": ["a"]})) is None


def two_year_run(index_pick: str, base_pick: str, area=None) -> ValidationRun:
    selections, outcomes = {}, {}
    for year, hits in ((2021, [6, 0, 2, 2, 0, 0, 0, 0, 0, 0]), (2022, [2, 1, 3, 0, 0, 2, 0, 0, 0, 2])):
        selections[year] = pd.DataFrame({"risk_index": [c == index_pick for c in CODES],
                                         "last_year_top_counts": [c == base_pick for c in CODES]}, index=CODES)
        outcomes[year] = pd.Series(hits, index=CODES)
    return ValidationRun(pd.DataFrame(), selections, outcomes, {}, area)


def test_pooled_capture_and_pai_by_hand():
    area = pd.Series([2.0] + [1.0] * 9, index=CODES)
    r = method_vs_baseline(two_year_run("a", "c", area), bootstrap=500, seed=1)
    # a: 6 + 2 of 10 + 10 = .4; area share 2 of 11 each year -> PAI .4 / (2/11) = 2.2
    # c: 2 + 3 of 20 = .25; area share 1/11 -> PAI 2.75
    assert r["capture"] == pytest.approx(0.4) and r["pai"] == pytest.approx(2.2)
    assert r["baseline_capture"] == pytest.approx(0.25) and r["baseline_pai"] == pytest.approx(2.75)
    assert r["capture_difference"] == pytest.approx(0.15) and r["area_basis"] == "land area"
    for key in ("capture", "baseline_capture", "pai", "baseline_pai", "capture_difference"):
        low, high = r[f"{key}_interval"]
        assert low <= r[key] <= high
    same = method_vs_baseline(two_year_run("a", "a"), bootstrap=200)
    assert same["capture_difference_interval"] == (0.0, 0.0) and same["verdict"] == "no clear difference"


def test_verdict_on_a_planted_winner_and_loser():
    rng = np.random.default_rng(0)
    codes = [f"E{i:04d}" for i in range(400)]
    rate = np.where(np.arange(400) < 20, 8.0, 0.5)          # 20 truly risky LSOAs
    selections, outcomes = {}, {}
    for year in (2019, 2020, 2021, 2022):
        last = rng.poisson(rate)
        informed = pd.Series(np.arange(400) < 20, index=codes)          # knows the true risk
        naive = top_n(pd.Series(-rate + rng.normal(0, 0.1, 400), index=codes), 20)   # picks the quietest
        selections[year] = pd.DataFrame({"risk_index": informed, "last_year_top_counts": naive})
        outcomes[year] = pd.Series(rng.poisson(rate), index=codes)
        assert last.sum() > 0
    run = ValidationRun(pd.DataFrame(), selections, outcomes, {}, None)
    assert method_vs_baseline(run, bootstrap=500)["verdict"] == "wins"
    flipped = ValidationRun(pd.DataFrame(), {y: s.rename(columns={"risk_index": "last_year_top_counts",
                                                               "last_year_top_counts": "risk_index"})
                                              for y, s in selections.items()}, outcomes, {}, None)
    assert method_vs_baseline(flipped, bootstrap=500)["verdict"] == "loses"


def test_model_selection_beats_noisy_last_year_counts_on_planted_risk():
    """A persistent latent risk x drives SV; last year's counts are a noisy proxy of it."""
    from sna_lib.index.hotspots import index_settings

    rng = np.random.default_rng(3)
    n = 1000
    codes = [f"E{i:04d}" for i in range(n)]
    x = rng.normal(size=n)
    rate = np.exp(-1.0 + 1.0 * x)

    def layers(counts):
        return pd.DataFrame({"x": x, "population": 1500.0, "sv_offences": counts, "sv_offences_hot": False,
                             "flag": x > 1.5, "area": "all"}, index=codes)

    settings = index_settings({"risk_index": {"tie_rule": "stable"}})
    settings["risk_index"]["factors"] = {"flag": {"column": "flag", "normalisation": "flag", "weight": 1.0}}
    settings["risk_index"]["model"] = {"family": "negative_binomial", "penalty": 0, "predictors": {"x": {}}}
    y0, y1, y2 = (rng.poisson(rate) for _ in range(3))
    selections, ties, predicted = selections_for_year(layers(y1), settings, previous_layers=layers(y0))
    assert selections["model"].sum() == 50 == selections["last_year_top_counts_model"].sum()
    assert ties["model"]["selected"] == 50
    # the expected count of the model's top 50 is above the naive top 50's
    captured = {name: y2[selections[name].to_numpy()].sum() for name in ("model", "last_year_top_counts_model")}
    expected = {name: rate[selections[name].to_numpy()].sum() for name in captured}
    assert expected["model"] > expected["last_year_top_counts_model"]
    assert predicted.corr(pd.Series(rate, index=codes), method="spearman") > 0.95
