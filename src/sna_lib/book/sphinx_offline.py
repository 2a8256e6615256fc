"""Sphinx extension used by every SNA book: no page may load anything from the internet.

Jupyter Book 1 always loads ``sphinx_thebe``, whose page script names a CDN (``unpkg.com``) even
when Thebe is switched off. This extension drops those Thebe scripts from every page and then
emits a Sphinx warning — an error under ``jupyter-book build -W`` — for any script or stylesheet
that is still external, so a CDN reference can never reach a published book unnoticed.

Enabled by the book pipeline through ``sphinx.extra_extensions`` in the generated ``_config.yml``.

Examples
--------
>>> is_external("https://unpkg.com/thebe@0.8.2/lib/index.js"), is_external("_static/x.js")
(True, False)
"""

from __future__ import annotations

import re
from typing import Any

_EXTERNAL = re.compile(r"^(https?:)?//", re.I)
_THEBE_FILES = {"sphinx-thebe.js"}


def is_external(url: Any) -> bool:
    """True for ``http(s)://`` and protocol-relative ``//`` URLs."""
    return bool(url) and bool(_EXTERNAL.match(str(url)))


def _is_thebe(asset: Any) -> bool:
    filename = str(getattr(asset, "filename", "") or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return filename.rsplit("/", 1)[-1] in _THEBE_FILES or "THEBE_JS_URL" in body or "thebe@" in filename


#: Template variables holding the book title (county / CSP names from config.yaml). Themes print
#: some of them without ``|e`` (pydata's navbar logo prints ``docstitle`` raw), so they are made
#: escaped markup once here; ``|e`` in other templates leaves markup as it is (no double escape).
_TITLE_KEYS = ("docstitle", "shorttitle", "project", "title")


def escape_titles(context: dict) -> None:
    """Make the title variables of a page context HTML-safe markup.

    Examples
    --------
    >>> ctx = {"docstitle": "SNA: <script>x()</script>", "title": "<em>Key findings</em>"}
    >>> escape_titles(ctx); str(ctx["docstitle"]), str(ctx["title"])
    ('SNA: &lt;script&gt;x()&lt;/script&gt;', '<em>Key findings</em>')
    """
    from markupsafe import Markup, escape

    for key in _TITLE_KEYS:
        value = context.get(key)
        if key == "title":  # the page title is HTML rendered by Sphinx from the (escaped) heading
            continue
        if isinstance(value, str) and not isinstance(value, Markup):
            context[key] = escape(value)


def _page_context(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    escape_titles(context)
    scripts = context.get("script_files")
    if scripts is not None:
        context["script_files"] = [s for s in scripts if not _is_thebe(s)]
    for key in ("script_files", "css_files"):
        for asset in context.get(key) or []:
            url = getattr(asset, "filename", asset)
            if is_external(url):
                logger.warning("page %s loads external asset %s; books must work offline", pagename, url,
                               type="sna", subtype="offline")


def _refuse_substitutions(app, config) -> None:
    """MyST substitutions render with an unsandboxed Jinja2: a book must never enable them."""
    extensions = list(getattr(config, "myst_enable_extensions", None) or [])
    if "substitution" in extensions:
        config.myst_enable_extensions = [e for e in extensions if e != "substitution"]


def setup(app) -> dict:
    app.connect("config-inited", _refuse_substitutions, priority=900)
    app.connect("html-page-context", _page_context, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
