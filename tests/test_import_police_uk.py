"""Importer unit tests on hand-made inputs (tests/open_fixtures.py); no shared data needed."""

from __future__ import annotations

import gzip
import hashlib
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

import open_fixtures as fx
from sna_lib.cli import main
from sna_lib.data.dataset import load_dataset
from sna_lib.errors import DataValidationError
from sna_lib.data.importers.nonresidential import flag_non_residential
from sna_lib.data.importers.police_uk import import_police_uk
from sna_lib.data.validate import validate_dir


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("open-inputs")
    kw = fx.write_inputs(root / "in")
    fx.write_street_dir(root / "street")
    return root, kw


@pytest.fixture(scope="module")
def imported(inputs, tmp_path_factory):
    root, kw = inputs
    out = tmp_path_factory.mktemp("open-out") / "testshire"
    result = import_police_uk(out, street=[root / "street"], **kw)
    return result, out


def test_every_row_is_used_or_rejected_with_its_reason(imported):
    result, out = imported
    assert result.read == fx.EXPECTED["read"]
    assert result.used == {"crimes": fx.EXPECTED["crimes"], "asb": fx.EXPECTED["asb"]}
    assert dict(result.rejected) == fx.EXPECTED["rejected"]
    assert result.reconciles()
    log = pd.read_csv(out / "import_log.csv")
    assert int(log["rows"].sum()) == fx.EXPECTED["read"]
    by_reason = log[log["outcome"] == "rejected"].groupby("reason")["rows"].sum().to_dict()
    assert by_reason == fx.EXPECTED["rejected"]


def test_rejections_name_file_column_and_row(imported):
    result, out = imported
    rows = pd.read_csv(out / "rejected_rows.csv", keep_default_na=False)
    assert list(rows.columns) == ["source_file", "row", "table", "month", "reason", "column", "detail"]
    # every rejected row, once, at the position the fixture comments give (tests/open_fixtures.py)
    got = set(zip(rows["source_file"], rows["column"], rows["row"], rows["reason"]))
    jan, feb = "2020-01-testshire-street.csv", "2020-02-testshire-street.csv"
    assert got == {
        (jan, "LSOA code", 4, "no location: police.uk gives no LSOA for this record"),
        (jan, "LSOA code", 5, "LSOA outside the force area"),
        (jan, "LSOA code", 6, "LSOA code is not in the ONS lookup"),
        (jan, "Crime type", 7, "unknown police.uk crime type"),
        (jan, "Month", 8, "Month differs from the file's month"),
        (jan, "", 10, "row could not be parsed (wrong number of fields)"),
        (feb, "Crime ID", 1, "duplicate Crime ID"),
    }
    assert len(rows) == result.n_rejected == sum(fx.EXPECTED["rejected"].values())
    assert rows.groupby("reason").size().to_dict() == fx.EXPECTED["rejected"]
    assert rows.set_index("row").loc[5, "detail"] == "E01900005 'Gamma 001A'"
    assert result.rejected_file == out / "rejected_rows.csv"
    assert {p.row for p in result.examples["duplicate Crime ID"]} == {1}


def test_import_summary_counts_reasons_and_shows_a_few_examples(inputs, tmp_path, capsys):
    """The CLI prints counts by reason with at most MAX_LISTED examples each and names the
    file holding every rejected row (which has them all, here 45 rows outside the force)."""
    root, kw = inputs
    street = tmp_path / "street" / "2020-05"
    street.mkdir(parents=True)
    rows = [fx._row(f"o{i}", "2020-05", "E01900005", "Drugs") for i in range(45)]
    rows += [fx._row("in1", "2020-05", "E01900001", "Robbery"), fx._row("nl", "2020-05", "", "Burglary")]
    (street / "2020-05-testshire-street.csv").write_text(fx.HEADER + "\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    args = ["import", "police-uk", "--street", str(tmp_path / "street"), "--boundaries", str(kw["boundaries"]),
            "--lookup", *map(str, kw["lookups"]), "--population", *map(str, kw["population"]),
            "--census", str(kw["census"]), "--force", "testshire", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "street rows read 47 = crimes 1 + ASB 0 + rejected 46" in text
    assert f"every one is listed in {out / 'rejected_rows.csv'}" in text
    lines = text.splitlines()
    outside = next(i for i, line in enumerate(lines) if "LSOA outside the force area" in line)
    assert lines[outside].split()[:1] == ["45"] and "(crimes 45)" in lines[outside]
    examples = [line for line in lines if line.strip().startswith("e.g.")]
    assert len(examples) == 3 + 1                      # 3 of the 45, and the one no-location row
    assert lines[outside + 1].strip() == "e.g. 2020-05-testshire-street.csv, column 'LSOA code', row 1: E01900005 'Gamma 001A'"
    listed = pd.read_csv(out / "rejected_rows.csv", keep_default_na=False)
    assert listed["row"].tolist() == list(range(1, 46)) + [47]
    assert (listed["reason"] == "LSOA outside the force area").sum() == 45


def test_rejected_rows_file_neutralises_formula_cells(tmp_path):
    from sna_lib.data.importers.police_uk import REJECTED_COLUMNS, _write_rejected

    part = pd.DataFrame({"source_file": ["f.csv", "f.csv"], "row": [2, 1], "table": "crimes", "month": "2020-01",
                         "reason": "LSOA code is not in the ONS lookup", "column": "LSOA code",
                         "detail": ["=HYPERLINK(\"http://x\")", "-3"]}, columns=REJECTED_COLUMNS)
    _write_rejected([part], tmp_path / "r.csv")
    back = pd.read_csv(tmp_path / "r.csv", keep_default_na=False, dtype=str)
    assert back["row"].tolist() == ["1", "2"]                              # sorted by file and row
    assert back["detail"].tolist() == ["-3", "'=HYPERLINK(\"http://x\")"]   # number kept, formula made text


def test_output_validates_and_loads_at_open_level(imported):
    _, out = imported
    report = validate_dir(out)
    assert report.ok, report.render()
    ds = load_dataset(out)
    assert ds.data_level == "open"
    assert sorted(ds.crimes["crime_id"]) == ["c1", "c10", "c11", "c2", "c8", "c9"]
    assert ds.crimes.set_index("crime_id").loc["c11", "category"] == "violence_and_sexual_offences"
    assert (ds.crimes["date"] == ds.crimes["month"]).all()
    assert ds.asb["incident_id"].tolist() == ["2020-01-asb-000003", "2020-02-asb-000003"]
    assert ds.config.csps == ("Alpha", "Beta") and ds.config.definitions == ("open_data_proxy",)
    assert ds.geography.set_index("lsoa_code")["area"].to_dict() == {
        "E01900001": "Alpha", "E01900002": "Alpha", "E01900003": "Beta", "E01900004": "Beta"}


def test_missing_month_is_recorded(imported):
    _, out = imported
    ds = load_dataset(out)
    assert ds.config.coverage.first_month == "2020-01" and ds.config.coverage.last_month == "2020-04"
    assert ds.config.coverage.missing_months == ("2020-03",)
    assert sorted(ds.crimes["month"].dt.strftime("%Y-%m").unique()) == ["2020-01", "2020-02", "2020-04"]


def test_boundaries_reprojected_and_islands_kept(imported, inputs):
    _, out = imported
    geo = gpd.read_parquet(out / "geography.parquet").set_index("lsoa_code")
    assert geo.crs.to_epsg() == 27700
    island = geo.loc["E01900004", "geometry"]
    assert island.geom_type == "MultiPolygon" and len(island.geoms) == 2
    # independent check: geodesic area of the WGS84 rings (pyproj Geod) vs planar BNG area
    geod = Geod(ellps="WGS84")
    for code, (kind, coords) in fx.SHAPES.items():
        if code == "E01900005":
            continue
        polys = coords if kind == "MultiPolygon" else [coords]
        geodesic = sum(abs(geod.polygon_area_perimeter(*zip(*p[0]))[0]) for p in polys)
        assert geo.loc[code, "geometry"].area == pytest.approx(geodesic, rel=0.002)


def test_population_from_nearest_estimate_with_tie_to_earlier(imported):
    _, out = imported
    pop = pd.read_parquet(out / "population.parquet")
    assert set(pop["year"]) == {2020} and set(pop["estimate_year"]) == {2019}  # 2019 and 2021 equally near
    per_lsoa = pop.groupby("lsoa_code")["population"].sum().to_dict()
    assert per_lsoa == {c: 91 * n for c, n in fx.POP_PER_AGE[2019].items() if c != "E01900005"}
    assert "mid-2019" in (out / "PROVENANCE.md").read_text(encoding="utf-8")


def test_ts011_moved_to_2011_lsoas_through_the_lookup(imported):
    _, out = imported
    dep = pd.read_csv(out / "census_deprivation.csv").set_index("lsoa_code")
    for code, counts in fx.TS011_EXPECTED.items():
        assert dep.loc[code, [f"deprived_{k}" for k in range(5)]].tolist() == counts
        assert dep.loc[code, "households"] == sum(counts)
    # the merged 2021 LSOA's households are kept in total
    assert dep.loc[["E01900003", "E01900004"], "households"].sum() == sum(fx.TS011["E01900013"])


def test_imd_imported(imported):
    _, out = imported
    imd = pd.read_csv(out / "imd.csv").set_index("lsoa_code")
    assert imd.loc["E01900003", "imd_rank"] == 300 and imd.loc["E01900003", "imd_decile"] == 3
    assert imd.loc["E01900003", "income_rank"] == 7


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_folder_zip_and_gz_inputs_give_identical_bytes(inputs, imported, tmp_path):
    root, kw = inputs
    _, out = imported
    fx.write_street_dir(tmp_path / "gz", gz=True)
    zipped = fx.write_street_zip(tmp_path / "download.zip")
    from_gz = import_police_uk(tmp_path / "a", street=[tmp_path / "gz"], validate=False, **kw)
    from_zip = import_police_uk(tmp_path / "b", street=[zipped], validate=False, **kw)
    assert from_gz.reconciles() and from_zip.reconciles()
    assert _digests(tmp_path / "a") == _digests(out) == _digests(tmp_path / "b")


def test_single_gz_files_can_be_given(inputs, tmp_path):
    root, kw = inputs
    files = []
    for month in fx.STREET:
        path = tmp_path / f"{month}-testshire-street.csv.gz"
        path.write_bytes(gzip.compress(fx.street_text(month).encode()))
        files.append(path)
    result = import_police_uk(tmp_path / "out", street=files, validate=False, **kw)
    assert result.used == {"crimes": 6, "asb": 2}


def test_month_given_twice_is_refused(inputs, tmp_path):
    root, kw = inputs
    zipped = fx.write_street_zip(tmp_path / "download.zip")
    with pytest.raises(DataValidationError, match="given twice"):
        import_police_uk(tmp_path / "out", street=[root / "street", zipped], **kw)
    assert not (tmp_path / "out").exists()


def test_cli_reports_a_broken_street_file_without_traceback(inputs, tmp_path, capsys):
    root, kw = inputs
    street = tmp_path / "street" / "2020-01"
    street.mkdir(parents=True)
    (street / "2020-01-testshire-street.csv").write_text("Crime ID,Month,Location\nx,2020-01,y\n", encoding="utf-8")
    args = ["import", "police-uk", "--street", str(tmp_path / "street"), "--boundaries", str(kw["boundaries"]),
            "--lookup", *map(str, kw["lookups"]), "--population", *map(str, kw["population"]),
            "--census", str(kw["census"]), "--force", "testshire", "--out", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "2020-01-testshire-street.csv" in err and "lsoacode" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_imports_and_unknown_force_is_an_error(inputs, tmp_path, capsys):
    root, kw = inputs
    base = ["import", "police-uk", "--street", str(root / "street"), "--boundaries", str(kw["boundaries"]),
            "--lookup", *map(str, kw["lookups"]), "--population", *map(str, kw["population"]),
            "--census", str(kw["census"]), "--out", str(tmp_path / "out")]
    assert main(base + ["--force", "Testshire"]) == 0
    assert "street rows read 15 = crimes 6 + ASB 2 + rejected 7" in capsys.readouterr().out
    assert main(base + ["--force", "nowhere"]) == 2
    assert "force 'nowhere' is not in the lookup" in capsys.readouterr().err


def test_refuses_to_overwrite_a_folder_that_is_not_an_import(inputs, tmp_path):
    root, kw = inputs
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(Exception, match="not an earlier police.uk import"):
        import_police_uk(tmp_path / "out", street=[root / "street"], **kw)
    assert (tmp_path / "out" / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("at_site, other, flagged", [(50, 50, True), (49, 0, False), (60, 61, False), (100, 0, True)])
def test_non_residential_rule_thresholds(at_site, other, flagged):
    crimes = pd.DataFrame({"lsoa_code": ["A"] * (at_site + other),
                           "location": ["On or near Airport/Airfield"] * at_site + ["On or near Mill Lane"] * other})
    out = flag_non_residential(crimes, pd.Index(["A", "B"]))
    assert out["non_residential"].tolist() == [flagged, False]
    if flagged:
        assert "Airport/Airfield" in out.loc[0, "non_residential_reason"]


def test_non_residential_ignores_town_centre_sites():
    crimes = pd.DataFrame({"lsoa_code": ["A"] * 100, "location": ["On or near Shopping Area"] * 100})
    assert not flag_non_residential(crimes, pd.Index(["A"]))["non_residential"].any()


def test_source_reconciliation_table_and_validate_summary(imported):
    from sna_lib.data.data_level import source_reconciliation

    _, out = imported
    table = source_reconciliation(load_dataset(out).import_log).set_index("source_file")
    assert table.loc["All files", ["read", "used_crimes", "used_asb", "rejected"]].tolist() == [15, 6, 2, 7]
    jan = table.loc["2020-01-testshire-street.csv"]
    assert (jan["read"], jan["used_crimes"], jan["used_asb"], jan["rejected"]) == (10, 3, 1, 6)
    assert jan["rejected: LSOA outside the force area"] == 1
    text = validate_dir(out).render()
    assert "Source rows (import_log): read 15 = crimes 6 + ASB 2 + rejected 7" in text


def test_2021_boundaries_take_2011_coded_records_through_the_lookup(inputs, tmp_path):
    """2021 boundaries + 2021 population/census; police.uk rows still coded to 2011 LSOAs."""
    import json

    from shapely.geometry import box, mapping
    from shapely.ops import unary_union

    root, kw = inputs
    sq = {c: box(*(lambda r: (r[0][0], r[0][1], r[2][0], r[2][1]))(coords[0])) for c, (kind, coords) in fx.SHAPES.items()
          if kind == "Polygon"}
    island = [box(0.51, 51.71, 0.52, 51.72), box(0.60, 51.60, 0.602, 51.602)]
    shapes21 = {"E01900001": sq["E01900001"], "E01900011": box(0.51, 51.70, 0.515, 51.71),
                "E01900012": box(0.515, 51.70, 0.52, 51.71),
                "E01900013": unary_union([sq["E01900003"], *island]), "E01900005": sq["E01900005"]}
    features = [{"type": "Feature", "properties": {"LSOA21CD": c, "LSOA21NM": c}, "geometry": mapping(g)}
                for c, g in shapes21.items()]
    (tmp_path / "lsoa21.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    ages = [str(a) for a in range(90)] + ["90+"]
    lines = ["lsoa21_code,total_population," + ",".join(ages)] + [f"{c},91," + ",".join(["1"] * 91) for c in shapes21]
    (tmp_path / "sape_mid2021_lsoa21.csv").write_text("\n".join(lines) + "\n")
    street = tmp_path / "street" / "2021-06"
    street.mkdir(parents=True)
    rows = [fx._row("k1", "2021-06", "E01900001", "Robbery"),                               # unchanged
            fx._row("k2", "2021-06", "E01900002", "Robbery", lon="0.512", lat="51.705"),    # split → E01900011
            fx._row("k3", "2021-06", "E01900002", "Robbery", lon="0.518", lat="51.705"),    # split → E01900012
            fx._row("k4", "2021-06", "E01900002", "Robbery", lon="0.505", lat="51.705"),    # split, lies in 001
            fx._row("k5", "2021-06", "E01900004", "Drugs"),                                 # merged → E01900013
            fx._row("k6", "2021-06", "E01900005", "Drugs")]                                 # other force
    (street / "2021-06-testshire-street.csv").write_text(fx.HEADER + "\n" + "\n".join(rows) + "\n")
    lines = ["lsoa21_code,households_number_deprivation_dimensions,count"] + [
        f"{c},{k},1" for c in shapes21 for k in range(5)]
    (tmp_path / "ts011.csv").write_text("\n".join(lines) + "\n")
    result = import_police_uk(tmp_path / "out", street=[tmp_path / "street"], boundaries=tmp_path / "lsoa21.geojson",
                              lookups=kw["lookups"], population=[tmp_path / "sape_mid2021_lsoa21.csv"],
                              census=tmp_path / "ts011.csv", force="testshire")
    ds = load_dataset(tmp_path / "out")
    assert ds.crimes.set_index("crime_id")["lsoa_code"].to_dict() == {
        "k1": "E01900001", "k2": "E01900011", "k3": "E01900012", "k5": "E01900013"}
    assert dict(result.rejected) == {"2011 LSOA split in 2021: the location is in none of its 2021 LSOAs": 1,
                                     "LSOA outside the force area": 1}
    assert ds.geography.set_index("lsoa_code")["area"].to_dict() == {
        "E01900001": "Alpha", "E01900011": "Alpha", "E01900012": "Alpha", "E01900013": "Beta"}
    assert ds.geography.set_index("lsoa_code").geometry["E01900013"].geom_type == "MultiPolygon"


@pytest.mark.parametrize("fmt", ["gpkg", "shp.zip"])
def test_geopackage_and_zipped_shapefile_boundaries_give_the_same_geography(inputs, imported, tmp_path, fmt):
    import zipfile as zf

    root, kw = inputs
    _, out = imported
    frame = gpd.read_file(kw["boundaries"])
    if fmt == "gpkg":
        path = tmp_path / "lsoa.gpkg"
        frame.to_file(path, driver="GPKG")
    else:
        frame.to_file(tmp_path / "lsoa.shp")
        path = tmp_path / "lsoa.zip"
        with zf.ZipFile(path, "w") as archive:
            for part in tmp_path.glob("lsoa.*"):
                if part.suffix != ".zip":
                    archive.write(part, part.name)
    import_police_uk(tmp_path / "out", street=[root / "street"], validate=False, **{**kw, "boundaries": path})
    got = gpd.read_parquet(tmp_path / "out" / "geography.parquet").set_index("lsoa_code")
    want = gpd.read_parquet(out / "geography.parquet").set_index("lsoa_code")
    assert got.index.tolist() == want.index.tolist() and got.crs.to_epsg() == 27700
    # GeoPackage layers promote Polygon to MultiPolygon: compare the shapes, not the type
    assert all(got.geometry.normalize().geom_equals(want.geometry.normalize()))
    assert got.geometry.area.tolist() == pytest.approx(want.geometry.area.tolist(), rel=1e-9)


def test_self_intersecting_boundary_is_repaired_to_a_valid_polygon(inputs, tmp_path):
    import json

    root, kw = inputs
    data = json.loads(kw["boundaries"].read_text())
    # a bow-tie ring for E01900001: two triangles touching at the centre
    data["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [
        [[0.50, 51.70], [0.51, 51.71], [0.51, 51.70], [0.50, 51.71], [0.50, 51.70]]]}
    path = tmp_path / "bowtie.geojson"
    path.write_text(json.dumps(data))
    result = import_police_uk(tmp_path / "out", street=[root / "street"], **{**kw, "boundaries": path})
    geo = gpd.read_parquet(tmp_path / "out" / "geography.parquet").set_index("lsoa_code")
    shape = geo.loc["E01900001", "geometry"]
    assert shape.is_valid and shape.geom_type == "MultiPolygon" and len(shape.geoms) == 2
    assert result.reconciles()


def test_qs119_at_2011_lsoas_is_used_as_published(inputs, tmp_path):
    root, kw = inputs
    counts = {"E01900001": [5, 4, 3, 2, 1], "E01900002": [1, 1, 1, 1, 1], "E01900003": [0, 0, 0, 0, 9],
              "E01900004": [2, 0, 2, 0, 2], "E01900005": [9, 9, 9, 9, 9]}
    lines = ["lsoa11_code,households_number_deprivation_dimensions,count,proportion"] + [
        f"{c},{k},{n},0.2" for c, row in counts.items() for k, n in enumerate(row)]
    path = tmp_path / "qs119.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    result = import_police_uk(tmp_path / "out", street=[root / "street"], **{**kw, "census": path})
    dep = pd.read_csv(tmp_path / "out" / "census_deprivation.csv").set_index("lsoa_code")
    assert dep.index.tolist() == ["E01900001", "E01900002", "E01900003", "E01900004"]
    for code in dep.index:
        assert dep.loc[code, [f"deprived_{k}" for k in range(5)]].tolist() == counts[code]
    assert any("used as published" in m for m in result.methods)


def test_census_with_a_bad_count_names_file_column_and_row(inputs, tmp_path):
    root, kw = inputs
    text = kw["census"].read_text().splitlines()
    text[3] = text[3].replace(",3,", ",three,")  # data row 3
    path = tmp_path / "ts011.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DataValidationError) as info:
        import_police_uk(tmp_path / "out", street=[root / "street"], **{**kw, "census": path})
    problem = info.value.problems[0]
    assert (problem.file, problem.column, problem.row) == ("ts011.csv", "count", 3)


def test_hostile_street_cells_are_rejected_or_neutralised(inputs, tmp_path):
    root, kw = inputs
    street = tmp_path / "street" / "2020-05"
    street.mkdir(parents=True)
    rows = [fx._row("=HYPERLINK(\"http://x\")", "2020-05", "E01900001", "Robbery"),      # formula id: rejected
            fx._row("a" * 65, "2020-05", "E01900001", "Robbery"),                          # too long: rejected
            fx._row("h1", "2020-05", "E01900001", "Robbery", location="=cmd|' /C calc'!A0"),  # kept, text blanked
            fx._row("h2", "2020-05", "E01900002", "Drugs", location="@SUM(A1)")]           # kept, text blanked
    (street / "2020-05-testshire-street.csv").write_text(fx.HEADER + "\n" + "\n".join(rows) + "\n")
    result = import_police_uk(tmp_path / "out", street=[tmp_path / "street"], **kw)
    assert result.rejected == {"Crime ID is not a police.uk id (over 64 characters, or starts like a spreadsheet "
                               "formula)": 2}
    crimes = load_dataset(tmp_path / "out").crimes.set_index("crime_id")
    assert crimes.index.tolist() == ["h1", "h2"] and crimes["location"].isna().all()
    assert any("2 police.uk location texts" in m for m in result.methods)


def test_formula_in_a_boundary_name_is_an_input_error(inputs, tmp_path):
    import json

    root, kw = inputs
    data = json.loads(kw["boundaries"].read_text())
    data["features"][1]["properties"]["LSOA11NM"] = "=1+1"
    path = tmp_path / "lsoa.geojson"
    path.write_text(json.dumps(data))
    with pytest.raises(DataValidationError) as info:
        import_police_uk(tmp_path / "out", street=[root / "street"], **{**kw, "boundaries": path})
    assert (info.value.problems[0].file, info.value.problems[0].column) == ("lsoa.geojson", "lsoa_name")
