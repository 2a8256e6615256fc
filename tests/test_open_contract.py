"""The open data level of the contract: a hand-made folder validated rule by rule."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sna_lib.measures.classify import classify, load_definition, parse_definition
from sna_lib.data.dataset import load_dataset
from sna_lib.errors import DataValidationError
from sna_lib.data.validate import validate_dir

CONFIG = """county: Openshire
data_level: open
csps: [North, South]
first_year: 2018
reporting_year: 2018
rolling_end: 2019-02-28
coverage: {first_month: 2018-01, last_month: 2019-02, missing_months: [2018-08, 2018-09]}
"""


def _folder(tmp_path, crimes_rows=None, config=CONFIG, extra=None):
    d = tmp_path / "open"
    d.mkdir()
    (d / "config.yaml").write_text(config, encoding="utf-8")
    codes = ["X01000001", "X01000002"]
    gpd.GeoDataFrame({"lsoa_code": codes, "lsoa_name": ["N 1", "S 1"], "area": ["North", "South"],
                      "non_residential": [True, False],
                      "non_residential_reason": ["airport", None]},
                     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:27700").to_parquet(
        d / "geography.parquet")
    pd.DataFrame({"lsoa_code": codes * 2, "year": [2018, 2018, 2019, 2019], "age": 30,
                  "population": [10, 20, 11, 21], "estimate_year": [2017, 2017, 2019, 2019]}).to_csv(
        d / "population.csv", index=False)
    pd.DataFrame({"lsoa_code": codes, "households": [3, 2], "deprived_0": [1, 2], "deprived_1": [2, 0],
                  "deprived_2": 0, "deprived_3": 0, "deprived_4": 0}).to_csv(d / "census_deprivation.csv", index=False)
    rows = crimes_rows or [("a", "2018-01", "robbery", "X01000001", "On or near Airport/Airfield"),
                           ("b", "2018-07", "drugs", "X01000002", ""),
                           ("c", "2019-02", "violence_and_sexual_offences", "X01000002", "")]
    pd.DataFrame(rows, columns=["crime_id", "month", "category", "lsoa_code", "location"]).to_csv(
        d / "crimes.csv", index=False)
    pd.DataFrame({"incident_id": ["s1"], "month": ["2018-10"], "lsoa_code": ["X01000001"]}).to_csv(
        d / "asb.csv", index=False)
    for name, frame in (extra or {}).items():
        frame.to_csv(d / f"{name}.csv", index=False)
    return d


def test_open_folder_without_codes_flags_or_persons_is_valid(tmp_path):
    d = _folder(tmp_path)
    report = validate_dir(d)
    assert report.ok, report.render()
    ds = load_dataset(d)
    assert ds.data_level == "open" and ds.persons.empty and ds.census_employment.empty
    assert ds.crimes["date"].tolist() == [pd.Timestamp("2018-01-01"), pd.Timestamp("2018-07-01"),
                                          pd.Timestamp("2019-02-01")]
    assert ds.geography["non_residential"].tolist() == [True, False]
    assert ds.population["estimate_year"].tolist() == [2017, 2017, 2019, 2019]


@pytest.mark.parametrize("row, column, reason", [
    (("d", "2018-08", "robbery", "X01000001", ""), "month", "declares missing"),
    (("d", "2019-03", "robbery", "X01000001", ""), "month", "outside the data period"),
    (("d", "2018-1", "robbery", "X01000001", ""), "month", "YYYY-MM"),
    (("d", "2018-03", "Robbery", "X01000001", ""), "category", "allowed values"),
    (("d", "2018-03", "robbery", "X09999999", ""), "lsoa_code", "not an LSOA code"),
    (("d", "2018-03", "robbery", "X01000001", "=HYPERLINK(1)"), "location", "spreadsheet formula"),
])
def test_open_crime_rules(tmp_path, row, column, reason):
    d = _folder(tmp_path, crimes_rows=[("a", "2018-01", "robbery", "X01000001", ""), row])
    report = validate_dir(d)
    assert not report.ok
    hits = [p for p in report.problems if p.file == "crimes.csv" and p.row == 2]
    assert [p.column for p in hits] == [column] and reason in hits[0].reason


def test_full_level_definition_refused_at_open_level(tmp_path):
    d = _folder(tmp_path, config=CONFIG + "definitions: [partnership]\n")
    report = validate_dir(d)
    assert not report.ok
    assert any(p.column == "definitions" and "Home Office offence codes" in p.reason for p in report.structural)


def test_full_level_columns_missing_at_full_level_are_still_errors(tmp_path):
    d = _folder(tmp_path, config=CONFIG.replace("data_level: open\n", ""))
    report = validate_dir(d)
    missing = {p.column for p in report.structural if p.file == "crimes.csv"}
    assert {"offence_code", "date", "knife"} <= missing


def test_import_log_must_account_for_the_rows(tmp_path):
    log = pd.DataFrame({"source_file": ["f.csv", "f.csv", "f.csv"], "table": ["crimes", "asb", "crimes"],
                        "month": ["2018-01"] * 3, "outcome": ["used", "used", "rejected"],
                        "reason": ["used", "used", "LSOA outside the force area"], "rows": [2, 1, 5]})
    report = validate_dir(_folder(tmp_path, extra={"import_log": log}))
    assert not report.ok
    assert any("says 2 crimes rows were used but the crimes table has 3" in p.reason for p in report.structural)
    assert "import_log" not in report.quality.files


def test_coverage_config_errors():
    from sna_lib.data.config import parse_config

    base = {"county": "C", "csps": ["A"], "reporting_year": 2018, "first_year": 2018}
    with pytest.raises(DataValidationError) as info:
        parse_config({**base, "coverage": {"first_month": "2018-05", "last_month": "2018-02",
                                           "missing_months": ["2018-13"]}, "data_level": "opne"})
    columns = sorted(p.column for p in info.value.problems)
    assert columns == ["coverage.first_month", "coverage.missing_months", "data_level"]


def test_open_data_proxy_definition_is_labelled_and_classifies_by_category():
    d = load_definition("open_data_proxy")
    assert d.data_level == "open" and "proxy" in d.name.lower()
    assert "Home Office" in d.proxy_note and "not" in d.proxy_note
    crimes = pd.DataFrame({"crime_id": list("abcde"), "category": [
        "violence_and_sexual_offences", "robbery", "possession_of_weapons", "drugs", "public_order"]})
    assert classify(crimes, d)["qualifies"].tolist() == [True, True, True, False, False]
    with pytest.raises(DataValidationError, match="Home Office offence codes"):
        classify(crimes, "partnership")


def test_open_definition_rejects_full_level_keys():
    with pytest.raises(DataValidationError) as info:
        parse_definition({"id": "x", "name": "X", "data_level": "open", "categories": ["robery"],
                          "require_any_flag": ["knife"]})
    assert sorted(p.column for p in info.value.problems) == ["categories", "require_any_flag"]


def test_unavailable_parts_name_the_missing_data(tmp_path):
    from sna_lib.data.data_level import available, unavailable

    ds = load_dataset(_folder(tmp_path))
    missing = unavailable(ds)
    assert {"harm", "people", "serious_violence_definitions", "knife_and_weapon_measures", "domestic_abuse",
            "employment", "imd", "fire"} <= set(missing)
    assert "asb" not in missing and "proxy_serious_violence" not in missing
    assert available(ds, "asb") and available(ds, "proxy_serious_violence") and not available(ds, "harm")
    assert "Home Office offence code" in missing["harm"] and "person records" in missing["people"]


def test_full_level_book_never_asks_for_the_open_proxy(demo_dir):
    from sna_lib.data.data_level import unavailable

    ds = load_dataset(demo_dir, validate=False)
    assert "proxy_serious_violence" not in unavailable(ds) and "harm" not in unavailable(ds)
