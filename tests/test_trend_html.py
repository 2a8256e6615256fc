"""The trend chart's offline page, written from the build's shared Vega bundle.

:func:`sna_lib.book.trend.trend_html` writes vl-convert's bundled page itself from the bundle a
build makes once (:func:`~sna_lib.book.trend.shared_vega_bundle`), so kernels never start
vl-convert: the page must be byte-for-byte what vl-convert writes (the independent method here),
and the shared bundle a cache entry that is remade when its content or vl-convert changes.
"""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

vlc = pytest.importorskip("vl_convert")

from sna_lib.book import trend  # noqa: E402


def _vl_convert_page(chart) -> str:
    """The page as trend_html wrote it before it wrote pages itself: vl-convert's, menu off."""
    document = vlc.vegalite_to_html(chart.to_dict(), bundle=True, renderer="svg")
    return document.replace('const opts = {"renderer":"svg"}', 'const opts = {"renderer":"svg","actions":false}', 1)


def _trend_frame(area: str, county: str) -> pd.DataFrame:
    rows = []
    for year, rate, n in ((2021, 1.25, 40.0), (2022, float("nan"), float("nan")), (2023, 0.3333, 12.0)):
        rows.append(("Yearly", str(year), f"{year}-01-01", area, False, rate, n))
        rows.append(("Yearly", str(year), f"{year}-01-01", county, True, 2.5, float("nan")))
    for month, rate in (("2023-01", 0.125), ("2023-02", float("nan"))):
        rows.append(("Monthly", month, f"{month}-01", area, False, rate, 3.0))
        rows.append(("Monthly", month, f"{month}-01", county, True, 0.2, 100.0))
    return pd.DataFrame(rows, columns=["grain", "period", "date", "series", "is_county", "rate_per_1000", "offences"])


@pytest.mark.parametrize("area", ["Castle Point", 'Ynys Môn "</script><b>&amp;', "tab\there\u2028é\\"])
def test_trend_page_is_exactly_vl_convert_page(area):
    county = "Essex <County> 'x'"
    chart = trend.trend_chart(_trend_frame(area, county), area, county)
    page = trend.trend_html(chart)
    assert page == _vl_convert_page(chart)
    assert trend.vega_bundle() in page and '"actions":false' in page


def test_a_number_python_writes_differently_falls_back_to_vl_convert():
    """Python writes 1e-05 and 1e+16 where vl-convert writes 0.00001 and 1e16: such a spec is
    not written here, and trend_html's page is still vl-convert's."""
    import altair as alt

    assert trend._bundled_html({"mark": "point", "data": {"values": [{"a": 1e-05}]}}) is None
    assert trend._bundled_html({"mark": "point", "data": {"values": [{"a": 1e16}]}}) is None
    assert trend._bundled_html({"mark": "point", "data": {"values": [{"a": 0.0001}]}}) is not None
    chart = alt.Chart(pd.DataFrame({"x": [1e-05, 2.0], "y": [1e16, 3.0]})).mark_point().encode(x="x", y="y")
    assert trend.trend_html(chart) == _vl_convert_page(chart)
    assert '"x":0.00001' in trend.trend_html(chart)


@pytest.fixture
def fresh_bundle(monkeypatch):
    """This process's remembered bundle forgotten (restored after the test)."""
    saved = dict(trend._BUNDLE)
    trend._BUNDLE.clear()
    monkeypatch.delenv(trend.VEGA_BUNDLE_ENV, raising=False)
    yield
    trend._BUNDLE.clear()
    trend._BUNDLE.update(saved)


def _same_size_same_mtime_edit(path, offset: int = 100) -> None:
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[offset] = ord("X") if data[offset] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


def test_shared_bundle_is_made_once_reused_and_remade_when_damaged(tmp_path, fresh_bundle, monkeypatch):
    folder = trend.shared_vega_bundle(tmp_path)
    expected = vlc.javascript_bundle()
    assert (folder / "bundle.js").read_text(encoding="utf-8") == expected
    assert trend.vega_bundle() == expected

    # reused: a second build does not make it again (no child process)
    trend._BUNDLE.clear()
    calls = []
    real_run = trend.subprocess.run
    monkeypatch.setattr(trend.subprocess, "run", lambda *a, **k: calls.append(a) or real_run(*a, **k))
    assert trend.shared_vega_bundle(tmp_path) == folder and calls == []
    assert trend.vega_bundle() == expected

    # an edit that keeps the size and the modification time is found, and the entry remade
    _same_size_same_mtime_edit(folder / "bundle.js")
    assert trend._read_shared_bundle(folder) is None
    trend._BUNDLE.clear()
    assert trend.shared_vega_bundle(tmp_path) == folder and len(calls) == 1
    assert (folder / "bundle.js").read_text(encoding="utf-8") == expected


def test_a_kernel_reads_the_shared_bundle_named_in_its_environment(tmp_path, fresh_bundle, monkeypatch):
    """A kernel given $SNA_VEGA_BUNDLE reads the entry's text; a damaged entry is not read."""
    from sna_lib.book.pipeline import write_manifest

    entry = tmp_path / "vega-test"
    entry.mkdir()
    (entry / "bundle.js").write_text("/* a bundle */ var vega = 1;" * 10, encoding="utf-8")
    write_manifest(entry)
    monkeypatch.setenv(trend.VEGA_BUNDLE_ENV, str(entry))
    assert trend.vega_bundle() == "/* a bundle */ var vega = 1;" * 10

    trend._BUNDLE.clear()
    _same_size_same_mtime_edit(entry / "bundle.js", offset=5)
    assert trend.vega_bundle() == vlc.javascript_bundle()  # vl-convert's own, not the damaged copy


def test_vl_convert_key_follows_the_package_content(tmp_path):
    package = tmp_path / "vl_convert"
    shutil.copytree(os.path.dirname(vlc.__file__), package, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    (package / "lib.so").write_bytes(b"\0" * 4096)
    key = trend._vl_convert_key(package)
    assert trend._vl_convert_key(package) == key
    _same_size_same_mtime_edit(package / "lib.so", offset=2048)
    assert trend._vl_convert_key(package) != key
    assert len(trend._vl_convert_key()) == 20 and trend._vl_convert_key() != key
