"""Offline choropleth maps for the book (folium/Leaflet with the JavaScript inlined).

The published book must work without internet access: no tile server, no CDN. Maps are drawn
from polygons only (LSOA or CSP boundaries), coloured by an area-level rate, class or hotspot
flag — never by incident points. :func:`offline_html` replaces every CDN ``<script>``/``<link>``
folium or branca emits with the vendored copy in ``sna_lib/vendor`` and refuses to leave any
external script or stylesheet behind. :class:`OfflineMap` is what notebooks display: its
``_repr_html_`` is an ``<iframe srcdoc=…>`` holding that self-contained document, so executed
notebooks (and the pages built from them) are offline already.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = [
    "OfflineAssetError",
    "OfflineMap",
    "SEQUENTIAL_COLOURS",
    "FLAG_COLOURS",
    "MISSING_COLOUR",
    "choropleth_map",
    "offline_html",
    "outline_lines",
    "class_breaks",
    "rate_classes",
]

# ColorBrewer YlOrRd (5 classes): sequential, colour-blind safe, prints in greyscale.
SEQUENTIAL_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
# Okabe-Ito vermillion / blue for hot / cold spots; light grey for "not significant".
FLAG_COLOURS = {"hot": "#d55e00", "cold": "#0072b2", "not significant": "#f0f0f0"}
MISSING_COLOUR = "#bdbdbd"
BOUNDARY_COLOUR = "#222222"
#: Line weights (px) of the outlines drawn over the areas: a border between two outlined areas
#: (CSPs) is heavy; the outer edge of them all (the county's land border and its coast) is light,
#: so the creeks and islands of a clipped coastline stay lines instead of filling in black.
OUTLINE_WEIGHTS = {"between areas": 2.0, "outer edge": 1.0}
#: Dashed outline of the polygons a map marks (``choropleth_map(marked=…)``, e.g. LSOAs flagged
#: non-residential): Okabe-Ito blue, apart from the sequential fills.
MARK_COLOUR = "#0072b2"
MARK_DASH = "5 4"

# CDN file -> vendored file. Matched against the URL path, so any CDN/version spelling works.
_VENDORED = (
    (re.compile(r"(^|/)leaflet(@[\w.-]+)?/dist/leaflet\.js$|(^|/)leaflet(\.min)?\.js$"), "leaflet.js"),
    (re.compile(r"(^|/)leaflet(@[\w.-]+)?/dist/leaflet\.css$|(^|/)leaflet(\.min)?\.css$"), "leaflet.css"),
    (re.compile(r"(^|/)d3(@3[\w.-]*|/3[\w.-]*)?/d3(\.v3)?(\.min)?\.js$"), "d3.v3.min.js"),
)
# folium defaults the polygon maps never need (markers, bootstrap widgets, icon fonts).
# Dropped from every folium.Map before rendering; marker icons are therefore unsupported.
_UNUSED_DEFAULTS = {"jquery", "bootstrap", "bootstrap_css", "awesome_markers",
                    "awesome_markers_css", "awesome_markers_font_css", "awesome_rotate_css",
                    "glyphicons_css"}

_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*</script>", re.I)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_HREF = re.compile(r"\bhref\s*=\s*[\"']([^\"']+)[\"']", re.I)
_EXTERNAL = re.compile(r"^(https?:)?//", re.I)
_SOURCE_MAP = re.compile(r"^\s*//[#@] sourceMappingURL=.*$", re.M)


#: Interactive content is for screens; its static twin (PNG) is for print (PDF) and no-JS readers.
PRINT_CSS = ("<style>.sna-print-only{display:none}@media print{.sna-print-only{display:block !important}"
             ".sna-screen-only,iframe.sna-map{display:none !important}}</style>")


def static_img(png: bytes, alt: str) -> str:
    """``<img>`` (print only) holding ``png`` as a data URI, with alt text.

    Examples
    --------
    >>> static_img(b"PNG", 'a "map"')
    '<img class="sna-print-only sna-static" alt="a &quot;map&quot;" src="data:image/png;base64,UE5H" style="width:100%"/>'
    """
    import base64

    data = base64.b64encode(png).decode("ascii")
    return (f'<img class="sna-print-only sna-static" alt="{html.escape(alt, quote=True)}" '
            f'src="data:image/png;base64,{data}" style="width:100%"/>')


def static_choropleth_png(frame, fills: list[str], entries: list[tuple[str, str]], *, title: str,
                          boundaries=None, marks=None, marked_label: str | None = None) -> bytes:
    """The same layer as the interactive map as a PNG: same fills, classes and legend.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in a projected CRS, in the order of ``fills``.
    fills : list of str
        Fill colour per polygon (from :func:`rate_classes` or the class/flag colours).
    entries : list of (colour, label)
        Legend rows, exactly those of the interactive legend.
    title : str
    boundaries : geopandas.GeoDataFrame, optional
        Outlines drawn on top.
    marks : geopandas.GeoDataFrame, optional
        Polygons outlined dashed on top, with the legend entry ``marked_label``.

    Returns
    -------
    bytes
        PNG (deterministic: no timestamp metadata).
    """
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    # names from data ("$" in a title or label) are plain text, never parsed as mathtext
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = Figure(figsize=(7.5, 6.0), dpi=110)
        ax = fig.add_subplot(1, 1, 1)
        frame.plot(ax=ax, color=list(fills), edgecolor="#666666", linewidth=0.2)
        if boundaries is not None and len(boundaries):
            lines = outline_lines(boundaries.to_crs(frame.crs))
            for row in range(len(lines)):  # the print twin: the same two weights, halved
                lines.iloc[[row]].plot(ax=ax, color=BOUNDARY_COLOUR,
                                       linewidth=OUTLINE_WEIGHTS[lines["kind"].iloc[row]] / 2)
        if marks is not None and len(marks):
            marks.to_crs(frame.crs).boundary.plot(ax=ax, color=MARK_COLOUR, linewidth=1.2, linestyle="--")
        ax.set_axis_off()
        ax.set_aspect("equal")
        handles = [Patch(facecolor=c, edgecolor="#555555", label=label) for c, label in entries]
        if marks is not None and len(marks) and marked_label:
            handles.append(Patch(facecolor="#ffffff", edgecolor=MARK_COLOUR, linestyle="--", linewidth=1.2,
                                 label=marked_label))
        ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=True,
                  fontsize=8, title_fontsize=9)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


class OfflineAssetError(ValueError):
    """A map references an external script or stylesheet that has no vendored copy."""


@lru_cache(maxsize=None)
def _vendored(name: str) -> str:
    text = resources.files("sna_lib").joinpath("vendor", name).read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text)
    # Leaflet's CSS points at marker/layer icons we never use; drop the url() so nothing is fetched.
    if name.endswith(".css"):
        text = re.sub(r"url\((?!data:)[^)]*\)", "none", text)
    return text


def _script_body(name: str) -> str:
    """A vendored script as :func:`offline_html` inlines it (``</script`` escaped)."""
    return _vendored(name).replace("</script", "<\\/script")


def inlined_vendor_code() -> tuple[str, ...]:
    """The vendored files exactly as :func:`offline_html` inlines them in every map (Leaflet, d3,
    Leaflet's CSS): library code, trusted by the leak scan
    (:attr:`sna_lib.publication.leakscan.LeakRules.trusted_text`).

    Examples
    --------
    >>> import folium
    >>> doc = offline_html(folium.Map(tiles=None, location=[51.7, 0.5], zoom_start=9))
    >>> [name for name, code in zip(("d3", "leaflet.css", "leaflet.js"), inlined_vendor_code()) if code in doc]
    ['leaflet.css', 'leaflet.js']
    """
    names = sorted({name for _, name in _VENDORED})
    return tuple(_script_body(n) if n.endswith(".js") else _vendored(n) for n in names)


def _vendored_name(url: str) -> str | None:
    path = re.sub(r"[?#].*$", "", url)
    for pattern, name in _VENDORED:
        if pattern.search(path):
            return name
    return None


def offline_html(folium_map) -> str:
    """Render a folium map (or any branca element) to a self-contained HTML document.

    Every ``<script src=…>`` and stylesheet ``<link>`` pointing outside the document is replaced
    by the vendored file's contents inlined in ``<script>``/``<style>`` tags.

    Parameters
    ----------
    folium_map : folium.Map or branca.element.Element
        The map to render. Element ids are made deterministic first, so the same map gives
        byte-identical HTML.

    Returns
    -------
    str
        A complete HTML document with no external scripts or stylesheets.

    Raises
    ------
    OfflineAssetError
        If the map needs an external script or stylesheet that is not vendored.

    Examples
    --------
    >>> import folium
    >>> doc = offline_html(folium.Map(tiles=None, location=[51.7, 0.5], zoom_start=9))
    >>> "cdn.jsdelivr" in doc or "<script src=" in doc
    False
    >>> "L.map(" in doc
    True
    """
    root = folium_map.get_root()
    _drop_unused_defaults(root)
    _deterministic_ids(root)
    document = root.render()

    def script(match: re.Match) -> str:
        url = match.group(1)
        if not _EXTERNAL.match(url):
            return match.group(0)
        name = _vendored_name(url)
        if name is None or not name.endswith(".js"):
            raise OfflineAssetError(f"map needs external script {url!r}, which is not vendored")
        body = _script_body(name)
        return f"<script>/* {name} (vendored, see sna_lib/vendor/PROVENANCE.md) */\n{body}\n</script>"

    def link(match: re.Match) -> str:
        tag = match.group(0)
        href = _HREF.search(tag)
        if href is None or not _EXTERNAL.match(href.group(1)):
            return tag
        url = href.group(1)
        name = _vendored_name(url)
        if name is None or not name.endswith(".css"):
            raise OfflineAssetError(f"map needs external stylesheet {url!r}, which is not vendored")
        return f"<style>/* {name} (vendored) */\n{_vendored(name)}\n</style>"

    document = _SCRIPT_SRC.sub(script, document)
    document = _LINK_TAG.sub(link, document)
    return document


def _walk(root):
    stack, seen = [root], set()
    while stack:
        element = stack.pop(0)
        if id(element) in seen:
            continue
        seen.add(id(element))
        yield element
        for attr in ("header", "html", "script"):
            child = getattr(element, attr, None)
            if child is not None and hasattr(child, "_children"):
                stack.append(child)
        stack.extend(getattr(element, "_children", {}).values())


def _drop_unused_defaults(root) -> None:
    """Remove folium's jQuery/Bootstrap/icon-font defaults (polygon maps never use them)."""
    import folium

    for element in _walk(root):
        if isinstance(element, folium.Map):
            element.default_js = [p for p in element.default_js if p[0] not in _UNUSED_DEFAULTS]
            element.default_css = [p for p in element.default_css if p[0] not in _UNUSED_DEFAULTS]


def _deterministic_ids(root) -> None:
    """Replace branca's random element ids with a counter so output is reproducible."""
    for counter, element in enumerate(e for e in _walk(root) if hasattr(e, "_id")):
        element._id = f"{counter:08x}"


@dataclass(frozen=True)
class OfflineMap:
    """A rendered, self-contained map that displays as an ``<iframe srcdoc>`` in notebooks/books.

    Attributes
    ----------
    document : str
        The complete offline HTML document (see :func:`offline_html`).
    title : str
        Accessible title of the iframe (read by screen readers).
    height : int
        Height in CSS pixels.

    Examples
    --------
    >>> m = OfflineMap("<html><body>map</body></html>", title="Rates", height=300)
    >>> 'srcdoc="&lt;html&gt;' in m._repr_html_()
    True
    """

    document: str
    title: str
    height: int = 480
    static_png: bytes | None = None

    def _repr_html_(self) -> str:
        frame = (
            f'<iframe class="sna-map" title="{html.escape(self.title, quote=True)}" '
            f'srcdoc="{html.escape(self.document, quote=True)}" '
            f'style="width:100%;height:{int(self.height)}px;border:1px solid #ccc;"></iframe>'
        )
        if self.static_png is None:
            return frame
        return frame + PRINT_CSS + static_img(self.static_png, f"Map (static, for print): {self.title}")

    @property
    def size_bytes(self) -> int:
        """Size of the embedded HTML as it appears in a page (escaped), in bytes."""
        return len(self._repr_html_().encode("utf-8"))


def class_breaks(values: pd.Series, k: int = 5) -> list[float]:
    """Upper bounds of ``k`` quantile classes of the finite values (fewer when values tie).

    Parameters
    ----------
    values : pandas.Series
        Numeric values; NaN (missing or suppressed) are ignored.
    k : int, default 5
        Number of classes wanted.

    Returns
    -------
    list of float
        Strictly increasing class upper bounds; the last is the maximum.

    Examples
    --------
    >>> class_breaks(pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), k=5)
    [2.8, 4.6, 6.4, 8.2, 10.0]
    >>> class_breaks(pd.Series([0, 0, 0, 5]), k=4)
    [0.0, 1.25, 5.0]
    >>> class_breaks(pd.Series([0, 0, 0, 0, 0, 5]), k=4)
    [0.0, 5.0]
    """
    finite = pd.to_numeric(values, errors="coerce").astype("float64")
    finite = finite[np.isfinite(finite)]
    if finite.empty:
        return []
    qs = np.quantile(finite.to_numpy(), np.linspace(0, 1, k + 1)[1:])
    breaks: list[float] = []
    for q in qs:
        q = round(float(q), 10)
        if not breaks or q > breaks[-1]:
            breaks.append(q)
    return breaks


def rate_classes(values: pd.Series, *, classes: int = 5, decimals: int = 1) -> tuple[list[str], list[tuple[str, str]]]:
    """Colour per value and legend entries: zero as its own class, quantile classes above it.

    Parameters
    ----------
    values : pandas.Series
        Rates (NaN = missing or suppressed, coloured :data:`MISSING_COLOUR`).
    classes : int
        Classes in all (including the zero class when zeros occur).
    decimals : int
        Decimal places in legend labels.

    Returns
    -------
    fills : list of str
        Hex colour per value.
    entries : list of (colour, label)
        Legend rows; each label spans the smallest and largest value in the class.

    Examples
    --------
    >>> fills, legend = rate_classes(pd.Series([0, 0, 1, 2, 3, 4, float("nan")]), classes=3)
    >>> [label for _, label in legend]
    ['0', '1.0 – 2.0', '3.0 – 4.0', 'no data / suppressed']
    >>> fills[0] == fills[1], fills[-1] == MISSING_COLOUR
    (True, True)
    """
    numeric = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    finite = np.isfinite(numeric)
    has_zero = bool((numeric[finite] == 0).any())
    positive = pd.Series(numeric[finite & (numeric > 0)])
    breaks = class_breaks(positive, max(1, classes - int(has_zero)))
    n_classes = len(breaks) + int(has_zero)
    palette = _spread(SEQUENTIAL_COLOURS, n_classes)
    klass = np.full(len(numeric), -1)
    if breaks:
        pos = finite & (numeric > 0)
        klass[pos] = np.minimum(np.searchsorted(np.asarray(breaks), numeric[pos], side="left"),
                                len(breaks) - 1) + int(has_zero)
    if has_zero:
        klass[finite & (numeric == 0)] = 0
    fills = [MISSING_COLOUR if k < 0 else palette[k] for k in klass]
    entries = []
    for k in range(n_classes):
        members = numeric[klass == k]
        if has_zero and k == 0:
            entries.append((palette[k], "0"))
        elif len(members):
            entries.append((palette[k], f"{_format_value(float(members.min()), decimals)} – "
                                        f"{_format_value(float(members.max()), decimals)}"))
    if (~finite).any():
        entries.append((MISSING_COLOUR, "no data / suppressed"))
    return fills, entries


def _format_value(value: float, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data / suppressed"
    return f"{value:,.{decimals}f}"


#: First-view margins (CSS px: left, top, right, bottom) that keep polygons clear of the zoom
#: buttons (10 px from the top-left corner, 34 px wide) and of the scale bar and attribution (the
#: bottom 44 px). Measured on the vendored Leaflet 1.9.4 in headless chromium.
CONTROL_MARGIN_PX = (48, 8, 8, 46)

#: Height (CSS px) of the legend strip under the map: title line + one line of entries + padding.
#: The iframe is this much taller than the map's ``height``, so the map keeps its size.
LEGEND_STRIP_PX = 56

# The map document is a column: the map fills what the legend strip below it leaves. The legend
# sits outside the map frame, so it never hides a polygon at any zoom or screen width.
_LAYOUT_CSS = ("<style>html,body{height:100%;margin:0}"
               "body{display:flex;flex-direction:column}"
               ".folium-map{flex:1 1 0;min-height:0;height:auto !important}"
               ".sna-legend{order:2;flex:0 0 auto}</style>")


_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def inert_text(value) -> str:
    """Text from data made safe for a folium map: HTML-escaped, and braces as character references.

    Leaflet's tooltip puts these strings into ``innerHTML``, so markup must be escaped. Braces
    matter because branca wraps each rendered map script in a new Jinja template and renders it
    again: a name such as ``{{ 7*7 }}`` inside the GeoJSON would be *evaluated* at build time
    (template injection, up to running code). ``&#123;``/``&#125;`` show as braces in the browser.

    Examples
    --------
    >>> inert_text("{{ 7*7 }} <b>")
    '&#123;&#123; 7*7 &#125;&#125; &lt;b&gt;'
    >>> inert_text(3.5)
    '3.5'
    """
    return html.escape(str(value), quote=True).translate(_BRACES)


def _legend_html(title: str, entries: list[tuple[str, str]], marked_label: str | None = None) -> str:
    swatches = [(f"border:1px solid #555;background:{colour}", label) for colour, label in entries]
    if marked_label:
        swatches.append((f"box-sizing:border-box;border:2px dashed {MARK_COLOUR};background:#ffffff", marked_label))
    rows = "".join(
        f'<span style="display:inline-block;margin-right:12px;white-space:nowrap">'
        f'<span style="display:inline-block;width:14px;height:14px;margin-right:5px;'
        f'vertical-align:middle;{style}"></span>'
        f"{inert_text(label)}</span>"
        for style, label in swatches
    )
    return (
        '<div class="sna-legend" role="group" aria-label="Legend" style="background:#fff;'
        'padding:4px 8px;border-top:1px solid #ccc;font:12px/1.5 sans-serif;">'
        f"<strong>{inert_text(title)}</strong><br>{rows}</div>"
    )


def choropleth_map(
    areas,
    value_column: str,
    *,
    title: str,
    kind: str = "rate",
    name_column: str = "lsoa_name",
    code_column: str = "lsoa_code",
    decimals: int = 1,
    classes: int = 5,
    boundaries=None,
    simplify_tolerance: float = 20.0,
    height: int = 480,
    static: bool = True,
    categories=None,
    marked=None,
    marked_label: str = "",
) -> OfflineMap:
    """Draw polygons coloured by an area-level value, with legend and tooltips, fully offline.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per polygon (LSOA or CSP) in a projected CRS (metres), with ``value_column``.
        Only the name, code and formatted value leave this function: no other column is
        written into the page.
    value_column : str
        Column to map. ``kind="rate"``: numbers, split into quantile classes (NaN =
        missing/suppressed, drawn grey). ``kind="class"``: labels (str), one colour each in
        sorted order. ``kind="flag"``: labels among ``FLAG_COLOURS`` (hot/cold/not significant).
    title : str
        Legend heading and the iframe's accessible title.
    kind : {"rate", "class", "flag"}
    name_column, code_column : str
        Columns shown in the tooltip.
    decimals : int
        Decimal places for rates in the tooltip and legend.
    classes : int
        Number of quantile classes for rates.
    boundaries : geopandas.GeoDataFrame, optional
        Outlines drawn on top (e.g. CSP boundaries), no fill.
    simplify_tolerance : float
        Douglas–Peucker tolerance in CRS units (metres) to keep pages small.
    height : int
        Map height in pixels.
    static : bool
        Also draw the same layer, classes and legend as a PNG (:func:`static_choropleth_png`),
        shown instead of the interactive map in print (PDF) via ``@media print``.
    categories : sequence of str, optional
        ``kind="class"`` only: the whole ordered scale (e.g. ``0 of 3 quarters`` … ``3 of 3
        quarters``). Colours are spread over all of it and the legend lists all of it, so a class
        has the same colour in every book whichever classes occur; a label outside it is an error.
        Default: the labels present, sorted.
    marked : iterable of str, optional
        Codes (``code_column``) of polygons to outline, dashed, over the fills: e.g. the LSOAs
        flagged non-residential, whose counts come from people who do not live there.
    marked_label : str
        Their legend entry (required with a non-empty ``marked``).

    Returns
    -------
    OfflineMap

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"lsoa_code": ["X1", "X2"], "lsoa_name": ["A", "B"],
    ...                       "rate": [1.0, 3.0]},
    ...                      geometry=[box(550000, 200000, 551000, 201000),
    ...                                box(551000, 200000, 552000, 201000)], crs=27700)
    >>> m = choropleth_map(g, "rate", title="Rate per 1,000")
    >>> "https://cdn" in m.document
    False
    """
    import folium

    if areas.crs is None or not areas.crs.is_projected:
        raise ValueError("choropleth_map needs polygons in a projected CRS (metres), e.g. EPSG:27700")
    if kind not in {"rate", "class", "flag"}:
        raise ValueError(f"kind must be 'rate', 'class' or 'flag', not {kind!r}")
    geom_types = set(areas.geometry.geom_type.dropna())
    if not geom_types <= {"Polygon", "MultiPolygon"}:
        raise ValueError(f"maps show areas only (Polygon/MultiPolygon), never points or lines: got {sorted(geom_types)}")

    frame = areas[[code_column, name_column, value_column, "geometry"]].copy()
    frame["geometry"] = frame.geometry.simplify(simplify_tolerance, preserve_topology=True)
    values = frame[value_column]

    if kind == "rate":
        numeric = pd.to_numeric(values, errors="coerce").astype("float64")
        fills, entries = rate_classes(numeric, classes=classes, decimals=decimals)
        shown = [_format_value(v, decimals) for v in numeric.to_numpy()]
    else:
        labels = values.astype("string").fillna("no data")
        if kind == "flag":
            unknown = sorted(set(labels) - set(FLAG_COLOURS) - {"no data"})
            if unknown:
                raise ValueError(f"flag values must be among {sorted(FLAG_COLOURS)}, got {unknown}")
            colours = dict(FLAG_COLOURS)
            order = [k for k in FLAG_COLOURS if k in set(labels)]
        else:
            if categories is not None:
                order = [str(c) for c in categories]
                unknown = sorted(set(labels) - set(order) - {"no data"})
                if unknown:
                    raise ValueError(f"class values must be among the categories {order}, got {unknown}")
            else:
                order = sorted(set(labels) - {"no data"})
            colours = dict(zip(order, _spread(SEQUENTIAL_COLOURS, len(order))))
        colours["no data"] = MISSING_COLOUR
        if "no data" in set(labels):
            order.append("no data")
        fills = [colours[label] for label in labels]
        shown = list(labels)
        entries = [(colours[label], label) for label in order]

    # Leaflet's tooltip sets innerHTML from these properties: every text is HTML-escaped here,
    # once, so a name such as '<img src=x onerror=…>' is shown as text and never runs.
    layer = frame[[code_column, name_column, "geometry"]].copy()
    for column in (code_column, name_column):
        layer[column] = [inert_text(v) if v is not None and v == v else "" for v in layer[column]]
    layer["value"] = [inert_text(v) for v in shown]
    layer["fill"] = fills
    layer = layer.to_crs(4326)

    minx, miny, maxx, maxy = layer.total_bounds
    # zoom_snap: the first view fits the area at a fractional zoom, so it fills the frame
    # instead of dropping to the next whole zoom level (up to half the size).
    fmap = folium.Map(tiles=None, zoom_control=True, scrollWheelZoom=False, zoom_snap=0.1,
                      control_scale=True, prefer_canvas=False, width="100%", height="100%")
    fmap.get_root().header.add_child(
        folium.Element("<style>.leaflet-container{background:#ffffff !important;}</style>" + _LAYOUT_CSS),
        name="sna_bg")

    folium.GeoJson(
        _compact_geojson(layer),
        name="areas",
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"], "fillOpacity": 1.0,
            "color": "#666666", "weight": 0.4,
        },
        highlight_function=lambda feature: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[name_column, code_column, "value"],
            aliases=["Area", "Code", inert_text(title)],
            localize=False, sticky=True,
        ),
    ).add_to(fmap)

    if boundaries is not None and len(boundaries):
        outline = outline_lines(boundaries.to_crs(areas.crs), simplify_tolerance)
        folium.GeoJson(
            _compact_geojson(outline.to_crs(4326)),
            name="boundaries",
            style_function=lambda feature: {"fillOpacity": 0, "color": BOUNDARY_COLOUR,
                                            "weight": OUTLINE_WEIGHTS[feature["properties"]["kind"]]},
            interactive=False,
        ).add_to(fmap)

    marked = sorted({str(c) for c in marked}) if marked is not None else []
    marks = frame[frame[code_column].astype(str).isin(marked)][["geometry"]]
    if marked and not marked_label:
        raise ValueError("marked polygons need a marked_label for the legend")
    if len(marks):
        folium.GeoJson(
            _compact_geojson(marks.to_crs(4326)),
            name="marked",
            style_function=lambda feature: {"fillOpacity": 0, "color": MARK_COLOUR, "weight": 2.5,
                                            "dashArray": MARK_DASH},
            interactive=False,
        ).add_to(fmap)
    marked_label = marked_label if len(marks) else None

    # the first view keeps polygons clear of Leaflet's own controls: the zoom buttons (top left)
    # in a left margin, the scale bar and attribution (bottom) in a bottom margin
    fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=CONTROL_MARGIN_PX[:2],
                    padding_bottom_right=CONTROL_MARGIN_PX[2:])
    _add_legend(fmap, _legend_html(title, entries, marked_label))
    static = static_choropleth_png(frame, fills, entries, title=title, boundaries=boundaries,
                                   marks=marks if marked_label else None, marked_label=marked_label) if static else None
    return OfflineMap(offline_html(fmap), title=title, height=height + LEGEND_STRIP_PX, static_png=static)


def outline_lines(boundaries, simplify_tolerance: float = 0.0):
    """The outlines of ``boundaries`` as lines of two kinds: ``"between areas"`` (segments two of
    the polygons share) and ``"outer edge"`` (segments of one polygon only: the edge of their
    union). Built from the polygons' own vertices (no new point is made, so the lines pass the
    publication leak check as boundary vertices), then simplified by ``simplify_tolerance``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> two = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700)
    >>> lines = outline_lines(two)
    >>> list(lines["kind"]), [round(g.length, 6) for g in lines.geometry]
    (['between areas', 'outer edge'], [1.0, 6.0])
    """
    import geopandas as gpd
    from shapely.geometry import LineString, MultiLineString
    from shapely.ops import linemerge

    seen: dict[tuple, int] = {}  # segment (ordered ends) -> how many polygons have it, in first-seen order
    for geom in boundaries.geometry:
        if geom is None or geom.is_empty:
            continue
        edge = geom.boundary
        for line in getattr(edge, "geoms", [edge]):
            coords = list(line.coords)
            for a, b in zip(coords, coords[1:]):
                if a != b:
                    key = (a, b) if a <= b else (b, a)
                    seen[key] = seen.get(key, 0) + 1
    kinds, geoms = [], []
    for kind, wanted in (("between areas", lambda n: n > 1), ("outer edge", lambda n: n == 1)):
        segments = [LineString(k) for k, n in seen.items() if wanted(n)]
        if not segments:
            continue
        merged = linemerge(MultiLineString(segments))
        kinds.append(kind)
        geoms.append(merged.simplify(simplify_tolerance) if simplify_tolerance else merged)
    return gpd.GeoDataFrame({"kind": kinds}, geometry=geoms, crs=boundaries.crs)


def _round_coords(coords, decimals: int):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), decimals) for c in coords]
    return [_round_coords(c, decimals) for c in coords]


def _compact_geojson(frame, decimals: int = 7) -> dict:
    """GeoJSON dict without per-feature bounding boxes, coordinates rounded (7 dp ≈ 1 cm).

    7 decimal places is also the precision at which :mod:`sna_lib.publication.leakscan` recognises
    published boundary vertices, so maps pass the publication leak check.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"a": [1]}, geometry=[box(0.123456789, 51.0, 0.2, 51.1)], crs=4326)
    >>> f = _compact_geojson(g)["features"][0]
    >>> "bbox" in f, f["geometry"]["coordinates"][0][0]
    (False, [0.2, 51.0])
    """
    data = frame.to_geo_dict(show_bbox=False, drop_id=False)
    for feature in data["features"]:
        feature.pop("bbox", None)
        geometry = feature.get("geometry")
        if geometry and "coordinates" in geometry:
            geometry["coordinates"] = _round_coords(geometry["coordinates"], decimals)
    return data


def _add_legend(fmap, legend: str) -> None:
    """Put the legend strip in the document body, after the map (the layout CSS puts it below).

    ``legend`` is finished, escaped HTML. It goes in as a template *variable*: passing it to
    ``folium.Element(...)`` would make it the Jinja template itself, and a name such as
    ``{{ 7*7 }}`` would be evaluated.
    """
    from branca.element import Element
    from folium.template import Template

    class _Legend(Element):
        _template = Template("{{ this.legend }}")

        def __init__(self, legend_html: str):
            super().__init__()
            self._name = "Legend"
            self.legend = legend_html

    fmap.get_root().html.add_child(_Legend(legend), name="sna_legend")


def _spread(palette: tuple[str, ...], n: int) -> list[str]:
    """Pick ``n`` colours spread evenly across a sequential palette (darkest last)."""
    if n <= 0:
        return []
    if n == 1:
        return [palette[-1]]
    idx = np.round(np.linspace(0, len(palette) - 1, n)).astype(int)
    return [palette[i] for i in idx]
