"""Check a data folder against the input contract (``data/README.md``).

:func:`validate_dir` reads every table, coerces types, runs the pandera schemas from
:mod:`sna_lib.data.schemas` with the cross-table rules bound to this folder (LSOA codes, offence
codes, crime ids, data period, CSPs) and returns a :class:`ValidationReport`: every problem
with file, column, 1-based data row and a plain-English reason, plus a :class:`DataQuality`
summary (records read = used + rejected, per file).

Two kinds of problem exist:

* **structural** — missing/unreadable files, missing columns, bad config, geography that
  does not cover the CSPs. Always fatal.
* **row** — a cell breaks a rule. With ``validation: {on_error: fail}`` (the default) any row
  problem is fatal; with ``on_error: reject`` the row is dropped and counted as rejected
  with its reason.

Listings are capped at :data:`MAX_LISTED_ROWS` rows per file/column/reason, followed by one
line giving the total; counts in :class:`DataQuality` are always complete.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from sna_lib.data.config import Config, contract_entries, load_config
from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.definitions import duplicate_id_problem, load_definition
from sna_lib.data.schemas import (
    Context,
    TableSpec,
    as_categories,
    coerce_frame,
    isin,
    required_missing,
    sum_error,
    table_schema,
    tables_for,
    value_set,
)
from sna_lib.data.tableio import RawTable, contract_files, find_table_file, read_table

MAX_LISTED_ROWS = 20
_VALUE_PREVIEW = 40


# --------------------------------------------------------------------------- quality summary


@dataclass
class FileQuality:
    """Counts for one table file. ``reasons`` maps a reason to the number of rows it hit."""

    file: str
    read: int = 0
    used: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)


@dataclass
class DataQuality:
    """Records read / used / rejected per file (read == used + rejected for every file).

    Examples
    --------
    >>> q = DataQuality({"asb": FileQuality("asb.csv", read=3, used=2, rejected=1,
    ...                                      reasons=Counter({"column 'date': is outside the data period": 1}))})
    >>> q.to_frame()[["read", "used", "rejected"]].iloc[0].tolist()
    [3, 2, 1]
    >>> q.reconciles()
    True
    """

    files: dict[str, FileQuality] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per table: ``file, read, used, rejected, reasons``."""
        rows = [
            {"file": q.file, "read": q.read, "used": q.used, "rejected": q.rejected,
             "reasons": "; ".join(f"{reason}: {n}" for reason, n in sorted(q.reasons.items()))}
            for q in self.files.values()
        ]
        frame = pd.DataFrame(rows, columns=["file", "read", "used", "rejected", "reasons"])
        return frame.astype({"read": "int64", "used": "int64", "rejected": "int64"})

    def reconciles(self) -> bool:
        """True when read == used + rejected for every file."""
        return all(q.read == q.used + q.rejected for q in self.files.values())


# --------------------------------------------------------------------------- report


@dataclass
class ValidationReport:
    """Outcome of :func:`validate_dir`.

    ``problems`` lists structural problems and (capped) row problems; ``warnings`` lists
    things that do not stop a build (extra columns, checks that could not run).
    """

    data_dir: Path
    on_error: str = "fail"
    structural: list[Problem] = field(default_factory=list)
    row_problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    quality: DataQuality = field(default_factory=DataQuality)
    sources: pd.DataFrame | None = None  # import_log reconciliation (sna_lib.data.data_level.source_reconciliation)

    @property
    def problems(self) -> list[Problem]:
        """Every problem: structural first, then row problems."""
        return self.structural + self.row_problems

    @property
    def ok(self) -> bool:
        """True when the data can be used: no structural problems, and no row problems unless
        ``on_error`` is ``reject`` (rejected rows are then counted in ``quality``)."""
        if self.structural:
            return False
        return self.on_error == "reject" or not self.row_problems

    def raise_if_failed(self) -> None:
        """Raise :class:`DataValidationError` with every problem when :attr:`ok` is false."""
        if not self.ok:
            raise DataValidationError(self.problems)

    def render(self) -> str:
        """Plain-text report: verdict, problems, warnings and the data-quality table."""
        verdict = "OK" if self.ok else "FAILED"
        lines = [f"Validation of {self.data_dir}: {verdict} (on_error: {self.on_error})"]
        if self.problems:
            kind = "rows rejected" if (self.on_error == "reject" and not self.structural) else "problems"
            lines.append(f"\n{len(self.problems)} {kind} listed:")
            lines.extend(f"  - {p}" for p in self.problems)
        if self.warnings:
            lines.append(f"\n{len(self.warnings)} warning(s):")
            lines.extend(f"  - {p}" for p in self.warnings)
        frame = self.quality.to_frame()
        if len(frame):
            lines.append("\nData quality (records read = used + rejected):")
            width = max(len(f) for f in frame["file"]) + 2
            lines.append(f"  {'file':<{width}}{'read':>10}{'used':>10}{'rejected':>10}  reasons")
            for row in frame.itertuples(index=False):
                lines.append(f"  {row.file:<{width}}{row.read:>10,}{row.used:>10,}{row.rejected:>10,}  {row.reasons}")
        if self.sources is not None and len(self.sources):
            total = self.sources.iloc[-1]
            lines.append(f"\nSource rows (import_log): read {total['read']:,} = crimes {total['used_crimes']:,} + "
                         f"ASB {total['used_asb']:,} + rejected {total['rejected']:,}")
            for col in self.sources.columns:
                if col.startswith("rejected: "):
                    lines.append(f"  {col}: {int(total[col]):,}")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- internals


@dataclass
class _Finding:
    column: str
    reason: str
    mask: np.ndarray  # over frame rows (positional)
    detail: Callable[[object], str] | None = None  # extra text for a listed row, given its label


def known_offence_codes() -> frozenset[str] | None:
    """Upper-cased offence codes from :func:`sna_lib.reference.offences`; ``None`` if unavailable."""
    try:
        from sna_lib.reference import offences
    except ImportError:
        return None
    try:
        table = offences()
    except (FileNotFoundError, OSError):
        return None
    return frozenset(table["offence_code"].astype("str").str.strip().str.upper())


def _preview(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "(empty)"
    text = str(value)
    if text.strip() == "":
        return "(empty)"
    if len(text) > _VALUE_PREVIEW:
        text = text[:_VALUE_PREVIEW] + "…"
    return repr(text)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _column_problems(raw: RawTable, spec: TableSpec, warnings: list[Problem]) -> list[Problem]:
    """Missing required columns (with rename hints); extra columns become warnings."""
    frame = raw.frame
    present = [c for c in frame.columns if c != "geometry" or not spec.geo]
    expected = spec.names
    missing = [c for c in expected if c not in present and spec.column(c).required]
    extra = [c for c in present if c not in expected and c not in spec.derived]
    problems = []
    for col in missing:
        hint = ""
        lookalike = [e for e in extra if _normal(str(e)) == col]
        close = lookalike or difflib.get_close_matches(col, [str(e) for e in extra], n=1, cutoff=0.6)
        if close:
            hint = f"; found '{close[0]}' instead — rename it to '{col}'"
        problems.append(Problem(raw.file, col, None, f"required column is missing{hint}"))
    for col in extra:
        warnings.append(Problem(raw.file, str(col), None, "extra column is not part of the contract and is ignored"))
    if spec.geo and "geometry" not in frame.columns:
        problems.append(Problem(raw.file, "geometry", None, "has no geometry (LSOA polygons are required)"))
    return problems


_REPROJECT = ("reproject the polygons to British National Grid (EPSG:27700), e.g. "
              "gdf.to_crs(27700) in geopandas or 'Save Features As… CRS EPSG:27700' in QGIS")


def _crs_problem(frame, file: str) -> str | None:
    """What is wrong with the declared CRS of ``frame``, given where its coordinates lie."""
    crs = frame.crs
    if crs is None:
        return "has no coordinate reference system; declare EPSG:27700 (British National Grid) for its coordinates"
    geom = frame.geometry
    valid = geom[~(geom.isna() | geom.is_empty)]
    if valid.empty:
        return None
    minx, miny, maxx, maxy = (float(v) for v in valid.total_bounds)
    found = f"found {crs.to_string()} ({crs.name})"
    where = f"coordinates run from x={minx:,.0f}, y={miny:,.0f} to x={maxx:,.0f}, y={maxy:,.0f}"
    if not crs.is_projected:
        note = " (a GeoJSON file without a 'crs' member is WGS 84 longitude/latitude by definition)" \
            if file.endswith(".geojson") else ""
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            return (f"declares a geographic CRS in degrees{note} — {found} — but its {where}, which are not "
                    "longitudes/latitudes: they look like projected metres (British National Grid?). Declare the "
                    "CRS the coordinates are in (for GeoJSON add \"crs\": {\"type\": \"name\", \"properties\": "
                    "{\"name\": \"urn:ogc:def:crs:EPSG::27700\"}}, or save as GeoPackage/GeoParquet with EPSG:27700)")
        return f"uses a geographic CRS (longitude/latitude degrees; {found}){note}; {_REPROJECT}"
    area = crs.area_of_use
    if area is not None:
        from pyproj import Transformer

        try:
            bounds = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform_bounds(
                area.west, area.south, area.east, area.north, densify_pts=21)
        except Exception:  # noqa: BLE001 - a CRS pyproj cannot bound is not checked
            bounds = None
        if bounds is not None and all(map(np.isfinite, bounds)):
            x0, y0, x1, y1 = bounds
            pad_x, pad_y = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
            if minx < x0 - pad_x or maxx > x1 + pad_x or miny < y0 - pad_y or maxy > y1 + pad_y:
                return (f"declares {crs.to_string()} ({crs.name}), defined for {area.name}, but its {where}, "
                        f"outside that extent (x {x0:,.0f} … {x1:,.0f}, y {y0:,.0f} … {y1:,.0f}); the coordinates "
                        "are in another CRS: declare the right one, or reproject")
    if maxx - minx <= 360 and maxy - miny <= 180 and float(valid.area.mean()) < 1.0:
        return (f"declares {crs.to_string()} ({crs.name}, metres) but every polygon is smaller than 1 m² and the "
                f"{where}: these look like longitude/latitude degrees. Declare EPSG:4326 for them and then "
                f"{_REPROJECT}")
    return None


def _geometry_findings(frame, file: str, structural: list[Problem]) -> list[_Finding]:
    findings = []
    geom = frame.geometry
    problem = _crs_problem(frame, file)
    if problem is not None:
        structural.append(Problem(file, "geometry", None, problem))
    empty = (geom.isna() | geom.is_empty).to_numpy()
    if empty.any():
        findings.append(_Finding("geometry", "has no polygon", empty))
    polygonal = geom.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    wrong = ~empty & ~polygonal
    if wrong.any():
        findings.append(_Finding("geometry", "is not a Polygon or MultiPolygon", wrong))
    invalid = ~empty & polygonal & ~geom.is_valid.to_numpy()
    if invalid.any():
        findings.append(_Finding("geometry", "is not a valid polygon (self-intersecting or similar)", invalid))
    return findings


def _pandera_findings(typed: pd.DataFrame, spec: TableSpec, context: Context,
                      coerce_bad: dict[str, tuple[np.ndarray, str]], structural: list[Problem],
                      file: str) -> list[_Finding]:
    frame = pd.DataFrame(typed.drop(columns="geometry")) if spec.geo and "geometry" in typed else typed
    schema = table_schema(spec, context)
    try:
        schema.validate(frame, lazy=True)
        return []
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    findings = []
    n = len(frame)
    key_label = "+".join(spec.key)
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        labels = group["index"].dropna()
        if labels.empty:
            structural.append(Problem(file, None if pd.isna(column) else str(column), None,
                                      f"failed table check {check}"))
            continue
        positions = frame.index.get_indexer(labels.astype("int64").unique())
        mask = np.zeros(n, dtype=bool)
        mask[positions[positions >= 0]] = True
        check = str(check)
        totals = [(total, parts) for total, parts in spec.sums if sum_error(total, parts) == check]
        detail = None
        if totals:
            total, parts = totals[0]
            column, reason = total, check
            detail = _sum_detail(frame, total, parts)
        elif check.startswith("multiple_fields_uniqueness"):
            column, reason = key_label, f"duplicate key ({', '.join(spec.key)})"
        elif pd.isna(column):
            column, reason = key_label or None, check
        elif check.startswith("field_uniqueness"):
            reason = f"duplicate {column}"
        else:
            reason = check
        if column in coerce_bad:
            mask &= ~coerce_bad[column][0]
        if mask.any():
            findings.append(_Finding(str(column), reason, mask, detail))
    return _merge(findings)


def _sum_detail(frame: pd.DataFrame, total: str, parts: tuple[str, ...]):
    def detail(label) -> str:
        summed = sum(int(frame.at[label, p]) for p in parts)
        return f" (parts sum to {summed:,}, {total} is {int(frame.at[label, total]):,})"

    return detail


def _merge(findings: list[_Finding]) -> list[_Finding]:
    """One finding per (column, reason), masks OR-ed (pandera reports a key per column)."""
    merged: dict[tuple[str, str], _Finding] = {}
    for f in findings:
        key = (f.column, f.reason)
        if key in merged:
            merged[key].mask = merged[key].mask | f.mask
        else:
            merged[key] = f
    return list(merged.values())


def _first_seen(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """0-based label of the first row with the same values in ``columns``, per row."""
    labels = pd.Series(frame.index, index=frame.index)
    return labels.groupby([frame[c] for c in columns], sort=False, dropna=False).transform("first")


def _list_findings(findings: list[_Finding], raw_frame: pd.DataFrame, typed: pd.DataFrame,
                   file: str, spec: TableSpec) -> list[Problem]:
    problems = []
    index = typed.index
    for f in findings:
        positions = np.flatnonzero(f.mask)
        shown = positions[:MAX_LISTED_ROWS]
        first_seen = None
        if f.reason.startswith("duplicate"):
            cols = list(spec.key) if "+" in f.column or f.column == "+".join(spec.key) else [f.column]
            first_seen = _first_seen(typed, cols)
        for pos in shown:
            label = index[pos]
            if f.column in raw_frame.columns and f.column != "geometry":
                value = raw_frame.at[label, f.column]
                text = f"{_preview(value)} {f.reason}"
            elif "+" in f.column:
                values = ", ".join(_preview(raw_frame.at[label, c]) for c in spec.key)
                text = f"{f.reason}: ({values})"
            else:
                text = f.reason
            if f.detail is not None:
                text += f.detail(label)
            if first_seen is not None:
                text += f", first seen in row {int(first_seen.iloc[pos]) + 1}"
            problems.append(Problem(file, f.column, int(label) + 1, text))
        if len(positions) > len(shown):
            problems.append(Problem(file, f.column, None,
                                    f"{f.reason}: {len(positions):,} rows in all "
                                    f"(first {len(shown)} listed above)"))
    return problems


def _finalise_dtypes(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Narrow nullable columns to their contract dtype once bad rows are gone."""
    changes = {}
    for col in spec.columns:
        if col.name in frame.columns and str(frame[col.name].dtype) != col.dtype:
            if col.dtype in ("int64", "bool") and frame[col.name].isna().any():
                continue
            changes[col.name] = col.dtype
    return frame.astype(changes) if changes else frame


def _empty_frame(spec: TableSpec) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=c.dtype) for c in spec.columns})


def _context(config: Config, offence_codes: frozenset[str] | None) -> Context:
    start, end = pd.Timestamp(config.period_start), pd.Timestamp(config.period_end)
    coverage = config.coverage
    if coverage.first_month:
        start = max(start, pd.Timestamp(f"{coverage.first_month}-01"))
    if coverage.last_month:
        end = min(end, pd.Timestamp(f"{coverage.last_month}-01") + pd.offsets.MonthEnd(0))
    return Context(
        offence_codes=offence_codes, csps=config.csps,
        areas=(*config.csps, "county", config.county),
        period_start=start, period_end=end,
        max_year=config.reporting_year + 1, missing_months=tuple(coverage.missing_months),
    )


def _definition_problems(config: Config, data_dir: Path | None = None) -> list[Problem]:
    """Every configured definition loaded as the build loads it (syntax, keys, offence groups
    and codes, unique ids), and definitions that need columns this data level does not have.
    Files are named relative to the data folder."""
    root = Path(data_dir).resolve() if data_dir is not None else None

    def named(p: Problem) -> Problem:
        path = Path(p.file)
        if root is not None and path.is_absolute() and path.resolve().is_relative_to(root):
            return dataclasses.replace(p, file=path.resolve().relative_to(root).as_posix())
        return p

    problems = []
    seen: dict[str, str] = {}
    for entry in config.definitions:
        try:
            definition = load_definition(entry)
        except DataValidationError as exc:
            problems.extend(named(p) for p in exc.problems)
            continue
        if definition.id in seen:
            problems.append(named(duplicate_id_problem(definition)))
        seen[definition.id] = definition.source
        if definition.data_level != config.data_level:
            need = ("police.uk categories (data_level: open)" if definition.data_level == "open"
                    else "Home Office offence codes and flags (data_level: full)")
            problems.append(Problem("config.yaml", "definitions", None,
                                    f"definition {definition.id!r} needs {need}; this folder is "
                                    f"data_level: {config.data_level}"))
    return problems


def _import_log_problems(tables: dict[str, pd.DataFrame], quality: DataQuality) -> list[Problem]:
    """An importer's log must account for exactly the rows of the tables it wrote."""
    log = tables.get("import_log")
    if log is None or log.empty:
        return []
    problems = []
    for table in ("crimes", "asb"):
        logged = int(log.loc[(log["table"] == table) & (log["outcome"] == "used"), "rows"].sum())
        q = quality.files.get(table)
        read = q.read if q is not None else 0
        if logged != read:
            problems.append(Problem("import_log", "rows", None,
                                    f"says {logged:,} {table} rows were used but the {table} table has {read:,} rows"))
    return problems


def _replace(context: Context, **changes) -> Context:
    return dataclasses.replace(context, **changes)


@dataclass
class _Run:
    report: ValidationReport
    config: Config | None
    tables: dict[str, pd.DataFrame]


def run_validation(data_dir: Path | str, *, checks: bool = True) -> _Run:
    """Read, coerce and (when ``checks``) validate every table; the engine behind
    :func:`validate_dir` and :func:`sna_lib.data.dataset.load_dataset`.

    With ``checks=False`` only reading and type coercion happen (the fast path).
    """
    data_dir = Path(data_dir)
    report = ValidationReport(data_dir)
    tables: dict[str, pd.DataFrame] = {}
    if not data_dir.is_dir():
        report.structural.append(Problem(str(data_dir), None, None, "data folder does not exist"))
        return _Run(report, None, tables)
    try:
        config = load_config(data_dir)
    except DataValidationError as exc:
        report.structural.extend(exc.problems)
        return _Run(report, None, tables)
    report.on_error = config.validation.on_error
    report.warnings.extend(_stray_files(data_dir, config))

    context = _context(config, None)
    if checks:
        codes = known_offence_codes()
        if codes is None:
            report.warnings.append(Problem("crimes", "offence_code", None,
                                           "offence reference table not available; offence codes were not checked"))
        context = _replace(context, offence_codes=None if codes is None else value_set(codes))

    if checks:
        report.structural.extend(_definition_problems(config, data_dir))
        report.structural.extend(_offence_count_problems(config))
    specs = tables_for(config.data_level)
    for name, spec in specs.items():
        path, problems = find_table_file(data_dir, name, geo=spec.geo)
        report.structural.extend(problems)
        if path is None:
            if not problems and spec.required:
                exts = (".parquet", ".gpkg", ".geojson") if spec.geo else (".csv", ".parquet")
                expected = " or ".join(f"{name}{e}" for e in exts)
                report.structural.append(Problem(f"{name}.*", None, None,
                                                 f"required table '{name}' is missing (expected {expected})"))
            report.quality.files[name] = FileQuality(f"{name} (not supplied)" if not problems else f"{name}.*")
            tables[name] = _empty_frame(spec)
            continue
        try:
            tables[name], context = _check_table(path, spec, config, context, report, checks)
        except Exception as exc:  # noqa: BLE001 - an unforeseen input must still end in a clear problem
            report.structural.append(Problem(path.name, None, None,
                                             f"could not be checked ({type(exc).__name__}: {exc})"))
            tables[name] = _empty_frame(spec)
            quality = report.quality.files.get(name)
            if quality is not None:
                quality.used, quality.rejected = 0, quality.read
    if checks:
        report.structural.extend(_import_log_problems(tables, report.quality))
    if len(tables.get("import_log", ())):
        from sna_lib.data.data_level import source_reconciliation

        report.sources = source_reconciliation(tables["import_log"])
    # the import log describes source files, not records of this folder: not a quality row
    report.quality.files.pop("import_log", None)
    return _Run(report, config, tables)


def _offence_count_problems(config: Config) -> list[Problem]:
    """``harm.offence_counts``, when set, must read cleanly (problems name file, column, row)."""
    path = getattr(getattr(config, "harm", None), "offence_counts", None)
    if not path:
        return []
    from sna_lib.data.offence_counts import read_offence_counts

    try:
        read_offence_counts(path)
    except DataValidationError as exc:
        return list(exc.problems)
    return []


#: Files a data folder may hold for people, never read by the build: ``sna import`` writes PROVENANCE.md.
DOCUMENTATION_FILES = frozenset({"PROVENANCE.md"})


def _stray_files(data_dir: Path, config: Config) -> list[Problem]:
    """Files the contract does not name: ignored (never read, copied or published), said once here."""
    tables = tables_for(config.data_level)
    known = set(contract_files(data_dir, {n: s.geo for n, s in tables.items()}, contract_entries(config)))
    out = []
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir)
        if rel.as_posix() in DOCUMENTATION_FILES or (rel.parts and rel.parts[0] == "partnership"):
            continue  # the import's own record / partnership pages (read by book.partnership_content)
        if path.is_file() and path not in known and not any(part.startswith(".") for part in rel.parts):
            out.append(Problem(rel.as_posix(), None, None,
                               "is not a file of the contract: it is ignored (not read, copied or named in the book)"))
    return out


def _threshold_problems(spec: TableSpec, quality: FileQuality, config: Config) -> list[Problem]:
    """``on_error: reject`` may drop at most ``validation.max_rejected_share`` of a table's rows,
    and never every row of a table that needs rows."""
    if config.validation.on_error != "reject" or quality.read == 0 or quality.rejected == 0:
        return []
    share = quality.rejected / quality.read
    limit = config.validation.max_share(spec.name)
    if spec.min_rows and quality.used == 0:
        return [Problem(quality.file, None, None,
                        f"all {quality.read:,} rows were rejected (on_error: reject); nothing is left to build from")]
    if share > limit:
        return [Problem(quality.file, None, None,
                        f"{quality.rejected:,} of {quality.read:,} rows ({share:.1%}) were rejected, more than "
                        f"validation.max_rejected_share allows ({limit:.0%}); fix the rows listed or raise the limit")]
    return []


def _csps_left(used_geo: pd.DataFrame, config: Config, file: str) -> list[Problem]:
    """Under ``on_error: reject`` a CSP whose every LSOA was rejected would build an empty book."""
    left = set(used_geo["area"].dropna())
    return [Problem(file, "area", None, f"every LSOA of CSP {csp!r} was rejected; its book would be empty")
            for csp in config.csps if csp not in left]


def _check_table(path: Path, spec: TableSpec, config: Config, context: Context,
                 report: ValidationReport, checks: bool) -> tuple[pd.DataFrame, Context]:
    raw = read_table(path, geo=spec.geo)
    file = raw.file
    quality = FileQuality(file, read=raw.n_read)
    report.quality.files[spec.name] = quality
    skipped = set(raw.skipped_rows)
    # rows that could not be parsed are row problems (rejected under on_error: reject), see data/README.md
    report.row_problems.extend(p for p in raw.problems if p.row is not None and p.row in skipped)
    report.structural.extend(p for p in raw.problems if p.row is None or p.row not in skipped)
    broken_context = _replace(context, lsoa_codes=None, lsoa_codes_rejected=None) if spec.geo else (
        _replace(context, crime_ids=None, crime_ids_rejected=None) if spec.name == "crimes" else context)
    if raw.frame is None:
        quality.rejected = quality.read
        return _empty_frame(spec), broken_context
    if raw.skipped_rows:
        quality.reasons["row could not be parsed (wrong number of fields)"] += len(raw.skipped_rows)
    column_problems = _column_problems(raw, spec, report.warnings)
    if column_problems:
        report.structural.extend(column_problems)
        quality.rejected = quality.read
        return _empty_frame(spec), broken_context
    if len(raw.frame) < spec.min_rows:
        report.structural.append(Problem(file, None, None, "has a header but no data rows"))
        quality.rejected = quality.read
        return _empty_frame(spec), broken_context

    typed, coerce_bad = coerce_frame(raw.frame, spec)
    findings = [_Finding(col, reason, mask) for col, (mask, reason) in coerce_bad.items()]
    for col, mask in required_missing(typed, spec).items():
        if col in coerce_bad:
            mask = mask & ~coerce_bad[col][0]
        if mask.any():
            findings.append(_Finding(col, "is empty (a value is required)", mask))
    if checks:
        findings.extend(_pandera_findings(typed, spec, context, coerce_bad, report.structural, file))
        if spec.geo:
            findings.extend(_geometry_findings(typed, file, report.structural))
            missing_csps = sorted(set(config.csps) - set(typed["area"].dropna()))
            if missing_csps:
                report.structural.append(Problem(file, "area", None,
                                                 f"no LSOAs for CSP(s) in config.csps: {', '.join(missing_csps)}"))

    rejected = np.zeros(len(typed), dtype=bool)
    for f in findings:
        rejected |= f.mask
        quality.reasons[f"column '{f.column}': {f.reason}"] += int(f.mask.sum())
    report.row_problems.extend(_list_findings(findings, raw.frame, typed, file, spec))
    quality.rejected = int(rejected.sum()) + len(raw.skipped_rows)
    quality.used = quality.read - quality.rejected

    used = typed[~rejected] if rejected.any() else typed
    used = as_categories(_finalise_dtypes(used.reset_index(drop=True), spec), spec)
    if not checks:
        return used, context
    report.structural.extend(_threshold_problems(spec, quality, config))
    if spec.geo and config.validation.on_error == "reject" and rejected.any():
        report.structural.extend(_csps_left(used, config, file))
    if spec.geo:
        known, orphaned = _reference_values(typed["lsoa_code"], used["lsoa_code"], rejected)
        context = _replace(context, lsoa_codes=known, lsoa_codes_rejected=orphaned)
    elif spec.name == "crimes":
        known, orphaned = _reference_values(typed["crime_id"], used["crime_id"], rejected)
        context = _replace(context, crime_ids=known, crime_ids_rejected=orphaned)
    return used, context


def _reference_values(values: pd.Series, used: pd.Series, rejected: np.ndarray):
    """All values of a key column, and those that only occur on rejected rows (so rows in
    other tables that point at them are rejected too, with a reason saying why)."""
    bad = values[rejected].dropna()
    if bad.empty:
        return value_set(values), None
    still_used = set(used[isin(used, value_set(bad))])
    return value_set(values), value_set(bad[~bad.isin(still_used)])


# --------------------------------------------------------------------------- public API


def validate_dir(data_dir: Path | str) -> ValidationReport:
    """Check every file in a data folder against the contract.

    Parameters
    ----------
    data_dir : Path or str
        Folder holding ``config.yaml`` and the table files (see ``data/README.md``).

    Returns
    -------
    ValidationReport
        ``.ok``, ``.problems`` (each a :class:`sna_lib.errors.Problem`), ``.warnings``,
        ``.quality`` and ``.render()``.

    Examples
    --------
    >>> import tempfile
    >>> report = validate_dir(tempfile.mkdtemp())
    >>> report.ok, report.problems[0].file, report.problems[0].reason[:8]
    (False, 'config.yaml', 'missing:')
    """
    return run_validation(data_dir).report
