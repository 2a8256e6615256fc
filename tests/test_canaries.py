"""Canaries: plant unmistakable record-level values in the demo data, build the county book and
every ``sna figures`` export, and prove none of them (nor any real record id or incident
coordinate) reaches anything published.

Planted (see :func:`plant`): crime ids, person ids, ASB/ambulance incident ids, person-like names
and incident coordinates (lat/lon and British National Grid) in the free-text
``offence_description``, rare named origins in ``origin_area``, and exact coordinates as extra
``latitude``/``longitude``/``easting``/``northing`` columns (the contract ignores extra columns).
The scan (:mod:`sna_lib.publication.leakscan`) also looks for *every* identifier in the data, any identifier in
the data's formats, incident-precision coordinates inside the county, and record-level tables in
every page, download and executed notebook shipped in the book.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from sna_lib.publication.leakscan import rules_from_data_dir, scan_paths, scan_site, scan_text

NAMES = ("Zebedee Quillfeather", "Marigold Thistlewaite", "Ottoline Wrexham-Bligh")
ORIGINS = ("Quillfeather Towers", "Upper Snodsbury")  # rare named origins outside the county


def _table(data: Path, stem: str) -> tuple[Path, pd.DataFrame]:
    path = data / f"{stem}.parquet"
    if path.exists():
        return path, pd.read_parquet(path)
    path = data / f"{stem}.csv"
    return path, pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _inside_points(data: Path, n: int) -> list[tuple[float, float, float, float]]:
    """``n`` incident-precision points inside the county: (lat, lon, easting, northing)."""
    geo = gpd.read_parquet(data / "geography.parquet") if (data / "geography.parquet").exists() \
        else gpd.read_file(next(data.glob("geography.*")))
    pts = geo.geometry.representative_point().iloc[:n]
    # move off the representative point (which the scanner allows as a boundary label) by ~37 m
    pts = gpd.GeoSeries.from_xy(pts.x + 23.417, pts.y + 29.281, crs=geo.crs)
    wgs = pts.to_crs(4326)
    return [(round(la, 6), round(lo, 6), round(x, 1), round(y, 1))
            for la, lo, x, y in zip(wgs.y, wgs.x, pts.x, pts.y)]


def plant(data: Path) -> dict[str, list[str]]:
    """Plant canaries into the data folder in place; returns them by kind."""
    planted: dict[str, list[str]] = {k: [] for k in ("crime_id", "person_id", "incident_id", "name",
                                                      "origin_area", "coordinate_text", "coordinate_column")}
    crimes_path, crimes = _table(data, "crimes")
    persons_path, persons = _table(data, "persons")
    points = _inside_points(data, 6)

    # crime ids: crimes that have linked people, so the ids flow through the people analysis too
    known = set(crimes["crime_id"])
    linked = [c for c in pd.unique(persons["crime_id"]) if c in known][:5]
    new_ids = {old: f"CR-CANARY-{i:03d}-QZX" for i, old in enumerate(linked)}
    crimes["crime_id"] = crimes["crime_id"].map(lambda c: new_ids.get(c, c))
    persons["crime_id"] = persons["crime_id"].map(lambda c: new_ids.get(c, c))
    planted["crime_id"] += list(new_ids.values())

    # person ids: repeat people (several rows) and one-off people
    counts = persons["person_id"].value_counts()
    chosen = list(counts.index[:3]) + list(counts[counts == 1].index[:3])
    new_people = {old: f"PERSON-CANARY-{i:03d}-QZX" for i, old in enumerate(chosen)}
    persons["person_id"] = persons["person_id"].map(lambda p: new_people.get(p, p))
    planted["person_id"] += list(new_people.values())

    # names and incident coordinates in the free text of a few crimes (positional rows)
    desc = crimes["offence_description"].astype(str).tolist()
    for i, name in enumerate(NAMES):
        desc[10 + i] = f"{desc[10 + i]}; victim {name} (named by caller)"
        planted["name"].append(name)
    for i, (lat, lon, x, y) in enumerate(points[:3]):
        latlon, grid = f"{lat:.6f}, {lon:.6f}", f"{x:.0f} {y:.0f}"
        desc[20 + i] = f"{desc[20 + i]} at {latlon}"
        desc[30 + i] = f"{desc[30 + i]} grid ref {grid}"
        planted["coordinate_text"] += [latlon, grid]
    crimes["offence_description"] = desc

    # exact coordinates as extra columns (ignored by the contract, must never surface)
    lat, lon, x, y = points[5]
    crimes["latitude"], crimes["longitude"] = f"{lat:.6f}", f"{lon:.6f}"
    crimes["easting"], crimes["northing"] = f"{x:.1f}", f"{y:.1f}"
    planted["coordinate_column"] += [f"{lat:.6f}", f"{lon:.6f}"]

    # rare named origins (a label with a count of 1-3 is itself disclosive)
    rows = persons.index[persons["role"] == "suspect"][:3].tolist()
    persons.loc[rows[:2], "origin_area"] = ORIGINS[0]
    persons.loc[rows[2:3], "origin_area"] = ORIGINS[1]
    persons.loc[rows, "home_lsoa"] = pd.NA if persons_path.suffix == ".parquet" else ""
    planted["origin_area"] += list(ORIGINS)

    _write(crimes_path, crimes)
    _write(persons_path, persons)
    for stem, column in (("asb", "incident_id"), ("ambulance", "call_id")):
        path, frame = _table(data, stem)
        frame.loc[frame.index[:2], column] = [f"{stem.upper()}-CANARY-{i}-QZX" for i in range(2)]
        _write(path, frame)
        planted["incident_id"] += [f"{stem.upper()}-CANARY-{i}-QZX" for i in range(2)]
    return planted


def break_rows(data: Path) -> dict[str, int]:
    """Make a few rows break the contract and switch to ``on_error: reject``.

    Returns the number of rows each file must report as rejected, worked out here from the
    rows broken (including people linked to a rejected crime, which the contract rejects too).
    """
    import datetime as dt

    import yaml

    crimes_path, crimes = _table(data, "crimes")
    persons_path, persons = _table(data, "persons")
    asb_path, asb = _table(data, "asb")
    bad_crimes = crimes.index[-3:]                      # dated before first_year
    crimes.loc[bad_crimes, "date"] = dt.date(2009, 6, 1) if crimes_path.suffix == ".parquet" else "2009-06-01"
    bad_crime_ids = set(crimes.loc[bad_crimes, "crime_id"])
    linked = persons["crime_id"].isin(bad_crime_ids)
    bad_people = [i for i in persons.index[::-1] if not linked[i]][:2]   # unknown sex code
    persons.loc[bad_people, "sex"] = "X"
    bad_asb = asb.index[5:9]                            # LSOA not in geography
    asb.loc[bad_asb, "lsoa_code"] = "X01999999"
    _write(crimes_path, crimes)
    _write(persons_path, persons)
    _write(asb_path, asb)
    config_path = data / "config.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["validation"] = {"on_error": "reject"}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return {crimes_path.name: len(bad_crimes), persons_path.name: len(bad_people) + int(linked.sum()),
            asb_path.name: len(bad_asb)}


class _TableCells(HTMLParser):
    """Rows of cell texts for every HTML table of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def quality_table(site: Path) -> pd.DataFrame:
    """The read/used/rejected table of the data-quality appendix, as numbers."""
    pages = sorted(site.rglob("*data_quality*.html"))
    assert pages, "no data-quality page in the book"
    parser = _TableCells()
    parser.feed(pages[0].read_text(encoding="utf-8"))
    for rows in parser.tables:
        header = [h.lower() for h in rows[0]] if rows else []
        if {"file", "read", "used", "rejected"} <= set(header):
            frame = pd.DataFrame(rows[1:], columns=header[: len(rows[1])] if rows[1:] else header)
            for col in ("read", "used", "rejected"):
                frame[col] = frame[col].str.replace(",", "").astype(int)
            return frame.set_index("file")
    raise AssertionError(f"no File/Read/Used/Rejected table on {pages[0].name}")


def file_rows(path: Path) -> int:
    """Data rows in an input file, counted independently of sna_lib."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(path).num_rows
    if path.suffix == ".csv":
        with path.open(encoding="utf-8") as handle:
            return sum(1 for line in handle if line.strip()) - 1
    return len(gpd.read_file(path))


def _all(planted: dict[str, list[str]]) -> list[str]:
    return [c for values in planted.values() for c in values]


@pytest.fixture(scope="module")
def canary_data(few_csp_dir, tmp_path_factory):
    """The demo county with 3 CSPs (``few_csp_dir``: every page and export kind, 4 areas instead
    of 15) with the canaries planted and a few rows broken."""
    data = tmp_path_factory.mktemp("canary_data")
    shutil.copytree(few_csp_dir, data, dirs_exist_ok=True)
    planted = plant(data)
    return data, planted, break_rows(data)


@pytest.fixture(scope="module")
def canary_book(canary_data, tmp_path_factory):
    """The county book built from the planted (and partly broken) data."""
    from sna_lib.book.pipeline import build_book

    data = canary_data[0]
    build_dir = tmp_path_factory.mktemp("canary_build")
    result = build_book(data, area="county", build_dir=build_dir, workers=2)
    assert result.ok, "\n".join(map(str, result.failures))
    return result, build_dir


def test_planted_canaries_are_detectable(canary_data):
    """The scanner finds every canary in the raw planted records: a clean book is not an accident."""
    data, planted, _ = canary_data
    rules = rules_from_data_dir(data, canaries=_all(planted))
    crimes, persons = _table(data, "crimes")[1], _table(data, "persons")[1]
    planted_persons = persons["person_id"].isin(planted["person_id"]) | persons["crime_id"].isin(planted["crime_id"]) \
        | persons["origin_area"].isin(planted["origin_area"])
    raw = "\n".join([
        crimes.iloc[:40].to_csv(index=False),  # free text and extra coordinate columns
        crimes[crimes["crime_id"].isin(planted["crime_id"])].to_csv(index=False),
        persons[planted_persons].to_csv(index=False),
        _table(data, "asb")[1].head(3).to_csv(index=False), _table(data, "ambulance")[1].head(3).to_csv(index=False),
    ])
    findings = scan_text(raw, rules=rules)
    assert {f.match for f in findings if f.kind == "canary"} == set(_all(planted))
    assert {f.match for f in findings if f.kind == "identifier"} >= set(crimes["crime_id"].iloc[:5])
    coordinates = {f.match.replace(",", "").split()[0] for f in findings if f.kind == "coordinate"}
    assert {c.replace(",", "").split()[0] for c in planted["coordinate_text"]} <= coordinates


@pytest.mark.book
@pytest.mark.xdist_group("canary")
def test_no_canary_reaches_the_book_or_figures(canary_data, canary_book, tmp_path_factory):
    from sna_lib.data.config import load_config
    from sna_lib.book.stores import export_figures

    data, planted, _ = canary_data
    result, build_dir = canary_book
    canaries = _all(planted)
    rules = rules_from_data_dir(data, canaries=canaries)
    site = Path(result.published["county"])
    assert (site / "index.html").is_file()

    # every area's export (JSON); the CSV carries the same figures, so county + one CSP suffice
    figures = tmp_path_factory.mktemp("canary_figures")
    areas = ["county", *load_config(data).csps]
    exports = [(area, "json") for area in areas] + [("county", "csv"), (areas[1], "csv")]
    for area, fmt in exports:
        (figures / f"{area}.{fmt}").write_text(export_figures(data, area=area, fmt=fmt, cache_dir=build_dir / ".cache"),
                                               encoding="utf-8")

    site_report = scan_site(site, rules=rules)
    figures_report = scan_paths([figures], rules=rules, root=figures)
    # the executed notebooks the pages were rendered from (outputs hidden from readers included)
    staged = sorted((build_dir / ".staging").rglob("*.ipynb"))
    staged = [p for p in staged if "_build" not in p.parts]
    notebook_report = scan_paths(staged, rules=rules, root=build_dir)
    outputs = sum(len(c.get("outputs", [])) for nb in staged
                  for c in json.loads(nb.read_text(encoding="utf-8")).get("cells", []))
    leaks = site_report.findings + figures_report.findings + notebook_report.findings
    print(f"\ncanaries planted: {len(canaries)} "
          f"({', '.join(f'{k} {len(v)}' for k, v in planted.items())}); "
          f"also scanned for {len(rules.identifiers):,} record ids, {len(rules.id_patterns)} id formats, "
          f"incident coordinates and record tables\n"
          f"book: {site_report.files_scanned} files ({site_report.bytes_scanned:,} bytes); executed notebooks: "
          f"{len(staged)} with {outputs} outputs; figures: {figures_report.files_scanned} exports "
          f"for {len(areas)} areas\nleaks found: {len(leaks)}")
    for f in leaks[:40]:
        print(f"  LEAK {f}")
    assert site_report.files_scanned > 10 and len(staged) >= 10
    assert figures_report.files_scanned == len(exports)
    assert leaks == []


# ------------------------------------------------------------------------------ nothing lost

def _check_reconciles(site: Path, data: Path, data_copy: Path | None, rejected: dict[str, int]) -> pd.DataFrame:
    table = quality_table(site)
    inputs = {p.name: p for p in sorted(data.iterdir()) if p.is_file() and p.name != "config.yaml"}
    supplied = [name for name in table.index if not name.endswith("(not supplied)")]
    assert set(supplied) == set(inputs)  # every input file is accounted for
    absent = table.drop(index=supplied)  # optional tables not supplied (e.g. imd) read nothing
    assert (absent[["read", "used", "rejected"]] == 0).all().all()
    table = table.loc[supplied]
    assert (table["read"] == table["used"] + table["rejected"]).all()
    for name, path in inputs.items():
        assert table.loc[name, "read"] == file_rows(path), name                   # nothing unread
        assert table.loc[name, "rejected"] == rejected.get(name, 0), name         # exactly the bad rows
        if data_copy is not None and (data_copy / f"{path.stem}.parquet").exists():
            assert table.loc[name, "used"] == file_rows(data_copy / f"{path.stem}.parquet"), name  # what the book used
    return table


@pytest.mark.book
@pytest.mark.xdist_group("canary")
def test_data_quality_appendix_reconciles_with_rejections(canary_data, canary_book):
    data, _, rejected = canary_data
    result, _ = canary_book
    table = _check_reconciles(Path(result.published["county"]), data, result.run.data_copy, rejected)
    assert table["rejected"].sum() == sum(rejected.values()) > 0
    print(f"\ndata quality (hostile rows): {int(table['read'].sum()):,} read = {int(table['used'].sum()):,} used "
          f"+ {int(table['rejected'].sum())} rejected, {len(table)} files")


@pytest.mark.book
@pytest.mark.xdist_group("book")
def test_data_quality_appendix_reconciles_on_the_demo(built_book):
    _check_reconciles(built_book.site, built_book.data_dir, built_book.result.run.data_copy, {})
