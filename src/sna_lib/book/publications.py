"""What is published beside each HTML book: its PDF and its Excel workbook.

Both are made from the *published* site only (see :mod:`sna_lib.book.pdf` and
:mod:`sna_lib.book.workbook`), after the site passed the publication leak check, into
``<build_dir>/publications/<slug>.pdf`` and ``<slug>.xlsx``. Each is remade only when its book
changed (the book's source key is stamped beside it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

__all__ = ["publications_dir", "write_publications"]


def publications_dir(build_dir: Path | str) -> Path:
    """``<build_dir>/publications``: the PDFs and workbooks of every book.

    Examples
    --------
    >>> publications_dir("book/_build").as_posix()
    'book/_build/publications'
    """
    return Path(build_dir) / "publications"


def write_publications(site: Path, build_dir: Path, slug: str, *, key: str, title: str,
                       banner: str | None, suppression_note: str | None, pdf: bool, workbook: bool,
                       timings: dict[str, float] | None = None) -> list[str]:
    """Write the PDF and/or workbook of the book at ``site``; returns error messages (empty = ok).

    ``timings`` (if given) receives ``pdf:<slug>`` and ``workbook:<slug>`` seconds.
    """
    out = publications_dir(build_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp_file = build_dir / ".cache" / "publications" / f"{slug}.json"
    try:
        stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    errors: list[str] = []
    timings = timings if timings is not None else {}
    if workbook:
        dest = out / f"{slug}.xlsx"
        if stamp.get("workbook") != key or not dest.is_file():
            from sna_lib.book.workbook import write_workbook

            started = time.perf_counter()
            try:
                write_workbook(site, dest, title=title, banner=banner, suppression_note=suppression_note)
                stamp["workbook"] = key
            except Exception as exc:  # noqa: BLE001 - reported as this book's failure
                errors.append(f"workbook failed: {type(exc).__name__}: {exc}")
            timings[f"workbook:{slug}"] = time.perf_counter() - started
    if pdf:
        dest = out / f"{slug}.pdf"
        if stamp.get("pdf") != key or not dest.is_file():
            from sna_lib.book.pdf import build_pdf

            started = time.perf_counter()
            try:
                build_pdf(site, dest, title=title, banner=banner,
                          work_dir=build_dir / ".cache" / "pdf-work" / slug)
                stamp["pdf"] = key
            except Exception as exc:  # noqa: BLE001 - reported as this book's failure
                errors.append(f"PDF failed: {type(exc).__name__}: {exc}")
            timings[f"pdf:{slug}"] = time.perf_counter() - started
    stamp_file.parent.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(json.dumps(stamp, sort_keys=True), encoding="utf-8")
    return errors
