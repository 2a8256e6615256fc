"""Place statements computed on hand-made frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sna_lib.index.place import (
    ambulance_counts,
    csp_breakdown,
    elevated_overlap,
    people_in_areas,
    place_statements,
    urban_nte_share,
)


def test_people_in_areas_by_hand():
    homes = pd.Series(["a", "b", "b", "c", None, "zz"], dtype="string")
    flag = pd.Series({"a": True, "b": True, "c": False})
    res = people_in_areas(homes, flag)
    # known, in-county homes: a, b, b, c -> 3 of 4 in flagged; None and out-of-county excluded
    assert res == {"people": 4, "in_flagged": 3, "share": 0.75, "excluded": 2}
    empty = people_in_areas(pd.Series([], dtype="string"), flag)
    assert empty["people"] == 0 and math.isnan(empty["share"])


def test_urban_nte_share_missing_flag():
    geo = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "urban": [True, True, pd.NA]})
    crimes = pd.DataFrame({"crime_id": list("12345"), "lsoa_code": list("abbcc"),
                           "date": pd.to_datetime(["2022-01-01"] * 4 + ["2015-01-01"])})
    res = urban_nte_share(crimes, list("12345"), geo, years=[2022])
    # urban known for a, b: 3 crimes, all urban; c unknown -> out of the denominator
    assert res.loc["urban", "crimes"] == 3 and res.loc["urban", "total"] == 3
    assert math.isnan(res.loc["nte", "share"])


def hand_csp_data():
    geo = pd.DataFrame({"lsoa_code": ["a1", "a2", "b1", "c1"], "area": ["Alpha", "Alpha", "Beta", "Gamma"]})
    pop = pd.DataFrame([(c, y, 0, p) for y in (2021, 2022) for c, p in
                        (("a1", 1000), ("a2", 1000), ("b1", 500), ("c1", 4000))],
                       columns=["lsoa_code", "year", "age", "population"])
    rows = [("a1", 2022)] * 4 + [("a2", 2022)] * 2 + [("b1", 2022)] * 3 + [("c1", 2022)] * 1 \
        + [("a1", 2021)] * 2 + [("b1", 2021)] * 6 + [("c1", 2021)] * 2
    crimes = pd.DataFrame({"crime_id": [f"k{i}" for i in range(len(rows))],
                           "lsoa_code": [r[0] for r in rows],
                           "date": pd.to_datetime([f"{r[1]}-06-01" for r in rows])})
    return geo, pop, crimes


def test_csp_breakdown_by_hand():
    geo, pop, crimes = hand_csp_data()
    res = csp_breakdown(crimes, crimes["crime_id"], geo, pop, years=[2022])
    # 2022: Alpha 6, Beta 3, Gamma 1 of 10; populations 2000, 500, 4000
    assert res["crimes"].to_dict() == {"Alpha": 6, "Beta": 3, "Gamma": 1}
    assert res["share"].to_dict() == pytest.approx({"Alpha": 0.6, "Beta": 0.3, "Gamma": 0.1})
    assert res["rate_per_1000"].to_dict() == pytest.approx({"Alpha": 3.0, "Beta": 6.0, "Gamma": 0.25})
    assert res["rank_share"].tolist() == [1, 2, 3]
    assert res["rank_rate"].tolist() == [2, 1, 3]
    # 2021 shares: Alpha 2/10, Beta 6/10, Gamma 2/10
    assert res["share_change"].to_dict() == pytest.approx({"Alpha": 0.4, "Beta": -0.3, "Gamma": -0.1})


def test_csp_breakdown_two_year_window():
    geo, pop, crimes = hand_csp_data()
    res = csp_breakdown(crimes, crimes["crime_id"], geo, pop, years=[2021, 2022])
    assert res["crimes"].to_dict() == {"Alpha": 8, "Beta": 9, "Gamma": 3}
    # mean population over the two years equals the constant population
    assert res.loc["Beta", "rate_per_1000"] == pytest.approx(9 / 500 * 1000)
    assert res.attrs["years"] == (2021, 2022)


def test_elevated_overlap_and_ambulance():
    amb = pd.DataFrame({"call_id": list("1234"), "lsoa_code": ["a", "a", "b", "b"],
                        "category": ["assault_sexual_assault", "stab_gunshot_penetrating_trauma", "other", "assault_sexual_assault"],
                        "date": pd.to_datetime(["2022-01-01", "2022-02-01", "2022-01-01", "2021-01-01"])})
    counts = ambulance_counts(amb, lsoa_codes=pd.Index(["a", "b", "c"]), year=2022)
    assert counts.to_dict() == {"a": 2, "b": 0, "c": 0}
    res = elevated_overlap(pd.Series({"a": True, "b": True, "c": False}), counts > 0)
    assert res == {"elevated": 2, "both": 1, "share": 0.5}
    assert math.isnan(elevated_overlap(pd.Series({"a": False}), pd.Series({"a": True}))["share"])


def test_place_statements_on_hand_dataset():
    from test_factors import REFERENCE, tiny_dataset

    from sna_lib.index.factors import build_factor_layers

    ds = tiny_dataset()
    sv = ds.crimes.loc[ds.crimes["offence_code"] == "5A", "crime_id"]
    ds.ambulance = pd.DataFrame({"call_id": [f"m{i}" for i in range(12)], "lsoa_code": ["X22"] * 12,
                                 "category": "assault_sexual_assault", "date": pd.Timestamp("2022-03-03")})
    from sna_lib.index.hotspots import index_settings

    settings = index_settings({"hotspots": {"method": "poisson"}})
    layers = build_factor_layers(ds, 2022, sv_ids=sv, offences_table=REFERENCE, settings=settings)
    st = place_statements(ds, layers, sv_ids=sv, year=2022, settings=settings)
    # 13 suspects with a known home; the 12 in the hot block live where 40% are deprived (> county 21.7%)
    dep = st["suspects_above_average_deprivation"]
    assert {k: dep[k] for k in ("people", "in_flagged", "share", "excluded")} == \
        {"people": 13, "in_flagged": 12, "share": 12 / 13, "excluded": 1}
    # beside it, the residents' share of the flagged LSOAs (the layers' population) and the ratio
    assert dep["ratio"] == pytest.approx((12 / 13) / dep["residents_share"])
    # no suspect lives in the DA block
    assert st["suspects_persistent_da"]["in_flagged"] == 0
    # 2018-2022 window: 14 SV offences of 2022 in X22 / X33 (x >= 2: not urban) + 1 in 2021 at X30 (urban)
    assert st["urban_nte"].loc["urban", "share"] == pytest.approx(1 / 15)
    # NTE LSOAs are X00 and X33: the two 2022 offences at X33
    assert st["urban_nte"].loc["nte", "crimes"] == 2
    assert st["csp_year"]["crimes"].sum() == 14
    # Poisson, E = 14/36 per LSOA: X22 (12) is elevated, X33 (2: P(X>=2) = 0.058) is not;
    # the 12 ambulance calls at X22 make it the one elevated trauma LSOA -> 1 of 1 overlaps
    assert layers.index[layers["sv_offences_hot"]].tolist() == ["X22"]
    assert st["sv_trauma_overlap"] == {"elevated": 1, "both": 1, "share": 1.0}


def test_sv_hotspot_history_new_and_persistent():
    from test_factors import CODES, tiny_dataset

    from sna_lib.index.place import sv_hotspot_history

    ds = tiny_dataset()
    ds.config.first_year = 2018
    # SV offences: X00 corner block busy every year 2018-2022; X55 block only in 2022
    rows = []
    for year in range(2018, 2023):
        for code in ("X00", "X01", "X10", "X11"):
            rows += [(code, year)] * 6
    for code in ("X44", "X45", "X54", "X55"):
        rows += [(code, 2022)] * 6
    ds.crimes = pd.DataFrame({"crime_id": [f"s{i}" for i in range(len(rows))], "lsoa_code": [r[0] for r in rows],
                              "date": pd.to_datetime([f"{r[1]}-05-01" for r in rows]), "offence_code": "5A",
                              "domestic_abuse": False})
    hist = sv_hotspot_history(ds, sv_ids=ds.crimes["crime_id"], year=2022)
    assert hist.attrs["window"] == (2018, 2022) and hist.index.tolist() == CODES
    assert hist.loc["X00", "years_hot"] == 5 and not hist.loc["X00", "new"]
    assert hist.loc["X55", "new"] and hist.loc["X55", "years_hot"] == 1
    assert str(hist.loc["X55", "category"]) == "new hotspot"
    assert str(hist.loc["X00", "category"]).endswith("hotspot")
    assert hist.loc["X55", "area"] == "East"


def test_people_in_areas_beside_residents_share():
    homes = pd.Series(["a", "b", "b", "c", None], dtype="string")
    flag = pd.Series({"a": True, "b": True, "c": False})
    res = people_in_areas(homes, flag, pd.Series({"a": 100.0, "b": 300.0, "c": 600.0}))
    # 3 of 4 suspects vs 400 of 1,000 residents: ratio 0.75 / 0.4
    assert res["residents_share"] == pytest.approx(0.4) and res["ratio"] == pytest.approx(1.875)
    assert res["ratio_low"] < 1.875 < res["ratio_high"] and "Clopper" in res["ratio_method"]
