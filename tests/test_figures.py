"""``sna figures`` reads the publication store only: every exported number is a published cell of
that area, a withheld cell is exported as the marker, and the section figures equal independent
pandas counts from the raw records.

The exports run on ``store_only_dir`` (config, boundaries and the store, no records), so an export
that reached the records would fail to load there. The store is read back here with pyarrow, not
through ``PublishedStore``. The open-data store's export: ``tests/test_publication_open.py``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from importlib import resources

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sna_lib.errors import DataValidationError
from sna_lib.book.stores import export_figures

REF = pd.read_csv(resources.files("sna_lib").joinpath("reference", "offences.csv"), dtype=str,
                  keep_default_na=False)
MARKER = "[c]"


@pytest.fixture(scope="module")
def cells(store_only_dir):
    """cells.parquet of the store, read independently of the library's store reader."""
    return pq.read_table(store_only_dir / "published" / "cells.parquet").to_pandas()


@pytest.fixture(scope="module")
def county_json(store_only_dir):
    return export_figures(store_only_dir, "county", "json")


@pytest.fixture(scope="module")
def csps(cells):
    return sorted(set(cells["area"]) - {"county"})


def _raw(demo_dir):
    return pd.read_parquet(demo_dir / "crimes.parquet"), pd.read_parquet(demo_dir / "persons.parquet")


def _csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def test_json_is_deterministic_sorted_and_has_the_section_figures(store_only_dir, county_json):
    assert export_figures(store_only_dir, "county", "json") == county_json
    figs = json.loads(county_json)["figures"]
    assert list(figs) == sorted(figs)
    for key in ["section3.volumes.all_crime.volume", "section3.shares.domestic_abuse.pct_of_crime",
                "section3.people.suspects.previous_five_years_pct", "section5.harm.harm_ratio",
                "section5.harm.victims_equivalent", "section8.table_A.non_domestic_homicide.p_value",
                "section8.table_D.u25_hospital.pct_change", "section8.table_E.knife_homicide.after",
                "section8.table_A.knife_sv.after_period", "section11.suspects.age_features.incline_start",
                "section11.suspects.under_25_pct", "section11.suspects.origin.outside_county_pct",
                "section11.suspects.domestic_abuse_link_pct", "section11.overlap.pct_of_victims",
                "meta.rolling_end", "meta.sv_definition", "meta.disclosure"]:
        assert key in figs, key


def assert_export_is_the_store(figs: dict, rows: list[dict], cells: pd.DataFrame, area: str) -> None:
    """``figs`` (JSON) and ``rows`` (CSV) of ``area`` are its store cells, one row each: a published
    cell's number exactly, a withheld cell only as the marker, no other number anywhere."""
    assert [r["figure"] for r in rows] == list(figs)
    mine = cells[cells["area"] == area].set_index(["table", "row", "column"])
    seen = set()
    for r in rows:
        value = figs[r["figure"]]
        if not r["table"]:  # a label or meta entry: text, never a number (the period year aside)
            assert not _is_number(value) or r["figure"] == "meta.reporting_year", r
            continue
        where = (r["table"], r["row"], r["column"])
        cell = mine.loc[where]
        seen.add(where)
        if not bool(cell["published"]):
            assert value == MARKER and r["value"] == MARKER, (area, where, value)
        elif math.isnan(cell["value"]):
            assert value is None and r["value"] == "", (area, where, value)
        else:
            assert _is_number(value) and value == cell["value"], (area, where, value, cell["value"])
            assert float(r["value"]) == value
    assert seen == set(mine.index), f"{area}: cells missing from the export"
    assert (~mine["published"]).sum() == sum(v == MARKER for v in figs.values())


def test_every_number_is_a_published_cell_and_withheld_cells_are_the_marker(store_only_dir, cells, csps):
    for area in ["county", *csps[:3]]:
        figs = json.loads(export_figures(store_only_dir, area, "json"))["figures"]
        assert_export_is_the_store(figs, _csv_rows(export_figures(store_only_dir, area, "csv")), cells, area)
        if area != "county":
            assert MARKER in figs.values()  # the CSPs do have withheld cells


def test_csv_neutralises_text_and_matches_json(store_only_dir, county_json):
    figs = json.loads(county_json)["figures"]
    rows = _csv_rows(export_figures(store_only_dir, "county", "csv"))
    for r in rows:
        v = figs[r["figure"]]
        if isinstance(v, bool):
            assert r["value"] == str(v).lower()
        elif _is_number(v):
            assert float(r["value"]) == v
        elif v is not None and not v[:1] in "=+-@\t\r":
            assert r["value"] == v


def test_section_figures_match_independent_computation(demo_dir, store_only_dir, county_json):
    figs = json.loads(county_json)["figures"]
    crimes, persons = _raw(demo_dir)
    year = int(figs["meta.reporting_year"])
    c = crimes[pd.to_datetime(crimes["date"]).dt.year == year].merge(
        REF[["offence_code", "offence_group", "cchi_days"]], on="offence_code", how="left")
    assert figs["section3.volumes.all_crime.volume"] == len(c)
    violence = c["offence_group"].isin(["homicide", "death or serious injury by unlawful driving",
                                        "violence with injury", "violence without injury",
                                        "stalking and harassment"])
    assert figs["section3.volumes.all_violence.volume"] == int(violence.sum())
    sv = (c["offence_group"].isin(["homicide", "violence with injury", "robbery", "sexual offences"])
          & c[["knife", "firearm", "other_weapon", "county_lines", "gang"]].astype(bool).any(axis=1)
          & ~c["domestic_abuse"].astype(bool) & (c["location_type"] == "public"))
    assert figs["section3.volumes.serious_violence_partnership.volume"] == int(sv.sum())
    assert figs["section5.harm.offences"] == int(sv.sum())
    w = c["cchi_days"].astype(float)
    assert figs["section5.harm.harm_ratio"] == pytest.approx(w[sv].mean() / w.mean(), abs=0.05)  # 1 decimal
    assert figs["section5.harm.mean_harm_all"] == pytest.approx(w.mean(), abs=0.05)
    linked = persons[persons["crime_id"].isin(set(c.loc[sv, "crime_id"]))]
    assert figs["section5.harm.unique_suspects"] == linked.loc[linked["role"] == "suspect", "person_id"].nunique()
    assert figs["section3.people.victims.unique"] == linked.loc[linked["role"] == "victim", "person_id"].nunique()
    assert figs["section3.shares.domestic_abuse.volume"] == int(c["domestic_abuse"].astype(bool).sum())
    # key measures: the rolling 12 months and the homicide baseline financial year, by hand
    d = pd.to_datetime(crimes["date"])
    # the ONS knife offence list of definitions/knife_enabled.yaml, knife flag, no domestic abuse
    codes = ["1", "4.1", "4.2", "2", "3B", "5A", "5D", "8F", "8G", "8N", "8P", "8S", "34A", "34B", "19C", "19D",
             "19E", "19F", "19G", "19H", "17A", "17B", "20A", "20B"]
    knife_sv = (crimes["offence_code"].isin(codes) & crimes["knife"].astype(bool)
                & ~crimes["domestic_abuse"].astype(bool)).to_numpy()
    end = pd.Timestamp(figs["meta.rolling_end"])
    latest = ((d > end - pd.DateOffset(years=1)) & (d <= end)).to_numpy()
    assert figs["section8.table_A.knife_sv.after"] == int((knife_sv & latest).sum())
    assert figs["section8.table_A.knife_sv.after_period"] == (
        f"{(end - pd.DateOffset(years=1) + pd.DateOffset(days=1)):%b %Y} – {end:%b %Y}")


def test_csp_export_withholds_every_small_count(demo_dir, store_only_dir, csps):
    """Counted by hand per CSP: a context volume of 1–7 is never exported, whatever the key."""
    crimes, _ = _raw(demo_dir)
    geo = pd.read_parquet(demo_dir / "geography.parquet")
    year = None
    small = checked = 0
    for area in csps:
        figs = json.loads(export_figures(store_only_dir, area, "json"))["figures"]
        year = int(figs["meta.reporting_year"])
        lsoas = set(geo.loc[geo["area"] == area, "lsoa_code"])
        c = crimes[crimes["lsoa_code"].isin(lsoas) & (pd.to_datetime(crimes["date"]).dt.year == year)]
        counts = {"section3.volumes.all_crime.volume": len(c),
                  "section3.shares.domestic_abuse.volume": int(c["domestic_abuse"].astype(bool).sum())}
        sv = c.merge(REF[["offence_code", "offence_group"]], on="offence_code", how="left")
        counts["section3.volumes.serious_violence_partnership.volume"] = int(
            (sv["offence_group"].isin(["homicide", "violence with injury", "robbery", "sexual offences"])
             & sv[["knife", "firearm", "other_weapon", "county_lines", "gang"]].astype(bool).any(axis=1)
             & ~sv["domestic_abuse"].astype(bool) & (sv["location_type"] == "public")).sum())
        for key, n in counts.items():
            checked += 1
            if 1 <= n <= 7:
                small += 1
                assert figs[key] == MARKER, (area, key, n)
                assert figs[key.removesuffix(".volume") + ".pct_of_crime"] == MARKER
            else:
                assert figs[key] in (n, MARKER), (area, key, n, figs[key])  # secondary suppression allowed
    assert checked == 3 * len(csps) and small > 0


def test_export_follows_the_store_not_the_records(store_only_dir, tmp_path, cells):
    """Change one published cell in a copy of the store: the export changes with it."""
    data = tmp_path / "data"
    shutil.copytree(store_only_dir, data)
    frame = cells.copy()
    i = frame.index[(frame["table"] == "context.crime") & (frame["area"] == "county")
                    & (frame["row"] == "All crime") & (frame["column"] == "volume")][0]
    frame.loc[i, "value"] += 1000
    frame.loc[i, "display"] = "changed"
    import pyarrow as pa

    schema = pq.read_schema(store_only_dir / "published" / "cells.parquet")
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), data / "published" / "cells.parquet")
    before = json.loads(export_figures(store_only_dir, "county"))["figures"]["section3.volumes.all_crime.volume"]
    after = json.loads(export_figures(data, "county"))["figures"]["section3.volumes.all_crime.volume"]
    assert after == before + 1000


def test_unknown_area_and_format(store_only_dir):
    with pytest.raises(DataValidationError, match="unknown area"):
        export_figures(store_only_dir, "Atlantis")
    with pytest.raises(ValueError):
        export_figures(store_only_dir, "county", "xml")


def test_export_and_notebook_setup_read_the_config_once(store_only_dir, monkeypatch, tmp_path):
    # sna figures checks the area against config.csps and then resolves the store; a notebook's
    # setup checks the area and applies the period: each passes the config it read along
    import sna_lib.data.config
    from sna_lib.book import nbhelpers as nb

    read, real = [], sna_lib.data.config.load_config
    monkeypatch.setattr(sna_lib.data.config, "load_config", lambda folder: read.append(str(folder)) or real(folder))
    export_figures(store_only_dir, "county", "csv")
    assert read == [str(store_only_dir)]
    read.clear()
    ctx = nb.setup("county", store_only_dir, tmp_path, as_of=None)
    assert read == [str(store_only_dir)] and ctx.store_dir == store_only_dir / "published"
