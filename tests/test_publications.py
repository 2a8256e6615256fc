"""PDF and Excel workbook of a built book (``sna build --pdf``), checked as a reader would:
PDF pages rendered to PNG (pdftoppm), contents page numbers against where each section really
starts, static maps not blank; the workbook read back with openpyxl against the published CSVs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import myst_notebook
from sna_lib.book.maps import SEQUENTIAL_COLOURS

pytestmark = [pytest.mark.xdist_group("pub")]  # one worker builds pub_book

HOSTILE = ["=HYPERLINK(\"http://x.test\",\"click\")", "+1+2", "-3 people", "@SUM(A1)", "\tTAB", "\rCR"]

PUB_NOTEBOOK = myst_notebook('Tiny publication page {glue:text}`tiny_label`', """```{code-cell}
:tags: [remove-input]

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sna_lib.book import nbhelpers as nb

ctx = nb.setup(area, data_dir, build_dir, reporting_year, as_of)
_ = nb.glue_text("tiny_label", ctx.area_label)
table = pd.DataFrame({"Label": HOSTILE, "Offences": [3, 120, 250, 0, 40, 64], "Rate": [0.5, 1.25, 2.0, 0.0, 3.5, 4.0]})
nb.show_table(table, "hostile", "Hostile labels and counts", count_columns=["Offences"], area_level="csp")
fig, ax = plt.subplots()
ax.bar(["a", "b"], [3, 5])
nb.show_figure(fig, "bars", caption="Two bars", alt="Bar chart: a 3, b 5", data=pd.DataFrame({"x": ["a", "b"], "y": [3, 5]}))
geo = ctx.dataset.geography.copy()
geo["rate"] = np.linspace(1.0, 9.0, len(geo))
nb.show_map(geo, "rate", title="Tiny rate per 1,000", name="tiny-map");
```
""").replace("HOSTILE", repr(HOSTILE))


@pytest.fixture(scope="module")
def pub_book(tmp_path_factory, demo_dir):
    if not shutil.which("chromium") or not shutil.which("pdftoppm"):
        pytest.skip("needs chromium and pdftoppm (bash scripts/ensure-chromium.sh; apt-get install poppler-utils)")
    import os

    from conftest import REPO

    from sna_lib.book.pipeline import build_book

    project = tmp_path_factory.mktemp("pubproject")
    (project / "book").mkdir()
    (project / "book" / "index.md").write_text("# Tiny book\n\nOpening words.\n", encoding="utf-8")
    (project / "book" / "annex.md").write_text("# Annex page\n\nClosing words.\n", encoding="utf-8")
    (project / "_config.yml").write_text((REPO / "_config.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n  - caption: Main\n    chapters:\n"
        "      - file: notebooks/01_pub\n  - caption: Annexes\n    chapters:\n      - file: book/annex\n",
        encoding="utf-8")
    (project / "notebooks").mkdir()
    (project / "notebooks" / "01_pub.md").write_text(PUB_NOTEBOOK, encoding="utf-8")
    old = os.environ.get("SNA_PROJECT_DIR")
    os.environ["SNA_PROJECT_DIR"] = str(project)
    try:
        build = tmp_path_factory.mktemp("pubbuild")
        result = build_book(demo_dir, area="county", build_dir=build, workers=1, pdf=True)
    finally:
        if old is None:
            os.environ.pop("SNA_PROJECT_DIR", None)
        else:
            os.environ["SNA_PROJECT_DIR"] = old
    assert result.ok, "\n".join(map(str, result.failures))
    return build, result


def _pages_png(pdf: Path, out: Path, dpi: int = 50) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out / "p")], check=True, timeout=300)
    return sorted(out.glob("p-*.png"))


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_pdf_has_cover_contents_and_every_page_in_toc_order(pub_book, tmp_path):
    from pypdf import PdfReader

    build, result = pub_book
    pdf = build / "publications" / "county.pdf"
    assert pdf.is_file() and result.timings.get("pdf:county", 0) > 0
    reader = PdfReader(str(pdf))
    texts = [page.extract_text() or "" for page in reader.pages]
    pngs = _pages_png(pdf, tmp_path / "png")
    assert len(pngs) == len(reader.pages) >= 4  # cover, contents, 3 book pages
    assert "Synthetic demonstration data" in texts[0]  # banner on the cover …
    assert all("Synthetic demonstration data" in t for t in texts)  # … and in every footer
    assert texts[1].startswith("Contents") or "Contents" in texts[1].splitlines()[0:3]
    # Contents: each title with a page number; that page really starts the section.
    titles = ["Tiny book", "Tiny publication page", "Annex page"]
    found = []
    for title in titles:
        line = next(ln for ln in texts[1].splitlines() if ln.startswith(title))
        number = int(line.split()[-1])
        assert title in texts[number - 1], (title, number)
        assert title not in " ".join(texts[2:number - 1]), f"{title} starts before page {number}"
        found.append(number)
    assert found == sorted(found)  # toc order
    assert "Main" in texts[1] and "Annexes" in texts[1]  # part captions
    assert all(f"{i} / {len(texts)}" in texts[i - 1] for i in range(1, len(texts) + 1))  # page numbers
    assert "file://" not in pdf.read_bytes().decode("latin-1")  # no local paths


def test_pdf_map_page_shows_the_static_choropleth(pub_book, tmp_path):
    from PIL import Image
    from pypdf import PdfReader

    build, _ = pub_book
    pdf = build / "publications" / "county.pdf"
    texts = [p.extract_text() or "" for p in PdfReader(str(pdf)).pages]
    map_page = next(i for i, t in enumerate(texts) if "Tiny rate per 1,000" in t)
    pngs = _pages_png(pdf, tmp_path / "png", dpi=60)
    pixels = np.asarray(Image.open(pngs[map_page]).convert("RGB")).reshape(-1, 3).astype(int)
    # The map's classes are drawn in the sequential palette: every class colour is on the page.
    for colour in SEQUENTIAL_COLOURS:
        distance = np.abs(pixels - np.array(_rgb(colour))).sum(axis=1)
        assert (distance < 30).sum() > 200, f"class colour {colour} missing from the printed map"
    blank = Image.open(pngs[0]).convert("RGB")  # the cover has no map colours
    cover = np.asarray(blank).reshape(-1, 3).astype(int)
    assert (np.abs(cover - np.array(_rgb(SEQUENTIAL_COLOURS[-1]))).sum(axis=1) < 30).sum() == 0


def test_screen_shows_the_interactive_map_and_print_the_static_one(pub_book):
    build, result = pub_book
    page = (Path(result.published["county"]) / "notebooks" / "01_pub.html").read_text(encoding="utf-8")
    assert '<iframe class="sna-map"' in page
    assert 'class="sna-print-only sna-static"' in page and "data:image/png;base64," in page
    assert "@media print{.sna-print-only{display:block !important}.sna-screen-only,iframe.sna-map{display:none" in page


def test_workbook_holds_every_published_csv_as_numbers_and_neutralised_text(pub_book):
    from openpyxl import load_workbook

    build, result = pub_book
    site = Path(result.published["county"])
    wb = load_workbook(build / "publications" / "county.xlsx")
    assert wb.sheetnames[0] == "Contents"
    csvs = sorted(p.name for p in (site / "_downloads").rglob("*.csv"))
    assert sorted(["bars.csv", "hostile.csv", "tiny-map.csv"]) == csvs
    contents = wb["Contents"]
    rows = [[c.value for c in r] for r in contents.iter_rows()]
    listed = [r[5] for r in rows if r and r[5] and str(r[5]).endswith(".csv")]
    assert sorted(listed) == csvs
    assert any(r[0] and "Synthetic" in str(r[0]) for r in rows)  # banner
    assert any(r[0] and "[c]" in str(r[0]) for r in rows)  # what the marker means

    sheet = next(wb[n] for n in wb.sheetnames if "Hostile" in n)
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    header_at = next(i for i, r in enumerate(cells) if r[:3] == ["Label", "Offences", "Rate"])
    body = cells[header_at + 1:header_at + 7]
    published = pd.read_csv(next((site / "_downloads").rglob("hostile.csv")), dtype=str, keep_default_na=False)
    for (label, offences, rate), (_, row) in zip(body, published.iterrows()):
        # formula-leading text is neutralised: starts with an apostrophe, stored as text
        text = row["Label"].replace("\r", "\n")  # xlsx (XML) holds no CR
        leads = text[:1] in ("=", "+", "-", "@", "\t", "\n")
        assert label == ("'" + text if leads else text)
        if row["Offences"] == "[c]":
            assert offences == "[c]"  # the suppression marker, as text
        else:
            assert isinstance(offences, int) and offences == int(row["Offences"])
        assert isinstance(rate, (int, float)) and rate == pytest.approx(float(row["Rate"]))
    assert [str(r[0])[:2] for r in body[:5]] == ["'=", "'+", "'-", "'@", "'\t"]
    assert body[0][1] == "[c]"  # 3 is a small count: suppressed in the CSV and the workbook
    for r in sheet.iter_rows():
        for c in r:
            assert c.data_type != "f", f"formula cell {c.coordinate}: {c.value!r}"


def test_publications_are_not_remade_when_the_book_is_unchanged(pub_book, demo_dir):
    import os

    build, _ = pub_book
    pdf, xlsx = build / "publications" / "county.pdf", build / "publications" / "county.xlsx"
    stamps = (pdf.stat().st_mtime_ns, xlsx.stat().st_mtime_ns)
    from sna_lib.book.publications import write_publications
    import json

    key = json.loads((build / ".cache" / "publications" / "county.json").read_text())["pdf"]
    errors = write_publications(build / "html", build, "county", key=key, title="t", banner=None,
                                suppression_note=None, pdf=True, workbook=True)
    assert errors == []
    assert (pdf.stat().st_mtime_ns, xlsx.stat().st_mtime_ns) == stamps
    assert os.path.getsize(pdf) > 10_000
