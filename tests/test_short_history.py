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
