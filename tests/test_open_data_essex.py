"""The importer on the real Essex open data ($SNA_SHARED_DIR/data/open; skipped when absent).

Expected values are computed independently from the raw files with plain pandas (or quoted
from the data's PROVENANCE.md sanity checks), never from the importer's own output.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sna_lib.data.dataset import load_dataset
from sna_lib.data.importers.lookup import CspLookup, lsoa_lads
from sna_lib.data.importers.police_uk import force_lsoas, import_police_uk
from sna_lib.data.periods import Coverage, label_period
from sna_lib.data.validate import validate_dir

# The real Essex books and import are module fixtures: one worker makes them.
pytestmark = pytest.mark.xdist_group("essex")

ESSEX_CSPS = ("Basildon", "Braintree", "Brentwood", "Castle Point", "Chelmsford", "Colchester", "Epping Forest",
              "Harlow", "Maldon", "Rochford", "Southend-on-Sea", "Tendring", "Thurrock", "Uttlesford")
#: police.uk force ids (data.police.uk/api/forces), England and Wales, written out by hand
POLICE_UK_IDS = {
    "avon-and-somerset", "bedfordshire", "cambridgeshire", "cheshire", "city-of-london", "cleveland", "cumbria",
    "derbyshire", "devon-and-cornwall", "dorset", "durham", "dyfed-powys", "essex", "gloucestershire",
    "greater-manchester", "gwent", "hampshire", "hertfordshire", "humberside", "kent", "lancashire",
    "leicestershire", "lincolnshire", "merseyside", "metropolitan", "norfolk", "north-wales", "north-yorkshire",
    "northamptonshire", "northumbria", "nottinghamshire", "south-wales", "south-yorkshire", "staffordshire",
    "suffolk", "surrey", "sussex", "thames-valley", "warwickshire", "west-mercia", "west-midlands",
    "west-yorkshire", "wiltshire"}


def _args(root: Path) -> dict:
    g = root / "geography"
    return {"boundaries": g / "lsoa11_bsc_essex_pfa.geojson",
            "lookups": [g / "lookup_ltla24_csp24_pfa24_ew.csv", g / "lookup_lsoa11_ltla19_ew.csv.gz",
                        g / "lookup_lsoa11_lsoa21_ltla22_ew.csv.gz"],
            "population": sorted((root / "population").glob("*.csv.gz")),
            "census": next((root / "census").glob("census2021_ts011*.csv.gz")),
            "imd": next((root / "deprivation").glob("imd2019_ranks*.csv.gz")), "force": "essex"}


@pytest.fixture(scope="module")
def essex(open_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("essex") / "essex-open"
    result = import_police_uk(out, street=[open_data_dir / "police_uk"], **_args(open_data_dir))
    return result, out


@pytest.fixture(scope="module")
def raw(open_data_dir) -> pd.DataFrame:
    files = sorted(glob.glob(str(open_data_dir / "police_uk" / "*" / "*-essex-street.csv.gz")))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def boundary_csp(open_data_dir) -> pd.Series:
    """LSOA → CSP as stated in the boundary file's own properties (independent of the lookups)."""
    data = json.loads((open_data_dir / "geography" / "lsoa11_bsc_essex_pfa.geojson").read_text(encoding="utf-8"))
    return pd.Series({f["properties"]["LSOA11CD"]: f["properties"]["CSP24NM"] for f in data["features"]})


def test_import_validates(essex):
    result, out = essex
    report = validate_dir(out)
    assert report.ok, report.render()
    assert result.force.csps == ESSEX_CSPS


def test_read_used_rejected_reconcile(essex, raw, boundary_csp):
    result, out = essex
    assert result.read == len(raw) == 199_298
    no_location = raw["LSOA code"] == ""
    outside = ~no_location & ~raw["LSOA code"].isin(boundary_csp.index)
    assert dict(result.rejected) == {"no location: police.uk gives no LSOA for this record": int(no_location.sum()),
                                     "LSOA outside the force area": int(outside.sum())}
    assert int(outside.sum()) == 558 and int(no_location.sum()) == 587
    kept = raw[~no_location & ~outside]
    assert result.used == {"crimes": int((kept["Crime type"] != "Anti-social behaviour").sum()),
                           "asb": int((kept["Crime type"] == "Anti-social behaviour").sum())}
    assert result.reconciles()
    log = pd.read_csv(out / "import_log.csv")
    assert int(log["rows"].sum()) == len(raw)


def test_counts_per_category_and_csp_equal_the_raw_rows(essex, raw, boundary_csp):
    _, out = essex
    ds = load_dataset(out, validate=False)
    crimes = ds.crimes.assign(area=ds.crimes["lsoa_code"].map(ds.lsoa_area()))
    got = crimes.groupby(["category", "area"]).size()
    located = raw[raw["LSOA code"].isin(boundary_csp.index) & (raw["Crime type"] != "Anti-social behaviour")]
    slug = located["Crime type"].str.lower().str.replace(" ", "_")
    want = located.assign(category=slug, area=located["LSOA code"].map(boundary_csp)).groupby(
        ["category", "area"]).size()
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    asb = ds.asb["lsoa_code"].map(ds.lsoa_area()).value_counts().sort_index()
    raw_asb = raw[raw["LSOA code"].isin(boundary_csp.index) & (raw["Crime type"] == "Anti-social behaviour")]
    pd.testing.assert_series_equal(asb, raw_asb["LSOA code"].map(boundary_csp).value_counts().sort_index(),
                                   check_names=False)


def test_stansted_airport_dominates_uttlesford_weapons_and_is_flagged(essex):
    _, out = essex
    ds = load_dataset(out, validate=False)
    weapons_2018 = ds.crimes[(ds.crimes["category"] == "possession_of_weapons") & (ds.crimes["date"].dt.year == 2018)]
    by_lsoa = weapons_2018["lsoa_code"].value_counts()
    uttlesford = weapons_2018["lsoa_code"].map(ds.lsoa_area()) == "Uttlesford"
    # the "589 of 673" are the records at the airport snap point itself; the whole LSOA holds 659
    at_airport = weapons_2018["location"] == "On or near Airport/Airfield"
    assert int(uttlesford.sum()) == 673 and int((at_airport & (weapons_2018["lsoa_code"] == "E01022090")).sum()) == 589
    assert int(by_lsoa["E01022090"]) == 659 and by_lsoa.index[0] == "E01022090"
    geo = ds.geography.set_index("lsoa_code")
    assert bool(geo.loc["E01022090", "non_residential"])
    assert "Airport/Airfield" in geo.loc["E01022090", "non_residential_reason"]
    flagged = geo.index[geo["non_residential"].fillna(False).astype(bool)].tolist()
    assert len(flagged) <= 5, flagged  # a rule for exceptional places, not for town centres


def test_missing_months_recorded_and_labelled(essex):
    _, out = essex
    ds = load_dataset(out, validate=False)
    assert ds.config.coverage.missing_months == ("2018-08", "2018-09")
    months = sorted(ds.crimes["date"].dt.strftime("%Y-%m").unique())
    assert len(months) == 12 and "2018-08" not in months and "2018-09" not in months
    cov = Coverage.from_dataset(ds)
    assert label_period("2018-01", "2018-12", cov).text == (
        "Jan 2018 – Dec 2018 (10 of 12 months; missing: Aug 2018, Sep 2018)")
    assert "2018-08" in (out / "PROVENANCE.md").read_text(encoding="utf-8")


def test_population_is_the_nearest_estimate(essex, open_data_dir, boundary_csp):
    _, out = essex
    pop = pd.read_parquet(out / "population.parquet")
    assert pop.groupby("year")["estimate_year"].unique().map(list).to_dict() == {2018: [2017], 2019: [2019]}
    raw17 = pd.read_csv(next((open_data_dir / "population").glob("*mid2017*")), usecols=["lsoa11_code", "total_population"])
    want = int(raw17.loc[raw17["lsoa11_code"].isin(boundary_csp.index), "total_population"].sum())
    assert int(pop.loc[pop["year"] == 2018, "population"].sum()) == want


def test_census_households_kept_through_the_lsoa_lookup(essex, open_data_dir, boundary_csp):
    _, out = essex
    dep = pd.read_csv(out / "census_deprivation.csv")
    lookup = pd.read_csv(open_data_dir / "geography" / "lookup_lsoa11_lsoa21_ltla22_ew.csv.gz")
    lsoa21 = set(lookup.loc[lookup["lsoa11_code"].isin(boundary_csp.index), "lsoa21_code"])
    assert len(lsoa21) == 1111
    ts011 = pd.read_csv(next((open_data_dir / "census").glob("census2021_ts011*")))
    assert int(dep["households"].sum()) == int(ts011.loc[ts011["lsoa21_code"].isin(lsoa21), "count"].sum())
    assert len(dep) == 1077


def test_every_force_in_the_lookup_resolves(open_data_dir):
    g = open_data_dir / "geography"
    csp = CspLookup.read(g / "lookup_ltla24_csp24_pfa24_ew.csv")
    lads, _ = lsoa_lads(g / "lookup_lsoa11_ltla19_ew.csv.gz")
    forces = csp.forces()
    assert len(forces) == 43 and {f.slug for f in forces} == POLICE_UK_IDS
    seen = []
    for force in forces:
        assert csp.force(force.slug) == force == csp.force(force.name.upper())
        mine = force_lsoas(csp, lads, force)  # raises if a CSP of the force gets no LSOA
        assert set(mine["area"]) == set(force.csps)
        seen.extend(mine["lsoa_code"])
    assert len(seen) == len(set(seen)) == len(lads) == 34_753  # every LSOA in exactly one force
    assert csp.force("essex").csps == ESSEX_CSPS and csp.force("E23000028").name == "Essex"


def test_zip_and_gz_inputs_give_identical_output_bytes(essex, open_data_dir, tmp_path):
    _, out = essex
    zipped = tmp_path / "police-uk-download.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((open_data_dir / "police_uk").glob("*/*-essex-street.csv.gz")):
            archive.writestr(f"{path.parent.name}/{path.name[:-3]}", gzip.decompress(path.read_bytes()))
    again = tmp_path / "from-zip"
    import_police_uk(again, street=[zipped], validate=False, **_args(open_data_dir))

    def digests(folder):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    assert digests(again) == digests(out)


def test_open_store_on_real_essex_reconciles_and_the_attacker_finds_nothing(essex, raw, boundary_csp, tmp_path):
    """The publication stage on real Essex: one store, its category x CSP counts equal the raw rows
    (all published: no CSP x category count is small over twelve months), the airport flagged, and the
    interval attacker finds every withheld cell safe."""
    from sna_lib.publication.attack import attack
    from sna_lib.publication.compute import run_publication
    from sna_lib.publication.disclosure import disclosure_rules
    from sna_lib.publication.store import PublishedStore

    _, out = essex
    store = PublishedStore(run_publication(load_dataset(out, validate=False), tmp_path / "published"))
    located = raw[raw["LSOA code"].isin(boundary_csp.index) & (raw["Crime type"] != "Anti-social behaviour")]
    want = located.assign(category=located["Crime type"].str.lower().str.replace(" ", "_"),
                          area=located["LSOA code"].map(boundary_csp)).groupby(["area", "category"]).size()
    for (area, category), n in want.items():
        assert store.value("open.category", area, category, "crimes") == n, (area, category)
    assert store.value("open.category", "county", "all", "crimes") == len(located)
    assert store.value("open.non_residential", "Uttlesford", "E01022090", "flag") == 1
    rates = store.table("open.rates", "Uttlesford")
    weapons = located[(located["Crime type"] == "Possession of weapons") & located["Month"].str.startswith("2018")]
    assert rates.loc["possession_of_weapons", "crimes"] == int((weapons["LSOA code"].map(boundary_csp) == "Uttlesford").sum())
    assert rates.loc["possession_of_weapons", "crimes_non_residential"] == int((weapons["LSOA code"] == "E01022090").sum())
    result = attack(store.cells, store.relations, disclosure_rules(None))
    unsafe = result[~result["safe"].to_numpy(dtype=bool)]
    assert unsafe.empty, unsafe.to_string()
