"""The open-data edition of the book: periods and checks on hand-made data, and the real Essex
book end to end ($SNA_SHARED_DIR/data/open; skipped when absent).

Expected counts come from the raw police.uk files read with plain pandas, never from the book's
own library code.
"""

from __future__ import annotations

import glob
import html
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from sna_lib.book import open_sections as osec
from sna_lib.data.data_level import missing_sentences
from sna_lib.data.periods import Coverage, complete_quarters, period_totals
from sna_lib.index.validation import verdict

# The real Essex books and import are module fixtures: one worker makes them.
pytestmark = pytest.mark.xdist_group("essex")


def _dataset(months, missing=()):
    """A tiny open-level dataset: one proxy crime per listed month (``months`` may repeat)."""
    crimes = pd.DataFrame({"category": ["robbery"] * len(months), "lsoa_code": ["E1"] * len(months),
                           "date": pd.to_datetime([f"{m}-01" for m in months])})
    cov = SimpleNamespace(first_month=min(months), last_month=max(months), missing_months=list(missing))
    geo = pd.DataFrame({"lsoa_code": ["E1"], "area": ["A"]})
    return SimpleNamespace(crimes=crimes, asb=crimes.iloc[0:0], geography=geo,
                           config=SimpleNamespace(coverage=cov, csps=["A"], county="C", data_level="open"))


def test_quarter_spanning_a_missing_month_is_labelled_and_not_compared():
    # Q1: 3 crimes; Q2: 6 crimes; Q3: only Jul (Aug/Sep missing): 1; Q4: 2 crimes
    from sna_lib.data.periods import monthly_counts

    ds = _dataset(["2018-01", "2018-02", "2018-03"] + ["2018-04"] * 6 + ["2018-07", "2018-10", "2018-12"],
                  missing=("2018-08", "2018-09"))
    cov = Coverage.from_dataset(ds)
    counts = monthly_counts(ds.crimes["date"], cov)
    assert pd.isna(counts["2018-08"]) and counts["2018-11"] == 0          # missing, never 0; a real 0 stays 0
    rows = period_totals(counts, cov, "Q")
    assert [total for _, total, _ in rows] == [3, 6, 1, 2]
    assert rows[0][2] == ""                                              # first period: nothing before it
    assert rows[1][2][0].start == "2018-01" and rows[1][2][1] == 3       # both complete: compared with Q1
    assert "missing: Aug 2018, Sep 2018" in rows[2][0].text
    assert rows[2][2].startswith("not compared")                         # incomplete itself
    assert rows[3][2].startswith("not compared")                         # previous incomplete


def test_complete_quarters_leave_out_gaps():
    ds = _dataset(["2018-01", "2018-12"], missing=("2018-08",))
    assert [q.start for q in complete_quarters(ds)] == ["2018-01", "2018-04", "2018-10"]


def test_verdict_reports_a_loss_as_a_loss():
    check = pd.DataFrame({"Selection": ["index", "naive"], "Capture rate": [0.1, 0.2], "PAI": [3.0, 2.0]})
    assert "lost" in verdict(check)
    check = pd.DataFrame({"Selection": ["index", "naive"], "Capture rate": [0.3, 0.2], "PAI": [3.0, 2.0]})
    assert "lost" not in verdict(check)


def test_missing_note_one_sentence_each():
    ds = SimpleNamespace(crimes=pd.DataFrame({"category": ["robbery"]}), persons=pd.DataFrame(),
                         config=SimpleNamespace(data_level="open"))
    parts = ("people", "harm", "proxy_serious_violence")
    text = osec.missing_note(missing_sentences(ds, parts), *parts)
    assert text.count("Not computed:") == 2 and "offence code" in text
    assert "*" not in text                       # plain text: show_note escapes Markdown, stars would show


def test_each_not_computed_sentence_is_its_own_paragraph_and_escaped():
    # the Key findings page lists 14 sentences: run together they were one unreadable block
    from sna_lib.book.nbhelpers import note_markdown

    sentences = {"people": "People need <b>person</b> records.", "harm": "Harm needs *codes* | flags.",
                 "fire": "Fires need\nincident records."}
    md = note_markdown(osec.missing_note(sentences, "people", "harm", "fire"))
    paragraphs = md.split("\n\n")
    assert len(paragraphs) == 3 and all(p.startswith("Not computed:") and "\n" not in p for p in paragraphs)
    assert "\\<b\\>" in paragraphs[0]                                        # HTML shown, not rendered
    assert "\\*codes\\*" in paragraphs[1] and "\\|" in paragraphs[1]          # Markdown shown literally
    assert paragraphs[2].endswith("Fires need incident records.")            # a lone line break is a space


# --------------------------------------------------------------------------- real Essex data

@pytest.fixture(scope="module")
def essex_books(open_data_dir, tmp_path_factory):
    from sna_lib.book.pipeline import build_book
    from sna_lib.data.importers.police_uk import import_police_uk

    root = tmp_path_factory.mktemp("openbook")
    data = root / "essex-open"
    from test_open_data_essex import _args  # the importer arguments of the real-data importer tests

    import_police_uk(data, street=[open_data_dir / "police_uk"], **_args(open_data_dir))
    build = root / "build"
    county = build_book(data, area="county", build_dir=build, workers=1)
    csp = build_book(data, area="Uttlesford", build_dir=build, workers=1)
    return county, csp


@pytest.fixture(scope="module")
def raw_rows(open_data_dir, tmp_path_factory) -> pd.DataFrame:
    """Raw police.uk rows inside the force's LSOAs (per the boundary file's own properties)."""
    files = sorted(glob.glob(str(open_data_dir / "police_uk" / "*" / "*-essex-street.csv.gz")))
    raw = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    feats = json.loads((open_data_dir / "geography" / "lsoa11_bsc_essex_pfa.geojson").read_text(encoding="utf-8"))
    csp = pd.Series({f["properties"]["LSOA11CD"]: f["properties"]["CSP24NM"] for f in feats["features"]})
    raw = raw[raw["LSOA code"].isin(csp.index)].copy()
    raw["csp"] = raw["LSOA code"].map(csp)
    return raw


def _page(html_dir: Path, stem: str) -> str:
    return html.unescape((html_dir / "notebooks" / f"{stem}.html").read_text(encoding="utf-8"))


def test_county_and_csp_books_build(essex_books):
    for result in essex_books:
        assert result.ok, result.failures


def test_counts_per_category_and_csp_equal_input_rows(essex_books, raw_rows):
    county, _ = essex_books
    html_dir = Path(county.published["county"])
    csvs = sorted(html_dir.rglob("*category-csp*.csv"))
    assert csvs, "the category x CSP download is missing"
    table = pd.read_csv(csvs[0], thousands=",").set_index("Category")
    expected = raw_rows[raw_rows["Crime type"] != "Anti-social behaviour"].pivot_table(
        index="Crime type", columns="csp", values="Month", aggfunc="size", fill_value=0)
    for crime_type, row in expected.iterrows():
        for csp, n in row.items():
            assert int(table.loc[crime_type, csp]) == n, (crime_type, csp)
    assert int(table["Essex"].sum()) == int(expected.to_numpy().sum())


def test_missing_months_labelled(essex_books):
    county, csp = essex_books
    for result, area in ((county, "county"), (csp, "Uttlesford")):
        text = _page(Path(result.published[area]), "05_trends")
        assert "missing: Aug 2018, Sep 2018" in text
        assert "missing: no police.uk file" in text
        assert "not compared: a period is incomplete" in text


def test_unsupported_sections_say_what_data_would_enable_them(essex_books):
    county, _ = essex_books
    html_dir = Path(county.published["county"])
    assert "police.uk publishes none" in _page(html_dir, "06_people")            # people
    assert "Home Office offence code" in _page(html_dir, "03_what_is_sv")       # harm
    assert "open-data proxy" in _page(html_dir, "03_what_is_sv").lower()
    page = _page(html_dir, "08_risk_factors")
    assert "naive" in page and "PAI" in page


def test_no_empty_charts_or_error_output(essex_books):
    county, _ = essex_books
    html_dir = Path(county.published["county"])
    for page in (html_dir / "notebooks").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "Traceback" not in text and "<IPython.core.display" not in text, page.name
        for src in re.findall(r'<img[^>]+src="([^"]+\.png)"', text):
            png = (page.parent / src).resolve()
            assert png.is_file() and png.stat().st_size > 2_000, (page.name, src)


def test_csp_book_counts_equal_input_rows_where_published(essex_books, raw_rows):
    _, csp = essex_books
    csvs = sorted(Path(csp.published["Uttlesford"]).rglob("*category-csp*.csv"))
    table = pd.read_csv(csvs[0], dtype=str).set_index("Category")["Uttlesford"]
    raw = raw_rows[(raw_rows["csp"] == "Uttlesford") & (raw_rows["Crime type"] != "Anti-social behaviour")]
    expected = raw["Crime type"].value_counts()
    published = {k: int(v.replace(",", "")) for k, v in table.items() if v.replace(",", "").isdigit()}
    assert len(published) >= 10                                   # small cells may be suppressed, not most
    assert all(published[k] == int(expected.get(k, 0)) for k in published)


def test_place_page_shows_the_airport_as_non_residential(essex_books):
    county, _ = essex_books
    text = _page(Path(county.published["county"]), "07_place")
    assert "E01022090" in text and "Airport/Airfield" in text


def test_place_page_names_the_configured_hotspot_test(essex_books):
    for result, area in zip(essex_books, ("county", "Uttlesford")):
        text = _page(Path(result.published[area]), "07_place")
        assert "conditional permutation test, 999 permutations, seed 12345" in text
        assert "normal approximation" not in text


def test_harm_page_shows_category_mean_harm_by_hand(essex_books, raw_rows):
    # weights by hand: robbery = 34A and 34B both 365 days in reference/offences.csv (any mix -> 365)
    county, _ = essex_books
    html_dir = Path(county.published["county"])
    text = _page(html_dir, "03_what_is_sv")
    assert "category-mean harm (estimate)" in text.lower()
    assert "not the Cambridge Crime Harm Index" in text
    table = pd.read_csv(next(html_dir.rglob("*harm.csv")), dtype=str).set_index("Category")
    robbery = int((raw_rows["Crime type"] == "Robbery").sum())
    assert table.loc["Robbery", "Weight (days)"] == "365.0"
    assert int(table.loc["Robbery", "Category-mean harm (days)"].replace(",", "")) == robbery * 365


def test_open_level_reads_the_open_variant_of_a_page(tmp_path):
    from sna_lib.book.pipeline import notebook_file

    header = "---\njupytext:\n  formats: md:myst\n---\n# {}\n"
    (tmp_path / "notebooks" / "open").mkdir(parents=True)
    (tmp_path / "notebooks" / "a.md").write_text(header.format("full"), encoding="utf-8")
    (tmp_path / "notebooks" / "b.md").write_text(header.format("full"), encoding="utf-8")
    (tmp_path / "notebooks" / "open" / "a.md").write_text(header.format("open"), encoding="utf-8")
    rel = lambda p: p.relative_to(tmp_path).as_posix()  # noqa: E731
    assert rel(notebook_file(tmp_path, "notebooks/a")) == "notebooks/a.md"
    assert rel(notebook_file(tmp_path, "notebooks/a", "open")) == "notebooks/open/a.md"
    assert rel(notebook_file(tmp_path, "notebooks/b", "open")) == "notebooks/b.md"   # no variant: the page itself
