"""Built pages show the published store's values: the same text, and the marker where withheld."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pandas as pd
import pytest

from sna_lib.publication.stage import STORE_DIR


def _tables(page: Path) -> list[list[list[str]]]:
    from test_canaries import _TableCells

    parser = _TableCells()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tables


def _text(page: Path) -> str:
    body = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return " ".join(html_lib.unescape(body).split())


@pytest.fixture(scope="module")
def store(built_book):
    from sna_lib.publication.store import PublishedStore

    return PublishedStore(Path(built_book.result.run.data_copy) / STORE_DIR)


@pytest.mark.xdist_group("book")
def test_the_built_page_prints_the_stores_display_value(built_book, store):
    page = built_book.site / "notebooks" / "03_what_is_sv.html"
    year = store.provenance["reporting_year"]
    offences = store.text("sv.headline", "county", "reporting_year", "sv")
    share = store.text("sv.headline", "county", "reporting_year", "sv_pct")
    assert re.fullmatch(r"[\d,]+", offences), offences  # a real number, not the marker
    assert f"In {year} there were {offences} serious violence offences in" in _text(page)
    assert f"{share}% of all police recorded crime" in _text(page)
    # the people table of 06 cell by cell
    table = next(t for t in _tables(built_book.site / "notebooks" / "06_people.html")
                 if t and t[0][:3] == ["Role", "Records", "People"])
    for row, role in zip(table[1:], ("suspect", "victim")):
        assert row[1] == store.text("people.summary", "county", role, "records")
        assert row[2] == store.text("people.summary", "county", role, "people")


@pytest.mark.xdist_group("book")
def test_a_withheld_cell_shows_the_marker_on_the_page_and_in_its_csv(built_book, store):
    """Area profiles: every year's offences on the page and in the CSV download is the store's text;
    at least one is withheld (the marker), so the check covers suppression."""
    from sna_lib.book.pipeline import area_slug

    withheld_seen = 0
    for csp in store.areas[1:]:
        page = built_book.site / "notebooks" / "profiles" / f"{area_slug(csp)}.html"
        table = next(t for t in _tables(page) if t and t[0][:2] == ["Year", "Offences"])
        link = re.search(r'href="([^"]*profile-table-[^"]*\.csv)"', page.read_text(encoding="utf-8"))
        assert link, f"no CSV download on {page.name}"
        csv = pd.read_csv((page.parent / html_lib.unescape(link.group(1))).resolve(), dtype=str,
                          keep_default_na=False)
        for row, (_, line) in zip(table[1:], csv.iterrows()):
            expected = store.text("place.profile", csp, row[0], "offences")
            assert row[1] == expected and line["Offences"] == expected, (csp, row[0])
            withheld_seen += expected == store.marker
    assert withheld_seen, "the small demo county should withhold some CSP-year counts"
