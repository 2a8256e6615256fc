"""Risk-factor layers from a hand-made dataset on a 6 x 6 grid of LSOAs."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sna_lib.index.factors import (
    build_factor_layers,
    crimes_by_lsoa,
    deprivation_layer,
    disorganisation_counts,
    drug_offence_ids,
    linked_tables,
    lsoa_population,
    YearHomes,
    people_by_home,
    person_homes,
    unemployment_layer,
)
from sna_lib.index.hotspots import index_settings

SIDE = 6
YEARS = range(2018, 2023)
CODES = [f"X{y}{x}" for y in range(SIDE) for x in range(SIDE)]
HOT_BLOCK = ["X00", "X01", "X10", "X11"]          # suspects' homes, Class A homes
DA_BLOCK = ["X44", "X45", "X54", "X55"]           # DA victims' homes every year
REFERENCE = pd.DataFrame({
    "offence_code": ["5A", "92D/A", "92A/A", "92E"],
    "class_a_possession": [False, True, False, False],
    "class_a_supply": [False, False, True, False],
})


def tiny_dataset() -> SimpleNamespace:
    cells = [box(x, y, x + 1, y + 1) for y in range(SIDE) for x in range(SIDE)]
    geography = gpd.GeoDataFrame({
        "lsoa_code": CODES, "lsoa_name": CODES,
        "area": ["West" if int(c[2]) < 3 else "East" for c in CODES],
        "urban": [int(c[2]) < 2 for c in CODES], "nte": [c in ("X00", "X33") for c in CODES],
    }, geometry=cells, crs="EPSG:27700")
    population = pd.DataFrame([(c, y, a, 500) for c in CODES for y in YEARS for a in (10, 30)],
                              columns=["lsoa_code", "year", "age", "population"])
    crimes, persons = [], []
    n = 0

    def add(code, date, offence, people, da=False):
        nonlocal n
        n += 1
        cid = f"c{n}"
        crimes.append((cid, pd.Timestamp(date), offence, code, da))
        for pid, role, home in people:
            persons.append((cid, pid, role, home))
        return cid

    # 2022 SV: 3 suspects living in each hot-block LSOA, one elsewhere, one with unknown home
    k = 0
    for code in HOT_BLOCK:
        for _ in range(3):
            k += 1
            add("X22", "2022-06-01", "5A", [(f"s{k}", "suspect", code), (f"v{k}", "victim", "X33")])
    add("X33", "2022-07-01", "5A", [("s_far", "suspect", "X35")])
    add("X33", "2022-07-02", "5A", [("s_unknown", "suspect", "")])
    # a 2021 SV offence whose suspect is not counted in 2022
    add("X30", "2021-07-02", "5A", [("s_old", "suspect", "X30")])
    # DA victims: 3 per DA-block LSOA each year, plus one victim elsewhere
    for year in YEARS:
        for code in DA_BLOCK:
            for i in range(3):
                add(code, f"{year}-03-01", "8N", [(f"da{year}{code}{i}", "victim", code)], da=True)
        add("X02", f"{year}-03-01", "8N", [(f"da{year}x", "victim", "X02")], da=True)
    # Class A possession / supply suspects living in the hot block (2022)
    for i, code in enumerate(HOT_BLOCK * 2):
        add("X00", "2022-04-01", "92D/A", [(f"p{i}", "suspect", code)])
        add("X00", "2022-04-01", "92A/A", [(f"q{i}", "suspect", code)])
    crimes = pd.DataFrame(crimes, columns=["crime_id", "date", "offence_code", "lsoa_code", "domestic_abuse"])
    persons = pd.DataFrame(persons, columns=["crime_id", "person_id", "role", "home_lsoa"])
    dep = pd.DataFrame({"lsoa_code": CODES, "households": 100, "deprived_0": 60, "deprived_1": 20,
                        "deprived_2": 15, "deprived_3": 4, "deprived_4": 1})
    dep.loc[dep["lsoa_code"].isin(HOT_BLOCK), ["deprived_0", "deprived_2"]] = [40, 35]   # share 0.40
    emp = pd.DataFrame({"lsoa_code": CODES, "residents_16_plus": 800, "in_employment": 700,
                        "not_in_employment_worked_last_12_months": 50,
                        "not_in_employment_not_worked_last_12_months": 30, "never_worked": 20})
    emp.loc[emp["lsoa_code"] == "X11", ["in_employment", "not_in_employment_not_worked_last_12_months"]] = [650, 80]
    asb = pd.DataFrame({"incident_id": [f"a{i}" for i in range(20)], "lsoa_code": ["X50"] * 20,
                        "date": pd.Timestamp("2022-05-05")})
    fire = pd.DataFrame({"incident_id": ["f1", "f2", "f3"], "lsoa_code": ["X50", "X51", "X50"],
                         "fire_type": ["deliberate_fire", "arson_endangering_life", "arson_not_endangering_life"],
                         "date": pd.to_datetime(["2022-01-01", "2022-01-02", "2021-01-01"])})
    config = SimpleNamespace(reporting_year=2022, hotspots={"permutations": 199, "seed": 1},
                             risk_index=None, disorganisation_weights=None)
    return SimpleNamespace(config=config, geography=geography, population=population, crimes=crimes,
                           persons=persons, census_deprivation=dep, census_employment=emp, asb=asb, fire=fire)




def sv_ids(ds):
    return ds.crimes.loc[ds.crimes["offence_code"] == "5A", "crime_id"]


def test_people_by_home_counts_distinct_people_at_latest_home():
    crimes = pd.DataFrame({"crime_id": ["c1", "c2", "c3", "c4"],
                           "date": pd.to_datetime(["2022-01-01", "2022-06-01", "2022-02-01", "2021-01-01"])})
    persons = pd.DataFrame({"crime_id": ["c1", "c2", "c3", "c3", "c4"],
                            "person_id": ["p1", "p1", "p2", "p3", "p4"],
                            "role": ["suspect", "suspect", "suspect", "victim", "suspect"],
                            "home_lsoa": ["a", "b", None, "a", "a"]})
    res = people_by_home(crimes, persons, ["c1", "c2", "c3", "c4"], lsoa_codes=pd.Index(["a", "b"]), year=2022)
    # p1 moved a -> b (latest crime in June) -> counted once at b; p2 home unknown; p3 is a victim
    assert res.to_dict() == {"a": 0, "b": 1}
    assert res.attrs["records"] == {"read": 2, "used": 1, "rejected": {"home unknown or outside county": 1}}
    victims = people_by_home(crimes, persons, ["c3"], lsoa_codes=pd.Index(["a", "b"]), roles=("victim",))
    assert victims.to_dict() == {"a": 1, "b": 0}


def test_year_homes_equal_person_homes_of_each_year():
    """One join and sort for all years vs person_homes(year=...) per year, with ties on the date
    (p1: two crimes on one day), a person linked twice to one crime, an unknown home and NaT."""
    crimes = pd.DataFrame({"crime_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
                           "date": pd.to_datetime(["2022-03-01", "2022-03-01", "2021-05-01", "2022-01-01",
                                                   None, "2021-05-01"])})
    persons = pd.DataFrame({"crime_id": ["c2", "c1", "c3", "c4", "c4", "c5", "c6", "c6"],
                            "person_id": ["p1", "p1", "p1", "p2", "p2", "p3", "p2", "p4"],
                            "role": ["suspect"] * 7 + ["victim"],
                            "home_lsoa": ["b", "a", "c", "a", "b", "a", " ", "a"]})
    ids = np.ones(len(crimes), dtype=bool)
    for roles in (("suspect",), ("suspect", "victim")):
        joined = YearHomes(crimes, persons, ids, roles=roles)
        for year in (2021, 2022, 2023):
            expected = person_homes(crimes, persons, ids, roles=roles, year=year)
            pd.testing.assert_series_equal(joined.homes(year), expected)
            pd.testing.assert_series_equal(joined.by_home(year, pd.Index(["a", "b", "c"])),
                                           people_by_home(crimes, persons, ids, lsoa_codes=pd.Index(["a", "b", "c"]),
                                                          roles=roles, year=year))
    # by hand: 2022 p1's latest is c2 (same day as c1, later crime id) -> b; p2 twice on c4 -> the later row, b
    assert YearHomes(crimes, persons, ids).homes(2022).to_dict() == {"p1": "b", "p2": "b"}


def test_linked_tables_by_integer_rows_equal_by_crime_id():
    """The person links picked by their crime's row (publication run) vs by crime id, on a crimes
    frame whose index has gaps (rejected rows) and persons with an unknown crime and no crime id."""
    from sna_lib.publication.compute import positions_in

    crimes = pd.DataFrame({"crime_id": ["c1", "c2", "c3", "c4"], "lsoa_code": ["a", "b", "a", "b"],
                           "date": pd.to_datetime(["2022-01-01", "2022-02-01", "2021-03-01", "2022-04-01"])},
                          index=[0, 2, 5, 6])
    persons = pd.DataFrame({"crime_id": ["c3", "zz", "c1", None, "c4", "c1"], "person_id": list("pqrstu"),
                            "role": ["suspect"] * 6, "home_lsoa": ["a"] * 6}, index=[10, 11, 12, 13, 14, 15])
    at = positions_in(persons["crime_id"], crimes["crime_id"])
    for ids in (["c1", "c3"], crimes["lsoa_code"].eq("b").to_numpy(), []):
        for years in (None, [2022]):
            by_id = linked_tables(crimes, persons, ids, years=years)
            by_row = linked_tables(crimes, persons, ids, years=years, person_crime=at)
            pd.testing.assert_frame_equal(by_row[0], by_id[0])
            pd.testing.assert_frame_equal(by_row[1], by_id[1])
    assert linked_tables(crimes, persons, ["c1", "c3"], person_crime=at)[1]["person_id"].tolist() == ["p", "r", "u"]


def test_crimes_by_lsoa_counts_and_rejects():
    crimes = pd.DataFrame({"crime_id": ["1", "2", "3"], "lsoa_code": ["a", "zz", "a"],
                           "date": pd.to_datetime(["2022-01-01"] * 3)})
    res = crimes_by_lsoa(crimes, ["1", "2", "3"], lsoa_codes=pd.Index(["a", "b"]))
    assert res.to_dict() == {"a": 2, "b": 0}
    assert res.attrs["records"]["read"] == 3 and res.attrs["records"]["used"] == 2


def test_deprivation_shares_and_flags_by_hand():
    dep = pd.DataFrame({"lsoa_code": ["a", "b", "c"], "households": [200, 100, 0],
                        "deprived_0": [100, 70, 0], "deprived_1": [40, 8, 0], "deprived_2": [40, 20, 0],
                        "deprived_3": [15, 2, 0], "deprived_4": [5, 0, 0]})
    res = deprivation_layer(dep, lsoa_codes=pd.Index(["a", "b", "c"]))
    # a: 60/200 = .30, b: 22/100 = .22; county: 82/300 = .2733
    assert res["deprivation_share"].iloc[:2].tolist() == pytest.approx([0.30, 0.22])
    assert np.isnan(res.loc["c", "deprivation_share"])
    assert res.attrs["county_share"] == pytest.approx(82 / 300)
    assert res["deprivation_high"].tolist() == [True, False, False]
    assert res["deprivation_above_average"].tolist() == [True, False, False]
    assert res["deprivation_over_statement_share"].tolist() == [True, True, False]
    with pytest.raises(ValueError, match="lacks"):
        deprivation_layer(dep, lsoa_codes=pd.Index(["a", "d"]))


def test_disorganisation_weights_applied():
    ds = tiny_dataset()
    w = {"asb": 1, "deliberate_fire": 2, "arson_not_endangering_life": 3, "arson_endangering_life": 5}
    res = disorganisation_counts(ds.asb, ds.fire, lsoa_codes=pd.Index(CODES), year=2022, weights=w)
    assert res.loc["X50", "disorganisation"] == 20 * 1 + 1 * 2   # 2021 arson not counted
    assert res.loc["X51", "disorganisation"] == 5
    w2 = dict(w, asb=0.5)
    assert disorganisation_counts(ds.asb, ds.fire, lsoa_codes=pd.Index(CODES), year=2022,
                                  weights=w2).loc["X50", "disorganisation"] == 12
    with pytest.raises(ValueError):
        disorganisation_counts(ds.asb, ds.fire, lsoa_codes=pd.Index(CODES), year=2022, weights={"asb": 1})


def test_drug_ids_from_reference_flags():
    ds = tiny_dataset()
    poss = drug_offence_ids(ds.crimes, REFERENCE, flag="class_a_possession")
    assert set(ds.crimes.set_index("crime_id").loc[poss, "offence_code"]) == {"92D/A"}
    with pytest.raises(ValueError):
        drug_offence_ids(ds.crimes, REFERENCE, flag="no_such_flag")
    assert len(drug_offence_ids(ds.crimes, REFERENCE, flag="no_such_flag", extra_codes=["92A/A"])) == 8


def test_unemployment_poisson_by_hand():
    from scipy.stats import poisson

    ds = tiny_dataset()
    res = unemployment_layer(ds.census_employment, lsoa_codes=pd.Index(CODES), alpha=0.05)
    rate = (35 * 30 + 80) / (36 * 800)
    assert res.loc["X11", "unemployment_expected"] == pytest.approx(rate * 800)
    assert res.loc["X11", "unemployment_p"] == pytest.approx(poisson.sf(79, rate * 800))
    assert res.index[res["unemployment_hot"]].tolist() == ["X11"]


def test_population_nearest_year():
    pop = pd.DataFrame({"lsoa_code": ["a", "a"], "year": [2019, 2021], "age": [0, 0], "population": [5, 9]})
    assert lsoa_population(pop, 2022).to_dict() == {"a": 9.0}
    assert lsoa_population(pop, 2018).attrs["year_used"] == 2019


def test_build_factor_layers_on_hand_dataset():
    ds = tiny_dataset()
    layers = build_factor_layers(ds, 2022, sv_ids=sv_ids(ds), offences_table=REFERENCE)
    assert layers.index.tolist() == CODES
    assert layers.loc[HOT_BLOCK, "sv_suspect_homes"].tolist() == [3, 3, 3, 3]
    assert layers["sv_suspect_homes"].sum() == 13  # 12 + s_far; s_unknown rejected, s_old is 2021
    rec = layers.attrs["records"]["sv_suspect_homes"]
    assert rec["read"] == rec["used"] + sum(rec["rejected"].values()) == 14
    assert layers.loc["X00", "sv_suspect_homes_hot"] and layers.loc["X00", "sv_suspect_homes_bin"] >= 2
    assert not layers.loc["X55", "sv_suspect_homes_hot"]
    assert layers.loc["X22", "sv_offences"] == 12
    # DA victims planted every year in the DA block -> hot 5 of 5 there, never in the far corner
    assert (layers.loc[DA_BLOCK, "da_victim_homes_years_hot"] == 5).all()
    assert layers.loc[DA_BLOCK, "da_victim_homes_persistent"].all()
    assert layers.loc["X00", "da_victim_homes_years_hot"] == 0
    # 13 DA victims a year (12 in the block + 1), all with known homes
    assert layers.attrs["records"]["da_victim_homes"][2020] == {"read": 13, "used": 13, "rejected": {}}
    assert layers.attrs["deprivation_county_share"] == pytest.approx((32 * 20 + 4 * 40) / 3600)
    assert layers.loc[HOT_BLOCK, "deprivation_high"].all() and not layers.loc["X55", "deprivation_high"]
    assert layers.loc["X50", "disorganisation"] == 22
    assert layers.loc[HOT_BLOCK, "class_a_possession_homes"].tolist() == [2, 2, 2, 2]
    assert layers.loc["X00", "class_a_supply_homes_hot"]
    assert layers.loc["X11", "unemployment_hot"]
    assert (layers["population"] == 1000).all() and set(layers["area"]) == {"West", "East"}


def test_build_factor_layers_is_deterministic():
    ds = tiny_dataset()
    a = build_factor_layers(ds, 2022, sv_ids=sv_ids(ds), offences_table=REFERENCE)
    b = build_factor_layers(ds, 2022, sv_ids=sv_ids(ds), offences_table=REFERENCE)
    pd.testing.assert_frame_equal(a, b)


def test_poisson_method_for_count_layers():
    ds = tiny_dataset()
    settings = index_settings({"hotspots": {"method": "poisson"}})
    layers = build_factor_layers(ds, 2022, sv_ids=sv_ids(ds), offences_table=REFERENCE, settings=settings)
    assert "sv_suspect_homes_z" not in layers
    # 13 suspects over 36,000 people -> E = 0.361 per LSOA; P(X >= 3) = 0.0055 -> hot at 95%
    assert layers.loc[HOT_BLOCK, "sv_suspect_homes_hot"].all()
    assert layers.loc[HOT_BLOCK, "sv_suspect_homes_bin"].tolist() == [3, 3, 3, 3]


def test_short_history_shortens_da_window_and_says_so():
    ds = tiny_dataset()
    ds.config.first_year = 2020
    layers = build_factor_layers(ds, 2022, sv_ids=sv_ids(ds), offences_table=REFERENCE)
    assert layers.attrs["da_years"] == (2020, 2022)
    assert "3 year(s)" in layers.attrs["notes"][0]
    assert (layers.loc[DA_BLOCK, "da_victim_homes_years_hot"] == 3).all()
    assert layers.loc[DA_BLOCK, "da_victim_homes_persistent"].all()


def test_shared_source_gives_each_years_own_layers():
    """One FactorSource for several years (any order) = each year built on its own; DA victims of a
    year counted by hand (distinct victims of that year's DA crimes by home) match."""
    from sna_lib.index.factors import FactorSource

    ds = tiny_dataset()
    ds.crimes.loc[ds.crimes["crime_id"] == "c1", "date"] = pd.Timestamp("2021-06-01")   # one SV crime a year earlier
    source = FactorSource(ds, sv_ids=sv_ids(ds), offences_table=REFERENCE)
    shared = {y: source.layers(y) for y in (2022, 2020, 2021)}
    assert source.layers(2021) is shared[2021]
    for year, layers in shared.items():
        alone = build_factor_layers(ds, year, sv_ids=sv_ids(ds), offences_table=REFERENCE)
        pd.testing.assert_frame_equal(layers, alone)
        assert layers.attrs == alone.attrs
        da = ds.crimes[ds.crimes["domestic_abuse"] & (ds.crimes["date"].dt.year == year)]
        victims = ds.persons[ds.persons["crime_id"].isin(da["crime_id"]) & (ds.persons["role"] == "victim")]
        by_home = victims.drop_duplicates("person_id")["home_lsoa"].value_counts()
        assert layers["da_victim_homes"][layers["da_victim_homes"] > 0].to_dict() == by_home.to_dict()
    assert shared[2021]["sv_offences"].sum() == 2 and shared[2022]["sv_offences"].sum() == 13
