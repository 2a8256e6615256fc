"""Leak scanner against a hand-made fake site: every hiding place is found, clean pages pass."""

from __future__ import annotations

import base64
import html
import io
import json
import urllib.parse
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sna_lib.publication.leakscan import (
    LeakFound,
    LeakRules,
    ScanReport,
    _scan_bytes,
    _scannable_ids,
    assert_clean,
    id_format_patterns,
    package_static_digests,
    rules_from_data_dir,
    scan_site,
    scan_text,
)

NAME = "Zebedee Quillfeather"
CRIME_ID = "CR-2023-004711"
PERSON_ID = "PX9931207"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A tiny contract-shaped folder: 4 LSOA squares near Chelmsford (EPSG:27700) + ids."""
    d = tmp_path_factory.mktemp("data")
    squares = [box(570000 + i * 1000, 205000, 571000 + i * 1000, 206000) for i in range(4)]
    gpd.GeoDataFrame({"lsoa_code": [f"X0100000{i}" for i in range(4)], "lsoa_name": [f"Town {i}" for i in range(4)],
                      "area": ["North", "North", "South", "South"]}, geometry=squares, crs=27700
                     ).to_parquet(d / "geography.parquet")
    pd.DataFrame({"crime_id": [CRIME_ID, "CR-2023-004712", "CR-2022-000001"], "lsoa_code": ["X01000000"] * 3}
                 ).to_csv(d / "crimes.csv", index=False)
    pd.DataFrame({"crime_id": [CRIME_ID], "person_id": [PERSON_ID]}).to_parquet(d / "persons.parquet")
    return d


@pytest.fixture(scope="module")
def rules(data_dir) -> LeakRules:
    return rules_from_data_dir(data_dir, canaries=[NAME])


def write(site: Path, rel: str, content: str | bytes) -> None:
    path = site / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


def kinds(report):
    return sorted({(f.path.split(" ")[0], f.kind) for f in report.findings})


def test_rules_are_learnt_from_the_data(rules):
    assert {CRIME_ID, PERSON_ID, "CR-2022-000001"} <= rules.identifiers
    assert "X01000000" in rules.not_identifiers
    # bbox = geography (570000..574000, 205000..206000) plus 2 km
    assert rules.bng_bbox == (568000, 203000, 576000, 208000)
    min_lon, min_lat, max_lon, max_lat = rules.lonlat_bbox
    assert 0.40 < min_lon < max_lon < 0.60 and 51.65 < min_lat < max_lat < 51.80  # Chelmsford-ish
    assert len(rules.id_patterns) >= 2  # CR-dddd-dddddd and PXddddddd


def test_id_formats():
    (pattern,) = id_format_patterns(["CR-2023-000001", "CR-2019-123456"])
    import re
    assert re.search(pattern, "see CR-2031-999999.") and not re.search(pattern, "XCR-2031-999999")
    assert id_format_patterns(["12345678", "87654321"]) == ()  # bare numbers would match figures


@pytest.mark.parametrize("page", [
    f"<p>{NAME}</p>",
    f"<td>{NAME.upper()}</td>",
    "<p>Zebedee&nbsp;Quillfeather</p>",
    "<p>Zebedee <b>Quill</b>feather</p>",
    "<p>" + html.escape("Zebedee Quillfeather &") + "</p>",
    '<a href="x?q=' + urllib.parse.quote(NAME) + '">x</a>',
    json.dumps({"cells": [{"outputs": [{"data": {"text/html": [f"<i>{NAME}</i>"]}}]}]}),
    '<script>var s = "Zebedee \\u0051uillfeather";</script>',  # JSON/JS unicode escape
    '<a download="t.csv" href="data:text/csv;base64,' + base64.b64encode(f"area,who\nNorth,{NAME}\n".encode()).decode() + '">csv</a>',
    '<iframe srcdoc="' + html.escape(f'<html><p title="x">{NAME}</p></html>', quote=True) + '"></iframe>',
])
def test_canary_is_found_however_it_is_encoded(page, rules):
    assert any(f.kind == "canary" for f in scan_text(page, rules=rules)), page


def test_identifiers_exact_and_by_format(rules):
    found = {f.match for f in scan_text(f"<td>{CRIME_ID}</td><td>{PERSON_ID}</td><td>CR-2019-555555</td>", rules=rules)
             if f.kind == "identifier"}
    assert found == {CRIME_ID, PERSON_ID, "CR-2019-555555"}  # last: unseen id, known format
    assert scan_text("<td>X01000000</td><td>Town 1</td><td>2,023</td><td>2023</td>", rules=rules) == []


def test_coordinates_inside_the_county_are_found(rules):
    lat, lon = 51.734561, 0.487312  # inside the 4 squares' bbox
    assert rules.lonlat_bbox[1] < lat < rules.lonlat_bbox[3] and rules.lonlat_bbox[0] < lon < rules.lonlat_bbox[2]
    for text in (f"seen at {lat}, {lon}", f"[{lon},{lat}]", f'{{"lat": {lat}, "lng": {lon}}}',
                 "grid ref 571234 205678", "[571234.5, 205678.25]"):
        assert [f.kind for f in scan_text(text, rules=rules)] == ["coordinate"], text
    for text in (f"seen at {lat:.3f}, {lon:.3f}",   # neighbourhood precision
                 "seen at 53.480012, -2.242631",    # Manchester: outside the county
                 "grid ref 471234 205678",          # west of the county
                 "571234 residents; population density 2.1 per hectare; 205678 households"):  # far apart
        assert [f for f in scan_text(text, rules=rules) if f.kind == "coordinate"] == [], text
    # two county-sized numbers close together are reported: the scanner errs on the safe side
    assert len(scan_text("population 571234 and 205678 households", rules=rules)) == 1


def test_published_boundaries_are_not_incidents(data_dir, rules, tmp_path):
    from sna_lib.book.maps import choropleth_map

    geo = gpd.read_parquet(data_dir / "geography.parquet")
    geo["rate"] = [1.5, 2.5, 3.5, 4.5]
    page = choropleth_map(geo, "rate", title="Rate per 1,000")._repr_html_()
    assert "51.7" in html.unescape(page)  # the polygons really are in the page in lat/lon
    write(tmp_path, "map.html", f"<html><body>{page}</body></html>")
    report = scan_site(tmp_path, rules=rules)
    assert report.ok, report.render()
    # the same page with one incident point added is caught
    write(tmp_path, "map.html", f"<html><body>{page}<script>L.marker([51.734561, 0.487312])</script></body></html>")
    assert [f.kind for f in scan_site(tmp_path, rules=rules).findings] == ["coordinate"]


def dataframe_html(n_rows: int, columns: list[str]) -> str:
    return pd.DataFrame({c: range(n_rows) for c in columns}).to_html(classes="dataframe")


def test_record_tables(rules):
    def tables(text):
        return [f for f in scan_text(text, rules=rules) if f.kind == "record_table"]

    assert tables(dataframe_html(1, ["crime_id", "n"]))                   # any row with an id column
    assert tables(dataframe_html(11, ["date", "lsoa_code", "offence_code"]))  # > 10 record rows
    assert not tables(dataframe_html(10, ["date", "lsoa_code", "offence_code"]))
    assert not tables(dataframe_html(500, ["year", "offences", "rate"]))  # aggregate series
    assert not tables(dataframe_html(40, ["age", "sex", "victims"]))      # a count table by age and sex
    assert tables('{"data": [{"person_id": "a1", "age": 17}]}')
    # Sphinx's search index maps the *word* to page numbers: not a record
    assert not tables('Search.setIndex({"terms": {"crime_id": 17, "person_id": [3, 4], "crimin": [1, 3]}})')
    assert not tables("<p>Each record has a crime_id and a person_id (see data/README.md).</p>")
    repr_text = pd.DataFrame({"date": range(60), "age": range(60), "sex": ["M"] * 60}).to_string()
    assert tables(f"<pre>{html.escape(repr_text)}</pre>")


def test_fake_site_every_hiding_place(tmp_path, rules):
    site = tmp_path / "site"
    write(site, "index.html", "<h1>Demo county</h1><p>Knife crime fell by 12% (1,234 offences).</p>")
    write(site, "people.html", f"<p>Victim {PERSON_ID} was 17.</p>")
    write(site, "_static/data.js", f'var hot = {{"where": "51.734561,0.487312"}};')
    write(site, "downloads/table.csv", "person_id,age\nPA1,17\nPA2,19\n")
    nb = {"cells": [{"cell_type": "code", "source": "show()", "outputs": [
        {"output_type": "execute_result", "data": {"text/plain": pd.DataFrame(
            {"date": range(30), "lsoa_code": ["X01000001"] * 30}).to_string() + "\n\n[30 rows x 2 columns]"}}]}]}
    write(site, "_sources/people.ipynb", json.dumps(nb))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner/notes.txt", f"called {NAME}")
    write(site, "downloads/all.zip", buf.getvalue())
    write(site, "_images/fig.png", b"\x89PNG\r\n\x1a\n\x00\x00" + NAME.encode())  # binary: skipped, not read
    report = scan_site(site, rules=rules)
    assert kinds(report) == [
        ("_sources/people.ipynb", "record_table"),
        ("_static/data.js", "coordinate"),
        ("downloads/all.zip!inner/notes.txt", "canary"),
        ("downloads/table.csv", "record_table"),
        ("people.html", "identifier"),
    ]
    assert report.files_skipped == ["_images/fig.png"] and report.files_scanned == 6
    with pytest.raises(LeakFound) as exc:
        assert_clean(site, rules)
    assert "people.html" in str(exc.value)


def test_clean_fake_site_passes(tmp_path, rules):
    site = tmp_path / "clean"
    write(site, "index.html", "<h1>Demo county SNA</h1><p>Published 2024-06-30.</p>")
    write(site, "people.html", dataframe_html(5, ["age_band", "victims", "suspects"]))
    write(site, "downloads/by_csp.csv", "area,offences,rate_per_1000\nNorth,120,3.4512\nSouth,[c],[c]\n")
    write(site, "_static/app.js", "function f(){return [0.25, 0.5, 51.0];}")
    assert assert_clean(site, rules).files_scanned == 4


def test_package_static_files_are_not_read_but_a_changed_copy_is(tmp_path, rules):
    """Theme files byte-identical to the installed package's are skipped (a built site carries
    megabytes of them); the same file with one byte of data appended is scanned and caught."""
    import dataclasses

    import sphinx

    shipped = Path(sphinx.__file__).parent / "themes" / "basic" / "static" / "doctools.js"
    trusted = dataclasses.replace(rules, trusted=package_static_digests())
    site = tmp_path / "site"
    write(site, "_static/doctools.js", shipped.read_bytes())
    write(site, "_static/doctools2.js", shipped.read_bytes() + f"// {PERSON_ID}\n".encode())
    report = scan_site(site, rules=trusted)
    assert report.files_trusted == ["_static/doctools.js"] and report.files_scanned == 1
    assert kinds(report) == [("_static/doctools2.js", "identifier")]
    untrusted = scan_site(site, rules=rules)  # without the digests both files are read
    assert untrusted.files_trusted == [] and untrusted.files_scanned == 2


def _rounded(coords, dp):
    if isinstance(coords[0], (int, float)):
        return [round(c, dp) for c in coords]
    return [_rounded(c, dp) for c in coords]


@pytest.mark.parametrize("dp", [4, 5, 6, 7, 12])
def test_boundaries_at_any_precision_are_not_incidents(data_dir, rules, dp):
    geo = gpd.read_parquet(data_dir / "geography.parquet")
    wgs = geo.to_crs(4326)
    features = [{"type": "Feature", "geometry": {"type": g["type"], "coordinates": _rounded(g["coordinates"], dp)}}
                for g in (shape.__geo_interface__ for shape in wgs.geometry)]
    outline = geo.dissolve(by="area").to_crs(4326).geometry  # CSP boundaries drawn over the LSOAs
    features += [{"type": "Feature", "geometry": {"type": g["type"], "coordinates": _rounded(g["coordinates"], dp)}}
                 for g in (shape.__geo_interface__ for shape in outline)]
    minx, miny, maxx, maxy = wgs.total_bounds
    page = (f"<script>var g = {json.dumps({'type': 'FeatureCollection', 'features': features})};"
            f"map.fitBounds([[{miny}, {minx}], [{maxy}, {maxx}]]);</script>")
    assert [f for f in scan_text(page, rules=rules) if f.kind == "coordinate"] == []
    # an incident 37 m from the nearest label point, written at the same precision, is caught
    point = gpd.GeoSeries.from_xy([570523.4], [205529.3], crs=27700).to_crs(4326)
    incident = f"L.circleMarker([{round(point.y[0], dp)}, {round(point.x[0], dp)}])"
    assert [f.kind for f in scan_text(page + incident, rules=rules)] == ["coordinate"]


def test_boundary_point_with_trailing_zero_dropped_is_judged_at_full_precision():
    # true vertex (51.73842404, 1.13736749): published at 7 dp as 51.7384240 / 1.1373675, which a
    # JSON serialiser writes as "51.738424" / "1.1373675". Rounding the 7-dp value again to the
    # shorter number's 6 dp gives 1.137368, not the vertex's 6-dp key 1.137367: the scanner must
    # judge the pair at 7 dp, where it is a boundary point.
    true_lat, true_lon = 51.73842404, 1.13736749
    allowed = {d: frozenset({(round(true_lat, d), round(true_lon, d))}) for d in range(4, 8)}
    rules = LeakRules(allowed_points=allowed)
    assert scan_text("[[1.1373675, 51.738424]]", rules=rules) == []
    # a genuinely different point written the same way is still caught
    assert [f.kind for f in scan_text("[[1.1373612, 51.738424]]", rules=rules)] == ["coordinate"]


def test_boundary_point_rounded_half_the_other_way_is_a_boundary():
    # 0.34381445 is written 0.3438145 by one writer and 0.3438144 by another: both are the vertex
    true_lat, true_lon = 51.73842404, 0.34381445
    allowed = {d: frozenset({(round(true_lat, d), round(true_lon, d))}) for d in range(4, 8)}
    rules = LeakRules(allowed_points=allowed)
    for written in ("0.3438145", "0.3438144"):
        assert scan_text(f"[[{written}, 51.738424]]", rules=rules) == [], written
    # two units away (about 2 cm) is no longer the vertex
    assert [f.kind for f in scan_text("[[0.3438147, 51.738424]]", rules=rules)] == ["coordinate"]


def test_all_digit_identifiers_of_eight_or_more_digits_are_scanned():
    """Mutation survivor: numeric record ids (e.g. a force's 9-digit crime numbers) are leaks
    when they appear; shorter all-digit ids are ignored (they collide with ordinary numbers)."""
    rules = LeakRules(identifiers=frozenset({"123456789", "1234567"}))
    found = {f.match for f in scan_text("<td>123456789</td><td>1234567</td>", rules=rules)
             if f.kind == "identifier"}
    assert found == {"123456789"}


# ------------------------------------------------------------------ mutation-testing survivors
def test_id_format_patterns_rules_by_hand():
    import re

    # digit runs -> \d{n}; formats need a letter prefix and four or more digits
    assert id_format_patterns(["AB1234", "AB123", "1234AB", "--1234"]) == (
        r"(?<![A-Za-z0-9])AB\d{4}(?![A-Za-z0-9])",)
    # separators are literal: "A.B" does not match "AXB"
    (dot,) = id_format_patterns(["A.B12345"])
    assert re.search(dot, "id A.B99999 here") and not re.search(dot, "AXB99999") and not re.search(dot, "A.B999990")
    # most common formats first, at most max_patterns, stopping once coverage is reached
    values = [f"P{i:05d}" for i in range(8)] + ["Q1234", "R12-3456"]
    assert id_format_patterns(values, coverage=0.8) == (r"(?<![A-Za-z0-9])P\d{5}(?![A-Za-z0-9])",)
    three = id_format_patterns(values, coverage=1.0)
    assert len(three) == 3 and three[0] == r"(?<![A-Za-z0-9])P\d{5}(?![A-Za-z0-9])"
    assert len(id_format_patterns(values, coverage=1.0, max_patterns=2)) == 2
    assert id_format_patterns([]) == ()


# ------------------------------------------------------------------ session-6 mutation survivors
def test_id_formats_of_a_large_id_column_are_learnt():
    # more than 50,000 ids are sampled evenly (every 2nd of 60,000 here), not skipped or reversed
    values = [f"CR{i:07d}" for i in range(60_000)]
    assert id_format_patterns(values) == (r"(?<![A-Za-z0-9])CR\d{7}(?![A-Za-z0-9])",)


def test_geography_as_geojson_is_learnt_too(tmp_path):
    # the geography may be any of the geo formats (.geojson here), not only Parquet
    squares = [box(570000 + i * 1000, 205000, 571000 + i * 1000, 206000) for i in range(2)]
    gpd.GeoDataFrame({"lsoa_code": ["X01000000", "X01000001"]}, geometry=squares, crs=27700
                     ).to_file(tmp_path / "geography.geojson", driver="GeoJSON")
    rules = rules_from_data_dir(tmp_path)
    assert rules.bng_bbox == (568000, 203000, 574000, 208000)
    assert "X01000001" in rules.not_identifiers


def test_csp_label_point_is_a_boundary_not_an_incident(data_dir, rules):
    # North = squares 0 and 1 (570000..572000 x 205000..206000): its dissolved outline's centroid
    # (571000, 205500) is the midpoint of a shared LSOA edge, neither an LSOA vertex nor a centroid
    point = gpd.GeoSeries.from_xy([571000.0], [205500.0], crs=27700).to_crs(4326)
    text = f"L.marker([{point.y[0]:.6f}, {point.x[0]:.6f}]).bindTooltip('North')"
    assert [f for f in scan_text(text, rules=rules) if f.kind == "coordinate"] == []
    # 30 m east of it, at the same precision, is an incident
    moved = gpd.GeoSeries.from_xy([571030.0], [205500.0], crs=27700).to_crs(4326)
    assert [f.kind for f in scan_text(f"[{moved.y[0]:.6f}, {moved.x[0]:.6f}]", rules=rules)] == ["coordinate"]


def test_json_simple_escapes_are_undone_before_matching_canaries():
    rules = LeakRules(canaries=(NAME,))
    # "\t" and "\/" are JSON escapes: decoded, the name is there (white space is normalised)
    assert [f.kind for f in scan_text('{"who": "Zebedee\\tQuillfeather"}', rules=rules)] == ["canary"]
    assert [f.kind for f in scan_text('{"who": "Zebedee\\nQuillfeather \\"x\\""}', rules=rules)] == ["canary"]


def test_identifier_with_a_separator_is_found():
    # an id holding "/" is not one token of the narrow pattern: the wide tokens find it
    rules = LeakRules(identifiers=frozenset({"CR/2023/00123"}))
    assert [(f.kind, f.match) for f in scan_text("<td>CR/2023/00123</td>", rules=rules)] == [
        ("identifier", "CR/2023/00123")]
    assert scan_text("<td>CR/2023/00124</td>", rules=rules) == []


def test_pair_written_beyond_seven_decimals_is_judged_one_seven_dp_unit_around():
    # 51.12345676 rounds to 51.1234568 at 7 dp; the vertex 51.1234569 is one 7-dp unit from it,
    # so it is that vertex; 51.12345656 (7 dp: 51.1234566, three units away) is not
    rules = LeakRules(lonlat_bbox=(0.0, 51.0, 1.0, 52.0), allowed_points={7: frozenset({(51.1234569, 0.456789)})})
    assert scan_text("[51.12345676, 0.45678900]", rules=rules) == []
    assert [f.kind for f in scan_text("[51.12345656, 0.45678900]", rules=rules)] == ["coordinate"]


def test_canary_before_a_pre_block_is_kept():
    rules = LeakRules(canaries=(NAME,))
    found = scan_text(f"<p>{NAME}</p><pre>year  offences\n2023  12</pre>", rules=rules)
    assert [f.kind for f in found] == ["canary"]


def test_embedded_document_findings_name_the_data_uri_and_survive_bad_bytes():
    rules = LeakRules(canaries=(NAME,))
    payload = base64.b64encode(b"\xff\xfe bad bytes " + NAME.encode()).decode()
    found = scan_text(f'<a href="data:text/csv;base64,{payload}">csv</a>', source="p.html", rules=rules)
    assert [(f.path, f.kind) for f in found] == [("p.html [data:text/csv #1]", "canary")]


def test_zip_named_zip_is_opened_even_with_leading_bytes(tmp_path):
    # a self-extracting style archive: data before the first local header; the name says zip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("notes.txt", f"called {NAME} " * 20)
    write(tmp_path, "all.zip", b"\x00\x01prefix" + buf.getvalue())
    report = scan_site(tmp_path, rules=LeakRules(canaries=(NAME,)))
    assert [(f.path, f.kind) for f in report.findings] == [("all.zip!notes.txt", "canary")]


def test_notebook_findings_from_source_and_stream_outputs_are_all_kept(tmp_path):
    records = pd.DataFrame({"date": range(30), "age": range(30), "sex": ["M"] * 30}).to_string()
    nb = {"cells": [
        {"cell_type": "markdown", "source": f"About {NAME}"},
        {"cell_type": "code", "source": "x", "outputs": [
            {"output_type": "display_data", "data": {"text/html": "<p>12 offences</p>"}},
            {"output_type": "stream", "name": "stdout", "text": [line + "\n" for line in records.splitlines()]}]},
    ]}
    write(tmp_path, "nb.ipynb", json.dumps(nb))
    report = scan_site(tmp_path, rules=LeakRules(canaries=(NAME,)))
    assert sorted((f.path, f.kind) for f in report.findings) == [
        ("nb.ipynb", "canary"), ("nb.ipynb cell 2 stream", "record_table")]


# ------------------------------------------------------------------ session 7: faster scan, same verdicts
LIBRARY = "/* a vendored library */ " + "function f(a,b){return a<b&&\"x\"!=='y'}" * 60  # > 1,000 chars


def test_inlined_library_code_is_skipped_but_data_beside_or_inside_it_is_found(rules):
    """An exact copy of trusted library code (as written, or HTML-escaped in an iframe srcdoc) is not
    read; an id next to it is still found, and a copy with an id spliced into it is read whole."""
    import dataclasses

    trusted = dataclasses.replace(rules, trusted_text=(LIBRARY,))
    escaped = html.escape(LIBRARY, quote=True)
    page = f'<iframe srcdoc="{escaped}"></iframe><script>{LIBRARY}</script>'
    report = ScanReport()
    _scan_bytes(page.encode(), "p.html", trusted, report)
    assert report.findings == [] and report.bytes_trusted == len(escaped) - 1 + len(LIBRARY) - 1
    for hidden in (page + f"<p>{PERSON_ID}</p>",  # beside it
                   page.replace(LIBRARY, LIBRARY[:500] + f" {PERSON_ID} " + LIBRARY[500:], 1),  # inside a copy
                   page.replace(escaped, escaped[:500] + f" {PERSON_ID} " + escaped[500:], 1)):
        report = ScanReport()
        _scan_bytes(hidden.encode(), "p.html", trusted, report)
        assert [(f.kind, f.match) for f in report.findings] == [("identifier", PERSON_ID)]
    # without the trusted text nothing is skipped
    report = ScanReport()
    _scan_bytes(page.encode(), "p.html", rules, report)
    assert report.bytes_trusted == 0


def test_the_build_trusts_exactly_the_library_code_that_maps_and_charts_inline():
    """What the build trusts is what pages inline: each vendored file as offline_html writes it,
    and vl-convert's bundle as the chart documents carry it."""
    import folium

    from sna_lib.book.maps import inlined_vendor_code, offline_html

    import altair as alt

    from sna_lib.book.trend import trend_html, vega_bundle

    doc = offline_html(folium.Map(tiles=None, location=[51.7, 0.5], zoom_start=9))
    shown = [code for code in inlined_vendor_code() if code in doc]
    assert len(shown) == 2 and all(len(code) > 10_000 for code in shown)  # Leaflet's JS and CSS
    chart = alt.Chart(pd.DataFrame({"year": [2022, 2023], "rate": [1.5, 2.0]})).mark_line().encode(x="year", y="rate")
    assert len(vega_bundle()) > 100_000 and vega_bundle() in trend_html(chart)


def test_identifier_formats_found_in_tokens_match_a_full_text_search():
    """Formats of letters, digits, "_" and "-" are looked for in a text's tokens: the matches must
    be exactly those of each format searched over the whole text (an independent method)."""
    import re

    patterns = (id_format_patterns(["CR-000123", "CR-004567"]) + id_format_patterns(["C12345678"])
                + id_format_patterns(["ab_1234", "ab_9999"]) + id_format_patterns(["Q 1234", "Q 5678"]))
    rules = LeakRules(id_patterns=patterns)
    text = ("x_C12345678 C12345678- aC12345678 C123456789 -CR-000999- CR-0009999 xCR-000111 "
            '{"k":"C87654321"} ab_1234 zab_1234 _ab_4321_ Q 1234 Q12345 CR-000222/CR-000333 C1234567')
    expected = {m for p in patterns for m in re.findall(p, text)}
    found = {f.match for f in scan_text(text, rules=rules) if f.kind == "identifier"}
    assert found == expected and len(expected) == 8


def test_scannable_ids_by_hand():
    """Short ids and bare numbers under 8 digits are not looked for (they collide with ordinary
    figures), nor are published codes; a separator outside "_"/"-" switches wide tokens on."""
    rules = LeakRules(identifiers=frozenset({"1234567", "12345678", "AB12", "ABCDE", "E01000001"}),
                      not_identifiers=frozenset({"E01000001"}))
    ids, wide, _ = _scannable_ids(rules)
    assert ids == {"12345678", "ABCDE"} and wide is False
    for odd in ("CR/0001", "-CR0001", "CR0001_", "CR 0001", "Ünïcode1"):
        assert _scannable_ids(LeakRules(identifiers=frozenset({odd, "ABCDE"})))[1] is True, odd
    assert _scannable_ids(LeakRules(identifiers=frozenset({"CR-0001", "CR_0002"})))[1] is False
    assert _scannable_ids(LeakRules(identifiers=frozenset({"A"}), min_identifier_length=1))[1] is True
    found = {f.match for f in scan_text("CR/0001 and 1234567 and 12345678", rules=LeakRules(
        identifiers=frozenset({"CR/0001", "1234567", "12345678"})))}
    assert found == {"CR/0001", "12345678"}


def test_findings_carry_the_matched_text_and_its_context_even_at_the_start_of_a_file():
    """Session-7 fresh sample survivors: a coordinate finding names the pair it matched (the
    context is separate), and an id at the very start of a text still gets its context."""
    rules = LeakRules(identifiers=frozenset({PERSON_ID}), lonlat_bbox=(0.0, 51.0, 1.0, 52.0))
    (coord,) = [f for f in scan_text("seen at 51.734561, 0.472312 by a witness", rules=rules)]
    assert (coord.kind, coord.match) == ("coordinate", "51.734561, 0.472312") and "witness" in coord.context
    grid = LeakRules(lonlat_bbox=None, bng_bbox=(570000.0, 205000.0, 575000.0, 206000.0))
    (point,) = scan_text("grid ref 571234, 205678 from the log", rules=grid)
    assert (point.kind, point.match) == ("coordinate", "571234, 205678") and "log" in point.context
    (ident,) = scan_text(f"{PERSON_ID} was here", rules=rules)
    assert ident.match == PERSON_ID and ident.context == f"{PERSON_ID} was here"


# ------------------------------------------------------------------ session 8: session 7's fresh-sample survivors
def test_rules_from_a_folder_without_crimes_keep_canaries_ids_and_the_boundary_values(tmp_path):
    """A folder without ``crimes`` still has its persons' ids learnt; the canaries passed are kept;
    at 7 dp a pair whose latitude is one boundary point's and longitude another's (e.g. a map's
    fitted bounds) is a boundary pair, not an incident."""
    squares = [box(570000 + i * 1000, 205000, 571000 + i * 1000, 206000) for i in range(2)]
    gpd.GeoDataFrame({"lsoa_code": ["X01000000", "X01000001"]}, geometry=squares, crs=27700
                     ).to_parquet(tmp_path / "geography.parquet")
    pd.DataFrame({"person_id": [PERSON_ID, "PX9931208"], "crime_id": [CRIME_ID, None]}
                 ).to_csv(tmp_path / "persons.csv", index=False)
    rules = rules_from_data_dir(tmp_path, canaries=[NAME])
    assert rules.canaries == (NAME,)
    assert rules.identifiers == {PERSON_ID, "PX9931208", CRIME_ID}
    # the south-west corner's latitude with the north-east corner's longitude: no vertex is there
    corners = gpd.GeoSeries.from_xy([570000, 572000], [205000, 206000], crs=27700).to_crs(4326)
    lat, lon = round(corners.y[0], 7), round(corners.x[1], 7)
    assert lat in rules.allowed_lat and lon in rules.allowed_lon
    assert scan_text(f"[{lat}, {lon}]", rules=rules) == []
    # the same pair at 6 dp (no per-value allowance below 7 dp), or 3 7-dp units off: incidents
    assert [f.kind for f in scan_text(f"[{round(lat, 6)}, {round(lon, 6)}]", rules=rules)] == ["coordinate"]
    assert [f.kind for f in scan_text(f"[{lat}, {round(lon + 3e-7, 7)}]", rules=rules)] == ["coordinate"]


def test_canary_json_record_and_csv_header_findings_carry_their_context():
    rules = LeakRules(canaries=("Zebedee",))
    (canary,) = scan_text("<p>seen Zebedee at home, then at the shops on the high street</p>", rules=rules)
    # the normalised text, 40 characters either side of the match (which starts at 8, 7 long)
    assert (canary.kind, canary.context) == ("canary", "<p>seen zebedee at home, then at the shops on the high ")
    assert len(canary.context) == 8 + 7 + 40
    text = '{"data": [{"person_id": "a1", "age": 17}]}'
    (record,) = scan_text(text, rules=LeakRules())
    assert (record.match, record.context) == ("JSON field 'person_id' with a value", text)
    header = "crime_id," + ",".join(f"column_{i:03d}" for i in range(20))  # 209 characters
    report = ScanReport()
    _scan_bytes(f"{header}\nx{',1' * 20}\n".encode(), "t.csv", LeakRules(), report)
    (table,) = [f for f in report.findings if f.path == "t.csv"]
    assert table.match == "columns ['crime_id'] with 1 row(s)" and table.context == header[:120]


def test_only_the_first_fifty_identifiers_of_a_text_carry_context():
    ids = [f"ID{i:05d}" for i in range(60)]
    found = scan_text(" ".join(ids), rules=LeakRules(identifiers=frozenset(ids)))
    assert [f.match for f in found] == ids  # sorted, as written
    assert [f.context != "" for f in found] == [True] * 50 + [False] * 10
    assert found[49].context == " ".join(ids)[49 * 8 - 40: 49 * 8 + 7 + 40]


def test_a_record_table_whose_header_cells_hold_markup_is_found():
    page = "<table><tr><th><b>crime_id</b></th><th>n</th></tr><tr><td>x</td><td>1</td></tr></table>"
    assert [(f.kind, f.match) for f in scan_text(page, rules=LeakRules())] == [
        ("record_table", "columns ['crime_id'] with 1 row(s)")]


def test_notebook_outputs_written_as_lists_of_lines_are_read(tmp_path):
    # nbformat writes multi-line outputs as lists of lines
    table = dataframe_html(1, ["crime_id", "n"])
    nb = {"cells": [{"cell_type": "code", "source": "x", "outputs": [
        {"output_type": "execute_result", "data": {"text/html": [line + "\n" for line in table.splitlines()]}}]}]}
    write(tmp_path, "nb.ipynb", json.dumps(nb))
    report = scan_site(tmp_path, rules=LeakRules())
    assert ("nb.ipynb cell 1 text/html", "record_table") in {(f.path, f.kind) for f in report.findings}


def test_data_uris_are_followed_three_documents_deep_and_no_further():
    """The nesting bound (as for zip archives): a page cannot make the scan recurse without end."""
    rules = LeakRules(canaries=(NAME,))

    def nested(levels: int) -> str:
        doc = f"<p>{NAME}</p>"
        for _ in range(levels):
            doc = f'<a href="data:text/html;base64,{base64.b64encode(doc.encode()).decode()}">x</a>'
        return doc

    assert [(f.path, f.kind) for f in scan_text(nested(3), rules=rules, source="p")] == [
        ("p [data:text/html #1] [data:text/html #1] [data:text/html #1]", "canary")]
    assert scan_text(nested(4), rules=rules, source="p") == []


def test_an_id_written_against_trusted_library_text_is_still_one_token():
    # the trusted copy is replaced by a space: the id beside it stays a token of its own
    rules = LeakRules(identifiers=frozenset({PERSON_ID}), trusted_text=(LIBRARY,))
    report = ScanReport()
    _scan_bytes(f"{LIBRARY}{PERSON_ID}{LIBRARY}".encode(), "p.js", rules, report)
    assert [(f.kind, f.match, f.context) for f in report.findings] == [("identifier", PERSON_ID, f" {PERSON_ID} ")]
    assert report.bytes_trusted == 2 * (len(LIBRARY) - 1)


def test_zip_folder_entries_are_not_files_and_nested_zips_stop_three_deep(tmp_path):
    def zipped(name: str, data: bytes, folder: bool = False) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            if folder:
                zf.writestr("inner/", b"")  # an explicit folder entry
            zf.writestr(name, data)
        return buf.getvalue()

    rules = LeakRules(canaries=(NAME,))
    report = ScanReport()
    _scan_bytes(zipped("inner/notes.txt", f"called {NAME}".encode(), folder=True), "all.zip", rules, report)
    assert report.files_scanned == 1 and [(f.path, f.kind) for f in report.findings] == [
        ("all.zip!inner/notes.txt", "canary")]
    three = zipped("c.zip", zipped("b.zip", zipped("notes.txt", f"called {NAME}".encode())))
    report = ScanReport()
    _scan_bytes(three, "a.zip", rules, report)
    assert [f.path for f in report.findings] == ["a.zip!c.zip!b.zip!notes.txt"]
    report = ScanReport()
    _scan_bytes(zipped("d.zip", three), "top.zip", rules, report)
    assert report.findings == [] and report.files_scanned == 0


def test_scan_paths_without_a_root_names_files_as_given(tmp_path):
    from sna_lib.publication.leakscan import scan_paths

    write(tmp_path, "p.html", f"<p>{NAME}</p>")
    report = scan_paths([tmp_path / "p.html"], rules=LeakRules(canaries=(NAME,)))
    assert [(f.path, f.kind) for f in report.findings] == [(str(tmp_path / "p.html"), "canary")]


def test_with_canaries_adds_to_a_copy():
    rules = LeakRules(canaries=("a",), identifiers=frozenset({PERSON_ID}))
    more = rules.with_canaries("b", "c")
    assert more.canaries == ("a", "b", "c") and more.identifiers == {PERSON_ID} and rules.canaries == ("a",)


def test_a_nul_byte_after_the_first_8_kib_does_not_make_a_file_binary():
    rules = LeakRules(canaries=(NAME,))
    late, early = ScanReport(), ScanReport()
    _scan_bytes(b"a" * 8192 + b"\x00 " + NAME.encode(), "late.txt", rules, late)
    _scan_bytes(b"a" * 8191 + b"\x00 " + NAME.encode(), "early.txt", rules, early)
    assert [f.kind for f in late.findings] == ["canary"] and late.files_skipped == []
    assert early.findings == [] and early.files_skipped == ["early.txt"]


def test_a_geography_in_degrees_gives_the_grid_bounding_box_in_metres(tmp_path):
    squares = [box(570000 + i * 1000, 205000, 571000 + i * 1000, 206000) for i in range(2)]
    gpd.GeoDataFrame({"lsoa_code": ["X01000000", "X01000001"]}, geometry=squares, crs=27700
                     ).to_crs(4326).to_parquet(tmp_path / "geography.parquet")
    rules = rules_from_data_dir(tmp_path)
    # back in British National Grid (to the millimetre), plus the 2 km margin
    assert rules.bng_bbox == pytest.approx((568000, 203000, 574000, 208000), abs=1e-3)


def test_character_references_in_a_notebook_table_header_are_read(tmp_path):
    # notebook outputs go to the table detector as written (no decoded variant): the parser
    # must turn &#95; into "_" itself
    table = "<table><tr><th>crime&#95;id</th></tr><tr><td>1</td></tr></table>"
    nb = {"cells": [{"cell_type": "code", "source": "x", "outputs": [
        {"output_type": "execute_result", "data": {"text/html": table}}]}]}
    write(tmp_path, "nb.ipynb", json.dumps(nb))
    report = scan_site(tmp_path, rules=LeakRules())
    assert ("nb.ipynb cell 1 text/html", "record_table") in {(f.path, f.kind) for f in report.findings}


def test_a_text_file_that_is_not_utf8_is_still_scanned():
    report = ScanReport()
    _scan_bytes(f"caf\xe9 {NAME}".encode("latin-1"), "notes.txt", LeakRules(canaries=(NAME,)), report)
    assert [f.kind for f in report.findings] == ["canary"] and report.files_scanned == 1


def test_the_default_coverage_stops_at_95_percent_of_the_ids():
    # 20 of 21 ids (95.2 %) share the first format: the odd one's format is not added
    values = [f"P{i:05d}" for i in range(20)] + ["Q1234"]
    assert id_format_patterns(values) == (r"(?<![A-Za-z0-9])P\d{5}(?![A-Za-z0-9])",)


def test_findings_of_a_page_and_of_a_document_inside_it_are_both_kept():
    rules = LeakRules(canaries=(NAME, "Ophelia Brandywine"))
    inner = base64.b64encode(b"<p>Ophelia Brandywine</p>").decode()
    found = scan_text(f'<p>{NAME}</p><a href="data:text/html;base64,{inner}">x</a>', rules=rules, source="p")
    assert sorted((f.path, f.match) for f in found) == [
        ("p", NAME), ("p [data:text/html #1]", "Ophelia Brandywine")]
