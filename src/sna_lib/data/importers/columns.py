"""Find columns by meaning in published files whose headers vary by vintage and publisher.

ONS files spell the same column ``LSOA11CD``, ``lsoa11cd``, ``lsoa11_code`` or ``LSOA code``;
:func:`pick` compares headers with case, spaces and punctuation removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from sna_lib.errors import DataValidationError, Problem


def normal(name: object) -> str:
    """Header without case, spaces or punctuation.

    Examples
    --------
    >>> normal("LSOA11 CD"), normal("lsoa11_code"), normal("Crime type")
    ('lsoa11cd', 'lsoa11code', 'crimetype')
    """
    return re.sub(r"[^a-z0-9]+", "", str(name).lower())


def find(columns: Iterable[object], candidates: Sequence[str]) -> str | None:
    """The first column whose normalised name is in ``candidates`` (in candidate order).

    Examples
    --------
    >>> find(["OBJECTID", "LSOA11CD", "LSOA11NM"], ("lsoa21cd", "lsoa11cd"))
    'LSOA11CD'
    """
    by_normal = {}
    for col in columns:
        by_normal.setdefault(normal(col), col)
    for cand in candidates:
        if cand in by_normal:
            return str(by_normal[cand])
    return None


def pick(frame: pd.DataFrame, file: str | Path, candidates: Sequence[str], what: str) -> str:
    """Like :func:`find` but a missing column is a problem naming the file and what was found."""
    col = find(frame.columns, candidates)
    if col is None:
        found = ", ".join(map(str, list(frame.columns)[:12]))
        raise DataValidationError([Problem(Path(file).name, None, None,
                                           f"has no {what} column (looked for {', '.join(candidates)}; "
                                           f"found {found})")])
    return col


def read_text_table(path: Path, *, usecols=None) -> pd.DataFrame:
    """Read a CSV (optionally ``.gz``/``.zip``) with every column as text; problems name the file."""
    path = Path(path)
    if not path.is_file():
        raise DataValidationError([Problem(path.name, None, None, f"file not found ({path})")])
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        names = [str(c) for c in header]
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
                               convert_options=pacsv.ConvertOptions(
                                   column_types={n: pa.string() for n in names}, include_columns=usecols,
                                   strings_can_be_null=False))
        return table.to_pandas()
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, EOFError, KeyError) as exc:
        raise DataValidationError([Problem(path.name, None, None,
                                           f"could not be read as CSV ({type(exc).__name__}: {exc})")]) from None
