"""Tests for people measures: unique/repeat, previous involvement, overlap, DA link, ages, origins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna_lib.measures.people import (
    age_bands,
    age_profile,
    age_profile_features,
    domestic_abuse_link,
    links,
    origin_profile,
    person_counts,
    previous_involvement,
    share_under_age,
    unique_from_records,
    victim_suspect_overlap,
)


@pytest.fixture
def world():
    crimes = pd.DataFrame({
        "crime_id": ["h1", "h2", "s1", "s2", "s3", "s4", "d1", "d2", "x1"],
        "date": pd.to_datetime(["2017-06-01", "2019-06-01", "2023-01-10", "2023-03-10", "2023-05-10",
                                "2023-07-10", "2021-01-01", "2016-01-01", "2023-02-02"]),
        "domestic_abuse": [False, False, False, False, False, False, True, True, False],
    })
    persons = pd.DataFrame({
        "crime_id": ["h1", "h2", "s1", "s1", "s2", "s2", "s3", "s3", "s4", "s4", "d1", "d2", "x1"],
        "person_id": ["A", "B", "A", "V1", "A", "V2", "C", "B", "D", "V1", "C", "D", "V2"],
        "role": ["suspect", "suspect", "suspect", "victim", "suspect", "victim", "suspect", "victim",
                 "suspect", "victim", "involved_party", "suspect", "suspect"],
        "age": pd.array([14, 16, 20, 15, 20, 30, 17, 19, 40, 16, 16, 33, 31], dtype="Int64"),
        "origin_area": ["North", "South", "North", "North", "North", "London", "Kent", "South",
                        "Unknown", "North", "Kent", "Unknown", "London"],
    })
    return crimes, persons


SV_2023 = ["s1", "s2", "s3", "s4"]


def test_person_counts_by_hand(world):
    _, persons = world
    s = person_counts(persons, SV_2023, "suspect")
    # suspects: A (s1, s2), C (s3), D (s4) -> 4 records, 3 people, 1 repeat person
    assert (s.records, s.unique, s.repeat_people) == (4, 3, 1)
    assert s.repeat_share_records == pytest.approx(1 / 4)
    assert s.repeat_people_share == pytest.approx(1 / 3)
    v = person_counts(persons, SV_2023, "victim")
    # victims: V1 (s1, s4), V2 (s2), B (s3)
    assert (v.records, v.unique, v.repeat_people) == (4, 3, 1)


def test_person_counts_ignores_duplicate_links_and_empty():
    p = pd.DataFrame({"crime_id": ["a", "a"], "person_id": ["x", "x"], "role": ["suspect", "suspect"]})
    c = person_counts(p, ["a"], "suspect")
    assert (c.records, c.unique, c.repeat_people) == (1, 1, 0)
    e = person_counts(p, [], "suspect")
    assert e.records == 0 and e.repeat_share_records is None and e.repeat_people_share is None
    with pytest.raises(ValueError):
        links(p, ["a"], "witness")


def test_previous_involvement(world):
    crimes, persons = world
    sv = crimes[crimes["crime_id"].isin(["h1", "h2", *SV_2023])]
    r = previous_involvement(persons, sv, 2023, "suspect")
    # 2023 suspects A, C, D; A was a suspect in h1 (2017: outside 2018-2022) -> not counted;
    # nobody else was an SV suspect in 2018-2022 (B in h2 is not a 2023 suspect)
    assert (r.count, r.of) == (0, 3)
    r6 = previous_involvement(persons, sv, 2023, "suspect", lookback_years=6)
    assert (r6.count, r6.of) == (1, 3)
    v = previous_involvement(persons, sv, 2023, "victim")
    assert (v.count, v.of) == (0, 3)


def test_victim_suspect_overlap(world):
    _, persons = world
    o = victim_suspect_overlap(persons, SV_2023 + ["h2"])
    # suspects A, C, D, B(h2); victims V1, V2, B -> B is both
    assert (o.both, o.victims, o.suspects) == (1, 3, 4)
    assert o.share_of_victims == pytest.approx(1 / 3) and o.share_of_suspects == pytest.approx(1 / 4)


def test_domestic_abuse_link(world):
    crimes, persons = world
    r = domestic_abuse_link(persons, crimes, SV_2023, 2023)
    # suspects A, C, D: C involved party in DA d1 (2021, in window); D suspect in d2 (2016, outside)
    assert (r.count, r.of) == (1, 3)
    r8 = domestic_abuse_link(persons, crimes, SV_2023, 2023, window_years=8)
    assert (r8.count, r8.of) == (2, 3)


def test_age_profile_people_vs_records(world):
    _, persons = world
    people = age_profile(persons, SV_2023, "suspect")
    # A (20, 20), C 17, D 40 -> people: 17, 20, 40
    assert people.counts[17] == 1 and people.counts[20] == 1 and people.counts[40] == 1
    assert people.counts.sum() == 3 and people.counts.index.min() == 17 and people.counts.index.max() == 40
    records = age_profile(persons, SV_2023, "suspect", unit="records")
    assert records.counts[20] == 2 and records.counts.sum() == 4
    with pytest.raises(ValueError):
        age_profile(persons, SV_2023, unit="crimes")
    empty = age_profile(persons, [], "suspect")
    assert empty.counts.empty and empty.unknown == 0


def test_share_under_25(world):
    _, persons = world
    r = share_under_age(persons, SV_2023)
    # people by role: suspects A20 C17 D40; victims V1 15, V2 30, B19 -> under 25: 4 of 6
    assert (r.count, r.of) == (4, 6)


def test_origin_profile(world):
    _, persons = world
    out = origin_profile(persons, SV_2023, ["North", "South"], role="suspect")
    # A North (x2), C Kent, D Unknown
    assert out[["origin_area", "place", "people"]].values.tolist() == [
        ["North", "in county", 1], ["Kent", "outside county", 1], ["Unknown", "unknown", 1]]
    assert out["share"].iloc[0] == pytest.approx(0.5) and pd.isna(out["share"].iloc[2])


def test_origin_profile_mode_per_person():
    p = pd.DataFrame({"crime_id": ["a", "b", "c"], "person_id": ["x", "x", "x"], "role": "suspect",
                      "origin_area": ["London", "North", "London"]})
    out = origin_profile(p, ["a", "b", "c"], ["North"])
    assert out["origin_area"].tolist() == ["London"] and out["people"].tolist() == [1]


REFERENCE_SHAPE = pd.Series(
    [1, 1, 2, 3, 6, 25, 55, 90, 70, 85, 88, 75, 60, 50, 44, 41, 40,
     39, 39, 38, 38, 37, 37, 36, 36, 35, 35, 34, 34, 33, 33, 32, 32], index=range(8, 41))


def test_age_features_reference_shape():
    f = age_profile_features(REFERENCE_SHAPE)
    assert f.incline_start == 12 and f.plateau_start == 23
    # the dip 90 -> 70 -> 88 is 1.4 Poisson standard errors deep (18 / sqrt(88 + 70)): at the
    # default z = 1.96 it is noise, at z = 1 it is a feature
    assert f.peaks == (15,) and f.dips == ()
    loose = age_profile_features(REFERENCE_SHAPE, z=1.0)
    assert loose.peaks == (15, 18) and loose.dips == (16,) and loose.rises_again == (17,)
    assert "1.96 Poisson standard errors" in f.method


def planted_curve(peak: float, dip: bool) -> pd.Series:
    """Known truth: flat low to 12, straight climb to a peak at 15, (dip at 16, second peak
    at 17), straight decline to a plateau from 23, then a slow decline."""
    ages = np.arange(8, 70)
    low, after = 0.03 * peak, (0.9 if dip else 0.8) * peak
    lam = np.select(
        [ages <= 12, ages <= 15, ages == 16, ages == 17, ages <= 23],
        [low, low + (peak - low) * (ages - 12) / 3, (0.55 if dip else 0.9) * peak, after,
         after - (after - 0.3 * peak) * (ages - 17) / 6],
        np.maximum(0.3 * peak - 0.006 * peak * (ages - 23), 0.2))
    return pd.Series(lam, index=ages)


@pytest.mark.slow
@pytest.mark.parametrize("peak,dip", [(70, False), (90, True), (200, True), (200, False)])
def test_age_features_recover_planted_curve_under_poisson_noise(peak, dip):
    truth = planted_curve(peak, dip)
    exact = age_profile_features(truth)
    assert exact.incline_start == 12 and exact.peaks[0] == 15 and exact.plateau_start == 23
    assert exact.dips == ((16,) if dip else ())
    rng = np.random.default_rng(20240 + peak + dip)
    draws = [age_profile_features(pd.Series(rng.poisson(truth.to_numpy()), index=truth.index))
             for _ in range(200)]
    share = lambda ok: np.mean([ok(f) for f in draws])  # noqa: E731
    assert share(lambda f: f.incline_start is not None and abs(f.incline_start - 12) <= 1) >= 0.95
    assert share(lambda f: bool(f.peaks) and abs(f.peaks[0] - 15) <= 1) >= 0.85
    assert share(lambda f: f.plateau_start is not None and abs(f.plateau_start - 23) <= 2) >= 0.9
    if dip and peak >= 200:
        assert share(lambda f: f.dips == (16,)) >= 0.9
    elif dip:  # realistic county counts: a 40 % dip is found most of the time
        assert share(lambda f: 16 in f.dips) >= 0.6
    else:  # no dip planted: noise must rarely invent one
        assert share(lambda f: f.dips == ()) >= 0.9


@pytest.mark.slow
def test_age_features_old_rule_was_fooled_by_noise():
    """The unsmoothed 3 %-of-peak rule put the demo's plateau at 45; the hinge fit does not."""
    rng = np.random.default_rng(5)
    truth = planted_curve(70, False)
    plateaus = [age_profile_features(pd.Series(rng.poisson(truth.to_numpy()), index=truth.index)).plateau_start
                for _ in range(100)]
    assert np.median(plateaus) in (22, 23, 24) and max(plateaus) <= 30


def test_age_features_scale_invariant():
    f = age_profile_features(REFERENCE_SHAPE * 10)
    # ten times the counts: ten times the evidence, so the dip becomes significant
    assert f.peaks == (15, 18) and f.dips == (16,) and f.incline_start == 12


def test_age_features_single_peak_and_degenerate():
    s = pd.Series([0, 0, 10, 40, 100, 60, 30, 29, 29, 28, 28, 28, 27], index=range(10, 23))
    f = age_profile_features(s)
    assert f.peaks == (14,) and f.dips == () and f.incline_start in (11, 12) and f.plateau_start == 16
    assert age_profile_features(pd.Series(dtype=float)).incline_start is None
    assert age_profile_features(pd.Series([0, 0], index=[1, 2])).peaks == ()
    assert age_profile_features(s, basis="county").basis == "county"


def test_age_bands_survive_disclosure_and_partition():
    counts = pd.Series([1, 2, 9, 12, 6, 3, 0, 0, 1, 0, 1, 2], index=range(13, 25))
    bands = age_bands(counts, 8)
    assert bands["count"].sum() == counts.sum()
    assert (bands["count"] >= 8).all()
    # consecutive, no gaps or overlaps
    assert bands["age_from"].iloc[0] == 13 and bands["age_to"].iloc[-1] == 24
    assert (bands["age_from"].iloc[1:].to_numpy() == bands["age_to"].iloc[:-1].to_numpy() + 1).all()
    # by hand: 1+2+9 = 12 | 12 | 6+3 = 9, then 4 left over (< 8) joins the last band: 13
    assert bands["band"].tolist() == ["up to 15", "16", "17+"] and bands["count"].tolist() == [12, 12, 13]
    small = age_bands(pd.Series([1, 2], index=[30, 31]), 8)
    assert small.values.tolist() == [["30–31", 30, 31, 3]]
    with pytest.raises(ValueError):
        age_bands(counts, 0)


def test_unique_from_records_reference():
    assert unique_from_records(715, 0.124) == 626
    # inverse of person_counts: 4 records, 1 repeat -> 3 people
    assert unique_from_records(4, 0.25) == 3
    for bad in ((-1, 0.1), (10, 1.0), (10, -0.1), (2.5, 0.1)):
        with pytest.raises(ValueError):
            unique_from_records(*bad)


def test_windows_are_labelled_and_strict(world):
    crimes, persons = world
    r = domestic_abuse_link(persons, crimes, SV_2023, 2023)
    assert r.window == "2018–2022"
    # a DA crime in the reporting year itself does not count by default
    extra_c = pd.concat([crimes, pd.DataFrame({"crime_id": ["d3"], "date": pd.to_datetime(["2023-03-03"]),
                                               "domestic_abuse": [True]})], ignore_index=True)
    extra_p = pd.concat([persons, pd.DataFrame({"crime_id": ["d3"], "person_id": ["A"], "role": ["victim"],
                                                "age": pd.array([20], dtype="Int64"),
                                                "origin_area": ["North"]})], ignore_index=True)
    assert domestic_abuse_link(extra_p, extra_c, SV_2023, 2023).count == 1
    incl = domestic_abuse_link(extra_p, extra_c, SV_2023, 2023, include_reporting_year=True)
    assert (incl.count, incl.window) == (2, "2019–2023")
    prev = previous_involvement(persons, crimes, 2023)
    assert prev.window == "2018–2022"


def test_da_lookback_length_exact():
    """A DA crime exactly five years back counts; six years back does not (look-back length)."""
    c = pd.DataFrame({"crime_id": ["sv", "sv2", "da5", "da6"], "domestic_abuse": [False, False, True, True],
                      "date": pd.to_datetime(["2023-05-01", "2023-05-02", "2018-12-31", "2017-12-31"])})
    p = pd.DataFrame({"crime_id": ["sv", "sv2", "da5", "da6"], "person_id": ["a", "b", "a", "b"],
                      "role": "suspect"})
    r = domestic_abuse_link(p, c, ["sv", "sv2"], 2023)
    assert (r.count, r.of) == (1, 2)
    assert domestic_abuse_link(p, c, ["sv", "sv2"], 2023, window_years=6).count == 2
    assert domestic_abuse_link(p, c, ["sv", "sv2"], 2023, window_years=4).count == 0


def test_overlap_window_reporting_year(world):
    crimes, persons = world
    all_years = victim_suspect_overlap(persons, SV_2023 + ["h2"])
    one_year = victim_suspect_overlap(persons, SV_2023 + ["h2"], crimes=crimes, year=2023)
    # B is a suspect only in h2 (2019): both only when all years are pooled
    assert (all_years.both, one_year.both) == (1, 0) and one_year.window == "2023"
    two = victim_suspect_overlap(persons, SV_2023 + ["h2"], crimes=crimes, year=2023, window_years=5)
    assert two.both == 1 and two.window == "2019–2023"
    with pytest.raises(ValueError):
        victim_suspect_overlap(persons, SV_2023, year=2023)


def test_under_25_cut_is_strict():
    p = pd.DataFrame({"crime_id": ["a", "b", "c"], "person_id": ["x", "y", "z"], "role": "victim",
                      "age": pd.array([24, 25, 26], dtype="Int64")})
    r = share_under_age(p, ["a", "b", "c"])
    assert (r.count, r.of) == (1, 3)


person_rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]),
                                 st.sampled_from(["p1", "p2", "p3", "p4"]),
                                 st.sampled_from(["suspect", "victim", "involved_party"]),
                                 st.one_of(st.none(), st.integers(0, 90))), max_size=40)


@settings(max_examples=60, deadline=None)
@given(person_rows, st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=5))
def test_property_counts_invariants(rows, ids):
    p = pd.DataFrame(rows, columns=["crime_id", "person_id", "role", "age"])
    p["age"] = pd.array(p["age"].tolist(), dtype="Int64")
    for role in ("suspect", "victim"):
        c = person_counts(p, ids, role)
        assert c.repeat_people <= c.unique <= c.records
        assert c.records <= len(p)
        assert c.records == len(p[p["crime_id"].isin(ids) & (p["role"] == role)].drop_duplicates(
            ["crime_id", "person_id"]))
    prof = age_profile(p, ids, unit="records")
    assert prof.counts.sum() + prof.unknown == len(links(p, ids))
    u = share_under_age(p, ids)
    assert 0 <= u.count <= u.of
    o = victim_suspect_overlap(p, ids)
    assert o.both <= min(o.victims, o.suspects)


# ------------------------------------------------------------------ mutation-testing survivors
def test_age_bands_edges_by_hand():
    """Bands close as soon as they reach ``min_count`` (exactly), missing ages count 0, labels."""
    # exactly min_count closes a band; single-age end bands keep their own label (no "+"/"up to")
    exact = age_bands(pd.Series([8, 8], index=[20, 21]), 8)
    assert exact.values.tolist() == [["20", 20, 20, 8], ["21", 21, 21, 8]]
    # two bands: open-ended labels at both ends (by hand: 3+9 = 12 | 2+2+5 = 9, then 1+1 joins: 11)
    two = age_bands(pd.Series([3, 9, 2, 2, 5, 1, 1], index=range(14, 21)), 8)
    assert two.values.tolist() == [["up to 15", 14, 15, 12], ["16+", 16, 20, 11]]
    # age 15 is absent: it counts 0 and starts the third band (15-16), not 16 alone
    gap = age_bands(pd.Series([8, 8, 8], index=[13, 14, 16]), 8)
    assert gap.values.tolist() == [["13", 13, 13, 8], ["14", 14, 14, 8], ["15+", 15, 16, 8]]
    # min_count 1 is allowed: each band closes at its first person
    ones = age_bands(pd.Series([1, 0, 2], index=[30, 31, 32]), 1)
    assert ones.values.tolist() == [["30", 30, 30, 1], ["31+", 31, 32, 2]]
    with pytest.raises(ValueError, match=r"^min_count must be at least 1$"):
        age_bands(pd.Series([1], index=[30]), 0)


def test_age_bands_empty_profile_has_the_columns():
    empty = age_bands(pd.Series(dtype="int64"), 8)
    assert empty.empty and list(empty.columns) == ["band", "age_from", "age_to", "count"]
    assert [str(t) for t in empty.dtypes] == ["string", "int64", "int64", "int64"]


def test_unique_from_records_edges():
    # zero records and a zero repeat rate are valid inputs
    assert unique_from_records(0, 0.5) == 0 and unique_from_records(10, 0.0) == 10
    # half a person rounds away from zero: 7 x 0.5 = 3.5 -> 4; 9 x 0.5 = 4.5 -> 5
    assert unique_from_records(7, 0.5) == 4 and unique_from_records(9, 0.5) == 5
    with pytest.raises(ValueError, match="non-negative whole number"):
        unique_from_records(-1, 0.1)
    with pytest.raises(ValueError, match="repeat_rate"):
        unique_from_records(10, 1.0)


def test_hinge_knot_is_the_poisson_weighted_least_squares_knot():
    """Against statsmodels' WLS (weights 1 / max(variance, 1)) over every candidate knot."""
    import statsmodels.api as sm

    from sna_lib.measures.people import _hinge_knot

    x = np.arange(10.0)
    # low counts (variance below 2) decide between knots 6 and 7: the variance floor is 1
    y = np.array([0.0, 4, 1, 3, 5, 1, 4, 6, 11, 20])
    ssr = {k: sm.WLS(y, np.column_stack([np.ones(10), x, np.maximum(x - k, 0.0)]),
                     weights=1.0 / np.maximum(y, 1.0)).fit().ssr for k in range(1, 9)}
    assert _hinge_knot(x, y, y, range(1, 9)) == min(ssr, key=ssr.get)
    # a straight line fits every knot equally well: the youngest candidate is kept
    assert _hinge_knot(x, 2.0 + 3.0 * x, np.ones(10), range(2, 8)) == 2


def test_age_features_carry_basis_and_method():
    n = pd.Series([1, 2, 5, 30, 60, 40, 30, 25, 24, 24, 23, 23], index=range(10, 22))
    f = age_profile_features(n)
    assert f.basis == "" and "the 25 years after the last peak" in f.method
    assert "1.96 Poisson standard errors" in f.method
    g = age_profile_features(n, basis="county", span=10, z=1.0)
    assert g.basis == "county" and "the 10 years after the last peak" in g.method and " 1 Poisson" in g.method
    empty = age_profile_features(pd.Series(dtype="float64"), basis="county")
    assert (empty.incline_start, empty.peaks, empty.basis) == (None, (), "county")
    assert "25 years" in empty.method


def test_share_under_age_by_role_and_cut():
    p = pd.DataFrame({"crime_id": ["a", "a", "b", "b"], "person_id": ["s1", "v1", "s2", "v2"],
                      "role": ["suspect", "victim", "suspect", "victim"],
                      "age": pd.array([17, 40, 30, 19], dtype="Int64")})
    s = share_under_age(p, ["a", "b"], role="suspect")
    assert (s.count, s.of) == (1, 2)            # s1 (17) of s1, s2
    v = share_under_age(p, ["a", "b"], age=20, role="victim")
    assert (v.count, v.of) == (1, 2)            # v2 (19) of v1, v2
    assert share_under_age(p, ["a", "b"], age=18).count == 1    # anyone: only s1 is under 18


def test_person_counts_one_link_per_person_and_crime_and_categorical_ids():
    # the same person twice on one crime, recorded with different ages: one record, not two
    p = pd.DataFrame({"crime_id": ["a", "a", "b"], "person_id": ["x", "x", "y"], "role": "suspect",
                      "age": pd.array([15, 16, 30], dtype="Int64")})
    c = person_counts(p, ["a", "b"], "suspect")
    assert (c.role, c.records, c.unique, c.repeat_people) == ("suspect", 2, 2, 0)
    # categorical ids (as read from parquet) with categories nobody in these crimes has
    q = p.assign(person_id=pd.Categorical(["x", "x", "y"], categories=["w", "x", "y", "z"]))
    d = person_counts(q, ["a"], "suspect")
    assert (d.records, d.unique, d.repeat_people, d.repeat_people_share) == (1, 1, 0, 0.0)


def test_results_export_as_plain_dicts(world):
    crimes, persons = world
    assert person_counts(persons, SV_2023, "suspect").to_dict() == {
        "role": "suspect", "records": 4, "unique": 3, "repeat_share_records": 0.25, "repeat_people": 1,
        "repeat_people_share": pytest.approx(1 / 3)}
    assert previous_involvement(persons, crimes, 2023).to_dict().keys() == {"count", "of", "share", "window"}
    o = victim_suspect_overlap(persons, ["s1"]).to_dict()
    assert o == {"both": 0, "victims": 1, "suspects": 1, "share_of_victims": 0.0, "share_of_suspects": 0.0,
                 "window": ""}
    p = pd.DataFrame({"crime_id": ["a", "b", "c"], "person_id": ["x", "y", "z"], "role": "suspect",
                      "age": pd.array([15, 17, None], dtype="Int64")})
    prof = age_profile(p, ["a", "b", "c"]).to_dict()
    assert prof == {"counts": {15: 1, 16: 0, 17: 1}, "unknown": 1, "unit": "people"}
    assert all(type(k) is int and type(v) is int for k, v in prof["counts"].items())
    n = pd.Series([1, 1, 2, 3, 6, 25, 55, 90, 70, 85, 88, 75, 60, 50, 44, 41, 40, 39, 39, 38, 38, 37, 37, 36,
                   36, 35, 35, 34, 34, 33, 33, 32, 32], index=range(8, 41))
    f = age_profile_features(n, basis="county")
    assert f.to_dict() == {"incline_start": f.incline_start, "peaks": list(f.peaks), "dips": list(f.dips),
                           "rises_again": list(f.rises_again), "plateau_start": f.plateau_start}
    assert f.to_dict()["peaks"] == [15] and f.to_dict()["incline_start"] == 12 and f.to_dict()["plateau_start"] == 23


def test_year_windows_refuse_empty_ranges():
    from sna_lib.measures.people import YearWindow

    for make in (lambda: YearWindow.ending(2023, 0), lambda: YearWindow.before(2023, 0)):
        with pytest.raises(ValueError, match=r"^a window needs at least one year$"):
            make()
    with pytest.raises(ValueError, match="window 2023–2022 is empty"):
        YearWindow(2023, 2022)
    assert (YearWindow.ending(2023, 1).first, YearWindow.before(2023, 1).first) == (2023, 2022)


def test_da_link_unknown_flag_is_not_da_and_empty_role():
    c = pd.DataFrame({"crime_id": ["sv", "da?"], "domestic_abuse": pd.array([False, pd.NA], dtype="boolean"),
                      "date": pd.to_datetime(["2023-05-01", "2020-01-01"])})
    p = pd.DataFrame({"crime_id": ["sv", "da?"], "person_id": ["a", "a"], "role": "suspect"})
    r = domestic_abuse_link(p, c, ["sv"], 2023)
    assert (r.count, r.of, r.share) == (0, 1, 0.0)          # an unknown DA flag is not a DA crime
    none = domestic_abuse_link(p, c, ["sv"], 2023, role="victim")   # no victims: 0 of 0
    assert none.to_dict() == {"count": 0, "of": 0, "share": None, "window": "2018–2022"}


def test_origin_profile_by_hand():
    rows = [("c1", "p1", "North"), ("c2", "p1", "North"), ("c3", "p1", "London"),   # mode: North
            ("c4", "p2", "London"), ("c5", "p2", "Kent"),                              # tie: alphabetical, Kent
            ("c6", "p3", ""), ("c7", "p4", None),                                      # blank / missing: Unknown
            ("c8", "p5", "  South "), ("c9", "p6", "UNKNOWN"),                         # stripped; any-case unknown
            ("c10", "p7", "Essex Borders"), ("c11", "p8", "Kent")]
    p = pd.DataFrame(rows, columns=["crime_id", "person_id", "origin_area"]).assign(role="suspect")
    out = origin_profile(p, [r[0] for r in rows], ["North", "South"])
    assert list(out.columns) == ["origin_area", "place", "people", "share"]
    # in county, then outside, then unknown; more people first; then by name. Shares of the 5 known
    assert out[["origin_area", "place", "people"]].values.tolist() == [
        ["North", "in county", 1], ["South", "in county", 1], ["Kent", "outside county", 2],
        ["Essex Borders", "outside county", 1], ["Unknown", "unknown", 2], ["UNKNOWN", "unknown", 1]]
    assert out["share"].iloc[:4].tolist() == pytest.approx([0.2, 0.2, 0.4, 0.2]) and out["share"].iloc[4:].isna().all()
    assert out.index.tolist() == list(range(6)) and str(out["people"].dtype) == "int64"
    # a single known person holds the whole known share
    single = origin_profile(p, ["c10", "c6"], ["North"])
    assert single.set_index("origin_area")["share"].to_dict() == {"Essex Borders": 1.0, "Unknown": pytest.approx(np.nan, nan_ok=True)}


def test_age_profile_names_types_and_empty():
    p = pd.DataFrame({"crime_id": ["a", "b", "c"], "person_id": ["x", "x", "y"], "role": "victim",
                      "age": ["16", "15", "not known"]})                 # text ages: unreadable -> unknown
    prof = age_profile(p, ["a", "b", "c"])
    assert prof.counts.to_dict() == {15: 1} and prof.unknown == 1 and prof.unit == "people"
    assert prof.counts.name == "count" and prof.counts.index.name == "age" and str(prof.counts.dtype) == "int64"
    empty = age_profile(p, ["c"], unit="records")
    assert empty.counts.empty and empty.counts.name == "count" and str(empty.counts.dtype) == "int64"
    assert (empty.unknown, empty.unit) == (1, "records")
    with pytest.raises(ValueError, match=r"^unit must be 'people' or 'records'$"):
        age_profile(p, ["a"], unit="crimes")
    # a person with an unknown age on one crime and a known one on another counts at the known age
    q = pd.DataFrame({"crime_id": ["a", "b"], "person_id": ["x", "x"], "role": "victim",
                      "age": pd.array([None, 30], dtype="Int64")})
    assert age_profile(q, ["a", "b"]).counts.to_dict() == {30: 1} and age_profile(q, ["a", "b"]).unknown == 0


def test_unknown_role_or_date_is_never_counted():
    from sna_lib.measures.people import YearWindow, links

    # a link with no role is not a victim (nor a suspect)
    p = pd.DataFrame({"crime_id": ["a", "a", "b"], "person_id": ["x", "y", "z"],
                      "role": pd.array(["victim", None, "suspect"], dtype="string")})
    assert links(p, ["a", "b"], "victim")["person_id"].tolist() == ["x"]
    assert links(p, ["a", "b"], "suspect")["person_id"].tolist() == ["z"]
    # an undated record is outside every window, with NumPy or Arrow timestamps
    dates = pd.Series(pd.to_datetime(["2019-06-01", None, "2024-01-01"]))
    w = YearWindow(2018, 2023)
    for d in (dates, dates.astype("timestamp[us][pyarrow]")):
        assert w.contains(d).tolist() == [True, False, False]


# ------------------------------------------------------------------ session-8 mutation survivors
def test_age_features_of_an_empty_or_all_zero_profile_still_state_the_method():
    for counts in (pd.Series([], dtype=float), pd.Series([0, 0, 0], index=[15, 16, 17])):
        f = age_profile_features(counts, basis="county")
        assert (f.incline_start, f.peaks, f.basis) == (None, (), "county")
        assert f.method.startswith("Turning points of the single-year age curve, robust to Poisson noise")


def test_a_peak_at_the_oldest_age_stands_above_zero_beyond_it():
    # 0, 1, 2, 3, 4: the maximum is the last age; past the curve the count is 0, so its prominence
    # is 4 >= 1.96 * sqrt(4 + 0) = 3.92 and it is a peak (a prominence of 3 would not be: 3 < 1.96 * sqrt(5))
    f = age_profile_features(pd.Series([0, 1, 2, 3, 4], index=range(20, 25)))
    assert f.peaks == (24,) and f.plateau_start is None


def test_a_plateau_needs_five_years_after_the_last_peak():
    # peak 30 at age 15; with five ages after it (to 20) the decline-plateau knot is fitted, with four not
    five = age_profile_features(pd.Series([0, 2, 4, 8, 16, 30, 20, 12, 10, 10, 10], index=range(10, 21)))
    assert five.peaks == (15,) and five.plateau_start is not None and 16 <= five.plateau_start <= 18
    four = age_profile_features(pd.Series([0, 2, 4, 8, 16, 30, 20, 12, 10, 10], index=range(10, 20)))
    assert four.peaks == (15,) and four.plateau_start is None


def test_origin_areas_are_nullable_text():
    p = pd.DataFrame({"crime_id": ["a", "b"], "person_id": ["w", "x"], "role": "suspect",
                      "origin_area": ["North", "London"]})
    out = origin_profile(p, ["a", "b"], ["North"])
    assert out["origin_area"].dtype == pd.StringDtype() and out["origin_area"].tolist() == ["North", "London"]
