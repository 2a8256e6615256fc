"""Tests for the section-3 context tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna_lib.measures.context import crime_shares, crime_volumes, offence_attribute, round_to, vawg_mask

FLAGS = ["knife", "firearm", "other_weapon", "county_lines", "gang"]


def frame(rows):
    df = pd.DataFrame(rows, columns=["crime_id", "offence_code", "domestic_abuse", "knife", "location_type"])
    for f in FLAGS[1:]:
        df[f] = False
    return df


@pytest.fixture
def crimes():
    return frame([
        ("a", "8N", False, True, "public"),      # violence, HO SV, partnership SV
        ("b", "8N", True, True, "dwelling"),     # violence, HO SV (DA ok), DA
        ("c", "105A", False, False, "public"),   # violence
        ("d", "8U", True, False, "dwelling"),    # violence (stalking & harassment), DA
        ("e", "19C", False, False, "public"),    # sexual
        ("f", "46", False, True, "public"),      # theft with knife: HO SV
        ("g", "10D", False, False, "public"),    # possession of weapons: HO SV
        ("h", "46", False, False, "public"),
        ("i", "58C", False, False, "public"),
        ("j", "ZZZ", False, False, "public"),    # unknown code: counted in all crime only
    ])


@pytest.fixture
def persons():
    return pd.DataFrame({
        "crime_id": ["a", "b", "c", "d", "e", "f", "h"],
        "person_id": ["1", "2", "3", "4", "5", "6", "7"],
        "role": ["victim", "victim", "victim", "victim", "victim", "victim", "suspect"],
        "sex": ["M", "F", "F", "F", "F", "F", "F"],
    })


def test_round_to():
    assert round_to(157_049) == 157_000 and round_to(3_250) == 3_300 and round_to(1_149) == 1_100
    assert round_to(49) == 0 and round_to(50) == 100 and round_to(64_115, 1) == 64_115


def test_volumes_by_hand(crimes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = crime_volumes(crimes, base=1).set_index("measure")
    assert v.loc["All crime", "volume"] == 10
    assert v.loc["All violence", "volume"] == 4                  # a, b, c, d
    assert v.loc["All serious violence", "volume"] == 4          # a, b, f, g
    assert v.loc["Serious violence (partnership)", "volume"] == 1
    assert v.loc["All violence", "pct_of_crime"] == pytest.approx(40.0)
    assert v.loc["Serious violence (partnership)", "pct_of_crime_rounded"] == 10.0


def test_volumes_rounded_to_100():
    big = frame([(f"c{i}", "46", False, False, "public") for i in range(1_249)]
                + [(f"v{i}", "8N", False, True, "public") for i in range(51)])
    v = crime_volumes(big).set_index("measure")
    assert v.loc["All crime", "volume"] == 1_300 and v.loc["All crime", "volume_rounded"] == 1_300
    assert v.loc["All violence", "volume"] == 51 and v.loc["All violence", "volume_rounded"] == 100
    assert v.loc["All violence", "pct_of_crime_rounded"] == 3.9   # 51 / 1300 = 3.923%


def test_shares_by_hand(crimes, persons):
    s = crime_shares(crimes, persons).set_index("measure")
    assert s.loc["Domestic Abuse", "volume"] == 2
    assert s.loc["Sexual Offences", "volume"] == 1
    # female victims on b (8N, DA), c (105A), d (8U, DA), e (19C), f (46 theft: not VAWG-relevant, not DA)
    assert s.loc["Violence Against Women and Girls", "volume"] == 4
    assert s.loc["Serious violence (partnership)", "pct_of_crime"] == pytest.approx(10.0)


def test_vawg_requires_female_victim_not_suspect(crimes, persons):
    m = vawg_mask(crimes, persons)
    assert not m[crimes["crime_id"] == "h"].any()        # female suspect only


def test_offence_attribute_unknown_codes(crimes):
    g = offence_attribute(crimes, "offence_group")
    assert g.iloc[0] == "violence with injury" and pd.isna(g.iloc[-1])
    f = offence_attribute(crimes, "sexual")
    assert f.dtype == bool and f.tolist() == [False, False, False, False, True, False, False, False, False, False]


codes = st.sampled_from(["1", "8N", "5D", "105A", "8L", "19C", "34B", "46", "10D", "58C", "92E"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(codes, st.booleans(), st.booleans(), st.sampled_from(["public", "dwelling"])),
                min_size=1, max_size=40))
def test_property_subsets_le_totals(rows):
    c = frame([(f"c{i}", *r) for i, r in enumerate(rows)])
    v = crime_volumes(c, base=1).set_index("measure")["volume"]
    assert v["All crime"] == len(c)
    assert v["Serious violence (partnership)"] <= v["All crime"]
    assert v["All violence"] <= v["All crime"] and v["All serious violence"] <= v["All crime"]
    p = pd.DataFrame({"crime_id": c["crime_id"], "person_id": c["crime_id"], "role": "victim", "sex": "F"})
    s = crime_shares(c, p).set_index("measure")
    assert (s["volume"] <= len(c)).all()
    assert s.loc["Domestic Abuse", "volume"] == int(np.sum(c["domestic_abuse"]))


def test_attributes_keep_the_crimes_index_and_a_missing_domestic_abuse_flag_is_not_one():
    c = frame([("a", "8N", True, False, "public"), ("b", "46", False, False, "public"),
               ("c", "8U", False, False, "dwelling")])
    c.index = pd.Index([10, 20, 30])
    assert offence_attribute(c, "offence_group").index.tolist() == [10, 20, 30]
    assert offence_attribute(c, "sexual").index.tolist() == [10, 20, 30]
    # a nullable flag with a gap: the gap counts as "not domestic abuse"
    c["domestic_abuse"] = pd.array([True, None, None], dtype="boolean")
    p = pd.DataFrame({"crime_id": ["a", "b", "c"], "person_id": ["1", "2", "3"], "role": "victim", "sex": "F"})
    # a: 8N (VAWG-relevant) with DA; b: theft, DA unknown; c: 8U stalking (VAWG-relevant), DA unknown
    assert vawg_mask(c, p).tolist() == [True, False, True]
