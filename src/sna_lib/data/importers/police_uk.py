"""``sna import police-uk``: police.uk street-level crime + ONS open data → a contract data folder.

The folder written is ``data_level: open`` (see ``data/README.md``): crimes by police.uk
category and month, ASB by month (the disorganisation layer), LSOA boundaries in EPSG:27700
with CSP names from the ONS lookup and a non-residential flag, population from the nearest
mid-year estimate, census deprivation (TS011 or QS119), optionally IMD, and ``import_log``
accounting for every source row (read = used + rejected, per file and reason). It then goes
through ``sna validate`` and ``sna build`` like any other data folder.

Examples
--------
>>> from sna_lib.data.importers.police_uk import import_police_uk      # doctest: +SKIP
>>> result = import_police_uk("essex-open", street=["police_uk/"], boundaries="lsoa11.geojson",
...                           lookups=[...], population=[...], census="ts011.csv.gz",
...                           force="essex")                     # doctest: +SKIP
>>> result.read == result.used + result.rejected                 # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sna_lib.errors import DataValidationError, Problem, SnaError
from sna_lib.data.importers import boundaries as boundaries_mod
from sna_lib.data.importers.census import build_census
from sna_lib.data.importers.imd import build_imd
from sna_lib.data.importers.lookup import CspLookup, Force, classify_lookup, lsoa_changes, lsoa_lads
from sna_lib.data.importers.nonresidential import flag_non_residential
from sna_lib.data.importers.population import build_population
from sna_lib.data.importers.street import Found, StreetFile, find_street_files, read_street
from sna_lib.data.schemas import POLICE_UK_CATEGORIES, looks_like_formula

ASB = "Anti-social behaviour"
#: Example rows printed per rejection reason; every rejected row is in :data:`REJECTED_FILE`.
MAX_LISTED = 3
#: Every rejected street row (file, row, table, month, reason, column, detail), in the output folder.
#: Not a contract table: the build never reads it.
REJECTED_FILE = "rejected_rows.csv"
REJECTED_COLUMNS = ["source_file", "row", "table", "month", "reason", "column", "detail"]
MARKER = "Imported by `sna import police-uk`"

R_UNPARSEABLE = "row could not be parsed (wrong number of fields)"
R_CRIME_TYPE = "unknown police.uk crime type"
R_MONTH = "Month differs from the file's month"
R_NO_LOCATION = "no location: police.uk gives no LSOA for this record"
R_OUTSIDE = "LSOA outside the force area"
R_UNKNOWN_LSOA = "LSOA code is not in the ONS lookup"
R_DUPLICATE = "duplicate Crime ID"
R_BAD_ID = "Crime ID is not a police.uk id (over 64 characters, or starts like a spreadsheet formula)"
R_SPLIT = "2011 LSOA split in 2021: the location is in none of its 2021 LSOAs"


@dataclass
class _Recode:
    """2011-coded records onto 2021 boundaries: a 2011 LSOA with one 2021 successor maps to it
    (``single``); a split one (``split``: LSOA11 → its LSOA21s) is placed by its coordinates."""

    single: dict[str, str] = field(default_factory=dict)
    split: dict[str, set[str]] = field(default_factory=dict)
    shapes: gpd.GeoDataFrame | None = None

    def apply(self, frame: pd.DataFrame) -> pd.Series:
        code = frame["lsoa_code"]
        if not self.single and not self.split:
            return code
        code = code.map(lambda c: self.single.get(c, c))
        is_split = code.isin(list(self.split))
        if is_split.any() and self.shapes is not None:
            rows = frame[is_split]
            lon = pd.to_numeric(rows["longitude"], errors="coerce")
            lat = pd.to_numeric(rows["latitude"], errors="coerce")
            points = gpd.GeoDataFrame({"row": rows.index}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
            points = points[lon.notna().to_numpy() & lat.notna().to_numpy()].to_crs(self.shapes.crs)
            hit = gpd.sjoin(points, self.shapes[["lsoa_code", "geometry"]], predicate="within", how="inner")
            hit = hit.drop_duplicates("row").set_index("row")["lsoa_code"]
            placed = pd.Series(pd.NA, index=rows.index, dtype="object")
            placed.loc[hit.index] = hit.to_numpy()
            ok = [isinstance(p, str) and p in self.split[c] for c, p in zip(code[is_split], placed)]
            code = code.copy()
            code.loc[is_split] = np.where(ok, placed.astype("str"), "split:" + code[is_split])
        return code


@dataclass
class ImportResult:
    """What an import did: counts (read = used + rejected), reasons, months and methods."""

    out_dir: Path
    force: Force
    read: int = 0
    used: dict[str, int] = field(default_factory=dict)
    rejected: Counter = field(default_factory=Counter)
    examples: dict[str, list[Problem]] = field(default_factory=dict)
    rejected_tables: Counter = field(default_factory=Counter)
    rejected_file: Path | None = None
    months: list[str] = field(default_factory=list)
    missing_months: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    skipped_files: dict[str, int] = field(default_factory=dict)
    non_residential: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def n_rejected(self) -> int:
        return int(sum(self.rejected.values()))

    def reconciles(self) -> bool:
        """True when every row read is either used (crimes or ASB) or rejected with a reason."""
        return self.read == sum(self.used.values()) + self.n_rejected

    def render(self) -> str:
        lines = [f"Imported {self.force.name} ({self.force.code}, police.uk '{self.force.slug}') into {self.out_dir}",
                 f"  months: {self.months[0]} … {self.months[-1]} ({len(self.months)} present"
                 + (f"; missing: {', '.join(self.missing_months)})" if self.missing_months else ")"),
                 f"  street rows read {self.read:,} = crimes {self.used.get('crimes', 0):,} + ASB "
                 f"{self.used.get('asb', 0):,} + rejected {self.n_rejected:,}"]
        if self.rejected:
            where = f"; every one is listed in {self.rejected_file}" if self.rejected_file else ""
            lines.append(f"  rejected by reason (first {MAX_LISTED} rows of each shown{where}):")
        for reason, n in sorted(self.rejected.items(), key=lambda item: (-item[1], item[0])):
            split = ", ".join(f"{label} {self.rejected_tables[(reason, table)]:,}" for table, label
                              in (("crimes", "crimes"), ("asb", "ASB")) if self.rejected_tables[(reason, table)])
            lines.append(f"    {n:>9,}  {reason}" + (f" ({split})" if split else ""))
            lines.extend(f"               e.g. {_example(p, reason)}" for p in self.examples.get(reason, []))
        for what, n in self.skipped_files.items():
            if n:
                lines.append(f"  skipped {n:,} {what}")
        if self.non_residential:
            lines.append(f"  non-residential LSOAs flagged: {', '.join(self.non_residential)}")
        lines.extend(f"  {m}" for m in self.methods)
        lines.append(f"  took {self.seconds:.1f} s")
        return "\n".join(lines) + "\n"


def _example(problem: Problem, reason: str) -> str:
    """``file, column 'X', row N`` and the row's detail, without repeating the reason.

    Examples
    --------
    >>> _example(Problem("2018-01-x-street.csv", "LSOA code", 2, "LSOA outside: E01 'Havering 1'"), "LSOA outside")
    "2018-01-x-street.csv, column 'LSOA code', row 2: E01 'Havering 1'"
    >>> _example(Problem("f.csv", None, 9, "row could not be parsed"), "row could not be parsed")
    'f.csv, row 9'
    """
    detail = problem.reason[len(reason):].removeprefix(": ") if problem.reason.startswith(reason) else problem.reason
    where = str(Problem(problem.file, problem.column, problem.row, "x"))[:-3]
    return where + (f": {detail}" if detail else "")


class _Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled, self.t0, self.step = enabled, time.perf_counter(), 0

    def __call__(self, text: str) -> None:
        self.step += 1
        if self.enabled:
            print(f"[{time.perf_counter() - self.t0:6.1f} s] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- geography


def _lookups(paths: list[Path]) -> tuple[CspLookup, pd.DataFrame | None, str | None, pd.DataFrame | None]:
    csp = lad = changes = None
    lad_vintage = None
    for path in map(Path, paths):
        kind = classify_lookup(path)
        if kind == "csp":
            csp = CspLookup.read(path)
        elif kind == "lad":
            lad, lad_vintage = lsoa_lads(path)
        else:
            changes = lsoa_changes(path)
    if csp is None:
        raise DataValidationError([Problem("--lookup", None, None,
                                           "the LAD → CSP → police force area lookup is required "
                                           "(e.g. lookup_ltla24_csp24_pfa24_ew.csv)")])
    return csp, lad, lad_vintage, changes


def _lsoa_lad(vintage: str, lad: pd.DataFrame | None, lad_vintage: str | None,
              changes: pd.DataFrame | None) -> pd.DataFrame:
    """``lsoa, lad, lad_name, lsoa_name`` for LSOAs of the boundary vintage."""
    if lad is not None and lad_vintage == vintage:
        return lad
    if vintage == "2021" and changes is not None:
        if lad is not None and lad_vintage == "2011":
            # an LSOA21's former district is that of its 2011 parent(s): all in one district
            parent = changes.drop_duplicates("lsoa21").set_index("lsoa21")["lsoa11"]
            by11 = lad.set_index("lsoa")
            codes = pd.Index(parent.index)
            return pd.DataFrame({"lsoa": codes, "lad": parent.map(by11["lad"]).to_numpy(),
                                 "lad_name": parent.map(by11["lad_name"]).to_numpy(),
                                 "lsoa_name": parent.map(by11["lsoa_name"]).to_numpy()})
        rows = changes.drop_duplicates("lsoa21")
        return pd.DataFrame({"lsoa": rows["lsoa21"], "lad": rows["lad"], "lad_name": rows["lad_name"], "lsoa_name": ""})
    if vintage == "2011" and changes is not None:
        rows = changes.drop_duplicates("lsoa11")
        return pd.DataFrame({"lsoa": rows["lsoa11"], "lad": rows["lad"], "lad_name": rows["lad_name"], "lsoa_name": ""})
    raise DataValidationError([Problem("--lookup", None, None,
                                       f"no LSOA {vintage} → local authority lookup given (e.g. "
                                       "lookup_lsoa11_ltla19_ew.csv.gz, or the LSOA 2011 → 2021 lookup)")])


def force_lsoas(csp: CspLookup, lsoa_lad: pd.DataFrame, force: Force) -> pd.DataFrame:
    """``lsoa_code, area`` (CSP name) of every LSOA in the force, sorted by code.

    Every CSP of the force must receive at least one LSOA.
    """
    resolved = pd.concat([lsoa_lad.reset_index(drop=True), csp.csp_of_lads(lsoa_lad.reset_index(drop=True))], axis=1)
    mine = resolved[resolved["pfa"] == force.code]
    empty = sorted(set(force.csps) - set(mine["csp_name"]))
    if empty:
        raise DataValidationError([Problem(csp.file, "csp24_name", None,
                                           f"no LSOA resolves to CSP(s) {', '.join(empty)} of {force.name}")])
    out = pd.DataFrame({"lsoa_code": mine["lsoa"].to_numpy(), "area": mine["csp_name"].to_numpy()})
    return out.sort_values("lsoa_code").reset_index(drop=True)


# --------------------------------------------------------------------------- street rows


@dataclass
class _Street:
    crimes: list[pd.DataFrame] = field(default_factory=list)
    asb: list[pd.DataFrame] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    examples: dict[str, list[Problem]] = field(default_factory=dict)
    rejected_tables: Counter = field(default_factory=Counter)
    rejected_rows: list[pd.DataFrame] = field(default_factory=list)
    listed: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    read: int = 0
    seen_ids: dict[str, tuple[str, int]] = field(default_factory=dict)
    blanked_locations: int = 0
    digests: dict[str, str] = field(default_factory=dict)


def _reject(state: _Street, file: StreetFile, table: str, reason: str, rows: np.ndarray, column: str | None,
            detail: pd.Series | None = None) -> None:
    if not len(rows):
        return
    state.rejected[reason] += len(rows)
    state.rejected_tables[(reason, table)] += len(rows)
    state.log.append({"source_file": file.name, "table": table, "month": file.month, "outcome": "rejected",
                      "reason": reason, "rows": len(rows)})
    details = [""] * len(rows) if detail is None else [str(d) for d in detail]
    state.rejected_rows.append(pd.DataFrame({
        "source_file": file.name, "row": np.asarray(rows, dtype="int64"), "table": table, "month": file.month,
        "reason": reason, "column": column or "", "detail": details}, columns=REJECTED_COLUMNS))
    for row, text in zip(rows[:max(0, MAX_LISTED - state.listed[reason])], details):
        state.listed[reason] += 1
        text = reason + (f": {text}" if detail is not None else "")
        state.examples.setdefault(reason, []).append(Problem(file.name, column, int(row), text))


def _read_month(file: StreetFile, state: _Street, known: pd.Series, national: pd.Index,
                recode: _Recode) -> None:
    """Classify every row of one street file as crime, ASB or rejected (first failing rule)."""
    data = file.read_bytes()
    frame, raw = read_street(file, data)
    state.read += raw.n_read
    state.digests[file.name] = hashlib.sha256(data).hexdigest()
    rows = frame.index.to_numpy() + 1
    _reject(state, file, "crimes", R_UNPARSEABLE, np.asarray(raw.skipped_rows), None)
    is_asb = (frame["crime_type"] == ASB).to_numpy()
    category = frame["crime_type"].map(POLICE_UK_CATEGORIES)
    table = np.where(is_asb, "asb", "crimes")
    ok = np.ones(len(frame), dtype=bool)

    def rule(mask: np.ndarray, reason: str, column: str, detail: pd.Series | None = None) -> None:
        nonlocal ok
        hit = ok & mask
        for t in ("crimes", "asb"):
            sel = hit & (table == t)
            _reject(state, file, t, reason, rows[sel], column, None if detail is None else detail[sel])
        ok &= ~mask

    bad_type = ~is_asb & category.isna().to_numpy()
    rule(bad_type, R_CRIME_TYPE, "Crime type", frame["crime_type"].map(repr))
    rule((frame["month"] != file.month).to_numpy(), R_MONTH, "Month",
         frame["month"].map(lambda m: f"{m!r} in a file for {file.month}"))
    code = recode.apply(frame)
    rule((code == "").to_numpy(), R_NO_LOCATION, "LSOA code")
    rule(code.str.startswith("split:").to_numpy(), R_SPLIT, "LSOA code", code.str.removeprefix("split:"))
    inside = known.index.get_indexer(code) >= 0
    in_lookup = national.get_indexer(code) >= 0
    rule(~inside & in_lookup, R_OUTSIDE, "LSOA code", code + " " + frame["lsoa_name"].map(repr))
    rule(~inside & ~in_lookup, R_UNKNOWN_LSOA, "LSOA code", code.map(repr))

    numbers = np.char.zfill(rows.astype(str), 6).astype(object)
    given = frame["crime_id"].to_numpy(dtype=object)
    ids = np.where(is_asb, file.month + "-asb-" + numbers,
                   np.where(given == "", file.month + "-" + numbers, given)).astype(object)
    given_series = frame["crime_id"]
    bad_id = ((given_series.str.len() > 64) | looks_like_formula(given_series)).to_numpy() & ~is_asb
    rule(bad_id, R_BAD_ID, "Crime ID", given_series.str.slice(0, 40).map(repr))
    dup = np.zeros(len(frame), dtype=bool)
    dup_detail = np.full(len(frame), "", dtype=object)
    seen = state.seen_ids
    for pos in np.flatnonzero(ok & ~is_asb).tolist():
        cid = ids[pos]
        where = seen.get(cid)
        if where is not None:
            dup[pos] = True
            dup_detail[pos] = f"{cid[:16]}… first in {where[0]} row {where[1]}"
        else:
            seen[cid] = (file.name, int(rows[pos]))
    rule(dup, R_DUPLICATE, "Crime ID", pd.Series(dup_detail, index=frame.index))
    ids = pd.Series(ids, index=frame.index, dtype="str")

    location = frame["location"]
    unsafe = (looks_like_formula(location) | (location.str.len() > 500)).to_numpy()
    state.blanked_locations += int((unsafe & ok).sum())
    location = location.where((location != "") & ~unsafe)
    used = pd.DataFrame({"month": file.month, "lsoa_code": code, "location": location}, index=frame.index)
    crimes = used[ok & ~is_asb].assign(crime_id=ids[ok & ~is_asb], category=category[ok & ~is_asb])
    asb = used[ok & is_asb].assign(incident_id=ids[ok & is_asb])
    state.crimes.append(crimes[["crime_id", "month", "category", "lsoa_code", "location"]])
    state.asb.append(asb[["incident_id", "month", "lsoa_code", "location"]])
    for t, part in (("crimes", crimes), ("asb", asb)):
        state.log.append({"source_file": file.name, "table": t, "month": file.month, "outcome": "used",
                          "reason": "used", "rows": len(part)})


def _refuse_formulas(values: pd.Series, file: str, column: str) -> None:
    """Names written into the folder must not run as spreadsheet formulas (the contract refuses them)."""
    bad = looks_like_formula(values.astype("str")).to_numpy()
    if bad.any():
        raise DataValidationError([Problem(file, column, None, f"{values.iloc[i]!r} starts like a spreadsheet "
                                                               "formula (=, +, -, @); refused")
                                   for i in np.flatnonzero(bad)[:10]])


def _write_rejected(parts: list[pd.DataFrame], path: Path) -> None:
    """Every rejected row, sorted by file and row; cells neutralised against formula injection
    (details quote source text such as LSOA names and Crime IDs)."""
    from sna_lib.data.tableio import write_csv

    frame = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REJECTED_COLUMNS))
    frame = frame.sort_values(["source_file", "row", "table"], kind="stable").reset_index(drop=True)
    write_csv(frame.astype({c: "object" for c in REJECTED_COLUMNS if c != "row"}), path)


def _months_between(first: str, last: str) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


# --------------------------------------------------------------------------- writing


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def _config(force: Force, county: str, months: list[str], missing: list[str]) -> dict:
    first, last = months[0], months[-1]
    last_year = int(last[:4])
    reporting = last_year if (last.endswith("-12") or int(first[:4]) == last_year) else last_year - 1
    end = (pd.Period(last, freq="M").end_time.date())
    first_year = int(first[:4])
    return {
        "county": county, "synthetic": False, "data_level": "open", "csps": list(force.csps),
        "first_year": first_year, "reporting_year": reporting, "rolling_end": end.isoformat(),
        "coverage": {"first_month": first, "last_month": last, "missing_months": list(missing)},
        "definitions": ["open_data_proxy"],
        "baselines": {"knife_sv_calendar_year": first_year,
                      "homicide_financial_year": f"{first_year}/{(first_year + 1) % 100:02d}",
                      "hospital_financial_year": f"{first_year}/{(first_year + 1) % 100:02d}"},
    }


def _provenance(result: ImportResult, digests: dict[str, str], sources: dict[str, str]) -> str:
    lines = [f"# {result.force.name}: open-data import", "",
             f"{MARKER} from police.uk street-level crime and ONS / MHCLG open data.",
             "Contains public sector information licensed under the Open Government Licence v3.0.",
             "Contains OS data © Crown copyright and database right.", "",
             f"- Force: {result.force.name} ({result.force.code}), police.uk id `{result.force.slug}`; "
             f"{len(result.force.csps)} CSPs: {', '.join(result.force.csps)}",
             f"- Months present: {', '.join(result.months)}",
             f"- Months missing: {', '.join(result.missing_months) or 'none'}",
             f"- Street rows read {result.read:,}; crimes {result.used.get('crimes', 0):,}; ASB "
             f"{result.used.get('asb', 0):,}; rejected {result.n_rejected:,}"]
    lines += [f"  - rejected, {r}: {n:,}" for r, n in sorted(result.rejected.items())]
    lines += ["", "## Methods", ""] + [f"- {m}" for m in result.methods]
    lines += ["", "## Source files", "", "| file | sha256 (decompressed for street files) |", "|---|---|"]
    lines += [f"| {name} | {digest} |" for name, digest in sorted({**sources, **digests}.items())]
    return "\n".join(lines) + "\n"


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _prepare_out(out_dir: Path) -> Path:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise SnaError(f"--out {out_dir} exists and is not a folder")
        prov = out_dir / "PROVENANCE.md"
        if any(out_dir.iterdir()) and not (prov.is_file() and MARKER in prov.read_text(encoding="utf-8", errors="replace")):
            raise SnaError(f"--out {out_dir} is not empty and is not an earlier police.uk import; "
                           "choose an empty folder")
    tmp = out_dir.with_name(out_dir.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


# --------------------------------------------------------------------------- public API


def import_police_uk(out_dir: Path | str, *, street: list[str | Path], boundaries: str | Path,
                     lookups: list[str | Path], population: list[str | Path], census: str | Path,
                     force: str, imd: str | Path | None = None, county: str | None = None,
                     progress: bool = False, validate: bool = True) -> ImportResult:
    """Import police.uk street files and ONS layers for one force into a contract data folder.

    Parameters
    ----------
    out_dir : Path or str
        Folder to write (empty, or an earlier import, which is replaced). Written to
        ``<out_dir>.partial`` first and moved into place only when complete.
    street : list
        Folders of ``YYYY-MM/YYYY-MM-<force>-street.csv``, police.uk download ``.zip`` files,
        or single ``.csv`` / ``.csv.gz`` files.
    boundaries : Path or str
        LSOA polygons (GeoJSON, GeoPackage, shapefile or zipped shapefile; 2011 or 2021 codes).
    lookups : list
        ONS lookups: LAD → CSP → PFA (required), LSOA → LAD, and LSOA 2011 → 2021.
    population : list
        ONS small-area population estimates by single year of age (one file per mid-year).
    census : Path or str
        Census households by deprivation dimensions (2021 TS011 or 2011 QS119, long format).
    force : str
        police.uk force id (``essex``), force area name or PFA code.
    imd : Path or str, optional
        English IMD ranks and deciles per LSOA.
    county : str, optional
        Heading name; default the force area name.
    validate : bool
        Check the written folder with :func:`sna_lib.data.validate.validate_dir` (default True).

    Returns
    -------
    ImportResult

    Raises
    ------
    DataValidationError
        For every input problem (file, column, row named); nothing is written then.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    say = _Progress(progress)
    csp, lad, lad_vintage, changes = _lookups([Path(p) for p in lookups])
    the_force = csp.force(force)
    say(f"force {the_force.name} ({the_force.code}): {len(the_force.csps)} CSPs")

    shapes, vintage = boundaries_mod.read_boundaries(Path(boundaries))
    lsoa_lad = _lsoa_lad(vintage, lad, lad_vintage, changes)
    mine = force_lsoas(csp, lsoa_lad, the_force)
    shapes = boundaries_mod.subset(shapes, pd.Index(mine["lsoa_code"]), Path(boundaries).name)
    _refuse_formulas(shapes["lsoa_name"], Path(boundaries).name, "lsoa_name")
    _refuse_formulas(pd.Series(the_force.csps), csp.file, "csp24_name")
    say(f"boundaries: {len(shapes):,} LSOA {vintage} polygons of the force, reprojected to EPSG:27700")

    found: Found = find_street_files(street, the_force.slug)
    months = [f.month for f in found.files]
    missing = sorted(set(_months_between(months[0], months[-1])) - set(months))
    known = mine.set_index("lsoa_code")["area"]
    national = pd.Index(lsoa_lad["lsoa"])
    recode = _Recode()
    if vintage == "2021" and changes is not None:
        successors = changes.groupby("lsoa11")["lsoa21"].agg(list)
        recode = _Recode(single={k: v[0] for k, v in successors.items() if len(v) == 1},
                         split={k: set(v) for k, v in successors.items() if len(v) > 1}, shapes=shapes)
        national = national.union(pd.Index(list(successors.index)))
    state = _Street()
    for i, file in enumerate(found.files, 1):
        _read_month(file, state, known, national, recode)
        say(f"street file {i}/{len(found.files)}: {file.name} ({state.read:,} rows read so far)")
    crimes = pd.concat(state.crimes, ignore_index=True)
    asb = pd.concat(state.asb, ignore_index=True)

    result = ImportResult(out_dir=out_dir, force=the_force, read=state.read,
                          used={"crimes": len(crimes), "asb": len(asb)}, rejected=state.rejected,
                          examples=state.examples, rejected_tables=state.rejected_tables, months=months, missing_months=missing,
                          skipped_files={"files of other forces": found.other_forces,
                                         "outcomes / stop-and-search / other files": found.other_kinds})
    if state.blanked_locations:
        result.methods.append(f"location: {state.blanked_locations:,} police.uk location texts that start like a "
                              "spreadsheet formula (or exceed 500 characters) were left empty; the records are kept")
    codes = pd.Index(mine["lsoa_code"])
    data_years = sorted({int(m[:4]) for m in months})
    people, chosen = build_population([Path(p) for p in population], codes, data_years)
    result.methods.append("population: " + "; ".join(f"{y} ← mid-{e} estimate" for y, e in chosen.items())
                          + " (nearest mid-year estimate supplied; ties go to the earlier one)")
    say(f"population: {len(people):,} rows for {', '.join(map(str, data_years))}")
    weights = people[people["year"] == data_years[-1]].groupby("lsoa_code")["population"].sum()
    deprivation, method = build_census(Path(census), codes, vintage, changes, weights)
    result.methods.append("census deprivation: " + method)
    say(f"census deprivation: {len(deprivation):,} LSOAs")
    imd_table = build_imd(Path(imd), codes, vintage) if imd is not None else None
    if imd_table is not None:
        result.methods.append(f"IMD: {Path(imd).name}, LSOA {vintage}")

    flags = flag_non_residential(crimes, codes)
    result.non_residential = flags.loc[flags["non_residential"], "lsoa_code"].tolist()
    result.methods.append("non-residential flag: LSOAs where at least half of the crime records (min. 50) are at "
                          "police.uk Airport/Airfield or Prison locations")
    result.methods.append("boundaries: " + Path(boundaries).name + f" (LSOA {vintage}), reprojected to EPSG:27700")
    geography = gpd.GeoDataFrame(
        shapes[["lsoa_code", "lsoa_name"]].assign(area=shapes["lsoa_code"].map(known).to_numpy())
        .merge(flags, on="lsoa_code", how="left"),
        geometry=shapes.geometry.values, crs=shapes.crs)

    tmp = _prepare_out(out_dir)
    try:
        geography.to_parquet(tmp / "geography.parquet", index=False, compression="zstd")
        _write_parquet(crimes, tmp / "crimes.parquet")
        _write_parquet(asb, tmp / "asb.parquet")
        _write_parquet(people, tmp / "population.parquet")
        deprivation.to_csv(tmp / "census_deprivation.csv", index=False, lineterminator="\n")
        if imd_table is not None:
            imd_table.to_csv(tmp / "imd.csv", index=False, lineterminator="\n")
        log = pd.DataFrame(state.log, columns=["source_file", "table", "month", "outcome", "reason", "rows"])
        log = log.groupby(["source_file", "table", "month", "outcome", "reason"], as_index=False, sort=True)["rows"].sum()
        log.to_csv(tmp / "import_log.csv", index=False, lineterminator="\n")
        _write_rejected(state.rejected_rows, tmp / REJECTED_FILE)
        result.rejected_file = out_dir / REJECTED_FILE
        config = _config(the_force, county or the_force.name, months, missing)
        header = (f"# {MARKER} (open data, OGL v3.0; see PROVENANCE.md).\n"
                  "# data_level: open = police.uk categories by month; no offence codes, flags or persons.\n")
        (tmp / "config.yaml").write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                                         encoding="utf-8")
        sources = {Path(p).name: _sha256(Path(p)) for p in [boundaries, *lookups, *population, census,
                                                            *([imd] if imd is not None else [])]}
        result.seconds = time.perf_counter() - t0
        (tmp / "PROVENANCE.md").write_text(_provenance(result, state.digests, sources), encoding="utf-8")
        if validate:
            from sna_lib.data.validate import validate_dir

            report = validate_dir(tmp)
            if not report.ok:
                raise SnaError("the imported folder does not pass validation (importer bug):\n" + report.render())
            say("validated: " + ("OK" if report.ok else "FAILED"))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.seconds = time.perf_counter() - t0
    return result
