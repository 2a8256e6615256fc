"""Offline maps: vendored Leaflet/d3 inlined, nothing fetched, polygons only, and they really draw.

Unit tests render small folium maps. Browser tests screenshot the map of the built book's
section page in headless chromium (skipped when chromium is absent) and measure how much of the
map pane is coloured — a blank map (JavaScript not loaded) is all white.
"""

from __future__ import annotations

import hashlib
import json
import html as htmllib
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

geopandas = pytest.importorskip("geopandas")
from shapely.geometry import Point, box  # noqa: E402

from sna_lib.book.maps import (  # noqa: E402
    FLAG_COLOURS,
    MISSING_COLOUR,
    OUTLINE_WEIGHTS,
    SEQUENTIAL_COLOURS,
    OfflineAssetError,
    choropleth_map,
    offline_html,
    outline_lines,
)

EXTERNAL_ASSET = re.compile(r"<(script|link)\b[^>]*\b(src|href)\s*=\s*[\"'](https?:)?//", re.I)
VENDOR = resources.files("sna_lib").joinpath("vendor")


def _squares(rates, crs=27700):
    polys = [box(550_000 + 1000 * i, 200_000, 551_000 + 1000 * i, 201_000) for i in range(len(rates))]
    return geopandas.GeoDataFrame(
        {"lsoa_code": [f"X0100000{i}" for i in range(len(rates))],
         "lsoa_name": [f"Area {i}" for i in range(len(rates))], "rate": rates},
        geometry=polys, crs=crs)


def test_vendored_files_match_their_recorded_hashes():
    provenance = VENDOR.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    recorded = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", provenance, re.M))
    assert set(recorded) == {"leaflet.js", "leaflet.css", "d3.v3.min.js"}
    for name, digest in recorded.items():
        assert hashlib.sha256(VENDOR.joinpath(name).read_bytes()).hexdigest() == digest, name


def test_plain_folium_map_becomes_self_contained():
    import folium

    doc = offline_html(folium.Map(tiles=None, location=[51.7, 0.5], zoom_start=9))
    assert not EXTERNAL_ASSET.search(doc)
    for host in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "bootstrapcdn"):
        assert host not in doc
    leaflet = VENDOR.joinpath("leaflet.js").read_text(encoding="utf-8")
    body = leaflet.split("//# sourceMappingURL")[0].strip()
    assert body[-2000:] in doc  # the vendored library itself is inlined
    assert "sourceMappingURL" not in doc


def test_branca_colormap_gets_the_vendored_d3():
    import branca.colormap
    import folium

    fmap = folium.Map(tiles=None, location=[51.7, 0.5], zoom_start=9)
    branca.colormap.LinearColormap(["#ffffb2", "#bd0026"], vmin=0, vmax=1).add_to(fmap)
    doc = offline_html(fmap)
    assert not EXTERNAL_ASSET.search(doc)
    assert "d3.v3.min.js (vendored" in doc


def test_unvendored_plugin_is_refused_not_silently_broken():
    import folium
    from folium.plugins import Fullscreen

    fmap = folium.Map(tiles=None, location=[51.7, 0.5], zoom_start=9)
    Fullscreen().add_to(fmap)
    with pytest.raises(OfflineAssetError, match="not vendored"):
        offline_html(fmap)


def test_choropleth_colours_legend_and_tooltip_by_hand():
    # zero is its own class; the positive rates 1, 2, 10 split at their median (2) and max (10)
    m = choropleth_map(_squares([0.0, 1.0, 2.0, 10.0, float("nan")]), "rate", title="Rate", classes=3)
    doc = m.document
    assert not EXTERNAL_ASSET.search(doc)
    features = re.findall(r'"fill": "(#[0-9a-f]{6})".*?"lsoa_code": "(X\d+)"', doc)
    fills = dict((code, fill) for fill, code in features)
    lightest, middle, darkest = SEQUENTIAL_COLOURS[0], SEQUENTIAL_COLOURS[2], SEQUENTIAL_COLOURS[4]
    assert fills == {"X01000000": lightest, "X01000001": middle, "X01000002": middle,
                     "X01000003": darkest, "X01000004": MISSING_COLOUR}
    legend = re.search(r'<div class="sna-legend".*?</div>', doc).group(0)
    for label in ("0", "1.0 – 2.0", "10.0 – 10.0", "no data / suppressed"):
        assert f"</span>{label}</span>" in legend
    assert 'let fields = ["lsoa_name", "lsoa_code", "value"];' in doc
    assert '"value": "10.0"' in doc and '"value": "no data / suppressed"' in doc


def test_only_name_code_and_value_reach_the_page():
    areas = _squares([1.0, 2.0])
    areas["person_id"] = ["P-CANARY-1", "P-CANARY-2"]
    areas["offences"] = [3, 4]
    doc = choropleth_map(areas, "rate", title="Rate").document
    assert "P-CANARY" not in doc and '"offences"' not in doc


def test_flags_use_the_flag_palette():
    areas = _squares([0, 0, 0])
    areas["flag"] = ["hot", "cold", "not significant"]
    doc = choropleth_map(areas, "flag", title="Hot spots", kind="flag").document
    for colour in FLAG_COLOURS.values():
        assert f'"fill": "{colour}"' in doc


def test_outlines_split_into_shared_borders_and_the_outer_edge_by_hand():
    """Three 1 km CSP squares in an L (A|B on top, C under A): A–B and A–C share one side each
    (2 km between areas); the 12 sides less the 2 shared ones counted twice leave 8 km of outer edge."""
    km = 1000
    csps = geopandas.GeoDataFrame({"area": ["A", "B", "C"]}, geometry=[
        box(0, km, km, 2 * km), box(km, km, 2 * km, 2 * km), box(0, 0, km, km)], crs=27700)
    lines = outline_lines(csps)
    by_kind = dict(zip(lines["kind"], lines.geometry))
    assert sorted(by_kind) == ["between areas", "outer edge"]
    assert by_kind["between areas"].length == pytest.approx(2 * km)
    assert by_kind["outer edge"].length == pytest.approx(8 * km)
    # no new point: every vertex of the lines is a corner of the squares
    corners = {(x, y) for g in csps.geometry for x, y in g.exterior.coords}
    drawn = {xy for g in lines.geometry for part in getattr(g, "geoms", [g]) for xy in part.coords}
    assert drawn <= corners
    # the map draws the shared borders heavy and the outer edge light
    doc = choropleth_map(_squares([1.0, 2.0]), "rate", title="Rate", boundaries=csps).document
    assert '"kind": "between areas"' in doc and '"kind": "outer edge"' in doc
    assert OUTLINE_WEIGHTS["between areas"] > OUTLINE_WEIGHTS["outer edge"]


def test_class_colours_follow_the_whole_scale_not_the_classes_present():
    """An ordinal scale (quarters hot, 0..3): '2 of 3' gets the same colour in a book where
    '1 of 3' occurs and in one where it does not; the legend lists the whole scale."""
    scale = [f"{k} of 3" for k in range(4)]

    def fills(labels):
        areas = _squares([0.0] * len(labels))
        areas["q"] = labels
        doc = choropleth_map(areas, "q", title="Quarters", kind="class", categories=scale).document
        found = dict((code, fill) for fill, code in re.findall(r'"fill": "(#[0-9a-f]{6})".*?"lsoa_code": "(X\d+)"', doc))
        return [found[f"X0100000{i}"] for i in range(len(labels))], doc

    county, _ = fills(["0 of 3", "1 of 3", "2 of 3", "3 of 3"])
    csp, doc = fills(["0 of 3", "2 of 3", "3 of 3"])  # no '1 of 3' here
    assert county == [SEQUENTIAL_COLOURS[i] for i in (0, 1, 3, 4)]  # 4 classes spread over 5 colours
    assert csp == [county[0], county[2], county[3]]
    legend = re.search(r'<div class="sna-legend".*?</div>', doc).group(0)
    assert all(f"</span>{label}</span>" in legend for label in scale)
    with pytest.raises(ValueError, match="among the categories"):
        fills(["4 of 3"])


def test_marked_polygons_are_outlined_dashed_with_a_legend_entry():
    areas = _squares([1.0, 2.0, 3.0])
    doc = choropleth_map(areas, "rate", title="Rate", marked=["X01000001"], marked_label="non-residential").document
    marked = re.search(r'"dashArray": "5 4".*?\}', doc, re.S)
    assert marked, "no dashed layer"
    # the dashed layer holds exactly the marked square, with the same ring as its filled polygon
    layers = [json.loads(g)["features"] for g in re.findall(r"geo_json_\w+_add\((\{.*?\})\);", doc, re.S)]
    filled = {f["properties"]["lsoa_code"]: f["geometry"] for f in layers[0]}
    (dashed,) = [f for layer in layers[1:] for f in layer]
    assert dashed["geometry"] == filled["X01000001"]
    assert "non-residential</span>" in re.search(r'<div class="sna-legend".*?</div>', doc).group(0)
    # nothing marked, or none of the codes on this map: no layer, no legend entry
    plain = choropleth_map(areas, "rate", title="Rate", marked=["E0999"], marked_label="non-residential").document
    assert '"dashArray"' not in plain and "non-residential" not in plain
    with pytest.raises(ValueError, match="marked_label"):
        choropleth_map(areas, "rate", title="Rate", marked=["X01000001"])


def test_points_are_never_mapped():
    points = geopandas.GeoDataFrame({"lsoa_code": ["a"], "lsoa_name": ["a"], "rate": [1.0]},
                                    geometry=[Point(550_000, 200_000)], crs=27700)
    with pytest.raises(ValueError, match="never points"):
        choropleth_map(points, "rate", title="Rate")
    with pytest.raises(ValueError, match="projected CRS"):
        choropleth_map(_squares([1.0]).to_crs(4326), "rate", title="Rate")


def test_template_syntax_in_names_is_shown_not_evaluated():
    """branca renders each map script a second time as a Jinja template: text from data must
    reach it with its braces as character references, or ``{{ 7*7 }}`` becomes 49 (and a longer
    expression runs code at build time)."""
    import folium

    areas = _squares([1.0, 2.0, 3.0])
    areas["lsoa_name"] = ["{{ 7*7 }}", "{{ cycler.__init__.__globals__.os.getcwd() }}", "{# open comment"]
    areas["lsoa_code"] = ["{% raw %}", "X2", "X3"]
    areas["label"] = ["{{ 6*7 }}", "b", "c"]
    doc = choropleth_map(areas, "label", title="{{ 5*5 }} per 1,000", kind="class").document
    props = [json.loads(m) for m in re.findall(r'"properties":\s*(\{[^{}]*\})', doc)]
    names = [p["lsoa_name"] for p in props if "lsoa_name" in p]
    assert names[:2] == ["&#123;&#123; 7*7 &#125;&#125;",
                         "&#123;&#123; cycler.__init__.__globals__.os.getcwd() &#125;&#125;"]
    assert str(Path.cwd()) not in doc and '"49"' not in doc and '"42"' not in doc
    legend = re.search(r'<div class="sna-legend".*?</div>', doc).group(0)
    assert "<strong>&#123;&#123; 5*5 &#125;&#125; per 1,000</strong>" in legend
    assert "&#123;&#123; 6*7 &#125;&#125;</span>" in legend
    # the hazard is real: the same name handed to folium as it is gets evaluated
    raw = folium.Map(tiles=None)
    folium.GeoJson({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": "{{ 7*7 }}"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}]}
    ).add_to(raw)
    assert '"n": "49"' in raw.get_root().render()


def test_same_map_gives_identical_html():
    a = choropleth_map(_squares([1.0, 5.0, 9.0]), "rate", title="Rate")
    b = choropleth_map(_squares([1.0, 5.0, 9.0]), "rate", title="Rate")
    assert a.document == b.document
    assert a._repr_html_().startswith('<iframe class="sna-map" title="Rate" srcdoc="')


# ------------------------------------------------------------------------------ in a browser


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
    return path


def _screenshot(page: Path, out: Path, tmp: Path, size: str = "1200,900"):
    from PIL import Image

    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'chromium-profile'}", "--virtual-time-budget=5000",
           f"--screenshot={out}", f"--window-size={size}", page.as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return np.asarray(Image.open(out).convert("RGB")).astype(int)


def _coloured_fraction(pixels: np.ndarray) -> float:
    """Share of pixels that are clearly not white/near-white background."""
    return float((pixels.min(axis=2) < 235).mean())


def _palette_pixels(pixels: np.ndarray, colours) -> dict[str, int]:
    counts = {}
    for colour in colours:
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        counts[colour] = int((np.abs(pixels - rgb).max(axis=2) <= 6).sum())
    return counts


def _map_page(built_book, tmp_path: Path, *, break_it: bool = False) -> Path:
    """The built section's map iframe alone on a page (top-left, 1000x480), exactly as built."""
    raw = (built_book.site / "notebooks" / "03_what_is_sv.html").read_text(encoding="utf-8")
    iframe = re.search(r'<iframe class="sna-map".*?</iframe>', raw, flags=re.S).group(0)
    if break_it:  # negative control: the same map with its inlined Leaflet removed
        iframe = re.sub(r"leaflet\.js \(vendored.*?&lt;/script&gt;", "&lt;/script&gt;", iframe, flags=re.S)
    iframe = re.sub(r'style="[^"]*"', 'style="position:absolute;left:0;top:0;width:1000px;height:480px;border:0"',
                    iframe)
    page = tmp_path / ("broken.html" if break_it else "map.html")
    page.write_text(f"<!doctype html><html><body style='margin:0;background:#fff'>{iframe}</body></html>",
                    encoding="utf-8")
    return page


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.xdist_group("book")
def test_built_map_draws_offline_and_a_broken_one_would_be_caught(built_book, tmp_path):
    shot = _screenshot(_map_page(built_book, tmp_path), tmp_path / "map.png", tmp_path)
    pane = shot[20:460, 20:980]
    fraction = _coloured_fraction(pane)
    used = {c: n for c, n in _palette_pixels(pane, [*SEQUENTIAL_COLOURS, MISSING_COLOUR]).items() if n > 200}
    print(f"\nmap pane: {fraction:.0%} coloured, palette colours drawn: {sorted(used)}")
    assert fraction > 0.15
    assert len(used) >= 3  # zero, withheld and at least one rate class

    blank = _screenshot(_map_page(built_book, tmp_path, break_it=True), tmp_path / "broken.png", tmp_path)
    assert _coloured_fraction(blank[20:460, 20:980]) < 0.02  # the check does fail on a blank map


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.xdist_group("book")
def test_map_renders_inside_the_real_page(built_book, tmp_path):
    page = built_book.site / "notebooks" / "03_what_is_sv.html"
    shot = _screenshot(page, tmp_path / "page.png", tmp_path, size="1200,6000")
    drawn = _palette_pixels(shot, [*SEQUENTIAL_COLOURS, MISSING_COLOUR])
    print(f"\nmap colours in the page screenshot: {drawn}")
    # legend swatches alone are ~200 px per colour; polygons make tens of thousands
    assert sum(drawn.values()) > 20_000


# the first view: no polygon under the legend or Leaflet's controls -----------------------------

_OVERLAP_CHECK = """<script>window.addEventListener("load", function () { setTimeout(function () {
  var paths = [].slice.call(document.querySelectorAll(".leaflet-overlay-pane path.leaflet-interactive"));
  var boxes = [].slice.call(document.querySelectorAll(".leaflet-control, .sna-legend"));
  var hits = boxes.map(function (b) {
    var r = b.getBoundingClientRect(), n = 0;
    paths.forEach(function (p) { var q = p.getBoundingClientRect();
      if (q.left < r.right && q.right > r.left && q.top < r.bottom && q.bottom > r.top) n++; });
    return b.className.split(" ").filter(function (c) { return c != "leaflet-control"; })[0] + "=" + n; });
  var m = document.querySelector(".folium-map").getBoundingClientRect();
  parent.document.body.setAttribute("data-check", paths.length + ";" + Math.round(m.width) + "x"
                                    + Math.round(m.height) + ";" + hits.join(","));
}, 300); });</script>"""


def _overlaps(offline, tmp: Path, width: int, extra_css: str = "") -> tuple[int, str, dict[str, int]]:
    """Open the map at ``width`` px (its own height) in headless chromium; count, for the legend and
    every Leaflet control, the polygons whose on-screen box meets it."""
    doc = offline.document.replace("</head>", extra_css + "</head>").replace("</html>", _OVERLAP_CHECK + "</html>")
    page = tmp / f"overlap-{width}.html"
    page.write_text(f'<!doctype html><html><body style="margin:0"><iframe srcdoc="{htmllib.escape(doc, quote=True)}" '
                    f'style="width:{width}px;height:{offline.height}px;border:0"></iframe></body></html>',
                    encoding="utf-8")
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={tmp / 'chromium-profile'}", "--virtual-time-budget=5000",
           "--window-size=1000,900", "--dump-dom", page.as_uri()]
    dom = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout
    n_paths, size, hits = re.search(r'data-check="([^"]*)"', dom).group(1).split(";")
    return int(n_paths), size, {k: int(v) for k, v in (h.split("=") for h in hits.split(","))}


@pytest.mark.browser
@pytest.mark.parametrize("shape", ["wide", "tall"])
def test_first_view_leaves_every_polygon_clear_of_legend_and_controls(shape, tmp_path):
    """A grid of squares filling its bounding box has land in every corner, where the legend,
    zoom buttons, scale bar and attribution sit; none of their boxes may meet a polygon."""
    cols, rows = (12, 4) if shape == "wide" else (3, 8)
    polys = [box(550_000 + 1000 * i, 200_000 + 1000 * j, 551_000 + 1000 * i, 201_000 + 1000 * j)
             for i in range(cols) for j in range(rows)]
    areas = geopandas.GeoDataFrame({"lsoa_code": [f"X{k}" for k in range(len(polys))],
                                    "lsoa_name": [f"Area {k}" for k in range(len(polys))],
                                    "rate": np.arange(len(polys), dtype=float)}, geometry=polys, crs=27700)
    offline = choropleth_map(areas, "rate", title="Rate per 1,000 residents", static=False)
    for width in (676, 790):                      # the book's content column on a laptop / a desktop
        n_paths, size, hits = _overlaps(offline, tmp_path, width)
        print(f"\n{shape} at {width}px: map {size}, polygons meeting each box: {hits}")
        assert n_paths == len(polys)
        assert set(hits) == {"sna-legend", "leaflet-control-zoom", "leaflet-control-scale",
                             "leaflet-control-attribution"}
        assert all(n == 0 for n in hits.values()), hits
    # negative control: a legend drawn over the map (here at mid-height, right) is caught
    _, _, hits = _overlaps(offline, tmp_path, 676,
                           "<style>.sna-legend{position:absolute;right:10px;top:45%;z-index:1000}</style>")
    assert hits["sna-legend"] > 0
