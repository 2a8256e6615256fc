"""Rendering-boundary cases (issue #12): text from config or data passes the one function that
turns it into Markdown/MyST, HTML/JS, CSV cells, plot text or a folder name, and comes out inert.

Each case is a function of a temporary folder that asserts on what a reader's browser,
spreadsheet or file system would actually get (rendered by an independent MyST → HTML pass,
parsed CSV, a saved PNG)."""

from __future__ import annotations

import csv
import html as htmllib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from hostile.render import myst_html


@dataclass(frozen=True)
class Check:
    id: str
    cls: str
    run: Callable[[Path], None]


# --------------------------------------------------------------------------- Markdown / MyST


def _note_html(text: str, **kwargs) -> str:
    from sna_lib.book import nbhelpers

    shown: list[str] = []
    original = nbhelpers._display_markdown
    nbhelpers._display_markdown = shown.append
    try:
        nbhelpers.show_note(text, **kwargs)
    finally:
        nbhelpers._display_markdown = original
    assert len(shown) == 1
    return myst_html(shown[0])


def _literal_note(payload: str, forbidden: str, **kwargs):
    def run(tmp: Path) -> None:
        out = _note_html(f"No offences were recorded in {payload} in 2023.", **kwargs)
        assert forbidden not in out, out
        assert htmllib.escape(payload, quote=False) in out or payload in htmllib.unescape(out), out

    return run


def _jinja_note(tmp: Path) -> None:
    out = _note_html("The harm table for {{ 7*191 }} is withheld.")
    assert "1337" not in out and "{{ 7*191 }}" in out


def _jinja_popen_note(tmp: Path) -> None:
    marker = tmp / "PWNED"
    out = _note_html(f"Area {{{{lipsum.__globals__.os.popen('touch {marker}').read()}}}}")
    assert not marker.exists() and "lipsum.__globals__" in out


def _emphasis_note(tmp: Path) -> None:
    out = _note_html("<b>North</b> in 2023", emphasis=True)
    assert out.strip() == "<p><em>&lt;b&gt;North&lt;/b&gt; in 2023</em></p>", out


def _marker_note(tmp: Path) -> None:
    from sna_lib.book import describe
    from sna_lib.data.config import parse_config
    from sna_lib.publication.disclosure import Suppressed

    config = parse_config({"county": "Demo", "csps": ["A", "B"], "reporting_year": 2023, "first_year": 2020,
                           "disclosure": {"marker": "<script>x()</script>"}})
    note = describe.withheld_note(pd.DataFrame({"n": pd.Series([Suppressed("<script>x()</script>")],
                                                              dtype=object)}), config)
    out = _note_html(note)
    assert "<script" not in out and "&lt;script&gt;" in out


def _notebooks_never_build_markdown_from_text(tmp: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "notebooks"
    offenders = [f"{p.name}:{i}" for p in sorted(root.glob("*.md")) for i, line in
                 enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if re.search(r"\bMarkdown\(\s*f?[\"']", line)]
    assert not offenders, f"notebooks pass text to IPython Markdown directly (use nb.show_note): {offenders}"


# --------------------------------------------------------------------------- HTML / JS (maps, titles)


def _map(tmp: Path, name="North 001A", code="X01000001", title="Rate", kind="rate", value=1.0):
    import geopandas as gpd
    from shapely.geometry import box

    from sna_lib.book.maps import choropleth_map

    g = gpd.GeoDataFrame({"lsoa_code": [code, "X2"], "lsoa_name": [name, "B"], "v": [value, value]},
                         geometry=[box(550000, 200000, 551000, 201000), box(551000, 200000, 552000, 201000)],
                         crs=27700)
    return choropleth_map(g, "v", title=title, kind=kind)


def _geojson_properties(document: str) -> list[dict]:
    """Feature properties of the GeoJSON layers folium wrote into the map document."""
    props = []
    for match in re.finditer(r'"properties":\s*(\{[^{}]*\})', document):
        props.append(json.loads(match.group(1)))
    return props


def _tooltip(field: str, payload: str, **kw):
    def run(tmp: Path) -> None:
        m = _map(tmp, **{field: payload}, **kw)
        values = [v for p in _geojson_properties(m.document) for v in p.values() if isinstance(v, str)]
        assert payload not in values, "raw markup reaches the tooltip's innerHTML"
        assert htmllib.escape(payload, quote=True) in values
        assert payload not in m.document  # nowhere in the map document as markup

    return run


def _tooltip_title(tmp: Path) -> None:
    payload = "<img src=x onerror=alert(7)>"
    m = _map(tmp, title=payload)
    aliases = json.loads(re.search(r"let aliases = (\[.*?\]);", m.document).group(1))
    assert payload not in aliases and htmllib.escape(payload, quote=True) in aliases  # innerHTML gets text


def _title_context(key: str):
    def run(tmp: Path) -> None:
        from sna_lib.book import sphinx_offline

        context = {key: "SNA: <script>alert(1)</script>", "script_files": [], "css_files": []}
        sphinx_offline._page_context(None, "index", "page.html", context, None)
        assert "<script>" not in str(context[key]) and "&lt;script&gt;" in str(context[key])

    return run


def _staged_config_without_substitution(tmp: Path) -> None:
    from sna_lib.book import pipeline

    (tmp / "provenance.json").write_text(json.dumps({"data_as_at": "2023-12-31", "version": "0"}), encoding="utf-8")
    ctx = SimpleNamespace(county_label="{{ 7*191 }}", data_copy=tmp, synthetic=False, rolling_end="2023-12-31")
    config = pipeline._book_config(pipeline.project_dir(), ctx, "county")
    assert "substitution" not in (config.get("parse", {}).get("myst_enable_extensions") or [])


def _sphinx_refuses_substitution(tmp: Path) -> None:
    from sna_lib.book import sphinx_offline

    connected = {}
    app = SimpleNamespace(connect=lambda event, fn, priority=500: connected.setdefault(event, fn))
    sphinx_offline.setup(app)
    config = SimpleNamespace(myst_enable_extensions=["colon_fence", "substitution"])
    connected["config-inited"](app, config)
    assert config.myst_enable_extensions == ["colon_fence"]


# --------------------------------------------------------------------------- CSV cells


def _csv_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _table_csv(payload: str, *, header: bool = False):
    def run(tmp: Path) -> None:
        from sna_lib.book.charts import table_markdown

        columns = {payload if header else "CSP": ["North"], "change": ["-12.5%"], "rate": ["+3.1"]}
        frame = pd.DataFrame(columns) if header else pd.DataFrame({"CSP": [payload], "change": ["-12.5%"],
                                                                    "rate": ["+3.1"]})
        table_markdown(frame, "t", caption="c", out_dir=tmp)
        rows = _csv_cells(tmp / "t.csv")
        cell = rows[0][0] if header else rows[1][0]
        assert cell == "'" + payload.replace("\r", "\n"), rows
        assert rows[1][1:] == ["-12.5%", "+3.1"], "plain signed numbers stay numbers"

    return run


def _figure_csv(tmp: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sna_lib.book.charts import figure_markdown

    fig, ax = plt.subplots()
    ax.bar(["a"], [1])
    figure_markdown(fig, "f", caption="c", alt="a", data=pd.DataFrame({"area": ["@SUM(A1)"], "n": [1]}), out_dir=tmp)
    assert _csv_cells(tmp / "f.csv")[1] == ["'@SUM(A1)", "1"]


def _figures_export_csv(tmp: Path) -> None:
    """``sna figures --format csv`` of a store whose row names and labels come from hostile data."""
    from sna_lib.publication.cells import CellBuilder
    from sna_lib.publication.control import control
    from sna_lib.publication.figures import figure_rows, render_figures
    from sna_lib.publication.store import PublishedStore, write_store

    b = CellBuilder()
    b.count(table="people.origins", area="county", row='=HYPERLINK("http://x","y")', column="suspects", value=30)
    cells, relations = b.frame()
    write_store(tmp / "store", control(cells, relations), relations,
                {"county": "@SUM(A1)", "text": {"sv.harm": {"weights": "+1+2"}}})
    text = render_figures(figure_rows(PublishedStore(tmp / "store"), "county"), "csv")
    rows = list(csv.reader(text.splitlines()))
    assert ["meta.county", "'@SUM(A1)", "", "", ""] in rows
    assert ["section5.harm.weights", "'+1+2", "", "", ""] in rows
    hostile = [r for r in rows if r[2] == "people.origins"]
    assert hostile == [['people.origins.=HYPERLINK("http://x","y").suspects', "30", "people.origins",
                        "'=HYPERLINK(\"http://x\",\"y\")", "suspects"]]


# --------------------------------------------------------------------------- plot text


def _plot_text(text: str):
    def run(tmp: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sna_lib.book.charts import apply_style

        apply_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label=text)
        ax.set_title(f"SV offences, {text}")
        ax.legend()
        fig.savefig(tmp / "p.png")  # mathtext would raise here
        plt.close(fig)
        assert (tmp / "p.png").stat().st_size > 0

    return run


# --------------------------------------------------------------------------- paths


def _slug(name: str, expected: str):
    def run(tmp: Path) -> None:
        from sna_lib.book.pipeline import area_slug, published_dir
        from sna_lib.data.names import area_slug as rule

        assert area_slug(name) == rule(name) == expected
        assert published_dir(tmp, name) == tmp / "areas" / expected / "html"

    return run


def _provenance_names_contract_files_only(tmp: Path) -> None:
    from hostile.builder import build_valid_dir

    from sna_lib.book import nbhelpers

    data = build_valid_dir(tmp / "data")
    (data / "victim_John_Smith_DOB_1990-01-01_notes.txt").write_text("x", encoding="utf-8")
    (data / "notes").mkdir()
    (data / "notes" / "interview.docx").write_text("x", encoding="utf-8")
    saved = nbhelpers._ACTIVE
    nbhelpers._ACTIVE = None
    try:
        info = nbhelpers.provenance(data)
    finally:
        nbhelpers._ACTIVE = saved
    text = nbhelpers.provenance_text(info)
    assert "John" not in text and "interview" not in text and "crimes.csv" in text


BOUNDARY_CHECKS: list[Check] = [
    Check("note_script_tag", "markdown", _literal_note("<script>alert(1)</script>", "<script")),
    Check("note_img_onerror", "markdown", _literal_note("<img src=x onerror=alert(1)>", "<img")),
    Check("note_iframe_tag", "markdown", _literal_note("<iframe src=//evil.example>", "<iframe")),
    Check("note_html_comment_hides_text", "markdown", _literal_note("North <!-- hidden -->", "<!--")),
    Check("note_markdown_link", "markdown", _literal_note("[North](https://evil.example/login)", "<a ")),
    Check("note_autolink", "markdown", _literal_note("<https://evil.example>", 'href="https://evil')),
    Check("note_image_syntax", "markdown", _literal_note("![x](https://evil.example/t.png)", "<img")),
    Check("note_download_role", "markdown", _literal_note("{download}`x </etc/passwd>`", "passwd\"")),
    Check("note_math_role", "markdown", _literal_note("$\\href{javascript:alert(1)}{x}$", 'class="formula"')),
    Check("note_bold_name", "markdown", _literal_note("**North**", "<strong>")),
    Check("note_jinja_substitution", "markdown", _jinja_note),
    Check("note_jinja_popen", "markdown", _jinja_popen_note),
    Check("note_emphasis_is_escaped", "markdown", _emphasis_note),
    Check("note_marker_markup", "markdown", _marker_note),
    Check("notebooks_use_show_note", "markdown", _notebooks_never_build_markdown_from_text),
    Check("tooltip_lsoa_name_img_onerror", "html", _tooltip("name", "<img src=x onerror=alert(1)>")),
    Check("tooltip_lsoa_name_script", "html", _tooltip("name", "<script>alert(1)</script>")),
    Check("tooltip_lsoa_code_svg_onload", "html", _tooltip("code", "<svg onload=alert(1)>")),
    Check("tooltip_class_value_markup", "html", _tooltip("value", "<b onmouseover=alert(1)>hot</b>", kind="class")),
    Check("tooltip_alias_from_title", "html", _tooltip_title),
    Check("tooltip_attribute_breakout", "html", _tooltip("name", '" onmouseover="alert(1)" x="')),
    Check("title_docstitle_escaped", "html", _title_context("docstitle")),
    Check("title_shorttitle_escaped", "html", _title_context("shorttitle")),
    Check("title_project_escaped", "html", _title_context("project")),
    Check("staged_config_no_substitution", "template", _staged_config_without_substitution),
    Check("sphinx_refuses_substitution", "template", _sphinx_refuses_substitution),
    Check("csv_cell_equals", "csv", _table_csv("=cmd|' /C calc'!A0")),
    Check("csv_cell_plus", "csv", _table_csv("+HYPERLINK(\"http://x\")")),
    Check("csv_cell_minus", "csv", _table_csv("-2+3+cmd|' /C calc'!A0")),
    Check("csv_cell_at", "csv", _table_csv("@SUM(1+1)*cmd|' /C calc'!A0")),
    Check("csv_cell_tab", "csv", _table_csv("\t=1+1")),
    Check("csv_cell_carriage_return", "csv", _table_csv("\r=1+1")),
    Check("csv_cell_leading_space", "csv", _table_csv("  =1+1")),
    Check("csv_header_formula", "csv", _table_csv("=1+1", header=True)),
    Check("csv_figure_data", "csv", _figure_csv),
    Check("csv_figures_export", "csv", _figures_export_csv),
    Check("plot_text_mathtext_command", "plot", _plot_text("$\\undefinedcommand$ North")),
    Check("plot_text_unbalanced_math", "plot", _plot_text("Cost $x^$ area")),
    Check("plot_text_dollar_pair", "plot", _plot_text("$$ Money Lane $$")),
    Check("path_welsh_accent_slug", "path", _slug("Ynys Môn", "ynys-mon")),
    Check("path_circumflex_only_slug", "path", _slug("Ŵŵ", "ww")),
    Check("path_ligature_slug", "path", _slug("Œuvre ﬁeld", "oeuvre-field")),
    Check("path_nordic_slug", "path", _slug("Ærø Straße", "aero-strasse")),
    Check("provenance_contract_files_only", "files", _provenance_names_contract_files_only),
]
