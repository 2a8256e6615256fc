"""PDF of a published book: every page in table-of-contents order, printed offline by chromium.

Jupyter Book's ``pdfhtml`` builder downloads a browser and cannot run offline; Debian's
headless ``chromium --print-to-pdf`` can. :func:`build_pdf` therefore

1. reads the page order (parts and chapters) from the built site's own navigation
   (:func:`page_order`), so the PDF follows ``_toc.yml`` exactly, area profiles included;
2. joins the article of every page into one print document (``<build>/.pdf/<slug>/print.html``,
   outside the published site) after a cover with the book title and the data banner
   (synthetic / open data) and a contents page; relative links to other pages become links
   inside the PDF, download links become plain text (a PDF cannot download a CSV);
3. prints it twice with chromium: the first print finds the page each section starts on (a
   marker per section, read back with :mod:`pypdf`), the second fills those numbers into the
   contents. Page numbers and the banner run in the page margins (CSS ``@page`` boxes);
4. interactive content (Leaflet maps, the interactive trend) is hidden in print and its static
   twin shown (``.sna-screen-only`` / ``.sna-print-only``, see :mod:`sna_lib.book.maps`).

The PDF's metadata are fixed (title only, no timestamps) so that the same site gives the same
bytes where chromium does.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from sna_lib.errors import SnaError

__all__ = ["PdfError", "Page", "page_order", "print_document", "build_pdf", "chromium"]


class PdfError(SnaError):
    """The PDF could not be made (no chromium, chromium failed, a page is missing)."""


@dataclass(frozen=True)
class Page:
    """One page of the book: its file (relative to the site root), title and part caption."""

    path: str
    title: str
    part: str


def chromium() -> str:
    """Path of the chromium executable (``$SNA_CHROMIUM`` or ``chromium`` on PATH).

    Raises
    ------
    PdfError
        When none is installed (``bash scripts/ensure-chromium.sh`` installs Debian's).
    """
    exe = os.environ.get("SNA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise PdfError("--pdf needs chromium: run `bash scripts/ensure-chromium.sh` (Debian package)")
    return exe


class _NavParser(HTMLParser):
    """Captions and first-level links of the sidebar navigation (``nav.bd-docs-nav``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # >0 while inside the docs nav
        self.caption = ""
        self.in_caption = False
        self.link: str | None = None
        self.text: list[str] = []
        self.entries: list[tuple[str, str, str]] = []
        self.li_level: list[bool] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "nav" and "bd-docs-nav" in classes:
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "nav":
            self.depth += 1
        if tag == "span" and "caption-text" in classes:
            self.in_caption = True
            self.caption = ""
        if tag == "li":
            self.li_level.append("toctree-l1" in classes)
        if tag == "a" and self.li_level and self.li_level[-1] and self.link is None:
            self.link = a.get("href") or ""
            self.text = []

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "nav":
            self.depth -= 1
        elif tag == "span" and self.in_caption:
            self.in_caption = False
        elif tag == "a" and self.link is not None:
            self.entries.append((self.caption, self.link, " ".join("".join(self.text).split())))
            self.link = None
        elif tag == "li" and self.li_level:
            self.li_level.pop()

    def handle_data(self, data):
        if self.in_caption:
            self.caption += data
        if self.link is not None:
            self.text.append(data)


def _root_page(site: Path) -> str:
    index = (site / "index.html").read_text(encoding="utf-8")
    match = re.search(r'http-equiv="Refresh"[^>]*url=([^"]+)"', index, re.I)
    return match.group(1).strip() if match else "index.html"


def page_order(site: Path | str) -> list[Page]:
    """Every page of the built site in table-of-contents order (root page first).

    Parameters
    ----------
    site : path
        A published book (``<build>/html`` or ``<build>/areas/<slug>/html``).

    Returns
    -------
    list of Page
    """
    site = Path(site)
    root = _root_page(site)
    text = (site / root).read_text(encoding="utf-8")
    parser = _NavParser()
    parser.feed(text)
    base = posixpath.dirname(root)
    pages = [Page(root, _title(text), "")]
    for caption, href, title in parser.entries:
        if not href or href.startswith(("http:", "https:")):
            continue
        path = root if href.startswith("#") else posixpath.normpath(posixpath.join(base, href.split("#")[0]))
        if path not in {p.path for p in pages}:
            pages.append(Page(path, title, caption.strip()))
    missing = [p.path for p in pages if not (site / p.path).is_file()]
    if missing:
        raise PdfError(f"{site}: pages named in the navigation are missing: {', '.join(missing)}")
    return pages


def _title(page_html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page_html, re.S)
    raw = re.sub(r"<[^>]+>", "", match.group(1)) if match else ""
    return " ".join(html.unescape(raw).replace("#", "").split())


_ARTICLE = re.compile(r'<article class="bd-article"[^>]*>(.*)</article>', re.S)
_INTERACTIVE = re.compile(r"<iframe\b.*?</iframe>|<script\b.*?</script>", re.S | re.I)
_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')


def _page_id(path: str) -> str:
    return "page-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def _article(site: Path, page: Page, ids: dict[str, str]) -> str:
    text = (site / page.path).read_text(encoding="utf-8")
    match = _ARTICLE.search(text)
    if not match:
        raise PdfError(f"{site / page.path}: no <article class=\"bd-article\"> (not a Jupyter Book page?)")
    # Interactive content never prints: its static twin (.sna-print-only) stays. Not loading it
    # keeps the print fast.
    body = _INTERACTIVE.sub("", match.group(1))
    base = posixpath.dirname(page.path)

    def rewrite(m: re.Match) -> str:
        attr, url = m.group(1), m.group(2)
        if not url or url.startswith(("data:", "http:", "https:", "mailto:")):
            return m.group(0)
        if url.startswith("#"):
            return f'{attr}="#{ids[page.path]}"' if attr == "href" else m.group(0)
        target = posixpath.normpath(posixpath.join(base, url.split("#")[0]))
        if attr == "href":
            if target in ids:
                return f'href="#{ids[target]}"'
            return 'data-sna-href="download"'  # CSV downloads: text only in print
        return f'{attr}="{target}"'

    return _URL_ATTR.sub(rewrite, body)


_PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-right { content: counter(page) " / " counter(pages); font: 9pt sans-serif; color: #444; }
  @bottom-left { content: "%(footer)s"; font: 7pt sans-serif; color: #444; } }
html, body { background: #fff !important; }
body { font-size: 10.5pt; }
.sna-print-page { break-before: page; }
.sna-print-page:first-of-type { break-before: auto; }
.sna-mark { font-size: 1px; color: #fff; line-height: 1px; display: block; height: 1px; overflow: hidden; }
.headerlink, .toggle-button, .copybtn, #searchbox, .sna-screen-only, iframe { display: none !important; }
.sna-print-only { display: block !important; }
figure, table, img, .sna-static { break-inside: avoid; }
img { max-width: 100% !important; }
table { font-size: 8.5pt; }
.sna-cover { text-align: center; padding-top: 70mm; }
.sna-cover h1 { font-size: 24pt; }
.sna-banner { border: 2px solid #b35806; padding: 4mm; margin: 10mm auto; max-width: 140mm; }
.sna-contents ol { list-style: none; padding: 0; }
.sna-contents li { display: flex; gap: 2mm; margin: 1.2mm 0; }
.sna-contents .part { font-weight: bold; margin-top: 4mm; }
.sna-contents .title { flex: 1; border-bottom: 1px dotted #999; }
.sna-contents .num { min-width: 10mm; text-align: right; font-variant-numeric: tabular-nums; }
"""


def _css_links(site: Path, root: str) -> str:
    text = (site / root).read_text(encoding="utf-8")
    base = posixpath.dirname(root)
    links = []
    for m in re.finditer(r'<link rel="stylesheet" type="text/css" href="([^"]+)" />|'
                         r'<link href="([^"]+)" rel="stylesheet" />', text):
        href = (m.group(1) or m.group(2)).split("?")[0]
        links.append(f'<link rel="stylesheet" href="{html.escape(posixpath.normpath(posixpath.join(base, href)))}"/>')
    return "\n".join(links)


def _css_string(text: str) -> str:
    """``text`` safe inside a double-quoted CSS string within ``<style>``.

    Examples
    --------
    >>> print(_css_string('"x"<y'))
    \\22 x\\22 \\3C y
    """
    return "".join(c if c.isalnum() or c in " .,:;()-–—'/" else f"\\{ord(c):X} " for c in str(text))


def print_document(site: Path | str, *, title: str, banner: str | None, numbers: dict[str, int] | None = None
                   ) -> tuple[str, list[Page]]:
    """The single print document of a book (HTML) and its pages.

    ``numbers`` maps page path → PDF page number for the contents (``None``: placeholders of the
    same width, for the first print).
    """
    site = Path(site)
    pages = page_order(site)
    ids = {p.path: _page_id(p.path) for p in pages}
    esc = html.escape
    footer = _css_string((banner or title)[:200])
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{esc(title)}</title>",
             f'<base href="{site.resolve().as_uri()}/"/>', _css_links(site, pages[0].path),
             f"<style>{_PRINT_CSS.replace('%(footer)s', footer)}</style></head><body>",
             '<section class="sna-print-page sna-cover">', f"<h1>{esc(title)}</h1>"]
    if banner:
        parts.append(f'<p class="sna-banner"><strong>{esc(banner)}</strong></p>')
    parts.append("<p>Printed from the HTML book; interactive maps and charts appear as static images.</p>"
                 "</section>")
    parts.append('<section class="sna-print-page sna-contents"><h1>Contents</h1><ol>')
    part = None
    for p in pages:
        if p.part and p.part != part:
            part = p.part
            parts.append(f'<li class="part">{esc(part)}</li>')
        num = "00" if numbers is None else str(numbers.get(p.path, "?"))
        parts.append(f'<li><a class="title" href="#{ids[p.path]}">{esc(p.title)}</a>'
                     f'<span class="num">{esc(num)}</span></li>')
    parts.append("</ol></section>")
    for i, p in enumerate(pages):
        parts.append(f'<section class="sna-print-page" id="{ids[p.path]}">'
                     f'<span class="sna-mark">SNAPAGE{i:04d}X</span>{_article(site, p, ids)}</section>')
    parts.append("</body></html>")
    return "\n".join(parts), pages


def _print(html_file: Path, pdf_file: Path, timeout: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sna-chromium-") as profile:
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--disable-background-networking", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "HOME": profile})
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"chromium did not print {html_file} within {timeout} s") from exc
    if proc.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        raise PdfError(f"chromium failed to print {html_file}: {proc.stderr[-800:]}")


def _marker_pages(pdf_file: Path, n: int) -> dict[int, int]:
    from pypdf import PdfReader

    found: dict[int, int] = {}
    for number, page in enumerate(PdfReader(str(pdf_file)).pages, start=1):
        for m in re.finditer(r"SNAPAGE(\d{4})X", page.extract_text() or ""):
            found.setdefault(int(m.group(1)), number)
    missing = [i for i in range(n) if i not in found]
    if missing:
        raise PdfError(f"{pdf_file}: sections {missing} not found in the printed PDF")
    return found


def _finalise(src: Path, dest: Path, title: str, pages: list[Page], starts: dict[int, int]) -> int:
    """Copy with fixed metadata and one bookmark per page; returns the page count."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(src))
    writer = PdfWriter()
    writer.append(reader, import_outline=False)
    writer.metadata = None
    writer.add_metadata({"/Title": title, "/Producer": "sna-book (chromium print, pypdf)"})
    for i, p in enumerate(pages):
        writer.add_outline_item(title=p.title or p.path, page_number=starts[i] - 1)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    with tmp.open("wb") as handle:
        writer.write(handle)
    os.replace(tmp, dest)
    return len(reader.pages)


@dataclass
class PdfResult:
    path: Path
    pages: int
    sections: int
    seconds: float


def build_pdf(site: Path | str, dest: Path | str, *, title: str, banner: str | None = None,
              work_dir: Path | str | None = None, timeout: int = 600) -> PdfResult:
    """Print the published book at ``site`` to ``dest`` (see the module docstring).

    Parameters
    ----------
    site : path
        Published HTML book.
    dest : path
        PDF to write (replaced atomically).
    title : str
        Book title (cover, PDF metadata).
    banner : str, optional
        Data banner (e.g. synthetic data) on the cover and in every page footer.
    work_dir : path, optional
        Where the print document is written (default: a folder beside ``dest``); never inside
        the published site.
    timeout : int
        Seconds one chromium print may take.

    Returns
    -------
    PdfResult
        ``path``, ``pages`` (PDF pages), ``sections`` (book pages printed), ``seconds``.

    Raises
    ------
    PdfError
    """
    started = time.perf_counter()
    site, dest = Path(site), Path(dest)
    work = Path(work_dir) if work_dir else dest.parent / f".{dest.stem}-print"
    work.mkdir(parents=True, exist_ok=True)
    doc, pages = print_document(site, title=title, banner=banner)
    first_html, first_pdf = work / "print-1.html", work / "print-1.pdf"
    first_html.write_text(doc, encoding="utf-8")
    _print(first_html, first_pdf, timeout)
    starts = _marker_pages(first_pdf, len(pages))
    numbers = {p.path: starts[i] for i, p in enumerate(pages)}
    doc, _ = print_document(site, title=title, banner=banner, numbers=numbers)
    final_html, final_pdf = work / "print.html", work / "print.pdf"
    final_html.write_text(doc, encoding="utf-8")
    _print(final_html, final_pdf, timeout)
    final_starts = _marker_pages(final_pdf, len(pages))
    if final_starts != starts:  # contents grew by a page: number once more
        numbers = {p.path: final_starts[i] for i, p in enumerate(pages)}
        doc, _ = print_document(site, title=title, banner=banner, numbers=numbers)
        final_html.write_text(doc, encoding="utf-8")
        _print(final_html, final_pdf, timeout)
        final_starts = _marker_pages(final_pdf, len(pages))
    n = _finalise(final_pdf, dest, title, pages, final_starts)
    shutil.rmtree(work, ignore_errors=True)
    return PdfResult(dest, n, len(pages), time.perf_counter() - started)
