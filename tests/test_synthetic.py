"""The synthetic demo county: contract shape, determinism and the planted realistic properties.

Properties are recomputed here from the written files with independent, hand-written logic
(not the generator's internals) and compared with the profile's knobs (the generator's inputs).
"""

from __future__ import annotations

import hashlib
import re

import geopandas as gpd
import shapely
import numpy as np
import pandas as pd
import pytest
import yaml

from sna_lib.synthetic import generate_demo
from sna_lib.synthetic.profile import Scaled, load_profile
from sna_lib.synthetic.sampling import knots_pmf, pick_without_replacement, systematic_counts

SCALE = 0.05  # must match tests/conftest.py DEMO_SCALE
PROFILE = load_profile()
YEAR = PROFILE["reporting_year"]


def _files_digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def tables(demo_dir):
    t = {name: pd.read_parquet(demo_dir / f"{name}.parquet")
         for name in ("population", "census_deprivation", "census_employment", "crimes", "persons",
                      "asb", "fire", "ambulance", "hospital_admissions", "school_exclusions",
                      "community_survey", "comparators")}
    t["geography"] = gpd.read_parquet(demo_dir / "geography.parquet")
    t["config"] = yaml.safe_load((demo_dir / "config.yaml").read_text())
    t["crimes"]["year"] = pd.to_datetime(t["crimes"]["date"]).dt.year
    return t


@pytest.fixture(scope="module")
def reference():
    from sna_lib.reference import offences

    return offences().set_index("offence_code")


def _partnership_mask(crimes: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Section 5 of the reference SNA, written out by hand."""
    group = crimes["offence_code"].map(reference["offence_group"])
    enabled = crimes[["knife", "firearm", "other_weapon", "county_lines", "gang"]].any(axis=1)
    return (group.isin(["homicide", "violence with injury", "robbery", "sexual offences"])
            & ~crimes["domestic_abuse"] & (crimes["location_type"] == "public") & enabled)


# --------------------------------------------------------------------------- contract shape
def test_demo_passes_contract_validation(demo_dir):
    from sna_lib.data.validate import validate_dir

    report = validate_dir(demo_dir)
    assert report.ok, report.render()
    assert report.problems == []


def test_csv_format_also_validates(tmp_path):
    from sna_lib.data.validate import validate_dir

    out = generate_demo(tmp_path / "csv", seed=3, scale=SCALE, fmt="csv")
    assert (out / "crimes.csv").exists() and (out / "geography.geojson").exists()
    assert not list(out.glob("*.parquet"))
    report = validate_dir(out)
    assert report.ok, report.render()


def test_config_is_labelled_synthetic_and_matches_geography(tables):
    cfg, geo = tables["config"], tables["geography"]
    assert cfg["synthetic"] is True
    assert "synthetic" in cfg["county"].lower()
    assert len(cfg["csps"]) == 14
    assert set(cfg["csps"]) == set(geo["area"])
    assert (cfg["first_year"], cfg["reporting_year"]) == (2014, 2023)
    assert str(cfg["rolling_end"]) == "2023-07-31"
    assert cfg["baselines"]["homicide_financial_year"] == "2018/19"


def test_geography_is_valid_fictional_and_named_like_ons(tables):
    geo = tables["geography"]
    assert geo.crs.to_epsg() == 27700
    assert len(geo) >= 60 and geo["lsoa_code"].is_unique
    assert geo["lsoa_code"].str.match(r"^X01\d{6}$").all()
    assert geo.is_valid.all() and not geo.is_empty.any()
    assert set(geo.geom_type) <= {"Polygon", "MultiPolygon"}
    # "<CSP> 001A": the name starts with the LSOA's own CSP
    parsed = geo["lsoa_name"].str.extract(r"^(.*) (\d{3})([A-E])$")
    assert parsed.notna().all().all()
    assert (parsed[0] == geo["area"]).all()
    assert geo.groupby("area").size().min() >= 3
    # polygons tile the county: no overlaps (sum of areas equals area of the union)
    assert geo.area.sum() == pytest.approx(geo.union_all().area, rel=1e-6)
    assert geo["urban"].any() and (~geo["urban"]).any() and geo["nte"].any()


def test_every_offence_code_is_in_the_reference_table(tables, reference):
    emitted = set(tables["crimes"]["offence_code"].unique())
    assert emitted <= set(reference.index)
    configured = {str(c) for c in PROFILE["offences"]}
    assert configured <= set(reference.index)
    assert (reference.loc[sorted(configured), "code_status"] != "legacy").all()


def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path, demo_dir):
    a = generate_demo(tmp_path / "a", seed=7, scale=SCALE)
    b = generate_demo(tmp_path / "b", seed=7, scale=SCALE)
    assert _files_digest(a) == _files_digest(b)
    assert _files_digest(a) == _files_digest(demo_dir)  # fixture uses the same seed/scale
    c = generate_demo(tmp_path / "c", seed=8, scale=SCALE)
    assert _files_digest(c)["crimes.parquet"] != _files_digest(a)["crimes.parquet"]


def test_never_overwrites_a_folder_of_real_data(tmp_path):
    from sna_lib.errors import SnaError

    real = tmp_path / "real"
    real.mkdir()
    (real / "crimes.csv").write_text("crime_id\n1\n")
    (real / "config.yaml").write_text("county: Realshire\n")
    with pytest.raises(SnaError):
        generate_demo(real, scale=SCALE)
    assert (real / "crimes.csv").read_text() == "crime_id\n1\n"
    # an earlier demo in another format is replaced cleanly (one file per table)
    demo = generate_demo(tmp_path / "demo", seed=1, scale=SCALE, fmt="csv")
    generate_demo(demo, seed=1, scale=SCALE, fmt="parquet")
    assert not list(demo.glob("*.csv")) and not list(demo.glob("*.geojson"))


def test_bad_format_and_scale_are_rejected(tmp_path):
    with pytest.raises(ValueError):
        generate_demo(tmp_path, fmt="xlsx")
    with pytest.raises(ValueError):
        Scaled.from_profile(PROFILE, 0)


def test_scale_keeps_all_csps_and_stress_scale_limits_years():
    small = Scaled.from_profile(PROFILE, 0.01)
    assert small.n_lsoas >= 60 and small.years == tuple(range(2014, 2024))
    big = Scaled.from_profile(PROFILE, 30)
    assert big.n_lsoas == 33000
    assert big.years == tuple(range(2024 - PROFILE["stress_years"], 2024))
    # the stress county's config says where its data start, and its baselines lie inside them
    from sna_lib.synthetic.generate import config_dict

    cfg = config_dict(PROFILE, big)
    assert cfg["first_year"] == big.years[0]
    assert cfg["baselines"]["knife_sv_calendar_year"] in big.years
    assert int(cfg["baselines"]["homicide_financial_year"][:4]) in big.years


# --------------------------------------------------------------------------- volumes
def test_crime_volumes_and_mix_follow_the_profile(tables, reference):
    crimes = tables["crimes"]
    per_year = crimes.groupby("year").size()
    expected = pd.Series({y: PROFILE["crime"]["total_reporting_year"] * f * SCALE
                          for y, f in PROFILE["crime"]["total_trend"].items()})
    # Poisson totals: within 4 standard deviations
    assert (np.abs(per_year - expected) < 4 * np.sqrt(expected)).all()
    latest = crimes[crimes["year"] == YEAR]
    group = latest["offence_code"].map(reference["offence_group"])
    violence = group.isin(["homicide", "death or serious injury by unlawful driving",
                           "violence with injury", "violence without injury", "stalking and harassment"])
    assert 0.37 < violence.mean() < 0.45          # reference: 41%
    assert 0.13 < latest["domestic_abuse"].mean() < 0.20   # reference: 16%
    assert 0.025 < (group == "sexual offences").mean() < 0.045  # reference: 3.4%
    # dates inside the contract window
    assert crimes["date"].min() >= pd.Timestamp("2014-01-01").date()
    assert crimes["date"].max() <= pd.Timestamp("2023-12-31").date()


def test_serious_violence_volumes_hit_scaled_targets(tables, reference):
    crimes = tables["crimes"]
    sv = crimes[_partnership_mask(crimes, reference)].groupby("year").size()
    target = pd.Series(PROFILE["targets"]["partnership_sv"]) * SCALE
    assert (np.abs(sv - target) <= 1).all()  # exact up to stochastic rounding
    knife_codes = {"1", "4.1", "2", "3B", "5D", "8N", "8P", "8S", "34A", "34B",
                   "19C", "19D", "19E", "19F", "19G", "19H", "17A", "17B", "20A", "20B"}
    knife = crimes[crimes["knife"] & ~crimes["domestic_abuse"] & crimes["offence_code"].isin(knife_codes)]
    knife_target = pd.Series(PROFILE["targets"]["knife_non_da"]) * SCALE
    assert (np.abs(knife.groupby("year").size() - knife_target) <= 2).all()
    # knife crime rises to 2018/19 then declines: the shape survives the scaling
    by_year = knife.groupby("year").size()
    assert by_year[2019] > 1.4 * by_year[2014] and by_year[2023] < by_year[2019]


# --------------------------------------------------------------------------- people
@pytest.fixture(scope="module")
def sv_people(tables, reference):
    crimes, persons = tables["crimes"], tables["persons"]
    sv = crimes[_partnership_mask(crimes, reference)][["crime_id", "year"]]
    return persons.merge(sv, on="crime_id")


@pytest.fixture(scope="module")
def quarter_sv_people(tmp_path_factory, reference):
    """SV people of a larger county (scale 0.25): enough suspects to see the age curve."""
    out = generate_demo(tmp_path_factory.mktemp("quarter"), seed=7, scale=0.25)
    crimes = pd.read_parquet(out / "crimes.parquet")
    persons = pd.read_parquet(out / "persons.parquet")
    return persons[persons["crime_id"].isin(crimes.loc[_partnership_mask(crimes, reference), "crime_id"])]


def test_suspect_age_curve_peaks_at_15_dips_at_16_rises_at_17(quarter_sv_people):
    sv_people = quarter_sv_people
    ages = sv_people.loc[sv_people["role"] == "suspect", "age"].dropna().astype(int)
    counts = ages.value_counts()
    assert counts.idxmax() == 15
    assert counts[16] < counts[15] and counts[17] > counts[16]
    assert counts.get(11, 0) < counts[13] < counts[14] < counts[15]  # steep rise from 12
    assert (ages <= 24).mean() > 0.5


def test_victims_are_young_too(sv_people):
    ages = sv_people.loc[sv_people["role"] == "victim", "age"].dropna()
    assert (ages <= 24).mean() > 0.45


def test_repeat_suspects_and_victims(sv_people):
    sus = sv_people[sv_people["role"] == "suspect"]
    vic = sv_people[sv_people["role"] == "victim"]
    within = 1 - sus.groupby("year")["person_id"].nunique().sum() / len(sus)
    assert 0.08 < within < 0.18                       # reference: 12.4%
    within_v = 1 - vic.groupby("year")["person_id"].nunique().sum() / len(vic)
    assert 0.03 < within_v < 0.10                     # reference: 6.5%
    # previously an SV suspect in the five years before the reporting year
    latest = sus.loc[sus["year"] == YEAR, "person_id"].unique()
    before = sus.loc[sus["year"].between(YEAR - 5, YEAR - 1), "person_id"].unique()
    assert 0.08 < np.isin(latest, before).mean() < 0.35   # reference: 20%


def test_a_fifth_of_suspects_live_outside_the_county(sv_people, tables):
    sus = sv_people[sv_people["role"] == "suspect"].drop_duplicates("person_id")
    outside = sus["home_lsoa"].isna()
    assert 0.1 < outside.mean() < 0.32
    csps = set(tables["config"]["csps"])
    assert not sus.loc[outside, "origin_area"].isin(csps).any()
    assert sus.loc[~outside, "origin_area"].isin(csps).all()
    assert "London" in set(sus.loc[outside, "origin_area"])


def test_sv_suspects_named_in_domestic_abuse(sv_people, tables):
    crimes, persons = tables["crimes"], tables["persons"]
    latest = sv_people.loc[(sv_people["role"] == "suspect") & (sv_people["year"] == YEAR), "person_id"].unique()
    da_ids = crimes.loc[crimes["domestic_abuse"] & crimes["year"].between(YEAR - 4, YEAR), "crime_id"]
    named = persons.loc[persons["crime_id"].isin(da_ids), "person_id"].unique()
    assert 0.25 < np.isin(latest, named).mean() < 0.55   # reference: 43%


def test_people_recur_across_years_with_stable_attributes(tables):
    persons, crimes = tables["persons"], tables["crimes"]
    p = persons.merge(crimes[["crime_id", "year"]], on="crime_id")
    years_per_person = p.groupby("person_id")["year"].nunique()
    assert (years_per_person >= 2).mean() > 0.03
    # one home per person: a pseudonym never moves between LSOAs
    homes = p.dropna(subset=["home_lsoa"]).groupby("person_id")["home_lsoa"].nunique()
    assert (homes == 1).all()
    # most crimes have a victim; a good share have a suspect
    assert crimes["crime_id"].isin(persons.loc[persons["role"] == "victim", "crime_id"]).mean() > 0.6
    assert crimes["crime_id"].isin(persons.loc[persons["role"] == "suspect", "crime_id"]).mean() > 0.35


# --------------------------------------------------------------------------- place
def _per_lsoa(frame: pd.DataFrame, geo, column: str = "lsoa_code") -> np.ndarray:
    return frame.groupby(column).size().reindex(geo["lsoa_code"], fill_value=0).to_numpy(float)


def test_latent_driven_counts_are_spatially_autocorrelated(tables):
    from esda.moran import Moran
    from libpysal.weights import Queen

    geo = tables["geography"]
    pop = tables["population"]
    people = (pop[pop["year"] == YEAR].groupby("lsoa_code")["population"].sum()
              .reindex(geo["lsoa_code"]).to_numpy(float))
    w = Queen.from_dataframe(geo, use_index=False)
    w.transform = "r"
    rate = _per_lsoa(tables["crimes"], geo) / people
    assert Moran(rate, w, permutations=0).I > 0.2
    asb = _per_lsoa(tables["asb"], geo) / people
    assert Moran(asb, w, permutations=0).I > 0.2


def test_layers_co_locate(tables, reference):
    geo = tables["geography"]
    pop = tables["population"]
    people = (pop[pop["year"] == YEAR].groupby("lsoa_code")["population"].sum()
              .reindex(geo["lsoa_code"]).to_numpy(float))
    crimes, persons = tables["crimes"], tables["persons"]
    sv = _per_lsoa(crimes[_partnership_mask(crimes, reference)], geo) / people
    dep = tables["census_deprivation"].set_index("lsoa_code").reindex(geo["lsoa_code"])
    deprived = (dep[["deprived_2", "deprived_3", "deprived_4"]].sum(axis=1) / dep["households"]).to_numpy()
    asb = _per_lsoa(tables["asb"], geo) / people
    fire = _per_lsoa(tables["fire"], geo) / people
    trauma = _per_lsoa(tables["ambulance"][tables["ambulance"]["category"] == "stab_gunshot_penetrating_trauma"], geo) / people
    da_ids = crimes.loc[crimes["domestic_abuse"], "crime_id"]
    da_victims = persons[persons["crime_id"].isin(da_ids) & (persons["role"] == "victim")]
    da_homes = _per_lsoa(da_victims.dropna(subset=["home_lsoa"]), geo, "home_lsoa") / people
    class_a = crimes.loc[crimes["offence_code"].isin(["92A/A", "92D/A"]), "crime_id"]
    drug_homes = _per_lsoa(persons[persons["crime_id"].isin(class_a) & (persons["role"] == "suspect")]
                           .dropna(subset=["home_lsoa"]), geo, "home_lsoa") / people
    emp = tables["census_employment"].set_index("lsoa_code").reindex(geo["lsoa_code"])
    never = (emp["never_worked"] / emp["residents_16_plus"]).to_numpy()
    for layer in (deprived, asb, fire, trauma, da_homes, drug_homes, never):
        rho = pd.Series(sv).corr(pd.Series(layer), method="spearman")
        assert rho > 0.3


def test_hotspots_persist_year_on_year(tables):
    geo, crimes = tables["geography"], tables["crimes"]
    count = {y: _per_lsoa(crimes[crimes["year"] == y], geo) for y in (2014, YEAR - 2, YEAR - 1, YEAR)}
    # (a few planted new hotspots heat up in the last year only)
    assert np.corrcoef(count[YEAR - 1], count[YEAR])[0, 1] > 0.8
    adjacent = np.corrcoef(count[YEAR - 2], count[YEAR - 1])[0, 1]
    assert adjacent > 0.9
    # ...and the surface drifts: years far apart agree less than adjacent years
    assert np.corrcoef(count[2014], count[YEAR - 1])[0, 1] < adjacent


def test_population_is_single_year_of_age_and_census_parts_add_up(tables):
    pop, geo = tables["population"], tables["geography"]
    assert sorted(pop["age"].unique()) == list(range(91))
    assert sorted(pop["year"].unique()) == list(range(2014, 2024))
    per_lsoa = pop[pop["year"] == YEAR].groupby("lsoa_code")["population"].sum()
    assert 1000 < per_lsoa.median() < 2500  # LSOAs hold ~1,500 people
    assert len(per_lsoa) == len(geo)
    dep = tables["census_deprivation"]
    assert (dep[[f"deprived_{k}" for k in range(5)]].sum(axis=1) == dep["households"]).all()
    emp = tables["census_employment"]
    parts = ["in_employment", "not_in_employment_worked_last_12_months",
             "not_in_employment_not_worked_last_12_months", "never_worked"]
    assert (emp[parts].sum(axis=1) == emp["residents_16_plus"]).all()


# --------------------------------------------------------------------------- aggregates
def test_aggregates_have_the_reference_shapes(tables):
    hosp = tables["hospital_admissions"]
    assert set(hosp["age_band"]) == {"under_25", "25_plus"}
    assert hosp["financial_year"].str.match(r"^\d{4}/\d{2}$").all()
    excl = tables["school_exclusions"]
    assert excl["local_authority"].nunique() == 3
    by_year = excl.groupby("academic_year")["suspensions"].sum()
    assert list(by_year.index) == ["2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]
    assert by_year["2019/20"] < by_year["2018/19"] and by_year["2020/21"] < by_year["2018/19"]
    assert by_year["2022/23"] > by_year["2018/19"]
    survey = tables["community_survey"]
    assert "Street lighting and CCTV" in set(survey["theme"])
    assert set(survey["area"]) <= set(tables["config"]["csps"])
    comp = tables["comparators"]
    ew = comp[(comp["series"] == "knife_offences") & (comp["area"] == "England and Wales")].set_index("year")["value"]
    assert 0.40 < ew[2018] / ew[2014] - 1 < 0.52   # "knife crime rose by 46%"
    vru = comp[comp["series"] == "robbery_serious_wounding_per_1000"]
    assert vru["area"].nunique() >= 4 and tables["config"]["county"] in set(vru["area"])


def test_full_scale_hospital_series_is_in_the_reference_band():
    values = PROFILE["aggregates"]["hospital_under_25"]
    assert all(25 <= v <= 42 for v in values.values())


# --------------------------------------------------------------------------- helpers
def test_sampling_helpers():
    rng = np.random.default_rng(0)
    pmf = knots_pmf({10: 1, 12: 3}, np.arange(15))
    assert pmf.argmax() == 12 and pmf[9] == 0 and pmf.sum() == pytest.approx(1)
    counts = systematic_counts(np.array([0.2, 0.3, 0.5]), 1000, rng)
    assert counts.tolist() == [200, 300, 500]
    chosen = pick_without_replacement(np.array([0, 5, 5, 5, 0.0]), 2, rng)
    assert len(set(chosen)) == 2 and set(chosen) <= {1, 2, 3}


def test_new_hotspots_are_planted_in_the_last_year_only():
    from sna_lib.synthetic.geography import build_geography
    from sna_lib.synthetic.latent import build_latent

    scaled = Scaled.from_profile(PROFILE, SCALE)
    geo = build_geography(np.random.default_rng(1), PROFILE, scaled)
    lat = build_latent(np.random.default_rng(2), PROFILE, scaled, geo)
    last, before = lat.years[-1], lat.years[-2]
    jump = lat.sv_z(last) - lat.z[-1]
    assert set(np.flatnonzero(jump > 0)) == set(lat.new_hotspots)
    assert np.allclose(lat.sv_z(before), lat.z[-2])
    assert re.match(r"X01", geo.frame["lsoa_code"].iloc[0])


def test_a_national_scale_demo_county_stays_on_the_british_national_grid():
    """--scale 30 (33,000 LSOAs) used to spill 180 km east of the grid's extent and fail validation."""
    import numpy as np

    from sna_lib.synthetic.geography import county_outline
    from sna_lib.synthetic.profile import Scaled, load_profile

    profile = load_profile()
    small = county_outline(np.random.default_rng(0), profile, Scaled.from_profile(profile, 1))
    big = county_outline(np.random.default_rng(0), profile, Scaled.from_profile(profile, 30))
    x0, y0, x1, y1 = big.bounds
    assert 0 <= x0 and x1 <= 688_806 and 0 <= y0 and y1 <= 1_256_616  # validate's EPSG:27700 extent
    assert big.area > 25 * small.area
    assert small.centroid.distance(shapely.Point(575_000, 215_000)) < 5_000  # scale 1 not moved
