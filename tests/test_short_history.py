"""A county whose records start too late for the risk index's out-of-time check.

The national stress demo (``--scale 30``) keeps only its last three years of incident data; its
county book failed on the risk-factors page (``KeyError: 'method'``: no validation years, so an
empty comparison). Here the same three-year county at test size: the publication stage says
why there is no check, and the page runs and prints that reason instead of a table.
"""

from __future__ import annotations

import pytest

from conftest import DEMO_SEED, execute_section

pytestmark = pytest.mark.xdist_group("short_history")


@pytest.fixture(scope="module")
def short_copy(tmp_path_factory):
    from sna_lib.book.pipeline import prepare_data
    from sna_lib.synthetic import generate_demo
    from sna_lib.synthetic.profile import load_profile

    profile = dict(load_profile(), stress_scale=0.0)    # the stress demo's rule at test size: 3 years
    data = generate_demo(tmp_path_factory.mktemp("short"), seed=DEMO_SEED, scale=0.05, profile=profile)
    return prepare_data(data, tmp_path_factory.mktemp("short-copy"))


def test_store_says_why_there_is_no_out_of_time_check(short_copy):
    from sna_lib.data.config import load_config
    from sna_lib.publication.store import PublishedStore

    config = load_config(short_copy)
    assert (config.first_year, config.reporting_year) == (2021, 2023)
    labels = PublishedStore(short_copy / "published").provenance["text"]["risk"]["validation"]
    assert labels["years"] == [] and labels["methods"] == []
    # window 5 (the default): the first analysis year would be 2021 + 5 = 2026, after 2022
    reason = labels["unavailable"]
    assert "start in 2021" in reason and "would be 2026, after 2022" in reason and "from 2017 on" in reason


def test_risk_page_runs_and_prints_the_reason(short_copy, tmp_path):
    from sna_lib.publication.store import PublishedStore

    nb = execute_section("08_risk_factors", "county", short_copy, tmp_path)
    reason = PublishedStore(short_copy / "published").provenance["text"]["risk"]["validation"]["unavailable"]
    glued = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                glued[name] = str(output.get("data", {}).get("application/papermill.record/text/plain", "")).strip("'\"")
    assert glued["rf_index_vs_baseline"] == reason
    assert glued["rf_model_vs_baseline"] == "" and glued["rf_best"] == ""
    assert not (tmp_path / "build" / "downloads" / "index-validation.csv").exists()


def test_persistence_windows_are_the_years_analysed(short_copy):
    """Records from 2021, a five-year window ending 2023: every persistence window is 2021–2023 (3 years).

    Before: the place labels said 2019–2023 (window 5), the DA map's years came from ``year - 4`` and
    the LSOA rate a year divided 2021–2023's offences by 5.
    """
    import pandas as pd

    from sna_lib.publication.store import PublishedStore

    store = PublishedStore(short_copy / "published")
    text = store.provenance["text"]
    place = text["place"]
    assert (place["window"], place["persistence_years"], place["persistence_window"]) == ("2021–2023",) * 2 + (3,)
    assert place["previous_years"] == "2021–2022" and place["window_row"] == "window:2021-2023"
    assert text["risk"]["da_persistence"] == {"years": "2021–2023", "n": 3, "persistent_years": 3}
    assert text["risk"]["regression"]["labels"]["da_victim_homes_years_hot"] == "years a DA victim-home hot spot (of 3)"
    # no neighbourhood is hot in more years than were analysed
    assert int(store.table("place.hotspot_lsoas", "county")["years_hot"].max()) <= 3
    assert int(store.table("risk.layers", "county")["da_years_hot"].max()) <= 3
    # an LSOA's rate a year is its offences of the window x 1000 / 3 / its residents (the scale the
    # cells are derived with; at this size every non-zero LSOA count is withheld, so not the values)
    cells = pd.read_parquet(short_copy / "published" / "cells.parquet")
    rates = cells[(cells["table"] == "place.lsoa_rate") & (cells["column"] == "rate_per_1000")]
    assert len(rates) and rates["scale"].tolist() == pytest.approx([1000 / 3] * len(rates))
    # the window row of the CSP profile sums the three years
    county = store.table("place.profile", "county")
    assert "window:2021-2023" in county.index and not any(str(r).startswith("window:2019") for r in county.index)
    assert float(county.loc["window:2021-2023", "offences"]) == sum(float(county.loc[str(y), "offences"])
                                                                    for y in (2021, 2022, 2023))


def test_place_and_risk_pages_label_the_years_analysed(short_copy, tmp_path):
    """The persistence maps' titles and captions name 2021–2023 and 3 years, never 2019."""
    import json

    texts = {}
    for name in ("07_place", "08_risk_factors"):
        nb = execute_section(name, "county", short_copy, tmp_path / name)
        texts[name] = json.dumps([cell.get("outputs", []) for cell in nb.cells], ensure_ascii=False)
    assert "Years a hotspot, 2021–2023" in texts["07_place"]
    assert "Number of years of 3 (2021–2023)" in texts["07_place"]
    assert "Years a DA hotspot, 2021–2023" in texts["08_risk_factors"]
    assert "Years of 3 (2021–2023)" in texts["08_risk_factors"]
    for page in texts.values():
        assert "2019–2023" not in page
