"""The published store: the only numbers the book, its downloads and ``sna figures`` may read.

:func:`write_store` writes a controlled publication (:func:`sna_lib.publication.control.control`)
to a folder of byte-deterministic files:

``cells.parquet``
    one row per declared cell: where it is published (table, area, row, column), its kind,
    what it derives from, whether it is published, its display text and its value *as
    published* (NaN where withheld);
``relations.parquet``
    the declared relations (so anyone can re-run the attacker on the store alone);
``provenance.json``
    input hashes, code version, data period, … as given, plus the disclosure rules in force.

Withheld raw values and the reason a cell was withheld (which would tell primary from
secondary, i.e. small from not small) are never written there; pass ``private_path`` (outside
the store folder) to keep them for audit. :class:`PublishedStore` reads the folder back.

Examples
--------
>>> import tempfile, pathlib
>>> from sna_lib.publication.cells import CellBuilder
>>> from sna_lib.publication.control import control
>>> b = CellBuilder()
>>> ids = [b.count(table="sv", area=a, row="2023", column="offences", value=v)
...        for a, v in [("North", 4), ("South", 1500), ("East", 35), ("county", 1539)]]
>>> _ = b.sum_over_areas("sv")
>>> cells, relations = b.frame()
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "store"
>>> write_store(folder, control(cells, relations), relations, {"period": "2023"})
>>> store = PublishedStore(folder)
>>> store.value("sv", "South", "2023", "offences"), store.value("sv", "North", "2023", "offences")
(1500, '[c]')
>>> store.table("sv", "North")
     offences
2023      [c]
>>> store.areas, store.tables, store.provenance["period"]
(['county', 'East', 'North', 'South'], ['sv'], '2023')
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sna_lib.publication.disclosure import Suppressed, disclosure_rules

__all__ = ["PUBLISHED_COLUMNS", "PublishedStore", "write_store"]

#: Columns of ``cells.parquet`` (nothing that reveals a withheld value).
PUBLISHED_COLUMNS = ["cell_id", "table", "area", "row", "column", "kind", "level", "derives_from", "reason",
                     "op", "scale", "decimals", "order", "published", "display", "value"]
_SCHEMA = pa.schema([
    ("cell_id", pa.string()), ("table", pa.string()), ("area", pa.string()), ("row", pa.string()),
    ("column", pa.string()), ("kind", pa.string()), ("level", pa.string()),
    ("derives_from", pa.list_(pa.string())), ("reason", pa.string()), ("op", pa.string()),
    ("scale", pa.float64()), ("decimals", pa.int64()), ("order", pa.int64()), ("published", pa.bool_()),
    ("display", pa.string()), ("value", pa.float64()),
])
_REL_SCHEMA = pa.schema([("relation_id", pa.string()), ("total", pa.string()),
                         ("parts", pa.list_(pa.string())), ("sense", pa.string())])
_PRIVATE_SCHEMA = pa.schema([("cell_id", pa.string()), ("value", pa.float64()), ("suppressed_why", pa.string())])
FILES = ("cells.parquet", "relations.parquet", "provenance.json")


def _write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    # no pandas metadata, fixed options: the same table gives the same bytes
    pq.write_table(table, tmp, compression="zstd", compression_level=3, use_dictionary=False,
                   write_statistics=False, store_schema=False)
    os.replace(tmp, path)


def _write_text(text: str, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


def write_store(path: str | os.PathLike, cells: pd.DataFrame, relations: pd.DataFrame,
                provenance: Mapping[str, Any], *, rules: Any = None,
                private_path: str | os.PathLike | None = None) -> None:
    """Write a controlled publication to the store folder ``path`` (created if needed).

    Parameters
    ----------
    path : path-like
        The store folder (``cells.parquet``, ``relations.parquet``, ``provenance.json``).
    cells : DataFrame
        Output of :func:`~sna_lib.publication.control.control` (needs ``published``,
        ``display`` and ``published_value``).
    relations : DataFrame
        The relations frame.
    provenance : mapping
        JSON-serialisable facts about the run; the disclosure rules are added under
        ``"disclosure"``.
    rules : optional
        The rules control used (anything :func:`sna_lib.publication.disclosure.disclosure_rules` takes).
    private_path : path-like, optional
        A Parquet file *outside* ``path`` for the raw values and suppression reasons (audit).

    Raises
    ------
    KeyError
        When ``cells`` was not controlled.
    ValueError
        When ``private_path`` is inside the store folder, or provenance is not JSON.
    """
    missing = [c for c in ("published", "display", "published_value") if c not in cells.columns]
    if missing:
        raise KeyError(f"cells lack {missing}: run publication.control.control() before write_store()")
    folder = Path(path)
    if private_path is not None and _inside(Path(private_path), folder):
        raise ValueError(f"private_path {private_path} is inside the published store {folder}; keep it outside")
    r = disclosure_rules(rules)
    meta = dict(provenance)
    meta["disclosure"] = {"suppress_min": r.suppress_min, "suppress_max": r.suppress_max, "rounding": r.rounding,
                          "marker": r.marker, "suppress_county": r.suppress_county}
    try:
        text = json.dumps(meta, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ValueError(f"provenance must be JSON-serialisable: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    published = cells["published"].to_numpy(dtype=bool)
    value = np.where(published, cells["published_value"].to_numpy(dtype="float64"), np.nan)
    frame = {
        "cell_id": cells["cell_id"].astype(str).tolist(), "table": cells["table"].astype(str).tolist(),
        "area": cells["area"].astype(str).tolist(), "row": cells["row"].astype(str).tolist(),
        "column": cells["column"].astype(str).tolist(), "kind": cells["kind"].astype(str).tolist(),
        "level": cells["level"].astype(str).tolist(),
        "derives_from": [[str(x) for x in v] for v in cells["derives_from"]],
        "reason": [str(v) for v in cells.get("reason", pd.Series([""] * len(cells)))],
        "op": [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
               for v in cells.get("op", pd.Series([None] * len(cells)))],
        "scale": cells.get("scale", pd.Series([np.nan] * len(cells))).to_numpy(dtype="float64"),
        "decimals": cells.get("decimals", pd.Series([-1] * len(cells))).to_numpy(dtype="int64"),
        "order": cells.get("order", pd.Series(range(len(cells)))).to_numpy(dtype="int64"),
        "published": published, "display": cells["display"].astype(str).tolist(), "value": value,
    }
    _write_parquet(pa.table(frame, schema=_SCHEMA), folder / "cells.parquet")
    rel = {"relation_id": relations["relation_id"].astype(str).tolist(),
           "total": relations["total"].astype(str).tolist(),
           "parts": [[str(x) for x in v] for v in relations["parts"]],
           "sense": relations["sense"].astype(str).tolist() if "sense" in relations else ["="] * len(relations)}
    _write_parquet(pa.table(rel, schema=_REL_SCHEMA), folder / "relations.parquet")
    _write_text(text, folder / "provenance.json")
    if private_path is not None:
        private = {"cell_id": frame["cell_id"], "value": cells["value"].to_numpy(dtype="float64"),
                   "suppressed_why": cells["suppressed_why"].astype(str).tolist()}
        Path(private_path).parent.mkdir(parents=True, exist_ok=True)
        _write_parquet(pa.table(private, schema=_PRIVATE_SCHEMA), Path(private_path))


class PublishedStore:
    """Read-only view of a published store folder: published values and display text only.

    Attributes
    ----------
    provenance : dict
    areas : list of str
        ``"county"`` first, then the CSPs in alphabetical order.
    tables : list of str
    cells, relations : DataFrame
        The published cells (withheld values absent) and relations, e.g. for
        :func:`sna_lib.publication.attack.attack`.
    marker : str
        The text shown in place of a withheld value.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        folder = Path(path)
        absent = [f for f in FILES if not (folder / f).is_file()]
        if absent:
            raise FileNotFoundError(f"{folder} is not a published store (missing {', '.join(absent)})")
        self.path = folder
        self.cells = pq.read_table(folder / "cells.parquet").to_pandas()
        self.relations = pq.read_table(folder / "relations.parquet").to_pandas()
        for frame, column in ((self.cells, "derives_from"), (self.relations, "parts")):
            frame[column] = [list(v) if v is not None else [] for v in frame[column]]
        self.provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
        self.marker = str(self.provenance.get("disclosure", {}).get("marker", "[c]"))
        areas = sorted(set(self.cells["area"].astype(str)))
        self.areas = (["county"] if "county" in areas else []) + [a for a in areas if a != "county"]
        self.tables = sorted(set(self.cells["table"].astype(str)))
        self._by = {key: group.sort_values("order", kind="stable")
                    for key, group in self.cells.groupby(["table", "area"], sort=True)}
        self._pivots: dict[tuple[str, str, str], pd.DataFrame] = {}
        self._positions: dict[tuple[str, str], dict[tuple[str, str], int]] = {}

    def _cells_of(self, table: str, area: str) -> pd.DataFrame:
        try:
            return self._by[(str(table), str(area))]
        except KeyError:
            raise KeyError(f"no published table {table!r} for area {area!r} in {self.path}") from None

    def _number(self, kind: str, published: bool, value: float) -> Any:
        if not published:
            return Suppressed(self.marker)
        if math.isnan(value):
            return math.nan
        if kind == "count" or (kind == "exempt" and float(value).is_integer()):
            return int(value)
        return float(value)

    def _pivot(self, table: str, area: str, which: str) -> pd.DataFrame:
        # the store is read-only: each table is pivoted once, callers get their own copy
        key = (str(table), str(area), which)
        if key not in self._pivots:
            self._pivots[key] = self._pivot_cells(table, area, which)
        return self._pivots[key].copy()

    def _pivot_cells(self, table: str, area: str, which: str) -> pd.DataFrame:
        cells = self._cells_of(table, area)
        rows = list(dict.fromkeys(cells["row"]))
        columns = list(dict.fromkeys(cells["column"]))
        out = pd.DataFrame(index=pd.Index(rows, dtype=object), columns=pd.Index(columns, dtype=object), dtype=object)
        for row, column, kind, published, value, display in zip(
                cells["row"], cells["column"], cells["kind"], cells["published"], cells["value"], cells["display"]):
            out.at[row, column] = (self._number(kind, bool(published), float(value)) if which == "value"
                                   else (self.marker if not published else str(display)))
        return out

    def table(self, table: str, area: str, *, display: bool = False) -> pd.DataFrame:
        """Rows × columns of one table for one area: numbers where published, the marker where
        withheld (:class:`~sna_lib.publication.disclosure.Suppressed`), NaN where there is no data; a
        row/column pair that was never declared is ``None``. ``display=True`` gives the
        published text instead (:meth:`display_table`).
        """
        return self._pivot(table, area, "display" if display else "value")

    def display_table(self, table: str, area: str) -> pd.DataFrame:
        """As :meth:`table`, but the published text (thousands separators, decimals, ``"–"``)."""
        return self._pivot(table, area, "display")

    def text(self, table: str, area: str, row: Any, column: Any) -> str:
        """The published text of one cell (``"1,234"``, ``"12.3"``, ``"–"`` or the marker)."""
        c = self._cell(table, area, row, column)
        return self.marker if not bool(c["published"]) else str(c["display"])

    def _cell(self, table: str, area: str, row: Any, column: Any) -> pd.Series:
        cells = self._cells_of(table, area)
        key = (str(table), str(area))
        if key not in self._positions:  # first position of each (row, column), as a mask's first hit
            positions: dict[tuple[str, str], int] = {}
            for i, pair in enumerate(zip(cells["row"].astype(str), cells["column"].astype(str))):
                positions.setdefault(pair, i)
            self._positions[key] = positions
        i = self._positions[key].get((str(row), str(column)))
        if i is None:
            raise KeyError(f"{table}|{area}|{row}|{column} is not a declared cell of the published store")
        return cells.iloc[i]

    def value(self, table: str, area: str, row: Any, column: Any) -> Any:
        """One published number, or the :class:`~sna_lib.publication.disclosure.Suppressed` marker.

        Raises ``KeyError`` for a number that was never declared (default-deny).
        """
        c = self._cell(table, area, row, column)
        return self._number(str(c["kind"]), bool(c["published"]), float(c["value"]))

