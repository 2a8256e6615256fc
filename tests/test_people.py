"""Tests for people measures: unique/repeat, previous involvement, overlap, DA link, ages, origins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna_lib.measures.people import (
    age_profile,
    age_profile_features,
    domestic_abuse_link,
    links,
    origin_profile,
    person_counts,
    previous_involvement,
    share_under_age,
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
    assert f.incline_start == 12
    assert f.peaks == (15, 18) and f.dips == (16,) and f.rises_again == (17,)
    assert f.plateau_start == 23


def test_age_features_scale_invariant_and_noisy_with_smoothing():
    f10 = age_profile_features(REFERENCE_SHAPE * 10)
    assert f10 == age_profile_features(REFERENCE_SHAPE)
    rng = np.random.default_rng(3)
    big = REFERENCE_SHAPE * 20
    noisy = pd.Series(rng.poisson(big.to_numpy()), index=big.index)
    f = age_profile_features(noisy, smooth=3, flat=0.04)
    # 3-year smoothing merges the 15/18 double peak into one broad top
    assert f.peaks and 15 <= f.peaks[0] <= 18
    assert f.incline_start is not None and 11 <= f.incline_start <= 13
    assert f.plateau_start is not None and 21 <= f.plateau_start <= 27


def test_age_features_single_peak_and_degenerate():
    s = pd.Series([0, 0, 10, 40, 100, 60, 30, 29, 29, 28, 28, 28, 27], index=range(10, 23))
    f = age_profile_features(s)
    # the step 11 -> 12 (+10) is already steep (>= 8% of 100), so the incline starts at 11
    assert f.peaks == (14,) and f.dips == () and f.incline_start == 11 and f.plateau_start == 16
    assert age_profile_features(pd.Series(dtype=float)).incline_start is None
    assert age_profile_features(pd.Series([0, 0], index=[1, 2])).peaks == ()


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
