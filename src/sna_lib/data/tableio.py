"""Find and read the contract's table files (CSV, Parquet, GeoParquet, GeoPackage, GeoJSON).

Readers never raise on bad content: they return a :class:`RawTable` carrying the frame
(CSV columns as text, Parquet columns as stored) and file-level :class:`Problem` items
(unreadable file, bad encoding, ragged rows...). Row numbers are 1-based data rows; the frame
index is ``0..n-1`` so ``row = index + 1``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sna_lib.errors import Problem
from sna_lib.data.names import is_formula_text

TABLE_EXTENSIONS = (".csv", ".parquet")
GEO_EXTENSIONS = (".parquet", ".gpkg", ".geojson")
_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16",
}


@dataclass
class RawTable:
    """What a reader returns: the frame (``None`` if unreadable), its file name and problems.

    ``skipped_rows`` are 1-based data rows that could not be parsed at all (e.g. wrong number
    of fields); they count as read and rejected.
    """

    file: str
    frame: pd.DataFrame | None
    problems: list[Problem] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)

    @property
    def n_read(self) -> int:
        """Data rows in the file: parsed rows plus rows that could not be parsed."""
        return (0 if self.frame is None else len(self.frame)) + len(self.skipped_rows)


def find_table_file(data_dir: Path, stem: str, *, geo: bool = False) -> tuple[Path | None, list[Problem]]:
    """Locate ``stem.<ext>`` in ``data_dir``; more than one candidate is a problem.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "asb.csv").write_text("x\\n1\\n")
    >>> path, problems = find_table_file(d, "asb")
    >>> path.name, problems
    ('asb.csv', [])
    """
    exts = GEO_EXTENSIONS if geo else TABLE_EXTENSIONS
    found = [data_dir / f"{stem}{ext}" for ext in exts if (data_dir / f"{stem}{ext}").is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        return None, [Problem(found[0].name, None, None,
                              f"more than one file for table '{stem}' ({names}); keep exactly one")]
    if not found:
        return None, []
    path = found[0]
    if path.resolve().parent != data_dir.resolve():
        return None, [Problem(path.name, None, None, "is a link to a file outside the data folder; copy the file in")]
    return path, []


_CONTROL_START = re.compile(r"^[\t\r\n]")


def neutralise_cell(value: object) -> object:
    r"""A text cell made safe for spreadsheets: one starting with ``=``, ``+``, ``-``, ``@``, tab
    or carriage return (after spaces) gets a leading ``'`` so Excel/LibreOffice show it as text
    instead of running it; plain signed numbers (``-0.5``, ``+12.3%``) and non-text values are
    returned unchanged.

    Examples
    --------
    >>> [neutralise_cell(v) for v in ["=cmd|' /C calc'!A0", "-0.5", "+12.3%", "@SUM(A1)", "\t=1", "North", 3]]
    ["'=cmd|' /C calc'!A0", '-0.5', '+12.3%', "'@SUM(A1)", "'\t=1", 'North', 3]
    """
    if isinstance(value, str) and (is_formula_text(value) or _CONTROL_START.match(value)):
        return "'" + value
    return value


def neutralise_text(value: object) -> object:
    # a bare carriage return is not quoted by the CSV writer (line ends are "\n") and would
    # split the row: line breaks inside a cell become "\n", which is quoted
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return neutralise_cell(value)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell, column name and index label passed through :func:`neutralise_cell`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(neutralise_text, na_action="ignore")
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object or isinstance(out.index.dtype, pd.StringDtype):
        out.index = out.index.map(neutralise_cell)
    return out


def write_csv(frame: pd.DataFrame, path: Path | str, *, index: bool = False) -> None:
    """The one CSV writer for files the project publishes or hands to users (downloads,
    ``sna figures``): formula cells neutralised, ``\n`` line ends, UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(frame).to_csv(path, index=index, lineterminator="\n", encoding="utf-8")


def contract_files(data_dir: Path, tables, definitions=()) -> list[Path]:
    """The files of ``data_dir`` that the contract names — the only ones read, copied or named.

    ``tables`` maps table name → whether it is geographic; ``definitions`` are resolved
    definition entries from the config (paths inside the folder are kept, ids ignored).
    Everything else in the folder (notes, backups, a stray export) is never read, copied into
    the cache or named on a page.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for n in ("config.yaml", "crimes.csv", "victim_J_Smith_notes.txt"): _ = (d / n).write_text("x")
    >>> [p.name for p in contract_files(d, {"crimes": False})]
    ['config.yaml', 'crimes.csv']
    """
    data_dir = Path(data_dir)
    names = ["config.yaml"]
    for stem, geo in dict(tables).items():
        names.extend(f"{stem}{ext}" for ext in (GEO_EXTENSIONS if geo else TABLE_EXTENSIONS))
    found = [data_dir / n for n in names if (data_dir / n).is_file()]
    root = data_dir.resolve()
    for entry in definitions:
        path = Path(str(entry))
        if path.suffix.lower() in (".yaml", ".yml", ".xlsx", ".csv") and path.is_file() and path.resolve().is_relative_to(root):
            found.append(data_dir / path.resolve().relative_to(root))
    return sorted(set(found))


def _decode_problem(name: str, data: bytes) -> tuple[bytes | None, Problem | None]:
    """Strip a UTF-8 BOM; refuse UTF-16/32 and undecodable bytes with the row they occur in."""
    for bom, enc in _BOMS.items():
        if data.startswith(bom):
            return None, Problem(name, None, None, f"is encoded as {enc}; save it as UTF-8 (CSV UTF-8)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start)
        row = line if line >= 1 else None
        return None, Problem(name, None, row, f"is not valid UTF-8 text (byte 0x{data[exc.start]:02x} at "
                                              f"file offset {exc.start}); save it as UTF-8 (e.g. 'CSV UTF-8' in Excel)")
    if b"\x00" in data:
        return None, Problem(name, None, None, "contains NUL bytes; it is not a text CSV file")
    return data, None


def read_csv(path: Path) -> RawTable:
    """Read a CSV file with every column as text (``""`` for empty cells).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "asb.csv"
    >>> _ = p.write_bytes("\\ufeffincident_id,date\\nA1,2020-01-01\\n".encode("utf-8"))
    >>> raw = read_csv(p)
    >>> list(raw.frame.columns), raw.frame.iloc[0, 0], raw.problems
    (['incident_id', 'date'], 'A1', [])
    """
    return read_csv_bytes(path.name, path.read_bytes())


def read_csv_bytes(name: str, data: bytes) -> RawTable:
    """:func:`read_csv` for CSV content already in memory (e.g. a member of a ``.zip``);
    ``name`` is the file name used in problems."""
    if len(data) < 4096 and not data.strip():
        return RawTable(name, None, [Problem(name, None, None, "is empty (no header row)")])
    data, problem = _decode_problem(name, data)
    if problem is not None:
        return RawTable(name, None, [problem])
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    header = next(csv.reader([first_line]), [])
    problems: list[Problem] = []
    names = [h.strip() for h in header]
    if any(not h for h in names):
        problems.append(Problem(name, None, None, "header row has an empty column name"))
    dupes = sorted({h for h in names if names.count(h) > 1})
    for dup in dupes:
        problems.append(Problem(name, dup, None, "column name appears more than once in the header"))
    if problems:
        return RawTable(name, None, problems)

    skipped: list[tuple[int | None, int, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append((row.number, row.expected_columns, row.actual_columns, (row.text or "").count("\n")))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        return RawTable(name, None, [Problem(name, None, None, f"could not be read as CSV: {exc}")])
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(len(frame))
    skipped_rows: list[int] = []
    for number, expected, actual, newlines in skipped:
        # pyarrow numbers records with the header as 1
        row = number - 1 if number is not None else None
        skipped_rows.append(row if row is not None else -1)
        if newlines:
            reason = (f"has an unmatched double quote (\"): the next {newlines} line(s) were read into this "
                      "row, which was skipped; close or remove the quote")
        else:
            reason = (f"has {actual} fields but the header has {expected}; row skipped "
                      "(check for unquoted commas)")
        problems.append(Problem(name, None, row, reason))
    if skipped_rows:
        frame = _reindex_around_skipped(frame, skipped_rows)
    return RawTable(name, frame, problems, skipped_rows)


def _reindex_around_skipped(frame: pd.DataFrame, skipped_rows: list[int]) -> pd.DataFrame:
    """Give parsed rows their true 0-based positions when some rows were skipped."""
    known = sorted(r - 1 for r in skipped_rows if r > 0)
    total = len(frame) + len(skipped_rows)
    positions = np.setdiff1d(np.arange(total), np.asarray(known, dtype=int))[: len(frame)]
    frame.index = pd.Index(positions)
    return frame


def read_parquet(path: Path) -> RawTable:
    """Read a Parquet file as stored (types are checked later)."""
    name = path.name
    if path.stat().st_size == 0:
        return RawTable(name, None, [Problem(name, None, None, "is empty (0 bytes)")])
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a file problem
        return RawTable(name, None, [Problem(name, None, None, f"could not be read as Parquet: {exc}")])
    names = table.column_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        return RawTable(name, None, [Problem(name, d, None, "column name appears more than once") for d in dupes])
    try:
        frame = table.to_pandas(date_as_object=False)
    except Exception as exc:  # noqa: BLE001
        return RawTable(name, None, [Problem(name, None, None, f"could not be converted to a table: {exc}")])
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(len(frame))
    return RawTable(name, frame)


def read_geo(path: Path) -> RawTable:
    """Read geography from GeoParquet, GeoPackage or GeoJSON into a GeoDataFrame."""
    import geopandas as gpd

    name = path.name
    if path.stat().st_size == 0:
        return RawTable(name, None, [Problem(name, None, None, "is empty (0 bytes)")])
    try:
        if path.suffix == ".parquet":
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001
        return RawTable(name, None, [Problem(name, None, None,
                                             f"could not be read as {path.suffix[1:]} geography: {exc}")])
    frame.index = pd.RangeIndex(len(frame))
    return RawTable(name, frame)


def read_table(path: Path, *, geo: bool = False) -> RawTable:
    """Read one table file with the reader its extension selects."""
    if geo:
        return read_geo(path)
    if path.suffix == ".csv":
        return read_csv(path)
    return read_parquet(path)
