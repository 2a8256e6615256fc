"""Scan a built book (or any files) for record-level data that must never be published.

The book shows aggregates only. This scanner reads every file of a built site — HTML, JS,
CSS, JSON, CSV, notebooks, text, SVG and ``data:`` URIs or zip downloads inside them — and
reports:

``canary``
    a forbidden string (planted by tests, or names you pass), matched case-insensitively
    after undoing HTML, URL, JSON and base64 encodings and ignoring tags and white space;
``identifier``
    an exact record identifier from the data (``crime_id``, ``person_id``, ``incident_id``,
    ``call_id``) or a token in the identifier *format* learnt from the data;
``coordinate``
    a latitude/longitude pair with ``min_decimals`` or more decimals, or a British National
    Grid easting/northing pair, inside the county's bounding box, that is not a vertex (or
    centroid) of the published area boundaries, i.e. an incident location;
``record_table``
    a table (HTML, CSV, JSON records, notebook text output) carrying record identifier
    columns, or more than ``max_record_rows`` rows of record-level columns (date, LSOA,
    offence, age, sex, …).

:func:`scan_small_counts` checks the published store (:mod:`sna_lib.publication.store`) and the
CSV/JSON exports made from it: no count below county in the suppression range, and every
withheld cell showing the marker in its place (``small_count``); no exported value that is not
a store cell (``undeclared``).

:func:`rules_from_data_dir` learns identifiers, formats and the bounding box from a data
folder; :func:`scan_site` returns a :class:`ScanReport`; :func:`assert_clean` raises
:class:`LeakFound` (used as the ``check`` of :func:`sna_lib.book.publish.publish_atomically`).

Examples
--------
>>> rules = LeakRules(canaries=("Zebedee Quillfeather",), identifiers=frozenset({"CR-0001234"}))
>>> [f.kind for f in scan_text("<td>zebedee&nbsp;QUILLFEATHER</td> <p>CR-0001234</p>", rules=rules)]
['canary', 'identifier']
>>> scan_text("<p>Knife crime rose by 12% in 2023 (1,234 offences).</p>", rules=rules)
[]
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import html
import io
import json
import math
import os
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from sna_lib.errors import SnaError

__all__ = [
    "Finding",
    "LeakFound",
    "LeakRules",
    "ScanReport",
    "assert_clean",
    "id_format_patterns",
    "package_static_digests",
    "precompute",
    "rules_from_data_dir",
    "scan_paths",
    "scan_site",
    "scan_small_counts",
    "scan_text",
]

#: Columns that identify a record; a published table must never carry them.
ID_COLUMNS = frozenset({"crime_id", "person_id", "incident_id", "call_id"})
#: Columns that describe a single record; many rows of them together is record-level data.
RECORD_COLUMNS = frozenset({
    "date", "lsoa_code", "offence_code", "offence_description", "age", "sex", "role", "home_lsoa",
    "origin_area", "location_type", "fire_type", "category",
})
#: Tables with record identifiers, per data-folder file stem.
ID_SOURCES = {"crimes": ("crime_id",), "persons": ("person_id", "crime_id"), "asb": ("incident_id",),
              "fire": ("incident_id",), "ambulance": ("call_id",)}
#: Great Britain, used when no geography is known.
GB_LONLAT = (-8.7, 49.8, 1.9, 60.9)
GB_BNG = (0.0, 0.0, 700_000.0, 1_300_000.0)
BINARY_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".ttf",
                             ".eot", ".otf", ".pdf", ".parquet", ".pyc", ".doctree", ".pickle", ".mo"})
_LATLON_KEY_DP = 7  # allow-list precision for boundary coordinates in degrees (~1 cm)
_MAX_DEPTH = 3


class LeakFound(SnaError):
    """A scan found record-level data; carries the :class:`ScanReport`."""

    def __init__(self, report: "ScanReport"):
        self.report = report
        super().__init__(report.render(limit=20))


@dataclass(frozen=True)
class Finding:
    """One suspected leak: which file, what kind, the matched text and a little context."""

    path: str
    kind: str
    match: str
    context: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.match!r} … {self.context!r}"


@dataclass
class ScanReport:
    """Result of a scan.

    Attributes
    ----------
    findings : list of Finding
    files_scanned : int
        Text files (and embedded documents) read.
    files_skipped : list of str
        Binary files not read (images, fonts, …).
    files_trusted : list of str
        Files not read because they are byte-identical to an installed package's static file
        (:attr:`LeakRules.trusted`).
    bytes_scanned : int
    bytes_trusted : int
        Characters of scanned files that were exact copies of library code inlined in a page
        (:attr:`LeakRules.trusted_text`) and so not read.
    """

    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    files_skipped: list[str] = field(default_factory=list)
    files_trusted: list[str] = field(default_factory=list)
    bytes_scanned: int = 0
    bytes_trusted: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def counts(self) -> dict[str, int]:
        """Findings per kind."""
        return dict(Counter(f.kind for f in self.findings))

    def render(self, limit: int = 50) -> str:
        """A short human-readable summary."""
        trusted = f", {len(self.files_trusted)} package static files skipped" if self.files_trusted else ""
        if self.bytes_trusted:
            trusted += f", {self.bytes_trusted:,} characters of inlined library code skipped"
        head = (f"leak scan: {self.files_scanned} files ({self.bytes_scanned:,} bytes) scanned, "
                f"{len(self.files_skipped)} binary skipped{trusted}, {len(self.findings)} finding(s)")
        lines = [head] + [f"  {f}" for f in self.findings[:limit]]
        if len(self.findings) > limit:
            lines.append(f"  … and {len(self.findings) - limit} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class LeakRules:
    """What counts as a leak.

    Parameters
    ----------
    canaries : tuple of str
        Forbidden strings (names, planted test values).
    identifiers : frozenset of str
        Exact record identifiers; those shorter than ``min_identifier_length`` (or all digits
        and shorter than 8) are ignored as they would collide with ordinary numbers.
    id_patterns : tuple of str
        Regular expressions for identifier formats (see :func:`id_format_patterns`).
    lonlat_bbox, bng_bbox : (min_x, min_y, max_x, max_y) or None
        Where incident coordinates would fall (degrees / metres). ``None`` skips that check.
    min_decimals : int
        Degrees with this many decimals or more are incident precision (4 dp ≈ 11 m).
    allowed_points : mapping of int to frozenset of (lat, lon)
        Published boundary points (polygon vertices of LSOAs, CSPs and the county, their
        centroids, label points and bounding-box corners) rounded to each number of decimals
        from ``min_decimals`` to 7: a pair written at that precision that is one of them is a
        boundary, not an incident.
    allowed_lat, allowed_lon : frozenset of float
        The same points' latitudes/longitudes at 7 dp: at that precision a pair whose both
        values are boundary values (e.g. a map's fitted bounds) is allowed too.
    allowed_grid : frozenset of (int, int)
        Boundary points in the geography's projected grid, to the metre.
    not_identifiers : frozenset of str
        Tokens never reported as identifiers (e.g. LSOA codes matching an id format).
    max_record_rows : int
        More rows than this of record-level columns is a record table.
    trusted : frozenset of str
        SHA-256 digests (hex) of files that cannot hold the data: byte-identical copies of the
        static files of installed packages (:func:`package_static_digests`: Sphinx, the themes
        and extensions that ``jupyter-book`` copies into ``_static``). A file with one of these
        digests is not read (it is listed in ``files_trusted``).
    trusted_text : tuple of str
        Library code that pages inline whole (the vendored Leaflet/d3 of every map, the Vega
        bundle of every interactive chart: :func:`sna_lib.book.pipeline.inlined_library_code`),
        none of it written from a data folder. An exact copy in a scanned file, as written or
        HTML-escaped (an ``<iframe srcdoc>``), is not read: it is replaced by a space and the rest
        of the file is scanned. A copy changed in any way (an id spliced into it) is read whole.
        Texts shorter than 1,000 characters are ignored.
    """

    canaries: tuple[str, ...] = ()
    identifiers: frozenset[str] = frozenset()
    id_patterns: tuple[str, ...] = ()
    lonlat_bbox: tuple[float, float, float, float] | None = GB_LONLAT
    bng_bbox: tuple[float, float, float, float] | None = GB_BNG
    min_decimals: int = 4
    allowed_points: Mapping[int, frozenset[tuple[float, float]]] = field(default_factory=dict)
    allowed_lat: frozenset[float] = frozenset()
    allowed_lon: frozenset[float] = frozenset()
    allowed_grid: frozenset[tuple[int, int]] = frozenset()
    not_identifiers: frozenset[str] = frozenset()
    max_record_rows: int = 10
    min_identifier_length: int = 5
    trusted: frozenset[str] = frozenset()
    trusted_text: tuple[str, ...] = ()

    def with_canaries(self, *canaries: str) -> "LeakRules":
        """A copy with more canaries.

        Examples
        --------
        >>> LeakRules().with_canaries("a", "b").canaries
        ('a', 'b')
        """
        return replace(self, canaries=self.canaries + tuple(canaries))


# ------------------------------------------------------------------------------- learning

def id_format_patterns(values: Iterable[str], *, max_patterns: int = 5, coverage: float = 0.95) -> tuple[str, ...]:
    """Regular expressions describing the format of identifier ``values``.

    Digit runs become ``\\d{n}``, letters and separators stay literal; only formats with a
    literal prefix of at least one letter and four or more digits are kept (bare numbers
    would match ordinary figures). The most common formats covering ``coverage`` of the
    values are returned, at most ``max_patterns``. Values without a fixed format (hashes such as
    police.uk's 64-character crime ids, where nearly every value has its own letter/digit layout)
    give no pattern: when the ``max_patterns`` most common formats describe less than half of
    the values that have one, each would only find the one id it came from, which the exact
    identifiers already do.

    Examples
    --------
    >>> id_format_patterns(["CR-000123", "CR-004567", "CR-123456"])
    ('(?<![A-Za-z0-9])CR\\\\-\\\\d{6}(?![A-Za-z0-9])',)
    >>> id_format_patterns(["123456", "654321"])
    ()
    >>> import hashlib
    >>> id_format_patterns([hashlib.sha256(str(i).encode()).hexdigest() for i in range(100)])
    ()
    """
    values = values if isinstance(values, list) else list(values)
    sample = values[:: len(values) // 50_000 + 1]  # an even, deterministic sample is plenty
    distinct = sorted({str(v) for v in sample})
    shapes: Counter[str] = Counter()
    total = 0
    for value in distinct:
        text = str(value)
        total += 1
        parts = re.findall(r"\d+|\D+", text)
        digits = sum(len(p) for p in parts if p.isdigit())
        if not parts or parts[0].isdigit() or not re.search(r"[A-Za-z]", parts[0]) or digits < 4:
            continue
        shape = "".join(rf"\d{{{len(p)}}}" if p.isdigit() else re.escape(p) for p in parts)
        shapes[shape] += 1
    common = shapes.most_common(max_patterns)
    if 2 * sum(n for _, n in common) < sum(shapes.values()):
        return ()  # no fixed format
    out: list[str] = []
    covered = 0
    for shape, n in common:
        if total and covered / total >= coverage:
            break
        out.append(rf"(?<![A-Za-z0-9]){shape}(?![A-Za-z0-9])")
        covered += n
    return tuple(out)


def _round_keys(values: Iterable[float], dp: int) -> frozenset[float]:
    return frozenset(round(float(v), dp) for v in values if math.isfinite(float(v)))


_FORMAT_SAMPLE = 5_000  # values per identifier column from which its formats are learnt


def _text_array(values) -> "pa.ChunkedArray":
    """Non-text identifier values (a pandas Series) as text, ``astype(str)`` like the tolerant reader."""
    import pyarrow as pa

    return pa.chunked_array([pa.array(values.dropna().astype(str).tolist(), pa.large_string())])


def _id_values(path: Path, columns: Sequence[str], read_table) -> dict[str, "pa.Array"]:
    """The non-blank values (stripped) of each identifier column a table has, as Arrow arrays
    (Parquet: only those columns are read)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    raw: dict[str, pa.ChunkedArray] = {}
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            present = [c for c in columns if c in pq.read_schema(path).names]
            table = pq.read_table(path, columns=present)
            raw = {c: table[c] for c in present}
        except Exception:  # noqa: BLE001 - fall back to the tolerant reader
            raw = {}
    if not raw:
        frame = read_table(path).frame
        if frame is None:
            return {}
        raw = {c: _text_array(frame[c]) for c in columns if c in frame.columns}
    out = {}
    for column, values in raw.items():
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            values = _text_array(values.to_pandas())
        values = pc.utf8_trim_whitespace(values.drop_null().cast(pa.large_string()))
        out[column] = values.filter(pc.not_equal(values, "")).combine_chunks()
    return out


def rules_from_data_dir(data_dir: str | os.PathLike, *, canaries: Sequence[str] = (), margin_m: float = 2000.0,
                        max_record_rows: int = 10) -> LeakRules:
    """Learn leak rules from a data folder (see ``data/README.md``).

    Reads the identifier columns of ``crimes``, ``persons``, ``asb``, ``fire`` and
    ``ambulance`` (whatever parts exist and can be read), learns their formats, and takes the
    bounding box (plus ``margin_m``) and boundary vertices/centroids of ``geography`` in its
    own projected CRS and in WGS84. Unreadable parts are skipped: this is a safety net, not
    validation.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> d = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"crime_id": ["CR-000123", "CR-000124"]}).to_csv(d / "crimes.csv", index=False)
    >>> r = rules_from_data_dir(d, canaries=["Zebedee"])
    >>> sorted(r.identifiers), r.canaries
    (['CR-000123', 'CR-000124'], ('Zebedee',))
    """
    from sna_lib.data.tableio import find_table_file, read_table

    import pyarrow as pa
    import pyarrow.compute as pc

    data = Path(data_dir)
    found: list[pa.Array] = []
    by_column: dict[str, list[pa.Array]] = {}
    for stem, columns in ID_SOURCES.items():
        path, _ = find_table_file(data, stem)
        if path is None:
            continue
        for column, values in _id_values(path, columns, read_table).items():
            found.append(values)
            by_column.setdefault(column, []).append(values)
    # millions of ids at a force's scale: de-duplicated in Arrow, one Python set at the end
    identifiers = frozenset(pc.unique(pa.concat_arrays(found)).to_pylist()) if found else frozenset()
    patterns: list[str] = []
    for arrays in by_column.values():
        values = pa.concat_arrays(arrays)
        sample = values[:: len(values) // _FORMAT_SAMPLE + 1].to_pylist()  # even and deterministic
        for p in id_format_patterns(sample):
            if p not in patterns:
                patterns.append(p)

    lonlat_bbox, bng_bbox = GB_LONLAT, GB_BNG
    points: dict[int, set[tuple[float, float]]] = {}
    lat: set[float] = set()
    lon: set[float] = set()
    grid: set[tuple[int, int]] = set()
    codes: set[str] = set()
    geo_path, _ = find_table_file(data, "geography", geo=True)
    geo = read_table(geo_path, geo=True).frame if geo_path is not None else None
    if geo is not None and getattr(geo, "crs", None) is not None and len(geo):
        import geopandas as gpd
        import numpy as np
        import pandas as pd

        for column in ("lsoa_code", "lsoa_name", "area"):
            if column in geo.columns:
                codes.update(str(v) for v in geo[column].dropna().tolist())
        projected = geo if geo.crs.is_projected else geo.to_crs(27700)
        minx, miny, maxx, maxy = projected.total_bounds
        bng_bbox = (minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m)
        corners = gpd.GeoSeries.from_xy([bng_bbox[0], bng_bbox[2], bng_bbox[0], bng_bbox[2]],
                                        [bng_bbox[1], bng_bbox[1], bng_bbox[3], bng_bbox[3]],
                                        crs=projected.crs).to_crs(4326)
        lonlat_bbox = (float(corners.x.min()), float(corners.y.min()), float(corners.x.max()), float(corners.y.max()))
        # what maps draw: LSOAs, CSPs (dissolved) and the county outline, their labels and bounds
        shapes = [projected.geometry]
        if "area" in projected.columns:
            shapes.append(projected[["area", "geometry"]].dissolve(by="area").geometry)
        shapes.append(gpd.GeoSeries([projected.geometry.union_all()], crs=projected.crs))
        for series in shapes:
            for geoms in (series, series.to_crs(4326)):
                coords = geoms.get_coordinates()
                labels = pd.concat([geoms.centroid if geoms.crs.is_projected else series.centroid.to_crs(4326),
                                    geoms.representative_point() if geoms.crs.is_projected
                                    else series.representative_point().to_crs(4326)])
                b = geoms.bounds
                xs = np.concatenate([coords["x"], labels.x, b["minx"], b["maxx"], b["minx"], b["maxx"]])
                ys = np.concatenate([coords["y"], labels.y, b["miny"], b["miny"], b["maxy"], b["maxy"]])
                ok = np.isfinite(xs) & np.isfinite(ys)
                xs, ys = xs[ok], ys[ok]
                if geoms.crs.is_projected:
                    grid.update(zip(np.rint(xs).astype(int).tolist(), np.rint(ys).astype(int).tolist()))
                    continue
                for d in range(3, _LATLON_KEY_DP + 1):
                    points.setdefault(d, set()).update(zip((round(v, d) for v in ys.tolist()),
                                                           (round(v, d) for v in xs.tolist())))
                lat.update(_round_keys(ys, _LATLON_KEY_DP))
                lon.update(_round_keys(xs, _LATLON_KEY_DP))
    return LeakRules(
        canaries=tuple(canaries), identifiers=identifiers, id_patterns=tuple(patterns),
        lonlat_bbox=lonlat_bbox, bng_bbox=bng_bbox,
        allowed_points={d: frozenset(v) for d, v in points.items() if d >= 1},
        allowed_lat=frozenset(lat), allowed_lon=frozenset(lon), allowed_grid=frozenset(grid),
        not_identifiers=frozenset(codes),
        max_record_rows=max_record_rows,
    )


#: Packages whose static files Sphinx / jupyter-book copy into a site's ``_static`` folder.
STATIC_PACKAGES = ("sphinx", "pydata_sphinx_theme", "sphinx_book_theme", "sphinx_copybutton", "sphinx_design",
                   "sphinx_thebe", "sphinx_togglebutton", "myst_nb")


@functools.lru_cache(maxsize=8)
def package_static_digests(packages: tuple[str, ...] = STATIC_PACKAGES) -> frozenset[str]:
    """SHA-256 digests of every file in a ``static`` folder of the installed ``packages``.

    These are the theme and extension assets (JavaScript, CSS, fonts, source maps) that a
    built site carries unchanged; none of them is written from a data folder, so a site file
    with the same bytes need not be scanned (:attr:`LeakRules.trusted`). A file the build
    changed in any way (a template filled in, a canary appended) has another digest and is
    scanned. Packages that are not installed are left out.

    Examples
    --------
    >>> import sphinx, pathlib
    >>> js = next(pathlib.Path(sphinx.__file__).parent.glob("themes/basic/static/*.js"))
    >>> hashlib.sha256(js.read_bytes()).hexdigest() in package_static_digests()
    True
    >>> package_static_digests(("no_such_package_here",))
    frozenset()
    """
    import importlib.util

    digests: set[str] = set()
    for name in packages:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            for path in Path(location).rglob("*"):
                if path.is_file() and "static" in path.relative_to(location).parts[:-1]:
                    digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    return frozenset(digests)


# ------------------------------------------------------------------------------- decoding

_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\"\\/bfnrt])")
_JSON_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "/": "/"}
_DATA_URI = re.compile(r"data:([\w.+-]*/[\w.+-]*)?((?:;[\w.+-]+=[\w.+-]+)*)(;base64)?,([A-Za-z0-9+/=%._~:!$&'()*\-]+)")
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"[\s\u00a0\u200b\u2009\u202f]+")


def _json_unescape(text: str) -> str:
    def sub(m: re.Match) -> str:
        if m.group(1):
            return chr(int(m.group(1), 16))
        return _JSON_SIMPLE[m.group(2)]
    return _JSON_ESCAPE.sub(sub, text)


def _variants(text: str) -> list[str]:
    """The text as written and with HTML/URL/JSON escapes undone (twice, for nesting)."""
    out = [text]
    current = text
    for _ in range(2):
        for decode in (html.unescape, unquote, _json_unescape):
            try:
                current = decode(current)
            except Exception:  # noqa: BLE001 - a decoder that fails just adds no variant
                continue
        if current in out:
            break
        out.append(current)
    return out


def _embedded(text: str) -> list[tuple[str, bytes]]:
    """Documents inside ``data:`` URIs, as (mime, bytes)."""
    found = []
    for m in _DATA_URI.finditer(text):
        mime = (m.group(1) or "text/plain").lower()
        payload = m.group(4)
        try:
            data = base64.b64decode(payload + "=" * (-len(payload) % 4)) if m.group(3) else unquote(payload).encode()
        except (binascii.Error, ValueError):
            continue
        found.append((mime, data))
    return found


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", text).casefold()


# ------------------------------------------------------------------------------- detectors

def _context(text: str, start: int, end: int, width: int = 40) -> str:
    return text[max(0, start - width): end + width].replace("\n", " ")


def _find_canaries(variants: list[str], rules: LeakRules, where: str) -> list[Finding]:
    if not rules.canaries:
        return []
    haystacks = []
    for v in variants:
        haystacks.append(_normalise(v))
        haystacks.append(_normalise(_TAG.sub("", v)))
        haystacks.append(_normalise(_TAG.sub(" ", v)))
    out = []
    for canary in rules.canaries:
        needle = _normalise(canary).strip()
        if not needle:
            continue
        for hay in haystacks:
            i = hay.find(needle)
            if i >= 0:
                out.append(Finding(where, "canary", canary, _context(hay, i, i + len(needle))))
                break
    return out


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*[A-Za-z0-9]")
_WIDE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-/.:#]*[A-Za-z0-9]")


def _scannable_ids(rules: LeakRules) -> tuple[frozenset[str], bool, tuple[re.Pattern | None, re.Pattern | None]]:
    """The identifiers worth looking for, whether any contains a separator (``/.:#``), and the
    identifier formats as two expressions: those matched within tokens (:data:`_TOKEN_FORMAT`)
    and the others, matched in the whole text."""
    cached = _ID_CACHE.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1], cached[2], cached[3]
    ids = rules.identifiers
    if not rules.not_identifiers.isdisjoint(ids):
        ids = ids - rules.not_identifiers
    # short ones (and bare numbers under 8 digits) would collide with ordinary figures
    shortest = rules.min_identifier_length
    if min(map(len, ids), default=8) < max(shortest, 8):
        ids = ids.difference([i for i in ids if len(i) < shortest or (len(i) < 8 and i.isdigit())])
    # _TOKEN finds ids of letters, digits, "_" and "-" that start and end with a letter or digit
    lines = "\n" + "\n".join(ids) + "\n"
    wide = bool(ids) and (re.search(r"[^A-Za-z0-9_\-\n]", lines) is not None
                          or any(edge in lines for edge in ("\n_", "\n-", "_\n", "-\n"))
                          or min(map(len, ids)) < 2)
    in_tokens = [p for p in rules.id_patterns if _TOKEN_FORMAT.fullmatch(p)]
    in_text = [p for p in rules.id_patterns if p not in in_tokens]
    formats = (re.compile("|".join(f"(?:{p})" for p in in_tokens)) if in_tokens else None,
               re.compile("|".join(f"(?:{p})" for p in in_text)) if in_text else None)
    _ID_CACHE.clear()
    _ID_CACHE[id(rules)] = (rules, ids, wide, formats)
    return ids, wide, formats


_ID_CACHE: dict[int, tuple] = {}
# A format of letters, digits, "_" and "-" between non-alphanumerics (as id_format_patterns writes
# them): every match lies inside one _TOKEN (whose neighbours are never letters or digits), so it
# is looked for in a text's distinct tokens, not at every position of the text.
_TOKEN_FORMAT = re.compile(r"\(\?<!\[A-Za-z0-9\]\)[A-Za-z](?:[A-Za-z0-9_]|\\-|\\d\{\d+\})*"
                           r"\\d\{\d+\}\(\?!\[A-Za-z0-9\]\)")


def precompute(rules: LeakRules) -> LeakRules:
    """Work out once what every scan with ``rules`` needs (the identifiers worth looking for,
    the identifier formats), so that a build can do it while its notebooks run, not when its
    first book is scanned; returns ``rules``.

    Examples
    --------
    >>> precompute(LeakRules(identifiers=frozenset({"CR-000123"}))).identifiers
    frozenset({'CR-000123'})
    """
    _scannable_ids(rules)
    return rules


def _find_identifiers(text: str, rules: LeakRules, where: str) -> list[Finding]:
    out: list[Finding] = []
    ids, wide, (token_formats, text_formats) = _scannable_ids(rules)
    hits: set[str] = set()
    if ids or token_formats is not None:
        tokens = set(_TOKEN.findall(text))
        if wide:
            tokens |= set(_WIDE_TOKEN.findall(text))
        hits = tokens & ids
        if token_formats is not None:
            hits.update(m.group(0) for token in tokens for m in token_formats.finditer(token))
    if text_formats is not None:
        hits.update(m.group(0) for m in text_formats.finditer(text))
    hits.difference_update(rules.not_identifiers)
    for n, token in enumerate(sorted(hits)):
        i = text.find(token) if n < 50 else -1  # context for the first few; the rest are just listed
        out.append(Finding(where, "identifier", token, _context(text, i, i + len(token)) if i >= 0 else ""))
    return out


_DEGREES = re.compile(r"(?<![\w.])-?\d{1,3}\.\d+(?![\w.])")
# not after "#": CSS hex colours (#616161) and HTML entities (&#121212;) are not grid references
_METRES = re.compile(r"(?<![\w.#])\d{6,7}(?:\.\d+)?(?![\w.])")
_GAP = re.compile(r"[^\d]{1,30}")


def _pairs(pattern: re.Pattern, text: str, is_pair) -> Iterable[tuple[re.Match, re.Match]]:
    """Adjacent numbers taken two at a time: once ``(a, b)`` is a coordinate pair, ``b`` does not
    start the next pair (so ``[lon, lat], [lon, lat]`` never yields the spurious ``lat, lon``)."""
    previous = None
    for m in pattern.finditer(text):
        if previous is not None and _GAP.fullmatch(text, previous.end(), m.start()) and is_pair(previous, m):
            yield previous, m
            previous = None
        else:
            previous = m


def _decimals(token: str) -> int:
    return len(token.split(".", 1)[1]) if "." in token else 0


def _boundary_latlon(lat: float, lon: float, decimals: int, rules: LeakRules) -> bool:
    """Whether ``(lat, lon)``, written with ``decimals`` places, is a published boundary point:
    a vertex/centroid/bounds corner at that precision, or (at 7+ dp) each value of one."""
    d = min(decimals, _LATLON_KEY_DP)
    # writers round halves differently (0.34381445 -> 0.3438145 or 0.3438144): a point one unit
    # in the last written place from a boundary point (about 1 cm at 7 dp) is that point
    step = 10.0 ** -d
    near_lat = [round(lat + k * step, d) for k in (0, -1, 1)]
    near_lon = [round(lon + k * step, d) for k in (0, -1, 1)]
    allowed = rules.allowed_points.get(d, ())
    if any((a, b) in allowed for a in near_lat for b in near_lon):
        return True
    if decimals < _LATLON_KEY_DP:
        return False
    return (any(a in rules.allowed_lat for a in near_lat)
            and any(b in rules.allowed_lon for b in near_lon))


_BOUNDARY_MEMO: dict[int, tuple[LeakRules, dict, dict]] = {}


def _boundary_memo(rules: LeakRules) -> tuple[dict[tuple[str, str], bool], dict[tuple[str, str], tuple]]:
    """For written degree pairs, remembered for ``rules``: whether each is allowed (a published
    boundary point, or written below incident precision), and its in-county orientations
    ((lat, lon) readings inside the bounding box). A site repeats the same vertices (each shared
    border twice, every map escaped and unescaped, the same LSOAs on several pages), and both
    depend only on the two strings."""
    cached = _BOUNDARY_MEMO.get(id(rules))
    if cached is not None and cached[0] is rules and len(cached[1]) + len(cached[2]) < 4_000_000:
        return cached[1], cached[2]
    _BOUNDARY_MEMO.clear()
    memo: dict[tuple[str, str], bool] = {}
    inside: dict[tuple[str, str], tuple] = {}
    _BOUNDARY_MEMO[id(rules)] = (rules, memo, inside)
    return memo, inside


def _find_coordinates(text: str, rules: LeakRules, where: str) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    if rules.lonlat_bbox is not None:
        min_lon, min_lat, max_lon, max_lat = rules.lonlat_bbox
        allowed, inside = _boundary_memo(rules)

        def orientations(ta: str, tb: str) -> tuple[tuple[float, float], ...]:
            found = inside.get((ta, tb))
            if found is None:
                va, vb = float(ta), float(tb)
                found = inside[(ta, tb)] = tuple((lat, lon) for lat, lon in ((va, vb), (vb, va))
                                                 if min_lat <= lat <= max_lat and min_lon <= lon <= max_lon)
            return found

        # pairs are aligned on every in-county pair (0.474 is 0.4740 written short), but only
        # pairs written at incident precision are judged
        for a, b in _pairs(_DEGREES, text, lambda a, b: bool(orientations(a.group(0), b.group(0)))):
            ta, tb = a.group(0), b.group(0)
            known = allowed.get((ta, tb))
            if known is None:
                # serialisers drop trailing zeros (51.7384240 -> 51.738424): the pair's precision
                # is that of its longer number; judging at the shorter one would round twice
                decimals = max(_decimals(ta), _decimals(tb))
                known = allowed[(ta, tb)] = decimals < rules.min_decimals or any(
                    _boundary_latlon(lat, lon, decimals, rules) for lat, lon in orientations(ta, tb))
            if known:
                continue
            pair = f"{ta}, {tb}"
            if pair not in seen:
                seen.add(pair)
                out.append(Finding(where, "coordinate", pair, _context(text, a.start(), b.end())))
    if rules.bng_bbox is not None:
        min_x, min_y, max_x, max_y = rules.bng_bbox

        def inside(a: re.Match, b: re.Match) -> bool:
            return min_x <= float(a.group(0)) <= max_x and min_y <= float(b.group(0)) <= max_y

        for a, b in _pairs(_METRES, text, inside):
            if (round(float(a.group(0))), round(float(b.group(0)))) in rules.allowed_grid:
                continue
            pair = f"{a.group(0)}, {b.group(0)}"
            if pair not in seen:
                seen.add(pair)
                out.append(Finding(where, "coordinate", pair, _context(text, a.start(), b.end())))
    return out


class _Tables(HTMLParser):
    """Collect (header cells, body row count) for every HTML table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[str], int]] = []
        self._stack: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append({"header": [], "rows": 0, "row_has_td": False, "row_cells": []})
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1].update(row_has_td=False, row_cells=[])
        elif tag in ("th", "td"):
            self._cell = []
            if tag == "td":
                self._stack[-1]["row_has_td"] = True

    def handle_endtag(self, tag):
        if not self._stack:
            return
        t = self._stack[-1]
        if tag in ("th", "td") and self._cell is not None:
            t["row_cells"].append(_SPACE.sub(" ", "".join(self._cell)).strip().lower())
            self._cell = None
        elif tag == "tr":
            if t["row_has_td"]:
                t["rows"] += 1
            else:
                t["header"].extend(t["row_cells"])
        elif tag == "table":
            self._stack.pop()
            self.tables.append((t["header"], t["rows"]))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _record_table(columns: Iterable[str], n_rows: int, rules: LeakRules) -> str | None:
    cols = {str(c).strip().strip('"').lower() for c in columns}
    ids = sorted(cols & ID_COLUMNS)
    if ids and n_rows > 0:
        return f"columns {ids} with {n_rows} row(s)"
    record = sorted(cols & RECORD_COLUMNS)
    aggregate = any(_AGGREGATE_COLUMN.search(c) for c in cols)  # e.g. "age, sex, victims": a count table
    if len(record) >= 2 and n_rows > rules.max_record_rows and not aggregate:
        return f"record-level columns {record} with {n_rows} rows"
    return None


_AGGREGATE_COLUMN = re.compile(
    r"(^n$|count|number|total|rate|share|per[ _]|percent|%|sum|mean|median|victims|suspects|offences|"
    r"crimes|people|persons|incidents|calls|admissions|responses|harm)")


def _find_html_tables(text: str, rules: LeakRules, where: str) -> list[Finding]:
    if "<table" not in text.lower():
        return []
    parser = _Tables()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001 - malformed HTML is scanned by the other detectors
        return []
    out = []
    for header, rows in parser.tables:
        why = _record_table(header, rows, rules)
        if why:
            out.append(Finding(where, "record_table", why, ", ".join(header)[:120]))
    return out


# a record: the id field holding a (string) id; a number or list is e.g. Sphinx's search index
_JSON_ID_KEY = re.compile(r'"(crime_id|person_id|incident_id|call_id)"\s*:\s*"[^"]+"')
_ROWS_FOOTER = re.compile(r"\[(\d+) rows x (\d+) columns\]")
_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)


def _find_json_records(text: str, where: str) -> list[Finding]:
    """A JSON object carrying a record identifier field with a value."""
    m = _JSON_ID_KEY.search(text)
    if not m:
        return []
    return [Finding(where, "record_table", f"JSON field {m.group(1)!r} with a value", _context(text, m.start(), m.end()))]


def _find_delimited(text: str, rules: LeakRules, where: str) -> list[Finding]:
    """A CSV/TSV whose header carries record-level columns."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = re.split(r"[,;\t|]", lines[0].lstrip("\ufeff"))
    why = _record_table(header, len(lines) - 1, rules)
    return [Finding(where, "record_table", why, lines[0][:120])] if why else []


def _find_text_repr(text: str, rules: LeakRules, where: str) -> list[Finding]:
    """A pandas text repr (notebook text output, ``<pre>`` block) with record-level columns."""
    lines = [line for line in html.unescape(text).splitlines() if line.strip()]
    if len(lines) < 2:
        return []
    columns = set(lines[0].split()) | set(lines[1].split())
    footer = next((m for m in map(_ROWS_FOOTER.search, lines) if m), None)
    n_rows = int(footer.group(1)) if footer else len(lines) - 1
    why = _record_table(columns, n_rows, rules)
    return [Finding(where, "record_table", why, lines[0][:120])] if why else []


def _notebook_texts(raw: str) -> list[tuple[str, str]]:
    """(label, text) for each output of a notebook (HTML and plain text)."""
    try:
        nb = json.loads(raw)
    except ValueError:
        return []
    out = []
    for n, cell in enumerate(nb.get("cells", []) if isinstance(nb, dict) else []):
        for output in cell.get("outputs", []) or []:
            chunks = []
            data = output.get("data") or {}
            for mime, value in data.items():
                if mime.startswith("image/") and mime != "image/svg+xml":
                    continue
                chunks.append((mime, "".join(value) if isinstance(value, list) else str(value)))
            if "text" in output:
                text = output["text"]
                chunks.append(("stream", "".join(text) if isinstance(text, list) else str(text)))
            for mime, text in chunks:
                out.append((f"cell {n + 1} {mime}", text))
    return out


def scan_text(text: str, *, rules: LeakRules, source: str = "<text>", _depth: int = 0) -> list[Finding]:
    """Every finding in one document's text (including documents embedded as data URIs).

    Examples
    --------
    >>> r = LeakRules(lonlat_bbox=(0.0, 51.0, 1.0, 52.0))
    >>> [f.match for f in scan_text("seen at 51.734561, 0.472312 by a witness", rules=r)]
    ['51.734561, 0.472312']
    >>> scan_text("a rate of 51.7346 per 1,000 residents in 2023", rules=r)
    []
    """
    variants = _variants(text)
    decoded = variants[-1]
    findings = _find_canaries(variants, rules, source)
    for variant in dict.fromkeys((text, decoded)):
        findings += _find_identifiers(variant, rules, source)
        findings += _find_coordinates(variant, rules, source)
        findings += _find_html_tables(variant, rules, source)
    findings += _find_json_records(text, source)
    for k, block in enumerate(_PRE.findall(decoded)):
        findings += _find_text_repr(_TAG.sub("", block), rules, f"{source} [pre #{k + 1}]")
    if _depth < _MAX_DEPTH:
        for k, (mime, data) in enumerate(_embedded(decoded)):
            if mime.startswith(("image/", "font/", "audio/", "video/")) and mime != "image/svg+xml":
                continue
            findings += scan_text(data.decode("utf-8", errors="replace"), rules=rules,
                                  source=f"{source} [data:{mime} #{k + 1}]", _depth=_depth + 1)
    unique: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        unique.setdefault((f.path, f.kind, f.match), f)
    return list(unique.values())


_MIN_TRUSTED_TEXT = 1000


@functools.lru_cache(maxsize=4)
def _trusted_forms(texts: tuple[str, ...]) -> tuple[str, ...]:
    """Each trusted text as written and HTML-escaped (as ``html.escape(…, quote=True)`` puts it
    in an ``<iframe srcdoc>``), longest first."""
    forms = {form for t in texts if len(t) >= _MIN_TRUSTED_TEXT for form in (t, html.escape(t, quote=True))}
    return tuple(sorted(forms, key=lambda f: (-len(f), f)))


def _without_trusted_text(text: str, rules: LeakRules) -> tuple[str, int]:
    """``text`` with every exact copy of a trusted library text replaced by a space, and the
    number of characters removed."""
    removed = 0
    for form in _trusted_forms(rules.trusted_text):
        n = text.count(form)
        if n:
            text = text.replace(form, " ")
            removed += n * (len(form) - 1)
    return text, removed


def _scan_bytes(data: bytes, name: str, rules: LeakRules, report: ScanReport, depth: int = 0) -> None:
    suffix = Path(name).suffix.lower()
    if rules.trusted and hashlib.sha256(data).hexdigest() in rules.trusted:
        report.files_trusted.append(name)
        return
    if suffix == ".zip" or data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for member in zf.infolist():
                    if not member.is_dir() and depth < _MAX_DEPTH:
                        _scan_bytes(zf.read(member), f"{name}!{member.filename}", rules, report, depth + 1)
            return
        except zipfile.BadZipFile:
            pass
    if suffix in BINARY_SUFFIXES or b"\x00" in data[:8192]:
        report.files_skipped.append(name)
        return
    text = data.decode("utf-8", errors="replace")
    report.files_scanned += 1
    report.bytes_scanned += len(data)
    if rules.trusted_text:
        text, removed = _without_trusted_text(text, rules)
        report.bytes_trusted += removed
    report.findings += scan_text(text, rules=rules, source=name)
    if suffix in (".csv", ".tsv"):
        report.findings += _find_delimited(text, rules, name)
    if suffix == ".ipynb":
        for label, output in _notebook_texts(text):
            where = f"{name} {label}"
            report.findings += _find_html_tables(output, rules, where)
            if "html" not in label:
                report.findings += _find_text_repr(output, rules, where)


def scan_paths(paths: Iterable[str | os.PathLike], *, rules: LeakRules, root: str | os.PathLike | None = None) -> ScanReport:
    """Scan files and folders (recursively, following no links).

    Parameters
    ----------
    paths : iterable of path
    rules : LeakRules
    root : path, optional
        Findings name files relative to this folder.

    Returns
    -------
    ScanReport
    """
    report = ScanReport()
    base = Path(root) if root is not None else None
    for start in paths:
        start = Path(start)
        files = [start] if start.is_file() else sorted(p for p in start.rglob("*") if p.is_file() and not p.is_symlink())
        for path in files:
            name = path.relative_to(base).as_posix() if base is not None and path.is_relative_to(base) else str(path)
            _scan_bytes(path.read_bytes(), name, rules, report)
    return report


def scan_site(site_dir: str | os.PathLike, *, rules: LeakRules) -> ScanReport:
    """Scan every file of a built site; findings are named relative to ``site_dir``.

    Examples
    --------
    >>> import tempfile
    >>> site = Path(tempfile.mkdtemp())
    >>> _ = (site / "index.html").write_text("<table><tr><th>crime_id</th><th>n</th></tr><tr><td>x</td><td>1</td></tr></table>")
    >>> report = scan_site(site, rules=LeakRules())
    >>> report.ok, report.counts()
    (False, {'record_table': 1})
    """
    return scan_paths([site_dir], rules=rules, root=site_dir)


def assert_clean(site_dir: str | os.PathLike, rules: LeakRules) -> ScanReport:
    """Scan ``site_dir`` and raise :class:`LeakFound` if anything is found.

    Fits :func:`sna_lib.book.publish.publish_atomically`'s ``check`` hook::

        publish_atomically(html, target, check=lambda site: assert_clean(site, rules))

    Examples
    --------
    >>> import tempfile
    >>> site = Path(tempfile.mkdtemp()); _ = (site / "index.html").write_text("<p>412 offences</p>")
    >>> assert_clean(site, LeakRules()).ok
    True
    """
    report = scan_site(site_dir, rules=rules)
    if not report.ok:
        raise LeakFound(report)
    return report


# --------------------------------------------------------------------------------------------
# Small counts: the published store and the CSV/JSON exports made from it
# --------------------------------------------------------------------------------------------

_LONG_KEYS = ("table", "area", "row", "column")


def _shown_number(text: str) -> float | None:
    """A displayed value as a number (``"1,234"`` -> 1234.0); None for markers, dashes, words."""
    t = str(text).strip().replace(",", "")
    try:
        v = float(t)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _cell_findings(where: str, cell, shown: str, marker: str, rules) -> list[Finding]:
    """Findings for one exported value against its store cell (a row of ``PublishedStore.cells``)."""
    label = f"{cell['table']}|{cell['area']}|{cell['row']}|{cell['column']}"
    shown = str(shown).strip()
    if not bool(cell["published"]):
        if shown != marker:
            return [Finding(where, "small_count", shown, f"{label} is withheld but shows {shown!r}")]
        return []
    number = _shown_number(shown)
    if (cell["kind"] == "count" and number is not None and rules.applies(str(cell["level"]))
            and float(number).is_integer() and rules.is_small(int(number))):
        return [Finding(where, "small_count", shown, f"{label} shows a count in the suppression range")]
    return []


def _store_findings(store, rules) -> list[Finding]:
    out = []
    cells = store.cells
    for _, cell in cells.iterrows():
        out += _cell_findings(f"{store.path}/cells.parquet", cell, str(cell["display"]), store.marker, rules)
    return out


def _long_records(records: list[dict], where: str, lookup, store, rules) -> list[Finding]:
    out = []
    for n, rec in enumerate(records, start=1):
        key = tuple(str(rec.get(k, "")) for k in _LONG_KEYS)
        cell = lookup.get(key)
        shown = rec.get("display", rec.get("value", ""))
        shown = "" if shown is None else shown
        if cell is None:
            out.append(Finding(where, "undeclared", str(shown), f"record {n}: {'|'.join(key)} is not a store cell"))
            continue
        out += _cell_findings(f"{where} record {n}", cell, str(shown), store.marker, rules)
    return out


def _wide_csv(rows: list[list[str]], where: str, table: str, area: str, store, rules) -> list[Finding]:
    header, body = rows[0], rows[1:]
    by_row = {r[0]: r for r in body if r}
    out = []
    cells = store.cells[(store.cells["table"] == table) & (store.cells["area"] == area)]
    if cells.empty:
        return [Finding(where, "undeclared", f"{table}|{area}", "mapped to a table/area not in the store")]
    for _, cell in cells.iterrows():
        line = by_row.get(str(cell["row"]))
        if line is None or str(cell["column"]) not in header:
            continue  # a table may show a subset of its cells
        j = header.index(str(cell["column"]))
        shown = line[j] if j < len(line) else ""
        out += _cell_findings(f"{where} row {cell['row']!r}", cell, shown, store.marker, rules)
    return out


def scan_small_counts(store, exports: Iterable[str | os.PathLike] = (), *,
                      mapping: Mapping[str, tuple[str, str]] | None = None, rules=None) -> ScanReport:
    """Check the published store and its exports for small counts and withheld values shown.

    Parameters
    ----------
    store : PublishedStore or path-like
        The published store (:mod:`sna_lib.publication.store`).
    exports : iterable of path-like
        CSV/JSON files (or folders of them) made from the store: the book's downloads, map CSVs,
        ``sna figures`` exports.
    mapping : mapping, optional
        ``{file name or path: (table, area)}`` for wide CSVs (first column = row label, header
        = column labels). Long exports (columns or JSON keys ``table, area, row, column`` and
        ``display`` or ``value``) need no mapping. Other files are listed as skipped.
    rules : optional
        Disclosure rules; default the store's own (``provenance["disclosure"]``).

    Returns
    -------
    ScanReport
        Findings of kind ``small_count`` (a count below county in the suppression range, or a
        withheld cell showing anything but the marker) and ``undeclared`` (an exported value
        that is not a cell of the store).

    Examples
    --------
    >>> import tempfile
    >>> from sna_lib.publication.cells import CellBuilder
    >>> from sna_lib.publication.control import control
    >>> from sna_lib.publication.store import PublishedStore, write_store
    >>> b = CellBuilder()
    >>> n = b.count(table="sv", area="North", row="2023", column="offences", value=3)
    >>> cells, relations = b.frame()
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_store(folder / "store", control(cells, relations), relations, {})
    >>> _ = (folder / "sv.csv").write_text("table,area,row,column,display\\nsv,North,2023,offences,3\\n")
    >>> [(f.kind, f.match) for f in scan_small_counts(folder / "store", [folder / "sv.csv"]).findings]
    [('small_count', '3')]
    """
    import csv

    from sna_lib.publication.disclosure import disclosure_rules
    from sna_lib.publication.store import PublishedStore

    if not isinstance(store, PublishedStore):
        store = PublishedStore(store)
    rules = disclosure_rules(rules if rules is not None else {"disclosure": store.provenance.get("disclosure", {})})
    report = ScanReport()
    report.findings += _store_findings(store, rules)
    lookup = {tuple(str(c[k]) for k in _LONG_KEYS): c for _, c in store.cells.iterrows()}
    mapping = {str(k): v for k, v in (mapping or {}).items()}
    files: list[Path] = []
    for p in exports:
        p = Path(p)
        files += sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        suffix = f.suffix.lower()
        if suffix not in (".csv", ".json"):
            report.files_skipped.append(str(f))
            continue
        text = f.read_text(encoding="utf-8-sig", errors="replace")
        report.files_scanned += 1
        report.bytes_scanned += len(text.encode("utf-8"))
        where = str(f)
        if suffix == ".json":
            try:
                data = json.loads(text)
            except ValueError:
                report.findings.append(Finding(where, "undeclared", "", "not valid JSON"))
                continue
            records = data if isinstance(data, list) else data.get("records", []) if isinstance(data, dict) else []
            if records and all(isinstance(r, dict) and all(k in r for k in _LONG_KEYS) for r in records):
                report.findings += _long_records(records, where, lookup, store, rules)
            else:
                report.files_skipped.append(where)
            continue
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            continue
        header = [h.strip() for h in rows[0]]
        if all(k in header for k in _LONG_KEYS) and ("display" in header or "value" in header):
            records = [dict(zip(header, r)) for r in rows[1:] if r]
            report.findings += _long_records(records, where, lookup, store, rules)
        elif where in mapping or f.name in mapping:
            table, area = mapping.get(where) or mapping[f.name]
            report.findings += _wide_csv([header] + rows[1:], where, str(table), str(area), store, rules)
        else:
            report.files_skipped.append(where)
    return report
