"""Monthly refresh: two consecutive months give a "What changed since last month" page computed
from the two months' kept (published) figures; the significance test is checked with scipy."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from sna_lib.book.changes import figure_changes, hotspot_changes



def _count(demo_dir, definition, start, end):
    from sna_lib.measures.classify import qualifying_mask

    crimes = pd.read_parquet(demo_dir / "crimes.parquet")
    dates = pd.to_datetime(crimes["date"]).dt.date
    return int((np.asarray(qualifying_mask(crimes, definition), dtype=bool)
                & ((dates >= start) & (dates <= end)).to_numpy()).sum())


def test_two_consecutive_months_give_a_what_changed_page(tiny_project, few_csp_dir, tmp_path):
    from sna_lib.book.pipeline import build_book

    (tiny_project / "book" / "what_changed.md").write_text("# What changed since last month\n\nDefault.\n",
                                                           encoding="utf-8")
    toc = tiny_project / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8") + "  - file: book/what_changed\n", encoding="utf-8")
    build = tmp_path / "build"
    first = build_book(few_csp_dir, area="county", build_dir=build, workers=1, as_of="2023-06", workbooks=False)
    assert first.ok, first.failures
    page = (build / "html" / "book" / "what_changed.html").read_text(encoding="utf-8")
    assert "nothing to compare yet" in page  # no May snapshot
    june = json.loads((build / "history" / "2023-06" / "county" / "figures.json").read_text())["figures"]
    assert june["meta.rolling_end"] == "2023-06-30"

    second = build_book(few_csp_dir, area="county", build_dir=build, workers=1, as_of="2023-07", workbooks=False)
    assert second.ok, second.failures
    july = json.loads((build / "history" / "2023-07" / "county" / "figures.json").read_text())["figures"]
    page = (build / "html" / "book" / "what_changed.html").read_text(encoding="utf-8")
    assert "Figures that moved" in page and "2023-06" in page and "2023-07" in page

    # the kept figures are the published ones, counted independently from the data
    key = "section8.table_A.knife_sv.after"
    b = _count(few_csp_dir, "knife_enabled", dt.date(2022, 7, 1), dt.date(2023, 6, 30))
    a = _count(few_csp_dir, "knife_enabled", dt.date(2022, 8, 1), dt.date(2023, 7, 31))
    assert (june[key], july[key]) == (b, a)
    assert a != b
    p = binomtest(a, a + b, 0.5).pvalue  # exact test of two Poisson counts = binomial on the total
    assert f"{p:.3f}" in page
    moved = figure_changes(june, july)
    row = moved[moved["figure"] == key].iloc[0]
    assert row["p_value"] == pytest.approx(p, abs=1e-4)
    assert row["significant"] == (p < 0.05)


def test_withheld_values_are_never_differenced():
    t = figure_changes({"x.offences": "[c]", "y.offences": 12}, {"x.offences": 30, "y.offences": "[c]"})
    assert t["change"].tolist() == ["withheld", "withheld"]
    assert t["p_value"].isna().all()


def test_hotspots_new_and_dropped():
    before = pd.DataFrame({"lsoa_code": ["A", "B", "C"], "lsoa_name": ["a", "b", "c"],
                           "value": ["hot", "hot", "cold"]})
    after = pd.DataFrame({"lsoa_code": ["A", "B", "C"], "lsoa_name": ["a", "b", "c"],
                          "value": ["hot", "not significant", "hot"]})
    assert hotspot_changes(before, after).values.tolist() == [["C", "c", "new"], ["B", "b", "dropped"]]
