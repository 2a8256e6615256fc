"""Render MyST the way the book does (myst-parser → docutils HTML), independently of sna_lib.

The substitution extension is switched ON here on purpose: text that reaches MyST escaped
must stay literal even in a book that enabled it (``{{ 7*191 }}`` must not become ``1337``).
"""

from __future__ import annotations

from docutils.core import publish_string
from myst_parser.parsers.docutils_ import Parser

EXTENSIONS = ["colon_fence", "deflist", "dollarmath", "substitution"]


def myst_html(markdown: str) -> str:
    """The HTML body docutils produces for ``markdown`` (MyST, book extensions + substitution)."""
    page = publish_string(markdown, parser=Parser(), writer_name="html5", settings_overrides={
        "myst_enable_extensions": EXTENSIONS, "output_encoding": "unicode", "report_level": 5,
        "halt_level": 5, "myst_substitutions": {}})
    return page.split("<main>", 1)[-1].split("</main>", 1)[0]
