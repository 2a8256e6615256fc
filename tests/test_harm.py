"""Tests for CCHI harm totals, means, ratios and equivalents."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna_lib.measures.harm import (
    MissingHarmWeightWarning,
    crime_harm,
    harm_by,
    harm_equivalent,
    harm_impact,
    harm_ratio,
    harm_ratio_from_means,
    harm_summary,
)
from sna_lib.reference import offences

W = offences().set_index("offence_code")["cchi_days"].astype(float).to_dict()


def test_reference_section5_arithmetic():
    ratio = harm_ratio_from_means(950, 73)
    assert round(ratio) == 13
    assert harm_equivalent(1100, ratio) == 14_300
    assert harm_equivalent(626, ratio) == 8_138
    assert harm_equivalent(947, ratio) == 12_311


def test_crime_harm_uses_reference_weights_and_keeps_index():
    c = pd.DataFrame({"offence_code": ["1", "8N", "46"]}, index=[5, 7, 9])
    h = crime_harm(c)
    assert list(h.index) == [5, 7, 9]
    assert h.tolist() == [W["1"], W["8N"], W["46"]]


def test_unknown_codes_are_reported_not_zero():
    c = pd.DataFrame({"offence_code": ["1", "ZZ1", "ZZ1", None]})
    with pytest.warns(MissingHarmWeightWarning, match=r"3 crime\(s\).*ZZ1.*1 with no offence code"):
        s = harm_summary(c)
    assert s.crimes == 4 and s.weighted == 1 and s.unweighted == 3
    assert s.missing_codes == ("ZZ1",)
    assert s.total == W["1"] and s.mean == W["1"]          # mean over weighted crimes only


def test_custom_table_with_blank_weight_is_reported():
    table = offences()
    table.loc[table["offence_code"] == "46", "cchi_days"] = pd.NA
    with pytest.warns(MissingHarmWeightWarning, match="46"):
        s = harm_summary(pd.DataFrame({"offence_code": ["46", "8N"]}), table)
    assert s.weighted == 1 and s.total == W["8N"]


def test_no_warning_when_all_known():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        harm_summary(pd.DataFrame({"offence_code": ["1", "8N"]}))


def test_empty_sets():
    s = harm_summary(pd.DataFrame({"offence_code": pd.Series([], dtype="string")}))
    assert s.crimes == 0 and s.mean is None and s.total == 0
    assert harm_ratio(pd.DataFrame({"offence_code": []}), pd.DataFrame({"offence_code": ["1"]})) is None


def test_harm_ratio_by_hand():
    allc = pd.DataFrame({"offence_code": ["5D", "8N", "46", "46", "105A"]})
    mean_all = (W["5D"] + W["8N"] + 2 * W["46"] + W["105A"]) / 5
    mean_sv = (W["5D"] + W["8N"]) / 2
    assert harm_ratio(allc.iloc[:2], allc) == pytest.approx(mean_sv / mean_all)


def test_harm_impact_counts_unique_people_of_subset_only():
    allc = pd.DataFrame({"crime_id": list("abcdef"),
                         "offence_code": ["5D", "8N", "46", "46", "46", "105A"]})
    sv = allc.iloc[:2]
    persons = pd.DataFrame({
        "crime_id": ["a", "b", "a", "b", "c", "c"],
        "person_id": ["s1", "s1", "v1", "v2", "s9", "v9"],
        "role": ["suspect", "suspect", "victim", "victim", "suspect", "victim"],
    })
    h = harm_impact(sv, allc, persons)
    ratio = ((W["5D"] + W["8N"]) / 2) / ((W["5D"] + W["8N"] + 3 * W["46"] + W["105A"]) / 6)
    assert h.harm_ratio == pytest.approx(ratio)
    k = int(ratio + 0.5)
    assert h.harm_ratio_rounded == k
    assert (h.offences, h.offences_equivalent) == (2, 2 * k)
    assert (h.unique_suspects, h.suspects_equivalent) == (1, k)
    assert (h.unique_victims, h.victims_equivalent) == (2, 2 * k)
    assert set(h.to_dict()) >= {"mean_harm_all", "harm_ratio", "victims_equivalent"}


def test_harm_by_group():
    c = pd.DataFrame({"offence_code": ["1", "8N", "8N", "ZZ"], "area": ["A", "B", "B", "B"]})
    with pytest.warns(MissingHarmWeightWarning):
        out = harm_by(c, "area").set_index("area")
    assert out.loc["A", "total_harm"] == W["1"]
    assert out.loc["B", "crimes"] == 3 and out.loc["B", "weighted"] == 2
    assert out.loc["B", "mean_harm"] == pytest.approx(W["8N"])


codes = st.sampled_from(sorted(W))


@settings(max_examples=60, deadline=None)
@given(st.lists(codes, min_size=1, max_size=60), st.data())
def test_property_harm_nonnegative_and_subset_total_le_total(all_codes, data):
    allc = pd.DataFrame({"offence_code": all_codes})
    take = data.draw(st.lists(st.booleans(), min_size=len(all_codes), max_size=len(all_codes)))
    sub = allc[take]
    s, a = harm_summary(sub), harm_summary(allc)
    assert a.total >= 0 and s.total >= 0
    assert s.total <= a.total + 1e-9
    assert a.total == pytest.approx(sum(W[c] for c in all_codes))
    if a.mean:
        assert min(W[c] for c in all_codes) - 1e-9 <= a.mean <= max(W[c] for c in all_codes) + 1e-9


# ------------------------------------------------------------------ mutation-testing survivors
def _hand_round(x: float) -> int:
    """Half away from zero, for non-negative x (independent of the library's rounding)."""
    import math

    return int(math.floor(x + 0.5))


def test_harm_impact_exact_equivalents_means_and_weights_label():
    allc = pd.DataFrame({"crime_id": list("abcdef"),
                         "offence_code": ["5D", "8N", "46", "46", "ZZ9", "105A"]})
    sv = allc.iloc[:2]
    persons = pd.DataFrame({"crime_id": ["a", "b", "a", "b", "b"], "person_id": ["s1", "s2", "v1", "v2", "v3"],
                            "role": ["suspect", "suspect", "victim", "victim", "victim"]})
    with pytest.warns(MissingHarmWeightWarning, match="ZZ9"):
        h = harm_impact(sv, allc, persons)
    mean_all = (W["5D"] + W["8N"] + 2 * W["46"] + W["105A"]) / 5     # ZZ9 has no weight: left out
    mean_sv = (W["5D"] + W["8N"]) / 2
    ratio = mean_sv / mean_all
    assert h.mean_harm_all == pytest.approx(mean_all) and h.mean_harm_subset == pytest.approx(mean_sv)
    assert h.unweighted_crimes == 1
    assert (h.offences_equivalent_exact, h.suspects_equivalent_exact, h.victims_equivalent_exact) == (
        _hand_round(2 * ratio), _hand_round(2 * ratio), _hand_round(3 * ratio))
    assert h.victims_equivalent == 3 * _hand_round(ratio)
    assert h.weights.startswith("sna-book estimates") and "not the official" in h.weights
    official = offences().assign(cchi_basis="official CCHI 2020")
    assert harm_impact(sv, allc.iloc[:4], persons, official).weights == "official Cambridge Crime Harm Index"


def test_harm_impact_without_a_ratio():
    allc = pd.DataFrame({"crime_id": ["a"], "offence_code": ["1"]})
    persons = pd.DataFrame({"crime_id": ["a"], "person_id": ["s"], "role": ["suspect"]})
    h = harm_impact(allc.iloc[:0], allc, persons)
    assert h.harm_ratio is None and h.harm_ratio_rounded is None and h.offences == 0
    assert (h.offences_equivalent, h.suspects_equivalent, h.victims_equivalent) == (None, None, None)
    assert (h.offences_equivalent_exact, h.suspects_equivalent_exact, h.victims_equivalent_exact) == (None,) * 3


def test_harm_equivalents_by_hand_and_bad_mean():
    from sna_lib.measures.harm import harm_equivalent_exact

    assert harm_equivalent_exact(1100, 950 / 73) == 14315          # 14,315.07
    assert harm_equivalent_exact(3, 2.5) == 8                       # 7.5 rounds up
    assert harm_equivalent(3, 2.5) == 9                             # x 3 (2.5 rounds up), then x 3
    with pytest.raises(ValueError, match="must be positive"):
        harm_ratio_from_means(5, 0)
    # all crime with zero mean harm: no ratio
    zero = offences().assign(cchi_days=0.0)
    one = pd.DataFrame({"offence_code": ["1"]})
    assert harm_ratio(one, one, zero) is None


def test_crime_harm_warning_text_and_switch():
    many = pd.DataFrame({"offence_code": [f"ZZ{i:02d}" for i in range(21)]})
    with pytest.warns(MissingHarmWeightWarning, match=r"21 crime\(s\) have no harm weight.*ZZ19 …\)"):
        crime_harm(many)
    with pytest.warns(MissingHarmWeightWarning, match=r"codes: none; 2 with no offence code"):
        crime_harm(pd.DataFrame({"offence_code": [None, None]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert crime_harm(many, warn=False).isna().all()


def test_harm_summary_dict_and_harm_by_keys():
    with pytest.warns(MissingHarmWeightWarning):
        s = harm_summary(pd.DataFrame({"offence_code": ["1", "ZZ2", "ZZ1"]}))
    assert s.to_dict() == {"crimes": 3, "weighted": 1, "unweighted": 2, "missing_codes": ["ZZ1", "ZZ2"],
                           "total": W["1"], "mean": W["1"]}
    c = pd.DataFrame({"offence_code": ["8N", "1", "ZZ", "8N"], "area": ["B", "A", "C", "B"],
                      "year": [2023, 2023, 2023, 2022]})
    with pytest.warns(MissingHarmWeightWarning):
        out = harm_by(c, ["area", "year"])
    assert out[["area", "year"]].values.tolist() == [["A", 2023], ["B", 2022], ["B", 2023], ["C", 2023]]
    assert out["crimes"].tolist() == [1, 1, 1, 1] and out["weighted"].tolist() == [1, 1, 1, 0]
    assert out["mean_harm"].iloc[:3].tolist() == [W["1"], W["8N"], W["8N"]] and pd.isna(out["mean_harm"].iloc[3])


def test_harm_by_uses_the_given_table():
    table = offences()
    table.loc[table["offence_code"] == "8N", "cchi_days"] = 100.0
    c = pd.DataFrame({"offence_code": ["8N", "8N"], "area": ["A", "A"]})
    out = harm_by(c, "area", table)
    assert out["total_harm"].tolist() == [200.0] and out["mean_harm"].tolist() == [100.0]


def test_ratio_and_impact_use_the_given_table_for_both_sets():
    table = offences()
    table.loc[table["offence_code"] == "8N", "cchi_days"] = 100.0
    table.loc[table["offence_code"] == "46", "cchi_days"] = 20.0
    allc = pd.DataFrame({"crime_id": ["a", "b", "c"], "offence_code": ["8N", "46", "46"]})
    # by hand with these weights: subset mean 100, all mean (100 + 20 + 20) / 3
    assert harm_ratio(allc.iloc[:1], allc, table) == pytest.approx(100 / (140 / 3))
    persons = pd.DataFrame({"crime_id": ["a"], "person_id": ["s"], "role": ["suspect"]})
    h = harm_impact(allc.iloc[:1], allc, persons, table)
    assert (h.mean_harm_subset, h.mean_harm_all) == (100.0, pytest.approx(140 / 3))


def test_harm_by_categorical_keys_keep_observed_groups_only():
    c = pd.DataFrame({"offence_code": ["8N", "1"],
                      "area": pd.Categorical(["B", "A"], categories=["A", "B", "Z"])})
    out = harm_by(c, "area")
    assert out["area"].astype(str).tolist() == ["A", "B"] and out["crimes"].tolist() == [1, 1]


def test_crime_harm_dtype_warning_codes_and_call_site():
    # nullable Float64: a crime without a weight is <NA>, never a silent 0
    h = crime_harm(pd.DataFrame({"offence_code": ["8N"]}))
    assert h.dtype == "Float64" and h.name == "harm"
    with pytest.warns(MissingHarmWeightWarning, match=r"\(codes: ZZ1, ZZ2\)$") as rec:
        crime_harm(pd.DataFrame({"offence_code": ["ZZ2", "ZZ1", "8N"]}))
    # points out of the library, at the caller's line (not == __file__: mutmut adds a wrapper frame)
    assert not rec[0].filename.endswith("sna_lib/measures/harm.py")
    # harm_summary re-emits the warning at its own caller, not inside the library
    with pytest.warns(MissingHarmWeightWarning) as rec:
        harm_summary(pd.DataFrame({"offence_code": ["ZZ1"]}))
    assert len(rec) == 1 and not rec[0].filename.endswith("sna_lib/measures/harm.py")


# ------------------------------------------------------------------ session-8 mutation survivors
def test_exactly_twenty_unknown_codes_are_all_listed_without_an_ellipsis():
    twenty = pd.DataFrame({"offence_code": [f"ZZ{i:02d}" for i in range(20)]})
    with pytest.warns(MissingHarmWeightWarning) as rec:
        crime_harm(twenty)
    (w,) = rec
    listed = ", ".join(f"ZZ{i:02d}" for i in range(20))
    assert str(w.message) == (f"20 crime(s) have no harm weight and are left out of harm totals (codes: {listed})")
