"""Risk index: components, weighted score, and the top-5% tie rules on hand cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sna_lib.index.hotspots import index_settings
from sna_lib.index.risk_index import component, risk_index, risk_scores, select_top, tie_summary


def codes(n):
    return [f"E{i:04d}" for i in range(n)]


def test_reference_size_distinct_scores():
    # 1,111 LSOAs, all scores distinct: floor(55.55) = 55 at most; ceil = 56 otherwise
    s = pd.Series(np.arange(1111, dtype=float), index=codes(1111))
    assert select_top(s, tie_rule="at_most").sum() == 55
    assert select_top(s, tie_rule="include_ties").sum() == 56
    top = select_top(s, tie_rule="stable")
    assert top.sum() == 56 and s[top].min() == 1111 - 56


def test_tie_at_the_cut_off():
    # 50 distinct high scores, then 6 LSOAs tied at 0.5 spanning ranks 51-56, the rest 0.1
    values = [1.0 + i for i in range(50)] + [0.5] * 6 + [0.1] * 1055
    s = pd.Series(values, index=codes(1111))
    assert select_top(s, tie_rule="at_most").sum() == 50          # tie straddles 55 -> dropped whole
    assert select_top(s, tie_rule="include_ties").sum() == 56     # ceil -> 56th is in the tie -> all 6
    stable = select_top(s, tie_rule="stable")
    assert stable.sum() == 56 and stable[codes(56)].all()
    # ties that end exactly at the cut-off are kept: 51 distinct + 4 tied = 55
    values = [1.0 + i for i in range(51)] + [0.5] * 4 + [0.1] * 1056
    assert select_top(pd.Series(values, index=codes(1111)), tie_rule="at_most").sum() == 55


def test_stable_breaks_ties_by_code_and_float_noise_ties():
    s = pd.Series([0.3, 0.1 + 0.2, 0.3, 0.0], index=["d", "c", "b", "a"])   # 0.1 + 0.2 != 0.3 in floats
    top = select_top(s, share=0.5, tie_rule="stable")
    assert top[top].index.tolist() == ["c", "b"]
    assert select_top(s, share=0.5, tie_rule="at_most").sum() == 0   # three-way tie across the cut-off
    assert select_top(s, share=0.5, tie_rule="include_ties").sum() == 3


def test_nan_scores_never_selected_and_bad_rule():
    s = pd.Series([np.nan, 1.0, 2.0, np.nan], index=list("abcd"))
    # n counts every LSOA (NaN too): k = ceil(0.25 * 4) = 1 -> c; k = 2 -> b, c
    assert select_top(s, share=0.25, tie_rule="include_ties").tolist() == [False, False, True, False]
    assert select_top(s, share=0.5, tie_rule="include_ties").tolist() == [False, True, True, False]
    assert not select_top(pd.Series([np.nan, np.nan]), share=0.5).any()
    with pytest.raises(ValueError):
        select_top(s, tie_rule="random")


def test_components_and_weighted_score_by_hand():
    layers = pd.DataFrame({
        "g_bin": [3, 2, -2, 0], "flag": [True, False, True, False], "years": [5, 1, 0, 4], "raw": [10, 0, 5, 5],
    }, index=list("abcd"))
    spec = {
        "g": {"column": "g_bin", "normalisation": "bin", "weight": 2.0},
        "f": {"column": "flag", "normalisation": "flag", "weight": 1.0},
        "y": {"column": "years", "normalisation": "fraction", "denominator": 5, "weight": 1.0},
        "r": {"column": "raw", "normalisation": "minmax", "weight": 0.0},   # weight 0: ignored
    }
    res = risk_scores(layers, spec)
    assert "r" not in res
    expected = {"a": (2 * 1 + 1 + 1) / 4, "b": (2 * 2 / 3 + 0 + 0.2) / 4, "c": (0 + 1 + 0) / 4, "d": (0 + 0 + 0.8) / 4}
    assert res["score"].to_dict() == pytest.approx(expected)
    assert component(pd.Series([10, 0, 5]), "minmax").tolist() == [1.0, 0.0, 0.5]
    assert component(pd.Series([3, 1, 1]), "rank").tolist() == [1.0, 0.5, 0.5]
    with pytest.raises(ValueError, match="lack"):
        risk_scores(layers, {"x": {"column": "nope", "normalisation": "bin", "weight": 1}})
    with pytest.raises(ValueError):
        risk_scores(layers, {"x": {"column": "g_bin", "normalisation": "bin", "weight": 0}})


def test_risk_index_county_and_csp_selection():
    n = 40
    layers = pd.DataFrame({
        "area": ["North"] * 20 + ["South"] * 20,
        "sv_suspect_homes_bin": [3] * 3 + [0] * 17 + [2] + [0] * 19,
        "deprivation_high": [True] * 2 + [False] * 18 + [True] + [False] * 19,
        "da_victim_homes_years_hot": [0] * 40,
        "disorganisation_bin": [0] * 40,
        "class_a_possession_homes_bin": [0] * 40,
        "class_a_supply_homes_bin": [0] * 40,
        "unemployment_bin": [0] * 40,
    }, index=codes(n))
    settings = index_settings({"risk_index": {"top_share": 0.05, "tie_rule": "at_most"}})
    res = risk_index(layers, settings)
    # scores: E0000, E0001 = (1 + 1)/7; E0002 = 1/7; E0020 = (2/3 + 1)/7; others 0
    assert res.loc["E0000", "score"] == pytest.approx(2 / 7)
    assert res.loc["E0020", "score"] == pytest.approx((2 / 3 + 1) / 7)
    # county: k = floor(0.05 * 40) = 2 -> E0000, E0001 (tied at the top, both inside the cut)
    assert res.index[res["top_county"]].tolist() == ["E0000", "E0001"]
    # per CSP: k = floor(0.05 * 20) = 1; North's top two tie -> none; South -> E0020
    assert res.index[res["top_csp"]].tolist() == ["E0020"]
    assert res.loc["E0020", "rank"] == 3 and res.loc["E0000", "rank"] == 1
    assert res.attrs["selected"] == 2 and res.attrs["tie_rule"] == "at_most"
    # weights from config.yaml override the defaults: deprivation only
    only_dep = index_settings({"risk_index": {"weights": {f: 0 for f in settings["risk_index"]["factors"]} | {"deprivation": 1}}})
    res2 = risk_index(layers, only_dep)
    assert set(res2["score"].unique()) == {0.0, 1.0}


def test_index_on_demo_county(demo_dir):
    """Integration: contract-shaped synthetic county -> layers -> index (invariants only)."""
    import math

    from sna_lib.data.dataset import load_dataset
    from sna_lib.index.factors import build_factor_layers

    ds = load_dataset(demo_dir, validate=False)
    settings = index_settings(ds.config)
    settings["hotspots"]["permutations"] = 99
    layers = build_factor_layers(ds, settings=settings)
    n = len(ds.geography)
    assert len(layers) == n and layers.index.is_unique
    records = dict(layers.attrs["records"])
    records.update({f"da_{y}": r for y, r in records.pop("da_victim_homes").items()})
    for rec in records.values():
        assert rec["read"] == rec["used"] + sum(rec["rejected"].values())
    res = risk_index(layers, settings)
    assert res["score"].between(0, 1).all()
    assert res["top_county"].sum() <= math.floor(0.05 * n)
    # never splits a tie: every selected score beats every unselected one
    if res["top_county"].any():
        assert res.loc[res["top_county"], "score"].min() > res.loc[~res["top_county"], "score"].max()
    for _, group in res.groupby("area"):
        assert group["top_csp"].sum() <= math.floor(0.05 * len(group))


@pytest.mark.parametrize("rule, expected", [("at_most", 2), ("include_ties", 2), ("stable", 2)])
def test_k_counts_every_lsoa_including_nan_scores(rule, expected):
    # 20 LSOAs, 10 without a score: k comes from n = 20 (0.1 * 20 = 2), not from the 10 scored (-> 1)
    s = pd.Series([float(i) for i in range(10)] + [np.nan] * 10, index=codes(20))
    top = select_top(s, share=0.1, tie_rule=rule)
    assert top.sum() == expected and top[codes(20)[8:10]].all()
    assert tie_summary(s, share=0.1, tie_rule=rule)["k"] == 2


def test_tied_scores_share_the_minimum_rank():
    layers = pd.DataFrame({
        "area": ["North"] * 6,
        "sv_suspect_homes_bin": [3, 3, 2, 0, 0, 0],
        "deprivation_high": [False] * 6,
        "da_victim_homes_years_hot": [0] * 6,
        "disorganisation_bin": [0] * 6,
        "class_a_possession_homes_bin": [0] * 6,
        "class_a_supply_homes_bin": [0] * 6,
        "unemployment_bin": [0] * 6,
    }, index=codes(6))
    res = risk_index(layers, index_settings())
    # two tied at the top share rank 1, the next is 3 (not 2), the three tied zeros share rank 4
    assert res["rank"].tolist() == [1, 1, 3, 4, 4, 4]


def test_tie_summary_reports_the_collapse_and_straddle():
    # the issue's case: 3 top scores + 60 tied of 1,100 -> at_most selects 3 of a target 55
    s = pd.Series([0.9, 0.8, 0.7] + [0.5] * 60 + [0.1] * 1037, index=codes(1100))
    t = tie_summary(s, share=0.05, tie_rule="at_most")
    assert (t["n"], t["k"], t["above"], t["tied"], t["selected"], t["straddles"]) == (1100, 55, 3, 60, 3, True)
    assert t["tie_groups"] == [(0.5, 60)]
    inc = tie_summary(s, share=0.05, tie_rule="include_ties")
    assert (inc["k"], inc["selected"]) == (55, 63)
    assert tie_summary(s, share=0.05, tie_rule="stable")["selected"] == 55
    # distinct scores: no tie at the cut-off
    d = tie_summary(pd.Series(np.arange(1100.0)), share=0.05)
    assert d["tied"] == 1 and not d["straddles"] and d["selected"] == 55 and d["sentence"].startswith("no tie")


# ------------------------------------------------------------------ mutation-testing survivors
def test_component_edges_by_hand():
    # fraction is clipped to [0, 1]; a missing or zero denominator is refused
    assert component(pd.Series([-1, 0, 2, 5, 7]), "fraction", denominator=5).tolist() == [0, 0, 0.4, 1, 1]
    for bad in (None, 0):
        with pytest.raises(ValueError, match="positive 'denominator'"):
            component(pd.Series([1]), "fraction", denominator=bad)
    # bins above 3 cannot exceed 1; cold spots are 0
    assert component(pd.Series([-3, 1, 3, 4]), "bin").tolist() == pytest.approx([0, 1 / 3, 1, 1])
    # a flat layer has no spread: every component 0 (not NaN)
    assert component(pd.Series([2.0, 2.0, 2.0]), "minmax").tolist() == [0.0, 0.0, 0.0]
    assert component(pd.Series([2.0, 4.0, 3.0]), "minmax").tolist() == [0.0, 1.0, 0.5]
    # missing flags are not flags
    assert component(pd.Series([True, None, False], dtype="boolean"), "flag").tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="unknown normalisation 'zscore'"):
        component(pd.Series([1.0]), "zscore")


def test_weights_default_to_one_and_must_be_non_negative():
    layers = pd.DataFrame({"a": [3, 0], "b": [True, True]}, index=["x", "y"])
    # no weight given: 1 each -> x = (1 + 1) / 2, y = (0 + 1) / 2
    res = risk_scores(layers, {"a": {"column": "a", "normalisation": "bin"},
                               "b": {"column": "b", "normalisation": "flag"}})
    assert res["score"].tolist() == [1.0, 0.5]
    with pytest.raises(ValueError, match="non-negative"):
        risk_scores(layers, {"a": {"column": "a", "normalisation": "bin", "weight": -1},
                             "b": {"column": "b", "normalisation": "flag", "weight": 2}})
    with pytest.raises(ValueError, match="no factor with a non-zero weight"):
        risk_scores(layers, {"a": {"column": "a", "normalisation": "bin", "weight": 0}})


def test_target_sizes_survive_float_error():
    s = pd.Series(np.arange(100, dtype=float), index=codes(100))
    # 0.29 x 100 = 28.999999999999996 in floats: floor must still give 29
    assert select_top(s, share=0.29, tie_rule="at_most").sum() == 29
    # 0.07 x 100 = 7.000000000000001: ceil must still give 7
    assert select_top(s, share=0.07, tie_rule="include_ties").sum() == 7
    assert select_top(s, share=0.07, tie_rule="stable").sum() == 7
    # a tiny share still selects one LSOA when ties are included (ceil, at least 1) ...
    assert select_top(s[:10], share=0.01, tie_rule="include_ties").sum() == 1
    # ... and none under at_most (floor(0.1) = 0)
    assert select_top(s[:10], share=0.01, tie_rule="at_most").sum() == 0
    # share 1 selects every scored LSOA; share outside (0, 1] is refused
    assert select_top(s[:10], share=1.0).all()
    for bad in (0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"share must be in \(0, 1\]"):
            select_top(s, share=bad)


def test_at_most_with_k_beyond_the_scored_lsoas():
    # 10 LSOAs, 8 without scores, share 0.5 -> k = 5 > 2 scored: both scored, never the NaNs
    s = pd.Series([1.0, 2.0] + [np.nan] * 8, index=codes(10))
    assert select_top(s, share=0.5, tie_rule="at_most").tolist() == [True, True] + [False] * 8
    assert select_top(s, share=0.5, tie_rule="include_ties").tolist() == [True, True] + [False] * 8
    assert select_top(s, share=0.5, tie_rule="stable").tolist() == [True, True] + [False] * 8


def test_tie_summary_groups_and_sentence_by_hand():
    # 2 tied at the top, 1, then 3 tied straddling k = floor(0.5 x 10) = 5, then 4 low
    s = pd.Series([5, 5, 4, 3, 3, 3, 1, 1, 1, 1], index=codes(10), dtype=float)
    t = tie_summary(s, share=0.5)
    assert (t["k"], t["above"], t["tied"], t["selected"], t["straddles"]) == (5, 3, 3, 3, True)
    assert t["tie_groups"] == [(5.0, 2), (3.0, 3)] and t["tie_rule"] == "at_most"
    assert t["sentence"] == ("3 top scores + 3 tied at the cut-off, of 10 neighbourhoods: "
                             "the at_most rule selects 3 (target 5)")
    # a tie ending exactly at the cut-off does not straddle it
    e = tie_summary(pd.Series([5, 4, 3, 3, 1, 1], index=codes(6), dtype=float), share=4 / 6)
    assert (e["k"], e["above"], e["tied"], e["straddles"], e["selected"]) == (4, 2, 2, False, 4)
    # nothing to select: k = 0 leaves the counts at zero
    z = tie_summary(pd.Series([1.0, 2.0]), share=0.1)
    assert (z["k"], z["above"], z["tied"], z["selected"], z["tie_groups"]) == (0, 0, 0, 0, [])
    assert z["sentence"] == "no tie at the cut-off, of 2 neighbourhoods: the at_most rule selects 0 (target 0)"
    big = tie_summary(pd.Series(np.arange(2000.0)), share=0.5, tie_rule="stable")
    assert big["sentence"] == "no tie at the cut-off, of 2,000 neighbourhoods: the stable rule selects 1,000 (target 1,000)"


def test_risk_index_defaults_without_area_or_settings():
    layers = pd.DataFrame({"sv": [3, 2, 1, 0]}, index=codes(4))
    settings = {"risk_index": {"factors": {"sv": {"column": "sv", "normalisation": "bin", "weight": 1}}}}
    res = risk_index(layers, settings)
    # no top_share: 5 % of 4 LSOAs -> floor(0.2) = 0 under the default at_most rule
    assert (res["area"] == "all").all() and res.attrs["top_share"] == 0.05 and res.attrs["tie_rule"] == "at_most"
    assert res.attrs["n"] == 4 and res.attrs["selected"] == 0 and not res["top_csp"].any()
    assert res["rank"].tolist() == [1, 2, 3, 4] and str(res["top_csp"].dtype) == "bool"
    half = risk_index(layers, {"risk_index": settings["risk_index"] | {"top_share": 0.5, "tie_rule": "stable"}})
    assert half["top_county"].tolist() == [True, True, False, False] == half["top_csp"].tolist()
    assert half.attrs["selected"] == 2


def test_tie_summary_cut_off_rounding_and_small_k():
    # distinct scores: the cut-off is the 55th highest, 54 score above it
    d = tie_summary(pd.Series(np.arange(1100.0)), share=0.05)
    assert (d["k"], d["above"], d["tied"]) == (55, 54, 1)
    # k = 1: the top score alone is at the cut-off
    one = tie_summary(pd.Series([3.0, 2.0, 1.0]), share=1 / 3)
    assert (one["k"], one["above"], one["tied"], one["straddles"], one["selected"]) == (1, 0, 1, False, 1)
    # scores equal to 10 decimals tie (3e-11 apart); 1e-9 apart they do not
    near = tie_summary(pd.Series([0.5, 0.5 + 3e-11, 0.1, 0.1]), share=0.5)
    assert (near["tied"], near["tie_groups"], near["selected"]) == (2, [(0.5, 2)], 2)
    apart = tie_summary(pd.Series([0.5, 0.5 + 1e-9, 0.1, 0.1]), share=0.5)
    assert (apart["above"], apart["tied"], apart["tie_groups"]) == (1, 1, [])
    # nothing to select: no straddle reported
    assert tie_summary(pd.Series([1.0, 2.0]), share=0.1)["straddles"] is False


def test_configured_tie_rule_fractional_weights_and_missing_scores():
    # three LSOAs tied at the top, k = floor(0.5 * 4) = 2: at_most selects none, stable two (by code)
    layers = pd.DataFrame({"sv": [3, 3, 3, 0]}, index=codes(4))
    factors = {"sv": {"column": "sv", "normalisation": "bin", "weight": 1}}
    for rule, expected in (("at_most", [False] * 4), ("stable", [True, True, False, False]),
                           ("include_ties", [True, True, True, False])):
        res = risk_index(layers, {"risk_index": {"factors": factors, "top_share": 0.5, "tie_rule": rule}})
        assert res["top_county"].tolist() == expected and res.attrs["tie_rule"] == rule
    # weights need not be whole: (0.5 * 1 + 0.25 * 0) / 0.75 = 2/3 for x
    two = pd.DataFrame({"a": [3, 0], "b": [False, True]}, index=["x", "y"])
    res = risk_scores(two, {"a": {"column": "a", "normalisation": "bin", "weight": 0.5},
                            "b": {"column": "b", "normalisation": "flag", "weight": 0.25}})
    assert res["score"].tolist() == pytest.approx([2 / 3, 1 / 3])
    # an LSOA whose layer is unknown has no score and no rank, and is never selected
    gap = pd.DataFrame({"sv": [3.0, np.nan, 1.0]}, index=codes(3))
    res = risk_index(gap, {"risk_index": {"factors": factors, "top_share": 1.0, "tie_rule": "stable"}})
    assert res["rank"].tolist()[0::2] == [1, 2] and pd.isna(res["rank"].iloc[1])
    assert res["top_county"].tolist() == [True, False, True]
    with pytest.raises(ValueError, match="^risk index has no factor with a non-zero weight$"):
        risk_scores(two, {"a": {"column": "a", "normalisation": "bin", "weight": 0}})


# ------------------------------------------------------------------ session-8 mutation survivors
def test_risk_score_is_the_mean_of_percentile_ranks_with_gaps_at_the_median():
    from sna_lib.index.risk_index import risk_score

    layers = pd.DataFrame({"a": [1.0, 2.0, 3.0, np.nan], "b": [40.0, 30.0, 20.0, 10.0]}, index=list("wxyz"))
    # a: the gap takes the median 2 -> 1, 2, 3, 2: average ranks 1, 2.5, 4, 2.5 of 4 -> 0.25, 0.625, 1, 0.625
    # b: ranks 4, 3, 2, 1 of 4 -> 1, 0.75, 0.5, 0.25; the score is the plain mean of the two
    score = risk_score(layers)
    assert score.index.tolist() == list("wxyz")
    assert score.tolist() == pytest.approx([0.625, 0.6875, 0.75, 0.4375])


def test_share_error_and_the_tie_summary_of_no_lsoas():
    with pytest.raises(ValueError, match=r"^share must be in \(0, 1\]$"):
        select_top(pd.Series([1.0, 2.0]), share=0)
    t = tie_summary(pd.Series([], dtype=float), share=0.05, tie_rule="include_ties")
    assert (t["n"], t["k"], t["selected"]) == (0, 0, 0)
    assert t["sentence"] == "no tie at the cut-off, of 0 neighbourhoods: the include_ties rule selects 0 (target 0)"


def test_risk_index_columns_and_flag_dtypes():
    layers = pd.DataFrame({
        "area": ["North"] * 2 + ["South"] * 2,
        "sv_suspect_homes_bin": [3, 0, 2, 0], "deprivation_high": [True, False, False, False],
        "da_victim_homes_years_hot": [0] * 4, "disorganisation_bin": [0] * 4, "class_a_possession_homes_bin": [0] * 4,
        "class_a_supply_homes_bin": [0] * 4, "unemployment_bin": [0] * 4}, index=codes(4))
    res = risk_index(layers, index_settings({"risk_index": {"top_share": 0.5, "tie_rule": "at_most"}}))
    assert list(res.columns)[-5:] == ["score", "rank", "area", "top_county", "top_csp"]
    assert res["top_county"].dtype == bool and res["top_csp"].dtype == bool
    # k = floor(0.5 * 2) = 1 per CSP: each CSP's highest score
    assert res.index[res["top_csp"]].tolist() == [codes(4)[0], codes(4)[2]]
