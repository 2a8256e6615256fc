"""Excel workbook of an area's published tables, from the same files as the book's CSV downloads.

Every table, chart and map of a page offers its data as a CSV download; the pages write those
from the disclosure-controlled publication store (withheld cells as the suppression marker).
The workbook is made from exactly those published CSVs, read from the built site, so it holds
the book's downloads (chart and map data included, for open-data books too, which have no store
yet) and never a number the book does not publish (``tests/test_workbook_store.py`` looks every
numeric cell up in the store):

* a **Contents** sheet: sheet name, book page, caption, notes (e.g. the suppression note), kind
  (table / chart data / map data) and the CSV's name;
* one sheet per CSV, with the caption and notes above the header row;
* numbers as numbers (``1,234`` style text is not produced by the CSVs; plain numeric text
  becomes an int or float cell), suppression markers and other text as text;
* text that a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or
  carriage return) neutralised with a leading apostrophe and stored as text.

:func:`published_tables` lists a built site's downloads with their captions and notes.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

__all__ = ["PublishedTable", "published_tables", "neutralise", "cell_value", "write_workbook"]

_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\']")


@dataclass
class PublishedTable:
    """One CSV download of the book with what the page says about it."""

    page: str  # page title
    page_path: str
    caption: str
    kind: str  # "table" | "chart data" | "map data"
    csv: Path
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """The CSV as text cells (nothing parsed, nothing dropped)."""
        return pd.read_csv(self.csv, dtype=str, keep_default_na=False)


class _Downloads(HTMLParser):
    """CSV download links of one page with their caption and notes, in page order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[tuple[str, str, str, list[str]]] = []
        self.caption = ""
        self.kind = "table"
        self.capture: str | None = None  # "caption" | "figcaption" | "p"
        self.buf: list[str] = []
        self.notes: list[str] = []
        self.in_article = False
        self.in_table = 0
        self.link: str | None = None
        self.skip = 0  # inside a heading's permalink ("#")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self.in_article = True
        if not self.in_article:
            return
        if tag == "a" and "headerlink" in (a.get("class") or "").split():
            self.skip += 1
            return
        if tag == "table":
            self.in_table += 1
            self.notes = []
        elif tag in ("caption", "figcaption"):
            self.capture, self.buf = tag, []
            self.kind = "table" if tag == "caption" else "chart data"
        elif tag == "p" and not self.in_table and self.capture is None:
            self.capture, self.buf = "p", []
        elif tag == "a" and (a.get("href") or "").endswith(".csv"):
            self.link = a["href"]

    def handle_endtag(self, tag):
        if tag == "article":
            self.in_article = False
        if not self.in_article:
            return
        if tag == "a" and self.skip:
            self.skip -= 1
            return
        if tag == "table":
            self.in_table = max(0, self.in_table - 1)
        elif tag in ("caption", "figcaption", "p") and self.capture == tag:
            text = " ".join("".join(self.buf).split())
            if tag == "caption":
                self.caption = re.sub(r"^Table \d+\s*", "", text)
            elif tag == "figcaption":
                self.caption = re.sub(r"^Fig\. \d+\s*", "", text).replace("Download the data (CSV)", "").strip()
            elif self.link is None and text and self.kind == "table" and self.caption:
                self.notes.append(text)
            self.capture = None
        elif tag == "a" and self.link is not None:
            link, self.link = self.link, None
            para = " ".join("".join(self.buf).split())
            caption, kind = self.caption, self.kind
            if self.capture == "figcaption":  # a chart's link sits inside its caption
                caption, kind = re.sub(r"^Fig\. \d+\s*", "", para).replace("Download the data (CSV)", "").strip(), "chart data"
            if "mapped values" in para:
                caption, kind = para.replace("Download the mapped values (CSV)", "").strip(), "map data"
            self.out.append((link, caption, kind, list(self.notes) if kind == "table" else []))
            if kind == "table":
                self.notes = []

    def handle_data(self, data):
        if self.capture is not None and not self.skip:
            self.buf.append(data)


# a map's or chart's iframe carries its whole document (a megabyte of inlined library code) in
# its escaped srcdoc attribute, which never holds a download link: not parsed
_IFRAME_ATTRIBUTES = re.compile(r"<iframe\b[^>]*>", re.I)


def published_tables(site: Path | str) -> list[PublishedTable]:
    """Every CSV download of the published book at ``site``, in table-of-contents order.

    Parameters
    ----------
    site : path
        A published book folder.

    Returns
    -------
    list of PublishedTable
        One per distinct CSV file (a CSV linked twice is listed once).
    """
    from sna_lib.book.pdf import page_order

    site = Path(site)
    seen: set[Path] = set()
    tables: list[PublishedTable] = []
    for page in page_order(site):
        parser = _Downloads()
        parser.feed(_IFRAME_ATTRIBUTES.sub("<iframe>", (site / page.path).read_text(encoding="utf-8")))
        base = posixpath.dirname(page.path)
        for href, caption, kind, notes in parser.out:
            path = (site / posixpath.normpath(posixpath.join(base, html.unescape(href)))).resolve()
            if path in seen or not path.is_file() or site.resolve() not in path.parents:
                continue
            seen.add(path)
            tables.append(PublishedTable(page.title, page.path, caption or path.stem, kind, path, notes))
    return tables


def neutralise(text: str) -> str:
    """Text a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``, tab, CR first) made inert.

    Carriage returns become line feeds (an ``.xlsx`` cannot hold CR).

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"x\\")"), neutralise("-3 people"), neutralise("Basildon")
    ('\\'=HYPERLINK("x")', "'-3 people", 'Basildon')
    """
    from sna_lib.data.tableio import neutralise_text  # the one rule for CSV and Excel cells

    return str(neutralise_text(str(text)))


def cell_value(text: str):
    """A CSV cell as the workbook stores it: int/float for plain numbers, else neutralised text.

    Examples
    --------
    >>> cell_value("1234"), cell_value("-2.5"), cell_value("[c]"), cell_value("007"), cell_value("")
    (1234, -2.5, '[c]', '007', None)
    """
    if text == "":
        return None
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return neutralise(text)


def _sheet_name(caption: str, used: set[str], index: int) -> str:
    base = _SHEET_BAD.sub(" ", caption).strip() or "Table"
    name = f"{index:02d} {base}"[:31].rstrip()
    k = 2
    while name.lower() in used:
        suffix = f" ({k})"
        name = f"{index:02d} {base}"[: 31 - len(suffix)].rstrip() + suffix
        k += 1
    used.add(name.lower())
    return name


def _text_cell(ws, row: int, col: int, value: str, **style):
    cell = ws.cell(row=row, column=col, value=neutralise(value))
    cell.data_type = "s"
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


def write_workbook(site: Path | str, dest: Path | str, *, title: str, banner: str | None = None,
                   suppression_note: str | None = None) -> int:
    """Write the Excel workbook of every published table of the book at ``site``.

    Parameters
    ----------
    site : path
        Published book.
    dest : path
        ``.xlsx`` to write (replaced atomically).
    title : str
        Book title (Contents sheet heading).
    banner : str, optional
        Data banner (synthetic / open data), shown under the title.
    suppression_note : str, optional
        What the suppression marker means, shown on the Contents sheet.

    Returns
    -------
    int
        Number of table sheets.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    tables = published_tables(site)
    wb = Workbook()
    contents = wb.active
    contents.title = "Contents"
    bold = Font(bold=True)
    _text_cell(contents, 1, 1, title, font=Font(bold=True, size=14))
    row = 2
    for line in (banner, suppression_note,
                 "Every sheet holds a table as published in the book (after disclosure control). "
                 "Numbers are numbers; suppressed cells hold the marker as text."):
        if line:
            _text_cell(contents, row, 1, line)
            row += 1
    row += 1
    header = ["Sheet", "Book page", "Caption", "Kind", "Notes", "CSV file"]
    for col, name in enumerate(header, start=1):
        _text_cell(contents, row, col, name, font=bold)
    used: set[str] = {"contents"}
    for i, table in enumerate(tables, start=1):
        name = _sheet_name(table.caption, used, i)
        ws = wb.create_sheet(name)
        _text_cell(ws, 1, 1, table.caption, font=Font(bold=True, size=12))
        _text_cell(ws, 2, 1, f"{table.page} · {table.kind}")
        r = 3
        for note in table.notes:
            _text_cell(ws, r, 1, note)
            r += 1
        r += 1
        frame = table.frame()
        for col, column in enumerate(frame.columns, start=1):
            _text_cell(ws, r, col, str(column), font=bold)
            ws.column_dimensions[get_column_letter(col)].width = max(10, min(40, len(str(column)) + 2))
        for values in frame.itertuples(index=False, name=None):
            r += 1
            for col, text in enumerate(values, start=1):
                value = cell_value(text)
                if isinstance(value, str):
                    _text_cell(ws, r, col, value)
                else:
                    ws.cell(row=r, column=col, value=value)
        ws.freeze_panes = ws.cell(row=r - len(frame), column=1)
        row += 1
        link = contents.cell(row=row, column=1, value=name)
        link.hyperlink = f"#'{name}'!A1"
        link.data_type = "s"
        for col, text in enumerate((table.page, table.caption, table.kind, " ".join(table.notes),
                                    table.csv.name), start=2):
            _text_cell(contents, row, col, text)
    for col, width in zip("ABCDEF", (34, 34, 60, 12, 50, 30)):
        contents.column_dimensions[col].width = width
    wb.properties.creator = "sna-book"
    wb.properties.title = title[:250]
    import datetime as dt

    fixed = dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    wb.save(tmp)
    os.replace(tmp, dest)
    return len(tables)
