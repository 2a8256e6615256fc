"""The publication stage of an open-data book (``data_level: open``) on the hand-made Testshire
force (tests/open_fixtures.py): its numbers against the fixture rows counted by hand, its
disclosure control attacked, and the open pages run where only the store exists.

Testshire after import (see ``open_fixtures.STREET``): six crimes — Alpha: c1 violence (Jan,
E01900001), c2 robbery (Jan, E01900001), c10 shoplifting (Apr, E01900002); Beta: c8 and c9
possession of weapons (Jan, Feb, E01900004), c11 violence (Apr, E01900003) — and two ASB
incidents (Jan Alpha, Feb Beta); March has no file. Here E01900004 (the airfield rows) is
flagged non-residential by hand, as the importer flags Stansted airport on real data.
"""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

import open_fixtures as fx

pytestmark = pytest.mark.xdist_group("open-store")


@pytest.fixture(scope="module")
def open_data(tmp_path_factory):
    """The imported Testshire folder, with the airfield LSOA E01900004 flagged non-residential."""
    from sna_lib.data.importers.police_uk import import_police_uk

    root = tmp_path_factory.mktemp("open-store-in")
    kw = fx.write_inputs(root / "in")
    fx.write_street_dir(root / "street")
    out = root / "testshire"
    import_police_uk(out, street=[root / "street"], **kw)
    import geopandas as gpd

    geo = gpd.read_parquet(out / "geography.parquet")
    flag = (geo["lsoa_code"] == "E01900004").to_numpy()
    geo["non_residential"] = flag
    geo["non_residential_reason"] = geo["non_residential_reason"].astype(object).where(~flag, "airfield (test)")
    geo.to_parquet(out / "geography.parquet", index=False)
    return out


@pytest.fixture(scope="module")
def dataset(open_data):
    from sna_lib.data.dataset import load_dataset

    return load_dataset(open_data)


@pytest.fixture(scope="module")
def declared(dataset):
    from sna_lib.publication.compute import publication_cells

    return publication_cells(dataset)


@pytest.fixture(scope="module")
def copy(open_data, tmp_path_factory):
    """The pipeline's validated copy: the publication stage runs here once, into ``published/``."""
    from sna_lib.book.pipeline import prepare_data

    return prepare_data(open_data, tmp_path_factory.mktemp("open-store-cache"))


@pytest.fixture(scope="module")
def store(copy):
    from sna_lib.publication.store import PublishedStore

    return PublishedStore(copy / "published")


def _values(cells: pd.DataFrame, table: str, area: str, column: str) -> dict:
    t = cells[(cells["table"] == table) & (cells["area"] == area) & (cells["column"] == column)]
    return dict(zip(t["row"], t["value"]))


def test_category_and_month_counts_equal_the_fixture_rows(declared):
    cells, relations, prov = declared
    county = _values(cells, "open.category", "county", "crimes")
    alpha = _values(cells, "open.category", "Alpha", "crimes")
    beta = _values(cells, "open.category", "Beta", "crimes")
    assert (county["proxy"], county["all"]) == (5, 6)
    assert (alpha["violence_and_sexual_offences"], alpha["robbery"], alpha["shoplifting"], alpha["proxy"],
            alpha["all"]) == (1, 1, 1, 2, 3)
    assert (beta["possession_of_weapons"], beta["violence_and_sexual_offences"], beta["proxy"], beta["all"]) == (2, 1, 3, 3)
    assert sum(v for k, v in county.items() if k not in ("proxy", "all")) == 6
    months = {c: _values(cells, "open.monthly", "county", c) for c in ("proxy", "all_crime", "asb")}
    assert [months["proxy"][m] for m in ("2020-01", "2020-02", "2020-04")] == [3, 1, 1]
    assert [months["all_crime"][m] for m in ("2020-01", "2020-02", "2020-04")] == [3, 1, 2]
    assert [months["asb"][m] for m in ("2020-01", "2020-02", "2020-04")] == [1, 1, 0]
    assert all(math.isnan(months[c]["2020-03"]) for c in months)         # no file: no data, never 0
    quarters = _values(cells, "open.quarters", "county", "proxy")
    assert quarters == {"2020-01": 4, "2020-04": 1}
    assert _values(cells, "open.quarters", "county", "change_pct") == {}  # both quarters miss a month
    labels = prov["text"]["open.quarters"]
    assert labels["2020-01"]["months"] == "2 of 3" and labels["2020-04"]["note"].startswith("not compared")
    assert prov["text"]["open"]["missing_months"] == ["Mar 2020"]


def test_rates_with_and_without_the_non_residential_lsoa(declared):
    """2020 population: the mid-2019 estimate (tie 2019/2021 → earlier), 91 ages × persons per age:
    Beta = E01900003 (1 × 91) + E01900004 (3 × 91) = 364; residential (E01900004 left out) = 91."""
    cells, _, prov = declared
    beta = {c: _values(cells, "open.rates", "Beta", c) for c in
            ("crimes", "crimes_residential", "crimes_non_residential", "population", "population_residential",
             "rate_per_1000", "rate_residential_per_1000")}
    assert beta["population"]["proxy"] == 364 and beta["population_residential"]["proxy"] == 91
    assert (beta["crimes"]["possession_of_weapons"], beta["crimes_non_residential"]["possession_of_weapons"],
            beta["crimes_residential"]["possession_of_weapons"]) == (2, 2, 0)
    assert beta["rate_per_1000"]["proxy"] == pytest.approx(3 / 364 * 1000)
    assert beta["rate_residential_per_1000"]["proxy"] == pytest.approx(1 / 91 * 1000)
    assert prov["text"]["open.rates"]["non_residential"] == ["E01900004"]
    flagged = _values(cells, "open.non_residential", "Beta", "flagged")
    assert flagged == {"lsoas": 1} and _values(cells, "open.non_residential", "Alpha", "flagged") == {"lsoas": 0}


def test_relations_tie_areas_months_and_categories(declared):
    cells, relations, _ = declared
    where = cells.set_index("cell_id")[["table", "area", "row", "column"]].astype(str).agg("|".join, axis=1)
    text = {(where[t], tuple(sorted(where[p] for p in parts))) for t, parts in zip(relations["total"], relations["parts"])}
    assert ("open.category|county|all|crimes", ("open.category|Alpha|all|crimes", "open.category|Beta|all|crimes")) in text
    assert ("open.quarters|Alpha|2020-01|proxy", ("open.monthly|Alpha|2020-01|proxy", "open.monthly|Alpha|2020-02|proxy")) in text
    beta_nr = ("open.rates|Beta|proxy|crimes", ("open.rates|Beta|proxy|crimes_non_residential",
                                                "open.rates|Beta|proxy|crimes_residential"))
    assert beta_nr in text
    assert ("open.source_rows|county|all|used_crimes", ("open.category|county|all|crimes",)) in text


def test_the_store_is_written_once_per_content_key(open_data, copy, tmp_path):
    from sna_lib.book.pipeline import prepare_data
    from sna_lib.publication.stage import publishes

    from sna_lib.data.config import load_config

    assert publishes(load_config(open_data))
    stamp = (copy / "published" / "cells.parquet").stat().st_mtime_ns
    again = prepare_data(open_data, copy.parents[1])
    assert again == copy and (again / "published" / "cells.parquet").stat().st_mtime_ns == stamp


def test_attacker_finds_every_withheld_open_cell_safe(store):
    from sna_lib.publication.attack import attack
    from sna_lib.publication.disclosure import disclosure_rules

    result = attack(store.cells, store.relations, disclosure_rules(None))
    assert len(result) > 10                    # Testshire is small: many cells are withheld
    unsafe = result[~result["safe"].to_numpy(dtype=bool)]
    assert unsafe.empty, unsafe.to_string()


def _routes(store) -> list[str]:
    """Recoveries an attacker with the published pages tries; each returns what it recovered."""
    found = []
    marker = store.marker
    hidden = lambda v: isinstance(v, str) or str(v) == marker  # noqa: E731
    csps = [a for a in store.areas if a != "county"]
    # county − the other CSPs (crimes by category: every crime is in exactly one CSP)
    county = store.table("open.category", "county")["crimes"]
    for row in county.index:
        values = {a: store.table("open.category", a).loc[row, "crimes"] for a in csps}
        gone = [a for a in csps if hidden(values[a])]
        if len(gone) == 1 and not hidden(county[row]):
            found.append(f"open.category {row} {gone[0]} = {county[row] - sum(values[a] for a in csps if a != gone[0])}")
    # rate × population / 1000, and all − the published categories
    for area in csps:
        rates = store.table("open.rates", area)
        for row in rates.index:
            if hidden(rates.loc[row, "crimes"]) and not hidden(rates.loc[row, "rate_per_1000"]):
                found.append(f"open.rates {area} {row} = {rates.loc[row, 'rate_per_1000'] * rates.loc[row, 'population'] / 1000:g}")
        cat = store.table("open.category", area)["crimes"]
        parts = cat.drop(index=["proxy", "all"])
        gone = [r for r in parts.index if hidden(parts[r])]
        if len(gone) == 1 and not hidden(cat["all"]):
            found.append(f"open.category {area} {gone[0]} = all − others")
    return found


def test_differencing_routes_are_closed_and_real(declared, dataset, store, tmp_path):
    """On the controlled store no route recovers a withheld count; on the same cells published the
    old way (small counts withheld one by one) the routes do recover counts."""
    from sna_lib.publication.control import primary_only
    from sna_lib.publication.disclosure import disclosure_rules
    from sna_lib.publication.store import PublishedStore, write_store

    assert _routes(store) == []
    cells, relations, provenance = declared
    write_store(tmp_path / "old", primary_only(cells, disclosure_rules(dataset.config), follow=False), relations,
                provenance)
    recovered = _routes(PublishedStore(tmp_path / "old"))
    assert any(r.startswith("open.category") for r in recovered), recovered
    assert any(r.startswith("open.rates") for r in recovered), recovered


def test_harm_is_withheld_with_its_count(store):
    """harm = crimes x a published weight would give a withheld count back: it goes with the count."""
    checked = 0
    for area in store.areas:
        harm = store.table("open.harm", area)
        for code in harm.index.drop("proxy"):
            crimes, value = harm.loc[code, "crimes"], harm.loc[code, "harm"]
            assert isinstance(crimes, str) == isinstance(value, str), (area, code)
            if isinstance(crimes, str):
                checked += 1
            elif crimes and not math.isnan(harm.loc[code, "weight"]):
                assert value == pytest.approx(crimes * harm.loc[code, "weight"], abs=0.5 + crimes * 0.05)
    assert checked
    assert isinstance(store.value("open.harm", "Alpha", "proxy", "harm_share_pct"), str)  # a category is withheld


OPEN_PAGES = ("01_key_findings", "03_what_is_sv", "05_trends", "07_place", "08_risk_factors", "11_data_quality")


@pytest.fixture(scope="module")
def open_store_only(copy, tmp_path_factory):
    """An open-data folder with the published store and the boundaries, and no records."""
    out = tmp_path_factory.mktemp("open-store-only")
    for name in ("config.yaml", "geography.parquet"):
        shutil.copy2(copy / name, out / name)
    shutil.copytree(copy / "published", out / "published")
    return out


def test_open_pages_run_on_the_store_alone(open_store_only, store, tmp_path):
    """The open pages execute for a CSP where no record exists, and print the store's text."""
    from conftest import execute_section
    from test_notebooks import _glued, _output_text

    from sna_lib.book import nbhelpers as nb
    from sna_lib.errors import DataValidationError

    ctx = nb.setup("Beta", open_store_only)
    with pytest.raises(DataValidationError):
        ctx.dataset  # noqa: B018
    (tmp_path / "open").mkdir()
    for name in OPEN_PAGES:
        run = execute_section(f"open/{name}", "Beta", open_store_only, tmp_path)
        glued = _glued(run)
        assert glued["area_label"] == "Beta", name
        text = _output_text(run)
        assert "Traceback" not in text, name
        if name == "01_key_findings":
            assert glued["proxy_total"] == store.text("open.category", "Beta", "proxy", "crimes")
        if name == "07_place":
            assert "E01900004" in text and "airfield (test)" in text
        if name == "05_trends":
            assert "missing: no police.uk file" in text and "not compared: a period is incomplete" in text


def test_sna_figures_exports_the_open_store(open_store_only, tmp_path):
    """``sna figures`` on an open-data folder reads its store like any other: every number a
    published cell, withheld cells as the marker (the store-only folder has no records)."""
    import json
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from test_figures import _csv_rows, assert_export_is_the_store

    cells = pq.read_table(open_store_only / "published" / "cells.parquet").to_pandas()
    areas = ["county", *sorted(set(cells["area"]) - {"county"})[:1]]
    for area in areas:
        out = {}
        for fmt in ("json", "csv"):
            proc = subprocess.run([sys.executable, "-m", "sna_lib.cli", "figures", "--data", str(open_store_only),
                                   "--area", area, "--format", fmt, "--cache-dir", str(tmp_path)],
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr[-2000:]
            out[fmt] = proc.stdout
        assert_export_is_the_store(json.loads(out["json"])["figures"], _csv_rows(out["csv"]), cells, area)
