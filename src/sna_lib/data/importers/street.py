"""police.uk street-level files: find them (folders, the download ``.zip``, ``.gz``) and read them.

police.uk names each file ``YYYY-MM-<force>-street.csv`` inside a ``YYYY-MM/`` folder; the
download ``.zip`` holds the same folders, and may also hold ``-outcomes`` and
``-stop-and-search`` files and other forces' files, which are skipped (and counted).
"""

from __future__ import annotations

import gzip
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.importers.columns import normal
from sna_lib.data.tableio import RawTable, read_csv_bytes

STREET_NAME = re.compile(r"^(\d{4}-(?:0[1-9]|1[0-2]))-([a-z0-9-]+)-street\.csv$")
OTHER_POLICE_UK = re.compile(r"^\d{4}-\d{2}-[a-z0-9-]+-(outcomes|stop-and-search)\.csv$")

#: Contract name → normalised police.uk header (``Crime ID`` → ``crimeid``).
STREET_COLUMNS = {
    "crime_id": "crimeid", "month": "month", "longitude": "longitude", "latitude": "latitude",
    "location": "location", "lsoa_code": "lsoacode", "lsoa_name": "lsoaname", "crime_type": "crimetype",
}
_REQUIRED = ("crime_id", "month", "location", "lsoa_code", "crime_type")


@dataclass(frozen=True)
class StreetFile:
    """One monthly street file: its police.uk name, month, force id and where its bytes are."""

    name: str  # e.g. 2018-01-essex-street.csv (without .gz)
    month: str
    force: str
    origin: str  # the path (and zip member) it came from, for messages
    path: Path
    member: str | None = None

    def read_bytes(self) -> bytes:
        """The decompressed CSV bytes."""
        try:
            if self.member is not None:
                with zipfile.ZipFile(self.path) as archive:
                    data = archive.read(self.member)
                return gzip.decompress(data) if self.member.endswith(".gz") else data
            data = self.path.read_bytes()
            return gzip.decompress(data) if self.path.suffix == ".gz" else data
        except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
            raise DataValidationError([Problem(self.origin, None, None,
                                               f"could not be read ({type(exc).__name__}: {exc})")]) from None


@dataclass
class Found:
    """Street files for one force, plus what was skipped on the way."""

    files: list[StreetFile] = field(default_factory=list)
    other_forces: int = 0
    other_kinds: int = 0


def _logical(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".gz") else base


def _add(found: Found, name: str, origin: str, path: Path, member: str | None, force: str,
         explicit: bool) -> None:
    logical = _logical(name)
    match = STREET_NAME.match(logical)
    if match is None:
        if OTHER_POLICE_UK.match(logical) or not explicit:
            found.other_kinds += 1
            return
        raise DataValidationError([Problem(origin, None, None,
                                           "is not a police.uk street file (expected a name like "
                                           "2018-01-essex-street.csv, .csv.gz or a .zip of them)")])
    if match.group(2) != force:
        found.other_forces += 1
        return
    found.files.append(StreetFile(logical, match.group(1), force, origin, path, member))


def find_street_files(inputs: Iterable[str | Path], force: str) -> Found:
    """Expand ``--street`` inputs (folders, ``.zip``, ``.csv``, ``.csv.gz``) into monthly files.

    Raises :class:`DataValidationError` for a missing input, a month given twice, or no file
    of ``force`` at all.
    """
    found = Found()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.name.endswith((".csv", ".csv.gz")):
                    _add(found, p.name, str(p), p, None, force, explicit=False)
                elif p.is_file() and p.suffix == ".zip":
                    _add_zip(found, p, force)
        elif path.is_file() and path.suffix == ".zip":
            _add_zip(found, path, force)
        elif path.is_file():
            _add(found, path.name, str(path), path, None, force, explicit=True)
        else:
            raise DataValidationError([Problem(str(path), None, None, "street input not found")])
    by_month: dict[str, StreetFile] = {}
    problems = []
    for f in found.files:
        if f.month in by_month:
            problems.append(Problem(f.origin, None, None,
                                    f"month {f.month} is given twice (also {by_month[f.month].origin}); keep one"))
        by_month[f.month] = f
    if problems:
        raise DataValidationError(problems)
    if not by_month:
        raise DataValidationError([Problem(", ".join(map(str, inputs)) or "--street", None, None,
                                           f"no police.uk street files for force '{force}' "
                                           f"(looked for YYYY-MM-{force}-street.csv[.gz])")])
    found.files = [by_month[m] for m in sorted(by_month)]
    return found


def _add_zip(found: Found, path: Path, force: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if not n.endswith("/"))
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataValidationError([Problem(path.name, None, None, f"is not a readable .zip ({exc})")]) from None
    for member in names:
        if member.endswith((".csv", ".csv.gz")):
            _add(found, member, f"{path.name}:{member}", path, member, force, explicit=False)


def read_street(file: StreetFile, data: bytes | None = None) -> tuple[pd.DataFrame, RawTable]:
    """Read one street file: contract-named text columns, 0-based positions as index.

    Header problems (missing columns) raise :class:`DataValidationError` naming the file;
    unparseable rows are left in ``raw.skipped_rows`` (1-based) for the caller to reject.
    """
    raw = read_csv_bytes(file.name, file.read_bytes() if data is None else data)
    if raw.frame is None:
        raise DataValidationError([Problem(file.origin, p.column, p.row, p.reason) for p in raw.problems])
    by_normal = {normal(c): c for c in raw.frame.columns}
    missing = [STREET_COLUMNS[k] for k in _REQUIRED if STREET_COLUMNS[k] not in by_normal]
    if missing:
        raise DataValidationError([Problem(file.origin, None, None,
                                           f"is missing police.uk column(s) {', '.join(missing)} (header: "
                                           f"{', '.join(map(str, raw.frame.columns))})")])
    frame = pd.DataFrame({key: (raw.frame[by_normal[col]].str.strip() if col in by_normal else "")
                          for key, col in STREET_COLUMNS.items()}, index=raw.frame.index)
    return frame, raw
