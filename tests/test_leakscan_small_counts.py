"""Leak scan: small counts in the published store and its exports; hex colours are not grid references."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sna_lib.publication.leakscan import LeakRules, scan_small_counts, scan_text
from sna_lib.publication.cells import CellBuilder, declare_frame
from sna_lib.publication.control import control
from sna_lib.publication.store import PublishedStore, write_store


def test_theme_hex_colours_are_not_british_national_grid_pairs():
    # the national-scale failure of issue 10: the theme stylesheet's greys read as easting, northing
    css = ":root{--pst-color-text-muted:#616161;--pst-color-background:#121212} a{color:#616161}"
    rules = LeakRules()  # Great Britain bounding boxes
    assert [f for f in scan_text(css, rules=rules) if f.kind == "coordinate"] == []
    assert scan_text("&#616161; &#121212;", rules=rules) == []
    # a real grid reference is still found
    assert [f.kind for f in scan_text("grid ref 571234 205678", rules=rules)] == ["coordinate"]


@pytest.fixture()
def store(tmp_path) -> PublishedStore:
    b = CellBuilder()
    t = pd.DataFrame({"people": [61, 30, 91], "repeats": [3, 40, 43], "records": [64, 70, 134]},
                     index=["Suspects", "Victims", "All"])
    declare_frame(b, t, table="people", area="North", count_columns=["people", "repeats", "records"],
                  total_row="All", total_col="records")
    b.count(table="people", area="county", row="Suspects", column="repeats", value=5)  # county: publishable
    cells, relations = b.frame()
    write_store(tmp_path / "store", control(cells, relations), relations, {})
    return PublishedStore(tmp_path / "store")


def _long_export(store: PublishedStore) -> pd.DataFrame:
    return store.cells[["table", "area", "row", "column", "display"]].copy()


def test_clean_store_and_exports_pass(store, tmp_path):
    long = _long_export(store)
    long.to_csv(tmp_path / "long.csv", index=False)
    (tmp_path / "long.json").write_text(json.dumps(long.to_dict(orient="records")))
    store.display_table("people", "North").to_csv(tmp_path / "wide.csv")
    report = scan_small_counts(store, [tmp_path / "long.csv", tmp_path / "long.json", tmp_path / "wide.csv"],
                               mapping={"wide.csv": ("people", "North")})
    assert report.ok, report.render()
    assert report.files_scanned == 3 and report.files_skipped == []


def test_withheld_value_shown_in_its_place_is_found(store, tmp_path):
    wide = store.display_table("people", "North")
    assert wide.loc["Suspects", "repeats"] == "[c]"
    wide.loc["Suspects", "repeats"] = "3"  # a page built from raw data instead of the store
    wide.to_csv(tmp_path / "wide.csv")
    report = scan_small_counts(store, [tmp_path], mapping={"wide.csv": ("people", "North")})
    assert [(f.kind, f.match) for f in report.findings] == [("small_count", "3")]


def test_a_withheld_complement_shown_is_found_too(store, tmp_path):
    long = _long_export(store)
    hidden = store.cells[~store.cells["published"] & (store.cells["display"] == "[c]")]
    secondary = hidden[hidden["column"] != "repeats"].iloc[0]
    mask = (long["row"] == secondary["row"]) & (long["column"] == secondary["column"]) & (long["area"] == "North")
    long.loc[mask, "display"] = "61"
    long.to_csv(tmp_path / "long.csv", index=False)
    kinds = [f.kind for f in scan_small_counts(store, [tmp_path / "long.csv"]).findings]
    assert kinds == ["small_count"]


def test_small_count_below_county_in_an_export_and_undeclared_values(store, tmp_path):
    long = _long_export(store)
    extra = pd.DataFrame([{"table": "people", "area": "North", "row": "Suspects", "column": "made up",
                           "display": "12"}])
    pd.concat([long, extra]).to_csv(tmp_path / "long.csv", index=False)
    report = scan_small_counts(store, [tmp_path / "long.csv"])
    assert [f.kind for f in report.findings] == ["undeclared"]
    # the county's 5 is publishable and is not reported
    assert store.value("people", "county", "Suspects", "repeats") == 5


def test_store_publishing_a_small_count_is_found(tmp_path):
    b = CellBuilder()
    b.count(table="t", area="North", row="r", column="n", value=4)
    cells, relations = b.frame()
    out = control(cells, relations)
    out.loc[:, "published"] = True  # control bypassed
    out.loc[:, "display"] = "4"
    out.loc[:, "published_value"] = 4.0
    write_store(tmp_path / "store", out, relations, {})
    report = scan_small_counts(tmp_path / "store")
    assert [(f.kind, f.match) for f in report.findings] == [("small_count", "4")]


def test_unmapped_wide_files_are_listed_as_skipped(store, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    store.display_table("people", "North").to_csv(exports / "wide.csv")
    (exports / "notes.txt").write_text("hello")
    report = scan_small_counts(store, [exports])
    assert report.ok and sorted(p.rsplit("/", 1)[-1] for p in report.files_skipped) == ["notes.txt", "wide.csv"]


# ------------------------------------------------------------------ session-6 mutation survivors
def test_withheld_finding_names_the_cell(store, tmp_path):
    wide = store.display_table("people", "North")
    wide.loc["Suspects", "repeats"] = "3"
    wide.to_csv(tmp_path / "wide.csv")
    (f,) = scan_small_counts(store, [tmp_path / "wide.csv"], mapping={"wide.csv": ("people", "North")}).findings
    assert f.context == "people|North|Suspects|repeats is withheld but shows '3'"


def test_long_exports_with_a_value_column_and_records_after_an_undeclared_one(store, tmp_path):
    # a long export may carry "value" instead of "display"; an undeclared record does not stop the scan
    rows = [{"table": "people", "area": "North", "row": "Suspects", "column": "made up", "value": "12"},
            {"table": "people", "area": "North", "row": "Suspects", "column": "repeats", "value": "3"}]
    (tmp_path / "long.json").write_text(json.dumps(rows))
    pd.DataFrame(rows).to_csv(tmp_path / "long.csv", index=False)
    for name in ("long.json", "long.csv"):
        report = scan_small_counts(store, [tmp_path / name])
        assert [(f.kind, f.match) for f in report.findings] == [("undeclared", "12"), ("small_count", "3")], name


def test_rules_passed_override_the_stores_own(store):
    from sna_lib.publication.disclosure import DisclosureRules

    assert scan_small_counts(store).ok  # the store's rules: county counts are never suppressed
    report = scan_small_counts(store, rules=DisclosureRules(suppress_county=True))
    assert [(f.kind, f.match) for f in report.findings] == [("small_count", "5")]


# ------------------------------------------------------------------ session 8: session 7's fresh-sample survivors
def test_json_exports_records_key_invalid_json_and_other_json(store, tmp_path):
    from sna_lib.publication.leakscan import Finding

    rows = [{"table": "people", "area": "North", "row": "Suspects", "column": "repeats", "display": "3"}]
    (tmp_path / "wrapped.json").write_text(json.dumps({"records": rows}))  # records under a "records" key
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps([{"year": 2023, "n": 3}]))  # not long records
    report = scan_small_counts(store, [tmp_path / "wrapped.json", tmp_path / "broken.json", tmp_path / "other.json"])
    assert [(f.path, f.kind, f.match) for f in report.findings] == [
        (f"{tmp_path / 'wrapped.json'} record 1", "small_count", "3"),
        (str(tmp_path / "broken.json"), "undeclared", "")]
    assert report.findings[1] == Finding(str(tmp_path / "broken.json"), "undeclared", "", "not valid JSON")
    assert report.files_skipped == [str(tmp_path / "other.json")] and report.files_scanned == 3


def test_a_wide_csv_mapped_to_a_table_not_in_the_store_is_undeclared(store, tmp_path):
    from sna_lib.publication.leakscan import Finding

    store.display_table("people", "North").to_csv(tmp_path / "wide.csv")
    report = scan_small_counts(store, [tmp_path / "wide.csv"], mapping={"wide.csv": ("people", "Nowhere")})
    assert report.findings == [Finding(str(tmp_path / "wide.csv"), "undeclared", "people|Nowhere",
                                       "mapped to a table/area not in the store")]


def test_a_long_export_written_with_a_byte_order_mark_is_read(store, tmp_path):
    # spreadsheet programs start a UTF-8 CSV with a BOM: the header must still read "table"
    (tmp_path / "long.csv").write_bytes(
        "\ufefftable,area,row,column,display\npeople,North,Suspects,repeats,3\n".encode("utf-8"))
    report = scan_small_counts(store, [tmp_path / "long.csv"])
    assert [(f.kind, f.match) for f in report.findings] == [("small_count", "3")] and report.files_skipped == []
