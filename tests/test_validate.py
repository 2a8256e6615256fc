"""validate_dir / load_dataset on the tiny hand-made folder (tests/hostile/builder.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hostile.builder import CONFIG, OFFENCE_CODES, build_valid_dir, tables
from hostile.cases import read, set_cell, write

from sna_lib import cli
from sna_lib.data import validate as validate_module
from sna_lib.data.dataset import Dataset, load_dataset
from sna_lib.errors import DataValidationError
from sna_lib.data.schemas import TABLES, ColumnSpec, coerce_column
from sna_lib.data.validate import MAX_LISTED_ROWS, validate_dir


@pytest.fixture
def small_offences(monkeypatch):
    monkeypatch.setattr(validate_module, "known_offence_codes", lambda: OFFENCE_CODES)


@pytest.fixture
def tiny(tmp_path, small_offences):
    return build_valid_dir(tmp_path / "tiny")


def quality(report) -> pd.DataFrame:
    return report.quality.to_frame().set_index("file")


def test_clean_folder_counts_match_the_files(tiny):
    report = validate_dir(tiny)
    assert report.ok and report.problems == [] and report.warnings == []
    q = quality(report)
    expected = {name: len(frame) for name, frame in tables().items()}
    assert q.loc["geography.parquet", "read"] == 4
    for name, n in expected.items():
        assert q.loc[f"{name}.csv", ["read", "used", "rejected"]].tolist() == [n, n, 0]
    assert report.quality.reconciles()
    text = report.render()
    assert "OK" in text and "crimes.csv" in text


def test_loaded_types_and_values(tiny):
    ds = load_dataset(tiny)
    assert isinstance(ds, Dataset) and isinstance(ds.geography, gpd.GeoDataFrame)
    assert ds.geography.crs.to_epsg() == 27700
    assert ds.config.csps == ("North", "South")
    crimes = ds.crimes
    assert str(crimes["date"].dtype) == "datetime64[ns]"
    assert crimes["knife"].dtype == bool and int(crimes["knife"].sum()) == 5  # rows 1, 2, 4, 8, 12
    assert crimes["date"].max() == pd.Timestamp("2024-03-31")
    assert crimes["offence_code"].tolist()[:3] == ["1", "5A", "8N"]
    persons = ds.persons
    assert str(persons["age"].dtype) == "Int64" and int(persons["age"].isna().sum()) == 1
    assert int(persons["home_lsoa"].isna().sum()) == 4  # blank home = outside county / unknown
    assert ds.population["population"].dtype == np.int64
    assert int(ds.population["population"].sum()) == sum(
        100 + 10 * i + age for i in range(4) for _ in range(3) for age in (0, 45, 90))
    assert ds.geography["urban"].tolist() == [True, False, True, False]
    assert ds.lsoa_area().to_dict() == {"X01000001": "North", "X01000002": "North",
                                        "X01000003": "South", "X01000004": "South"}


def test_fast_path_gives_the_same_tables(tiny):
    slow, fast = load_dataset(tiny), load_dataset(tiny, validate=False)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(slow, name), getattr(fast, name))


def test_fast_path_skips_rule_checks_but_not_type_errors(tiny):
    set_cell("crimes", 3, "offence_code", "ZZ9")(tiny)
    assert load_dataset(tiny, validate=False).crimes.loc[2, "offence_code"] == "ZZ9"
    with pytest.raises(DataValidationError):
        load_dataset(tiny)
    set_cell("crimes", 4, "date", "not a date")(tiny)
    with pytest.raises(DataValidationError) as info:
        load_dataset(tiny, validate=False)
    assert [(p.file, p.column, p.row) for p in info.value.problems] == [("crimes.csv", "date", 4)]


def test_parquet_tables_load_like_csv(tiny, tmp_path):
    from_csv = load_dataset(tiny)
    pq_dir = build_valid_dir(tmp_path / "pq")
    for name in tables():
        getattr(from_csv, name).to_parquet(pq_dir / f"{name}.parquet")
        (pq_dir / f"{name}.csv").unlink()
    from_parquet = load_dataset(pq_dir)
    for name in tables():
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(from_parquet, name))


def test_parquet_with_loose_types_is_coerced_or_reported(tiny):
    crimes = read(tiny, "crimes")
    crimes["knife"] = (crimes["knife"] == "true").astype(int)  # 0/1 integers are accepted
    crimes.to_parquet(tiny / "crimes.parquet")
    (tiny / "crimes.csv").unlink()
    persons = read(tiny, "persons")
    persons["age"] = pd.to_numeric(persons["age"]).astype(float)
    persons.loc[2, "age"] = 12.5
    persons.to_parquet(tiny / "persons.parquet")
    (tiny / "persons.csv").unlink()
    report = validate_dir(tiny)
    assert [(p.file, p.column, p.row) for p in report.problems] == [("persons.parquet", "age", 3)]
    assert "not a whole number" in report.problems[0].reason


@pytest.mark.parametrize("ext", ["gpkg", "geojson"])
def test_other_geography_formats(tiny, ext):
    geo = gpd.read_parquet(tiny / "geography.parquet")
    (tiny / "geography.parquet").unlink()
    geo.to_file(tiny / f"geography.{ext}")
    report = validate_dir(tiny)
    assert report.problems == [], report.render()
    assert quality(report).loc[f"geography.{ext}", "used"] == 4


def test_utf8_bom_csv_is_accepted(tiny):
    path = tiny / "crimes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = validate_dir(tiny)
    assert report.ok and report.problems == []


def test_optional_table_may_be_absent(tiny):
    (tiny / "ambulance.csv").unlink()
    ds = load_dataset(tiny)
    assert len(ds.ambulance) == 0 and list(ds.ambulance.columns) == ["call_id", "date", "lsoa_code", "category"]
    row = quality(validate_dir(tiny)).loc["ambulance (not supplied)"]
    assert row[["read", "used", "rejected"]].tolist() == [0, 0, 0]


def test_extra_column_is_a_warning_not_a_failure(tiny):
    crimes = read(tiny, "crimes")
    crimes["officer_notes"] = "x"
    write(tiny, "crimes", crimes)
    report = validate_dir(tiny)
    assert report.ok
    assert [(w.file, w.column) for w in report.warnings] == [("crimes.csv", "officer_notes")]
    assert "officer_notes" not in load_dataset(tiny).crimes.columns


def test_listing_is_capped_but_counts_are_complete(tiny):
    population = read(tiny, "population")
    population.loc[:24, "population"] = "-1"  # 25 bad rows
    write(tiny, "population", population)
    report = validate_dir(tiny)
    listed = [p for p in report.problems if p.column == "population"]
    assert [p.row for p in listed[:MAX_LISTED_ROWS]] == list(range(1, MAX_LISTED_ROWS + 1))
    assert len(listed) == MAX_LISTED_ROWS + 1 and listed[-1].row is None and "25 rows in all" in listed[-1].reason
    assert quality(report).loc["population.csv", ["read", "used", "rejected"]].tolist() == [36, 11, 25]


def test_duplicate_reports_first_occurrence(tiny):
    set_cell("crimes", 9, "crime_id", "C002")(tiny)
    (problem,) = [p for p in validate_dir(tiny).problems if p.file == "crimes.csv"]
    assert (problem.column, problem.row) == ("crime_id", 9) and "first seen in row 2" in problem.reason


def test_reject_mode_drops_and_counts_bad_rows(tiny):
    # 2 of 12 crimes and 3 of 15 persons: above the default 10% limit, so the test raises it
    (tiny / "config.yaml").write_text(CONFIG + "validation: {on_error: reject, max_rejected_share: 0.25}\n",
                                      encoding="utf-8")
    set_cell("crimes", 3, "offence_code", "ZZ9")(tiny)           # crime C003
    set_cell("crimes", 5, "date", "2022-13-01")(tiny)            # crime C005 ...
    set_cell("crimes", 5, "offence_description", "=1+1")(tiny)   # ... with a second problem
    set_cell("persons", 1, "age", "-3")(tiny)
    set_cell("population", 2, "age", "0")(tiny)                  # duplicate key of row 1
    report = validate_dir(tiny)
    assert report.ok and report.row_problems and not report.structural
    q = quality(report)
    # hand count: crimes rows 3 and 5; persons row 1 plus the rows of crimes C003 (row 5) and C005 (row 7)
    assert q.loc["crimes.csv", ["read", "used", "rejected"]].tolist() == [12, 10, 2]
    assert q.loc["persons.csv", ["read", "used", "rejected"]].tolist() == [15, 12, 3]
    assert q.loc["population.csv", ["read", "used", "rejected"]].tolist() == [36, 35, 1]
    assert report.quality.reconciles()
    reasons = q.loc["persons.csv", "reasons"]
    assert "refers to a crime whose row in crimes was rejected: 2" in reasons and "between 0 and 110: 1" in reasons
    assert cli.main(["validate", "--data", str(tiny)]) == 0

    ds = load_dataset(tiny)
    assert "C003" not in set(ds.crimes["crime_id"]) and "C005" not in set(ds.crimes["crime_id"])
    assert ds.crimes.index.equals(pd.RangeIndex(10))
    assert len(ds.crimes) == 10 and len(ds.persons) == 12 and len(ds.population) == 35
    assert ds.crimes["knife"].dtype == bool and str(ds.persons["age"].dtype) == "Int64"
    pd.testing.assert_frame_equal(ds.quality.to_frame(), report.quality.to_frame())


def test_reject_mode_still_fails_on_structural_problems(tiny):
    (tiny / "config.yaml").write_text(CONFIG + "validation: {on_error: reject}\n", encoding="utf-8")
    write(tiny, "crimes", read(tiny, "crimes").drop(columns="gang"))
    report = validate_dir(tiny)
    assert not report.ok
    assert quality(report).loc["crimes.csv", ["read", "used", "rejected"]].tolist() == [12, 0, 12]
    with pytest.raises(DataValidationError):
        load_dataset(tiny)


def test_real_offence_reference_is_used(tmp_path):
    pytest.importorskip("sna_lib.reference")
    data = build_valid_dir(tmp_path)
    assert validate_dir(data).problems == []
    set_cell("crimes", 3, "offence_code", "ZZ9")(data)
    (problem,) = [p for p in validate_dir(data).problems if p.file == "crimes.csv"]
    assert (problem.column, problem.row) == ("offence_code", 3)
    assert problem.reason == "'ZZ9' is not a Home Office offence code in the shipped reference table"


def test_missing_offence_reference_is_a_warning(tiny, monkeypatch):
    monkeypatch.setattr(validate_module, "known_offence_codes", lambda: None)
    report = validate_dir(tiny)
    assert report.ok and [w.column for w in report.warnings] == ["offence_code"]


@pytest.mark.parametrize("raw, kind, values, bad", [
    (["true", "FALSE", " y ", "N", "1", "0", "perhaps", ""], "bool",
     [True, False, True, False, True, False, None, None], [0, 0, 0, 0, 0, 0, 1, 0]),
    ([" 7", "-2", "3.0", "3.5", "1e3", "x", ""], "int", [7, -2, 3, None, 1000, None, None], [0, 0, 0, 1, 0, 1, 0]),
    (["-0.5", "nan", "inf", "2"], "float", [-0.5, None, None, 2.0], [0, 1, 1, 0]),
    (["2024-02-29", "2023-02-29", "2023-1-5", "05/01/2023", ""], "date",
     ["2024-02-29", None, "2023-01-05", None, None], [0, 1, 0, 1, 0]),
])
def test_coerce_column(raw, kind, values, bad):
    out, mask, _ = coerce_column(pd.Series(raw, dtype="str"), ColumnSpec("x", kind, nullable=True))
    got = [None if pd.isna(v) else v for v in out]
    if kind == "date":
        got = [None if v is None else v.strftime("%Y-%m-%d") for v in got]
    assert got == values
    assert mask.astype(int).tolist() == bad


def test_validate_missing_folder(tmp_path):
    report = validate_dir(tmp_path / "nope")
    assert not report.ok and "does not exist" in report.problems[0].reason


def test_synthetic_demo_validates_clean(demo_dir):
    pytest.importorskip("sna_lib.synthetic")
    report = validate_dir(demo_dir)
    assert report.problems == [], report.render()
    assert report.ok and report.quality.reconciles()
    q = report.quality.to_frame()
    assert (q["rejected"] == 0).all() and q.loc[q["file"].str.startswith("crimes"), "read"].item() > 0


def test_reject_mode_cascades_from_rejected_lsoa(tiny):
    from hostile.cases import edit_geo

    # a quarter of the tiny folder's LSOAs: above the default 10% limit, so the test raises it
    (tiny / "config.yaml").write_text(CONFIG + "validation: {on_error: reject, max_rejected_share: 0.5}\n",
                                      encoding="utf-8")

    def move_to_unknown_csp(g):
        g = g.copy()
        g.loc[2, "area"] = "Elsewhere"  # X01000003
        return g

    edit_geo(move_to_unknown_csp)(tiny)
    report = validate_dir(tiny)
    assert report.ok, report.render()
    rejected = quality(report)["rejected"].to_dict()
    # hand count of rows that mention X01000003 (crimes via lsoa_code; persons via crime or home)
    assert rejected == {"geography.parquet": 1, "population.csv": 9, "census_deprivation.csv": 1,
                        "census_employment.csv": 1, "crimes.csv": 3, "persons.csv": 4, "asb.csv": 0,
                        "fire.csv": 1, "ambulance.csv": 1, "hospital_admissions.csv": 0,
                        "school_exclusions.csv": 0, "community_survey.csv": 0, "comparators.csv": 0,
                        "imd (not supplied)": 0}
    crimes = [p for p in report.problems if p.file == "crimes.csv"]
    assert [p.row for p in crimes] == [3, 7, 11]
    assert all("whose row in geography was rejected" in p.reason for p in crimes)


def test_unforeseen_failure_becomes_a_problem_not_a_crash(tiny, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(validate_module, "coerce_frame", broken)
    report = validate_dir(tiny)
    assert not report.ok
    assert ("geography.parquet", "could not be checked (RuntimeError: boom)") in [
        (p.file, p.reason) for p in report.problems]
    assert report.quality.reconciles()


def test_unsigned_and_categorical_parquet_columns(tiny):
    persons = read(tiny, "persons")
    persons["age"] = pd.to_numeric(persons["age"]).fillna(0).astype("uint64")
    persons.loc[0, "age"] = 2**64 - 1
    persons.to_parquet(tiny / "persons.parquet")
    (tiny / "persons.csv").unlink()
    crimes = read(tiny, "crimes").astype({"offence_code": "category"})
    crimes.to_parquet(tiny / "crimes.parquet")
    (tiny / "crimes.csv").unlink()
    report = validate_dir(tiny)
    assert [(p.file, p.column, p.row) for p in report.problems] == [("persons.parquet", "age", 1)]


def test_cli_validate_clean_folder(tiny, capsys):
    assert cli.main(["validate", "--data", str(tiny)]) == 0
    out = capsys.readouterr().out
    assert "OK (on_error: fail)" in out and "records read = used + rejected" in out


def test_offence_codes_upper_cased_and_times_dropped(tiny):
    set_cell("crimes", 2, "offence_code", " 5a ")(tiny)
    set_cell("crimes", 3, "date", "2022-02-14T23:59:59Z")(tiny)
    ds = load_dataset(tiny)
    assert ds.crimes.loc[1, "offence_code"] == "5A"
    assert ds.crimes.loc[2, "date"] == pd.Timestamp("2022-02-14")
    set_cell("crimes", 4, "date", "2022")(tiny)  # a bare year is not a date
    (problem,) = [p for p in validate_dir(tiny).problems if p.file == "crimes.csv"]
    assert (problem.column, problem.row) == ("date", 4) and "not a real date" in problem.reason


def test_render_sections_and_source_reconciliation(tmp_path):
    from sna_lib.data.validate import DataQuality, FileQuality, ValidationReport

    sources = pd.DataFrame({
        "source_file": ["jan.csv", "feb.csv", "All files"], "month": ["2018-01", "2018-02", ""],
        "read": [1200, 800, 2000], "used_crimes": [1000, 700, 1700], "used_asb": [150, 90, 240],
        "rejected": [50, 10, 60], "rejected: no location": [40, 10, 50], "rejected: bad date": [10, 0, 10],
    })
    report = ValidationReport(tmp_path, quality=DataQuality({"crimes": FileQuality("crimes.csv", read=3, used=3)}),
                              sources=sources)
    lines = report.render().splitlines()
    assert "Data quality (records read = used + rejected):" in lines
    # the last (total) row, with every rejection reason on its own line
    i = lines.index("Source rows (import_log): read 2,000 = crimes 1,700 + ASB 240 + rejected 60")
    assert lines[i + 1:] == ["  rejected: no location: 50", "  rejected: bad date: 10"]


def test_missing_column_hint_names_the_lookalike(tiny):
    # "Crime-ID" is too far from "crime_id" for difflib (ratio 0.5); normalised, it is the same name
    crimes = read(tiny, "crimes").rename(columns={"crime_id": "Crime-ID"})
    write(tiny, "crimes", crimes)
    report = validate_dir(tiny)
    assert not report.ok
    [p] = [p for p in report.problems if p.column == "crime_id"]
    assert p.reason == "required column is missing; found 'Crime-ID' instead — rename it to 'crime_id'"


def test_months_and_float_ids_by_hand():
    from sna_lib.data.schemas import _typed_text, parse_months

    got = parse_months(pd.Series(["2018-01", "2018-13", "Jan 2018", None, "2019-12"]))
    assert got.tolist()[0::4] == [pd.Timestamp("2018-01-01"), pd.Timestamp("2019-12-01")]
    assert got.iloc[1:4].isna().all()
    # ids stored as floats (a Parquet column with a gap): 12345.0 is the id "12345", 2.5 stays "2.5"
    # (this raised TypeError: the whole column was cast to Int64, 2.5 included)
    text = _typed_text(pd.Series([12345.0, 2.5, np.nan, 1e20, -3.0]))
    assert text.tolist()[:2] + text.tolist()[3:] == ["12345", "2.5", "100000000000000000000", "-3"]
    spec = ColumnSpec("crime_id", "id")
    values, bad, _ = coerce_column(pd.Series([12345.0, 2.5]), spec)
    assert values.tolist() == ["12345", "2.5"] and not np.asarray(bad).any()


def test_formula_cells_by_hand():
    """Signed numbers are numbers, not formulas, also beside a real formula in the same column."""
    from sna_lib.data.schemas import looks_like_formula

    cells = pd.Series(["-3", "=1+2", "+44", "-0.5", " @SUM(A1)", "-cmd|x", "Robbery", "\t=x", None])
    assert looks_like_formula(cells).tolist() == [False, True, False, False, True, True, False, True, False]
    assert looks_like_formula(pd.Series(["Robbery", "12"])).tolist() == [False, False]


def test_number_ranges_of_float_columns_and_the_year_cap(tiny):
    """A comparator value beyond +-1e15 and a survey year after reporting_year + 1 (2023 + 1) are refused."""
    set_cell("comparators", 2, "value", "2e15")(tiny)
    set_cell("community_survey", 1, "year", "2025")(tiny)
    found = {(p.file, p.column, p.row): p.reason for p in validate_dir(tiny).problems}
    assert found[("comparators.csv", "value", 2)] == (
        "'2e15' must be between -1,000,000,000,000,000 and 1,000,000,000,000,000")
    assert found[("community_survey.csv", "year", 1)].endswith("must be between 1990 and 2024")


def test_crs_checks_near_the_edge_of_the_area_of_use_and_degrees_that_are_metres():
    from shapely.geometry import box

    from sna_lib.data.validate import _crs_problem

    # UTM 30N is defined for 6°W-0°; an area at 5.9°W, 5°N is inside it (x about 179 km, near the
    # zone's western edge, 166 km at the equator) and must not be called "outside that extent"
    inside = gpd.GeoDataFrame(geometry=[box(-5.9, 5.0, -5.89, 5.01)], crs=4326).to_crs(32630)
    assert _crs_problem(inside, "geography.gpkg") is None
    far = gpd.GeoDataFrame(geometry=[box(-30.0, 5.0, -29.99, 5.01)], crs=4326).to_crs(32630)
    outside = _crs_problem(far, "geography.gpkg")
    assert outside.startswith("declares EPSG:32630 (WGS 84 / UTM zone 30N), defined for ") and outside.endswith(
        "; the coordinates are in another CRS: declare the right one, or reproject")
    assert "outside that extent (x " in outside  # the zone's bounds in metres, as pyproj gives them
    # metres declared as degrees: the fix is spelt out
    metres = gpd.GeoDataFrame(geometry=[box(570000, 205000, 571000, 206000)], crs=4326)
    assert _crs_problem(metres, "geography.geojson").endswith(
        'they look like projected metres (British National Grid?). Declare the CRS the coordinates are in '
        '(for GeoJSON add "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}, '
        "or save as GeoPackage/GeoParquet with EPSG:27700)")


def test_multipolygon_lsoa_is_accepted_and_an_empty_one_has_no_polygon(tiny):
    from shapely.geometry import MultiPolygon, box

    from hostile.cases import edit_geo

    def change(g):
        x0, y0, x1, y1 = g.geometry.iloc[0].bounds
        g.loc[g.index[0], "geometry"] = MultiPolygon([g.geometry.iloc[0], box(x0, y0 - 20, x0 + 10, y0 - 10)])
        g.loc[g.index[1], "geometry"] = None
        return g

    edit_geo(change)(tiny)
    geometry = [(p.row, p.reason) for p in validate_dir(tiny).problems
                if p.file == "geography.parquet" and p.column == "geometry"]
    assert geometry == [(2, "has no polygon")]


def test_coerced_columns_keep_the_index_and_say_what_a_date_must_be():
    idx = pd.Index([10, 20, 30])
    out, bad, reason = coerce_column(pd.Series(["1.5", "x", ""], index=idx, dtype="str"),
                                     ColumnSpec("v", "float", nullable=True))
    assert out.index.equals(idx) and out.iloc[0] == 1.5 and bad.tolist() == [False, True, False]
    assert reason == "is not a number"
    _, bad, reason = coerce_column(pd.Series(["2023-02-30"], dtype="str"), ColumnSpec("d", "date", nullable=True))
    assert bad.tolist() == [True] and reason == "is not a real date in the form YYYY-MM-DD (years 1678 to 2261)"


def test_required_flags_come_out_as_numpy_bool_and_optional_ones_nullable():
    flags = pd.Series(["true", "no", "1"], dtype="str")
    out, bad, _ = coerce_column(flags, ColumnSpec("k", "bool"))
    assert str(out.dtype) == "bool" and out.tolist() == [True, False, True] and not bad.any()
    out, _, _ = coerce_column(pd.Series(["true", ""], dtype="str"), ColumnSpec("k", "bool", nullable=True))
    assert str(out.dtype) == "boolean" and out.isna().tolist() == [False, True]


def test_coverage_months_narrow_the_data_period():
    from types import SimpleNamespace

    from sna_lib.data.validate import _context

    cfg = SimpleNamespace(period_start="2021-01-01", period_end="2024-03-31", csps=("North",), county="Tinyshire",
                          reporting_year=2023, coverage=SimpleNamespace(first_month="2022-04", last_month="2023-12",
                                                                        missing_months=["2022-08"]))
    ctx = _context(cfg, None)
    assert (ctx.period_start, ctx.period_end) == (pd.Timestamp("2022-04-01"), pd.Timestamp("2023-12-31"))
    assert ctx.max_year == 2024 and ctx.missing_months == ("2022-08",)
    wide = SimpleNamespace(**{**vars(cfg), "coverage": SimpleNamespace(first_month="2019-01", last_month=None,
                                                                        missing_months=[])})
    assert (_context(wide, None).period_start, _context(wide, None).period_end) == (
        pd.Timestamp("2021-01-01"), pd.Timestamp("2024-03-31"))


def test_a_table_level_failure_does_not_hide_the_row_failures_after_it():
    """pandera lists a missing column (no row label) before a row-level failure: both are reported."""
    from sna_lib.data.schemas import Context
    from sna_lib.data.validate import _pandera_findings

    frame = pd.DataFrame({"area": pd.Series(["North", "South"], dtype="str"),  # no 'series' column
                          "year": pd.Series([2020, 1800], dtype="int64"),
                          "value": pd.Series([1.5, 2.0], dtype="float64")})
    structural = []
    findings = _pandera_findings(frame, TABLES["comparators"], Context(), {}, structural, "comparators.csv")
    assert [(p.file, p.row, p.reason) for p in structural] == [
        ("comparators.csv", None, "failed table check column_in_dataframe")]
    assert [(f.column, f.reason, f.mask.tolist()) for f in findings] == [
        ("year", "must be between 1990 and 2100", [False, True])]


def test_a_duplicate_in_a_unique_column_off_the_key_is_matched_on_that_column():
    """first seen = the first row with the same value in the duplicated column, not the same key."""
    from sna_lib.data.schemas import TableSpec
    from sna_lib.data.validate import _Finding, _list_findings

    spec = TableSpec("t", (ColumnSpec("a", "code"), ColumnSpec("b", "code"), ColumnSpec("ref", "id", unique=True)),
                     key=("a", "b"))
    frame = pd.DataFrame({"a": ["x", "y", "x"], "b": ["1", "1", "1"], "ref": ["r1", "r2", "r2"]})
    # row 3 repeats row 2's ref (r2) but row 1's key (x, 1)
    [p] = _list_findings([_Finding("ref", "duplicate ref", np.array([False, False, True]))],
                         frame, frame, "t.csv", spec)
    assert (p.column, p.row, p.reason) == ("ref", 3, "'r2' duplicate ref, first seen in row 2")


def test_nullable_columns_are_narrowed_to_the_contract_dtype_only_where_they_can_be():
    from sna_lib.data.schemas import TableSpec
    from sna_lib.data.validate import _finalise_dtypes

    spec = TableSpec("t", (ColumnSpec("n", "int"), ColumnSpec("v", "float", nullable=True),
                           ColumnSpec("k", "bool")))
    frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "v": pd.array([1.5, None], dtype="Float64"),
                          "k": pd.array([True, False], dtype="boolean")})
    out = _finalise_dtypes(frame, spec)
    # int64 cannot hold the gap, so n stays Int64; float64 holds it as NaN; k has no gap
    assert [str(out[c].dtype) for c in "nvk"] == ["Int64", "float64", "bool"]
    assert out["v"].isna().tolist() == [False, True]


def test_definition_problems_name_the_duplicate_file_and_the_level_each_needs(tmp_path):
    import shutil
    from pathlib import Path
    from types import SimpleNamespace

    from sna_lib.data.validate import _definition_problems

    shipped = Path(validate_module.__file__).parents[1] / "definitions" / "open_data_proxy.yaml"
    shutil.copy(shipped, tmp_path / "mine.yaml")            # the same id as the shipped proxy
    cfg = SimpleNamespace(definitions=["open_data_proxy", str(tmp_path / "mine.yaml"), "partnership"],
                          data_level="open")
    assert [(p.file, p.column, p.row, p.reason) for p in _definition_problems(cfg, tmp_path)] == [
        ("mine.yaml", "id", None, "definition id 'open_data_proxy' is used by more than one definition"),
        ("config.yaml", "definitions", None, "definition 'partnership' needs Home Office offence codes and "
                                             "flags (data_level: full); this folder is data_level: open")]
    full = SimpleNamespace(definitions=["open_data_proxy"], data_level="full")
    assert [p.reason for p in _definition_problems(full)] == [
        "definition 'open_data_proxy' needs police.uk categories (data_level: open); this folder is data_level: full"]


def test_a_stray_file_is_named_once_as_ignored(tiny):
    from sna_lib.data.config import load_config
    from sna_lib.data.validate import _stray_files

    (tiny / "notes.txt").write_text("not data")
    (tiny / ".hidden").write_text("editor state")                  # hidden files are not named
    assert [(p.file, p.column, p.row, p.reason) for p in _stray_files(tiny, load_config(tiny))] == [
        ("notes.txt", None, None, "is not a file of the contract: it is ignored (not read, copied or named in the book)")]


def test_import_log_rows_must_match_the_tables_by_hand():
    from sna_lib.data.validate import DataQuality, FileQuality, _import_log_problems

    log = pd.DataFrame({"table": ["crimes", "crimes", "asb"], "outcome": ["used", "rejected", "used"],
                        "rows": [4, 2, 3]})
    quality = DataQuality({"crimes": FileQuality("crimes.csv", read=5, used=5)})   # no asb file: 0 rows
    assert [(p.file, p.column, p.row, p.reason) for p in _import_log_problems({"import_log": log}, quality)] == [
        ("import_log", "rows", None, "says 4 crimes rows were used but the crimes table has 5 rows"),
        ("import_log", "rows", None, "says 3 asb rows were used but the asb table has 0 rows")]
    assert _import_log_problems({}, quality) == []


def test_a_bad_month_names_the_form_it_should_take():
    values, bad, reason = coerce_column(pd.Series(["2018-13", "2018-01", "Jan 2018"]), ColumnSpec("month", "month"))
    assert reason == "is not a calendar month in the form YYYY-MM"
    assert np.asarray(bad).tolist() == [True, False, True]
    assert values.iloc[1] == pd.Timestamp("2018-01-01")


def test_the_year_cap_never_lifts_the_schema_maximum():
    """``max_year`` (reporting year + 1) only lowers a year column's maximum: with a cap above
    the schema's 2100 the check still stops at 2100; with 2024 it stops at 2024."""
    from sna_lib.data.schemas import Context, _column_checks

    table = TABLES["population"]
    year = next(c for c in table.columns if c.name == "year")
    messages = {cap: [c.error for c in _column_checks(year, table, Context(max_year=cap))] for cap in (2200, 2024)}
    assert "must be between 1990 and 2100" in messages[2200]       # years without thousands separators
    assert "must be between 1990 and 2024" in messages[2024]


def test_the_report_says_problems_or_rows_rejected(tmp_path):
    from sna_lib.data.validate import ValidationReport
    from sna_lib.errors import Problem

    row = Problem("crimes.csv", "date", 3, "is not a date")
    failed = ValidationReport(tmp_path, on_error="fail", row_problems=[row]).render()
    assert "\n1 problems listed:\n  - " in failed and "FAILED" in failed
    rejected = ValidationReport(tmp_path, on_error="reject", row_problems=[row]).render()
    assert "\n1 rows rejected listed:\n" in rejected and ": OK (on_error: reject)" in rejected
    structural = ValidationReport(tmp_path, on_error="reject", structural=[Problem("x.csv", None, None, "missing")],
                                  row_problems=[row]).render()
    assert "\n2 problems listed:\n" in structural


def test_findings_of_one_column_and_reason_are_merged_by_union():
    from sna_lib.data.validate import _Finding, _merge

    a = _Finding("age", "must be between 0 and 90", np.array([True, False, False, False]))
    b = _Finding("age", "must be between 0 and 90", np.array([False, False, True, False]))
    c = _Finding("age", "is not a whole number", np.array([False, True, False, False]))
    merged = _merge([a, b, c])
    assert [(f.column, f.reason) for f in merged] == [("age", "must be between 0 and 90"),
                                                      ("age", "is not a whole number")]
    assert merged[0].mask.tolist() == [True, False, True, False]      # rows 1 and 3: either finding
    assert merged[1].mask.tolist() == [False, True, False, False]
