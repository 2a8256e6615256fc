"""The Excel workbook of the county book holds no number the publication store does not publish.

The workbook is made from the book's CSV downloads (:mod:`sna_lib.book.workbook`), and the pages
write those from the store. Here every numeric cell of every sheet of the built county book is
looked up in the store's ``cells.parquet`` (read with pyarrow): a whole number must be a published
value (or a numeric row/column label of the store, e.g. a year or an age) exactly; a decimal
must be a published value rounded to the decimals shown (pages round exempt model estimates for
display, e.g. an incidence rate ratio 1.843166 shown as 1.84). A withheld cell has no value in the
store folder at all, so no page or sheet could show it.
"""

from __future__ import annotations

import math

import pytest

pytestmark = [pytest.mark.xdist_group("book")]


def _decimals(x: float) -> int:
    text = repr(float(x))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def _store_cells(build_dir):
    """cells.parquet of the store the build made (the newest validated copy in its cache)."""
    stores = list((build_dir / ".cache" / "data").glob("*/published/cells.parquet"))
    assert stores, f"no published store under {build_dir}"
    return max(stores, key=lambda p: p.stat().st_mtime_ns)


def test_every_workbook_number_is_a_published_store_value(built_book):
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    cells = pq.read_table(_store_cells(built_book.build_dir)).to_pandas()
    published = cells[cells["published"].to_numpy(dtype=bool)]
    values = [float(v) for v in published["value"] if not math.isnan(v)]
    exact = set(values)
    for label in [*cells["row"], *cells["column"]]:
        try:
            exact.add(float(label))
        except ValueError:
            pass
    rounded = {d: {round(v, d) for v in values} for d in range(0, 7)}

    wb = load_workbook(built_book.build_dir / "publications" / "county.xlsx")
    checked = 0
    strays = []
    for ws in wb.worksheets[1:]:  # the Contents sheet lists sheets, pages and captions only
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    continue
                checked += 1
                if isinstance(v, int):
                    ok = float(v) in exact
                else:
                    d = _decimals(v)
                    ok = float(v) in exact or (d <= 6 and round(float(v), d) in rounded[d])
                if not ok:
                    strays.append((ws.title, cell.coordinate, v))
    assert checked > 500, checked  # a real book: tables, chart data and map data
    assert strays == [], strays[:20]


def test_a_number_outside_the_store_is_caught(built_book, tmp_path):
    """The check above can fail: a sheet with a count that no cell publishes is reported."""
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    store = _store_cells(built_book.build_dir)
    cells = pq.read_table(store).to_pandas()
    taken = {float(v) for v in cells["value"] if not math.isnan(v)}
    stray = next(n for n in range(10_007, 10**7) if float(n) not in taken)
    wb = load_workbook(built_book.build_dir / "publications" / "county.xlsx")
    wb.worksheets[1].cell(row=1, column=30, value=stray)
    wb.save(tmp_path / "tampered.xlsx")
    book = type(built_book)(built_book.result, tmp_path / "fake-build", built_book.data_dir)
    (book.build_dir / "publications").mkdir(parents=True)
    (tmp_path / "tampered.xlsx").rename(book.build_dir / "publications" / "county.xlsx")
    (book.build_dir / ".cache" / "data" / "x").mkdir(parents=True)
    (book.build_dir / ".cache" / "data" / "x" / "published").symlink_to(store.parent)
    with pytest.raises(AssertionError, match=str(stray)):
        test_every_workbook_number_is_a_published_store_value(book)
