"""Index validation: capture rate, PAI lift, precision/recall and the naive baselines by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sna_lib.index.validation import compare_to_baselines, evaluate_selection, top_n, validate_index

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
    res = validate_index(ds, [2021], sv_ids=sv, offences_table=REFERENCE)
    assert res["selection"].tolist() == ["risk_index", "last_year_hotspots", "last_year_top_counts"]
    assert (res["year"] == 2021).all()
    # 2022 has 14 SV offences (12 at X22, 2 at X33)
    assert (res["total"] == 14).all()
    # 2021's only SV offence was at X30: the same-size baseline picks X30 first, which has none in 2022
    assert res.set_index("selection").loc["last_year_top_counts", "captured"] == 0
