"""Interactive area-profile trend: offences per 1,000 residents for a CSP against the county.

The reference SNA's area profiles (Annex 1) show a trend whose county line can be switched
off. :func:`trend_data` gives the disclosure-controlled numbers, :func:`trend_chart` the
Vega-Lite chart (Altair) with

* a **Yearly / Monthly** switch (radio buttons) and a **county line** switch (checkbox),
* hover values (tooltip on every point: area, period, rate, offences),
* colour-blind-safe colours (Okabe–Ito blue for the CSP, vermillion for the county) *and* a
  dashed county line, so the two never depend on colour alone;

and :func:`trend_html` an offline document: the Vega, Vega-Lite and Vega-Embed JavaScript come
from ``vl-convert``'s bundle and are inlined (``bundle=True``), never fetched. Notebooks show it
with :func:`show_trend`, which also writes the plotted values as CSV and a static PNG of both
views that replaces the interactive chart in print (PDF) and is its text/no-JS fallback.

Disclosure
----------
Every value is read from the published store, after disclosure control over the whole
publication: yearly values are the area profile's (``place.profile``), monthly values
``sv.monthly``'s, whose months add up to each year's count and whose CSPs add up to the
county's, so a withheld month (shown as a gap) cannot be recovered from a year total, the
other months or the county line.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.book.charts import OKABE_ITO

__all__ = ["trend_data", "trend_chart", "trend_html", "vega_bundle", "shared_vega_bundle", "VEGA_BUNDLE_ENV",
           "static_trend_png", "trend_alt", "show_trend", "CSP_COLOUR", "COUNTY_COLOUR"]

CSP_COLOUR = OKABE_ITO[0]  # blue
COUNTY_COLOUR = OKABE_ITO[3]  # vermillion


def trend_data(store: Any, area: str, county: str, rolling_end: Any) -> pd.DataFrame:
    """Published trend values for CSP ``area`` and the county, read from the published store.

    Parameters
    ----------
    store : sna_lib.publication.store.PublishedStore
    area : str
        A CSP.
    county : str
        The county's label (the county line's series name).
    rolling_end : date
        Last day shown in the monthly view.

    Returns
    -------
    pandas.DataFrame
        Long format: ``grain`` ("Yearly" | "Monthly"), ``period`` (``YYYY`` or ``YYYY-MM``),
        ``date`` (ISO first day), ``series`` (area name / county label), ``is_county``,
        ``rate_per_1000`` and ``offences`` (NaN where withheld; the county's yearly offences
        are not shown). Yearly values are ``place.profile``'s, monthly ``sv.monthly``'s (per
        1,000 residents *in the month*).
    """
    rows = []
    years = [r for r in store.table("place.profile", area).index if str(r).isdigit()]
    for year in years:
        for series, who, is_county in ((area, area, False), (county, "county", True)):
            rate = _number(store.value("place.profile", who, year, "rate_per_1000"))
            n = math.nan if is_county else _number(store.value("place.profile", who, year, "offences"))
            rows.append(("Yearly", str(year), f"{year}-01-01", series, is_county, rate, n))
    end = pd.Period(rolling_end, freq="M")
    months = [m for m in store.table("sv.monthly", area).index if pd.Period(m, freq="M") <= end]
    for month in months:
        for series, who, is_county in ((area, area, False), (county, "county", True)):
            rows.append(("Monthly", month, f"{month}-01", series, is_county,
                         _number(store.value("sv.monthly", who, month, "rate_per_1000")),
                         _number(store.value("sv.monthly", who, month, "offences"))))
    return pd.DataFrame(rows, columns=["grain", "period", "date", "series", "is_county", "rate_per_1000",
                                       "offences"])


def _number(value: Any) -> float:
    """A published value as a float; NaN for a withheld cell (the marker) or no data."""
    if isinstance(value, str):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def trend_alt(data: pd.DataFrame, area: str, county: str) -> str:
    """Alt text: what the chart shows, with first and last yearly values and the controls.

    Examples
    --------
    >>> d = pd.DataFrame({"grain": ["Yearly"] * 4, "period": ["2014", "2014", "2023", "2023"],
    ...                   "series": ["A", "C", "A", "C"], "is_county": [False, True, False, True],
    ...                   "rate_per_1000": [1.0, 2.0, float("nan"), 2.5]})
    >>> trend_alt(d, "A", "C")  # doctest: +ELLIPSIS
    'Line chart of serious violence offences per 1,000 residents, A (solid blue) and C (dashed ...'
    """
    yearly = data[data["grain"] == "Yearly"]

    def describe(series: str) -> str:
        s = yearly[yearly["series"] == series]
        if s.empty:
            return f"{series}: no data"
        first, last = s.iloc[0], s.iloc[-1]
        fmt = lambda v: "withheld" if pd.isna(v) else f"{v:.2f}"  # noqa: E731
        return f"{series}: {fmt(first['rate_per_1000'])} in {first['period']}, {fmt(last['rate_per_1000'])} in {last['period']}"

    return (f"Line chart of serious violence offences per 1,000 residents, {area} (solid blue) and {county} "
            f"(dashed vermillion), yearly and monthly views. {describe(area)}; {describe(county)}. "
            "The county line can be switched off; hover a point for its value.")


def trend_chart(data: pd.DataFrame, area: str, county: str):
    """The interactive Altair chart (see module docstring)."""
    import altair as alt

    records = data.assign(rate=data["rate_per_1000"].round(3),
                          rate_text=[("withheld" if pd.isna(v) else f"{v:,.2f}") for v in data["rate_per_1000"]],
                          offences_text=[("–" if pd.isna(v) else f"{int(v):,}") for v in data["offences"]],
                          line=np.where(data["is_county"], "county", "area"))
    records = records.drop(columns=["rate_per_1000", "offences"])
    values = json.loads(records.to_json(orient="records"))
    grain = alt.param(name="grain", value="Yearly",
                      bind=alt.binding_radio(options=["Yearly", "Monthly"], name="View: "))
    show = alt.param(name="show_county", value=True, bind=alt.binding_checkbox(name="Show county line "))
    hover = alt.selection_point(name="hover", on="pointerover", nearest=True, fields=["period"], empty=False,
                                clear="pointerout")
    base = (alt.Chart(alt.Data(values=values))
            .transform_filter("datum.grain == grain")
            .transform_filter("show_county || !datum.is_county"))
    colour = alt.Color("series:N", title=None, sort=[area, county],
                       scale=alt.Scale(domain=[area, county], range=[CSP_COLOUR, COUNTY_COLOUR]),
                       legend=alt.Legend(orient="bottom"))
    dash = alt.StrokeDash("line:N", legend=None, scale=alt.Scale(domain=["area", "county"], range=[[1, 0], [6, 4]]))
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8))
    y = alt.Y("rate:Q", title="Offences per 1,000 residents", scale=alt.Scale(zero=True))
    tooltip = [alt.Tooltip("series:N", title="Area"), alt.Tooltip("period:N", title="Period"),
               alt.Tooltip("rate_text:N", title="Per 1,000 residents"),
               alt.Tooltip("offences_text:N", title="Offences")]
    lines = base.mark_line(strokeWidth=2.5).encode(x=x, y=y, color=colour, strokeDash=dash)
    points = base.mark_point(filled=True, size=60).encode(
        x=x, y=y, color=colour, tooltip=tooltip,
        opacity=alt.condition(hover, alt.value(1), alt.value(0.6))).add_params(hover)
    rule = base.mark_rule(color="#777777").encode(x=x).transform_filter(hover)
    chart = (alt.layer(lines, points, rule)
             .add_params(grain, show)
             .properties(width=620, height=300,
                         title=f"Serious violence offences per 1,000 residents: {area} and {county}",
                         description=trend_alt(data, area, county)))
    return chart


#: Environment variable naming a build's shared copy of :func:`vega_bundle` (a cache entry made
#: by :func:`shared_vega_bundle`); the build passes it to its kernels.
VEGA_BUNDLE_ENV = "SNA_VEGA_BUNDLE"
_BUNDLE: dict[str, str] = {}
_BUNDLE_LOCK = threading.Lock()
_BUNDLE_FILE = "bundle.js"


def vega_bundle() -> str:
    """The Vega / Vega-Lite / Vega-Embed JavaScript that :func:`trend_html` inlines (vl-convert's
    bundle): library code, trusted by the leak scan
    (:attr:`sna_lib.publication.leakscan.LeakRules.trusted_text`).

    Read from the build's shared copy named by ``$SNA_VEGA_BUNDLE`` when that is a whole cache
    entry (:func:`shared_vega_bundle`), else made by vl-convert: its first call in a process
    bundles the JavaScript, about 3 CPU s (``benchmarks/results/build_benchmark.md``, session 8),
    which a build pays once instead of once per kernel and once for the leak scan.
    """
    with _BUNDLE_LOCK:
        if "text" not in _BUNDLE:
            text = _read_shared_bundle(os.environ.get(VEGA_BUNDLE_ENV))
            if text is None:
                import vl_convert as vlc

                text = vlc.javascript_bundle()
            _BUNDLE["text"] = text
        return _BUNDLE["text"]


def _read_shared_bundle(folder: str | os.PathLike | None) -> str | None:
    """The bundle in cache entry ``folder``, or None when there is none or it is damaged."""
    from sna_lib.book.pipeline import cache_entry_ok

    if not folder or not cache_entry_ok(Path(folder)):
        return None
    try:
        return (Path(folder) / _BUNDLE_FILE).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def _vl_convert_key(root: str | os.PathLike | None = None) -> str:
    """Content key of the installed vl-convert (the sha256 of every file of the package folder
    ``root``, default: where ``vl_convert`` is installed): the bundle is a function of the package
    alone, so a changed package (same size and time or not) makes a new entry."""
    import hashlib

    if root is None:
        import vl_convert as vlc

        root = Path(vlc.__file__).resolve().parent
    root = Path(root)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:20]


_MAKE_BUNDLE = "import sys, vl_convert; sys.stdout.buffer.write(vl_convert.javascript_bundle().encode('utf-8'))"


def shared_vega_bundle(cache_dir: str | os.PathLike) -> Path:
    """The cache entry ``<cache_dir>/vendor/vega-<key>/`` holding :func:`vega_bundle`'s text,
    made once per installed vl-convert (``key``: :func:`_vl_convert_key`); a damaged entry is made
    again, by vl-convert in a child process (it holds the GIL for the seconds it takes, so a
    build can make it in a thread beside the validation). This process's :func:`vega_bundle`
    then returns that text; a build names the folder in its kernels' ``$SNA_VEGA_BUNDLE``.
    """
    from sna_lib.book.pipeline import cache_entry_ok, write_manifest

    folder = Path(cache_dir) / "vendor" / f"vega-{_vl_convert_key()}"
    with _BUNDLE_LOCK:  # a vega_bundle() call meanwhile waits for this text instead of making its own
        text = _read_shared_bundle(folder)
        if text is None:
            text = _BUNDLE.get("text")
            if text is None:  # in a child process: vl-convert holds the GIL while it bundles
                text = subprocess.run([sys.executable, "-c", _MAKE_BUNDLE], capture_output=True, check=True,
                                      timeout=600).stdout.decode("utf-8")
            tmp = folder.with_name(f".{folder.name}.tmp{os.getpid()}-{threading.get_ident()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            (tmp / _BUNDLE_FILE).write_text(text, encoding="utf-8")
            write_manifest(tmp)
            shutil.rmtree(folder, ignore_errors=True)
            try:
                os.replace(tmp, folder)
            except OSError:  # another build wrote it meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
            if not cache_entry_ok(folder):
                raise RuntimeError(f"could not write the shared Vega bundle to {folder}")
        _BUNDLE.setdefault("text", text)
    return folder


#: vl-convert 1.9's page around the bundle and the spec (``vegalite_to_html(spec, bundle=True,
#: renderer="svg")``), for :func:`_bundled_html`; a test compares the two.
_HTML_HEAD = ('<!DOCTYPE html>\n<html>\n  <head>\n    <style>\n        vega-chart.vega-embed {\n'
              '          width: 100%;\n          display: flex;\n        }\n'
              '        vega-chart.vega-embed details,\n        vega-chart.vega-embed details summary {\n'
              '          position: relative;\n        }\n    </style>\n    <meta charset="UTF-8">\n'
              '    <title>Chart</title>\n\n    <script type="text/javascript">')
_HTML_BODY = ('</script>\n            \n  </head>\n  <body>\n    <div id="vega-chart"></div>\n'
              '    <script type="text/javascript">\n\n{\n    const spec = ')
_HTML_TAIL = (';\n    const opts = {"renderer":"svg"}\n    vegaEmbed(\'#vega-chart\', spec, opts)'
              '.catch(console.error);\n}\n\n    </script>\n  </body>\n</html>\n        ')


def _json_like_vl_convert(spec: Any) -> str | None:
    """``spec`` as vl-convert writes it (compact JSON, keys in order, text unescaped but for JSON's
    own escapes), or None when it holds a number Python writes differently (an exponent, a
    non-finite float, an integer beyond 64 bits)."""
    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return True
        if isinstance(value, int):
            return -(1 << 63) <= value < (1 << 64)
        if isinstance(value, float):
            return math.isfinite(value) and "e" not in repr(value)
        return False

    if not plain(spec):
        return None
    return json.dumps(spec, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _bundled_html(spec: Any) -> str | None:
    """vl-convert's bundled HTML page of Vega-Lite ``spec``, written here from :func:`vega_bundle`
    (no JavaScript runtime started); None when the spec cannot be written exactly as vl-convert
    would (:func:`_json_like_vl_convert`)."""
    text = _json_like_vl_convert(spec)
    return None if text is None else _HTML_HEAD + vega_bundle() + _HTML_BODY + text + _HTML_TAIL


def trend_html(chart) -> str:
    """Self-contained offline HTML of ``chart`` (Vega, Vega-Lite, Vega-Embed inlined): vl-convert's
    page, written from the shared bundle when the spec allows (:func:`_bundled_html`)."""
    spec = chart.to_dict()
    document = _bundled_html(spec)
    if document is None:
        import vl_convert as vlc

        document = vlc.vegalite_to_html(spec, bundle=True, renderer="svg")
    # no actions menu: its "Open in Vega Editor" would send the data to a web site
    document = document.replace('const opts = {"renderer":"svg"}', 'const opts = {"renderer":"svg","actions":false}', 1)
    if '"actions":false' not in document:
        raise RuntimeError("vl-convert's HTML changed: cannot switch the chart's actions menu off")
    if "<script src=" in document or "cdn.jsdelivr" in document:
        raise RuntimeError("trend chart HTML references external JavaScript")
    return document


def static_trend_png(data: pd.DataFrame, area: str, county: str) -> bytes:
    """Both views (yearly, monthly) as a PNG for print and readers without JavaScript."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8), dpi=110)
    for i, grain in enumerate(("Yearly", "Monthly")):
        ax = fig.add_subplot(1, 2, i + 1)
        part = data[data["grain"] == grain]
        for series, colour, style in ((area, CSP_COLOUR, "-"), (county, COUNTY_COLOUR, "--")):
            s = part[part["series"] == series]
            ax.plot(pd.to_datetime(s["date"]), s["rate_per_1000"], style, marker="o", markersize=3,
                    color=colour, label=series)
        ax.set_title(f"{grain}: offences per 1,000 residents" + (" (in the month)" if grain == "Monthly" else ""),
                     fontsize=9)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def show_trend(ctx=None, *, name: str | None = None) -> str:
    """Display the interactive trend for the active CSP context (plus CSV download and print PNG).

    Returns the HTML shown (iframe + static image), for tests.
    """
    from IPython.display import HTML, Markdown, display

    from sna_lib.book import charts
    from sna_lib.book import nbhelpers as nb
    from sna_lib.book.maps import PRINT_CSS, static_img

    ctx = ctx or nb.context()
    county = ctx.county_label
    data = trend_data(ctx.store, ctx.area, county, ctx.config.rolling_end)
    stem = charts.safe_name(name or f"profile-interactive-{ctx.area}")
    data.drop(columns=["date"]).to_csv(ctx.downloads_dir / f"{stem}.csv", index=False, lineterminator="\n")
    alt_text = trend_alt(data, ctx.area, county)
    document = trend_html(trend_chart(data, ctx.area, county))
    shown = (PRINT_CSS
             + f'<iframe class="sna-trend sna-screen-only" title="{html.escape(alt_text, quote=True)}" '
               f'srcdoc="{html.escape(document, quote=True)}" style="width:100%;height:470px;border:0;"></iframe>'
             + static_img(static_trend_png(data, ctx.area, county), alt_text))
    display(HTML(shown))
    display(Markdown(f"{charts.markdown_escape(alt_text)} "
                     f"{{download}}`Download the plotted values (CSV) <{charts.DOWNLOAD_TOKEN}{stem}.csv>`\n"))
    return shown
