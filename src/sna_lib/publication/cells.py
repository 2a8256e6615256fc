"""Declare every published number as a *cell*, with the relations an attacker could use.

A publication is a set of cells. Each cell is one number on one table of one area, and is

``count``
    a whole number of records, people, offences … (the only kind that is suppressed on its
    own account: small counts below county level);
``derived``
    a value computed from other cells (share, rate, mean, ratio, difference, rank, test
    result), listed with the cells it derives from (``derives_from``) so that it is withheld
    whenever any of them is; or
``exempt``
    a number that discloses nobody (a year, a population figure from the census), with the
    reason stated.

Relations are linear statements over count cells: ``total = sum(parts)`` (``additive``; also
across areas, county = the sum of its CSPs, and across tables), ``same`` (one logical count
shown twice) and the inequalities ``total <= sum(parts)`` / ``total >= sum(parts)`` (unique
people county-wide are at most the sum of the CSPs' unique people). Disclosure control
(:mod:`sna_lib.publication.control`) and the attacker (:mod:`sna_lib.publication.attack`) read
nothing else: a number that is not declared here cannot be published (default-deny).

Every relation is checked against the values when the frame is built, so a wrong declaration
(or a wrong computation) fails loudly instead of weakening the audit.

Examples
--------
>>> b = CellBuilder()
>>> c = b.count(table="people.repeats", area="Brackenford", row="suspects", column="records", value=12)
>>> p = b.count(table="people.repeats", area="Brackenford", row="suspects", column="people", value=9)
>>> r = b.count(table="people.repeats", area="Brackenford", row="suspects", column="repeats", value=3)
>>> rel = b.additive(total=c, parts=[p, r])
>>> s = b.derived(table="people.repeats", area="Brackenford", row="suspects", column="repeat_pct",
...               value=25.0, of=[r, c], op="ratio", scale=100)
>>> cells, relations = b.frame()
>>> cells[["column", "kind", "level"]].values.tolist()
[['records', 'count', 'csp'], ['people', 'count', 'csp'], ['repeats', 'count', 'csp'], ['repeat_pct', 'derived', 'csp']]
>>> relations["sense"].tolist(), len(relations["parts"].iloc[0])
(['='], 2)
>>> cell_id("people.repeats", "Brackenford", "suspects", "records") == c
True
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.publication.disclosure import area_level_of

__all__ = ["CELL_COLUMNS", "RELATION_COLUMNS", "OPS", "CellBuilder", "cell_id", "declare_frame"]

#: Columns of the cells frame (the API's columns first, then the attacker's metadata).
CELL_COLUMNS = ["cell_id", "table", "area", "row", "column", "value", "kind", "derives_from", "reason",
                "level", "op", "scale", "decimals", "order"]
#: Columns of the relations frame.
RELATION_COLUMNS = ["relation_id", "total", "parts", "sense"]
#: How a derived value follows from ``derives_from`` (``None``: not linear, e.g. a rank or a p-value).
#: ``ratio``: scale * a / b; ``pct_change``: 100 * (b - a) / a; ``difference``: a - b; ``sum``: sum.
OPS = (None, "ratio", "pct_change", "difference", "sum")
_SENSES = ("=", "<=", ">=")


def cell_id(table: str, area: str, row: Any, column: Any) -> str:
    """Stable id of a cell: the first 16 hex digits of sha1 of ``table|area|row|column``.

    Examples
    --------
    >>> import hashlib
    >>> cell_id("t", "county", "a", "n") == hashlib.sha1(b"t|county|a|n").hexdigest()[:16]
    True
    >>> len(cell_id("t", "Brackenford", 2023, "records"))
    16
    """
    key = "|".join(str(part) for part in (table, area, row, column))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _relation_id(total: str, parts: Sequence[str], sense: str) -> str:
    key = f"{total}{sense}{'+'.join(parts)}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _number(value: Any, what: str) -> float:
    if value is None or value is pd.NA:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what}: a cell value must be a number, got {type(value).__name__} {value!r}")
    return float(value)


class CellBuilder:
    """Collects the cells and relations of a publication.

    Methods return the new cell's id (a ``str``); pass ids to :meth:`additive`, :meth:`same`,
    :meth:`at_most`, :meth:`at_least` and to ``of=`` of :meth:`derived`. :meth:`frame` returns
    the two DataFrames that :func:`sna_lib.publication.control.control` reads.

    Examples
    --------
    County = sum of its CSPs, across areas:

    >>> b = CellBuilder()
    >>> n = b.count(table="sv", area="North", row="2023", column="offences", value=5)
    >>> s = b.count(table="sv", area="South", row="2023", column="offences", value=40)
    >>> k = b.count(table="sv", area="county", row="2023", column="offences", value=45)
    >>> rels = b.sum_over_areas("sv")
    >>> cells, relations = b.frame()
    >>> relations["total"].tolist() == [k], sorted(relations["parts"].iloc[0]) == sorted([n, s])
    (True, True)

    A wrong relation is refused when the frame is built:

    >>> _ = b.additive(total=n, parts=[s])
    >>> b.frame()
    Traceback (most recent call last):
    ...
    ValueError: relation sv|North|2023|offences = sv|South|2023|offences does not hold: 5 vs 40
    """

    def __init__(self) -> None:
        self._cells: dict[str, dict[str, Any]] = {}
        self._relations: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ cells
    def _add(self, table: str, area: str, row: Any, column: Any, value: Any, kind: str, **extra: Any) -> str:
        table, area, row, column = str(table), str(area), str(row), str(column)
        if not table or not area:
            raise ValueError("a cell needs a non-empty table and area")
        cid = cell_id(table, area, row, column)
        where = f"{table}|{area}|{row}|{column}"
        if cid in self._cells:
            old = self._cells[cid]
            raise ValueError(
                f"cell {where} declared twice (first as {old['table']}|{old['area']}|{old['row']}|"
                f"{old['column']}); declare a count once and link other tables with same()")
        cell = {"cell_id": cid, "table": table, "area": area, "row": row, "column": column,
                "value": _number(value, where), "kind": kind, "derives_from": [], "reason": "",
                "level": area_level_of(area), "op": None, "scale": math.nan, "decimals": -1,
                "order": len(self._cells)}
        cell.update(extra)
        self._cells[cid] = cell
        return cid

    def count(self, *, table: str, area: str, row: Any, column: Any, value: Any) -> str:
        """Declare a count: a non-negative whole number, or missing (``NaN``/``None`` = no data).

        Examples
        --------
        >>> b = CellBuilder()
        >>> b.count(table="t", area="county", row="a", column="n", value=3) == cell_id("t", "county", "a", "n")
        True
        >>> b.count(table="t", area="county", row="b", column="n", value=2.5)
        Traceback (most recent call last):
        ...
        ValueError: t|county|b|n: a count must be a whole number >= 0, got 2.5
        """
        v = _number(value, f"{table}|{area}|{row}|{column}")
        if not math.isnan(v) and (v < 0 or not float(v).is_integer()):
            raise ValueError(f"{table}|{area}|{row}|{column}: a count must be a whole number >= 0, got {value!r}")
        return self._add(table, area, row, column, v, "count")

    def derived(self, *, table: str, area: str, row: Any, column: Any, value: Any, of: Sequence[str],
                op: str | None = None, scale: float | None = None, decimals: int = 1) -> str:
        """Declare a value computed from the cells ``of`` (withheld whenever any of them is).

        Parameters
        ----------
        of : sequence of cell ids
            The cells the value derives from, already declared. Order matters for ``op``.
        op : {None, "ratio", "pct_change", "difference", "sum"}
            How the value follows from ``of`` when that is linear enough for an attacker to
            use: ``ratio`` = ``scale * of[0] / of[1]`` (share: scale 100; rate per 1,000:
            scale 1000 with the population as an exempt cell; mean: scale 1),
            ``pct_change`` = ``100 * (of[1] - of[0]) / of[0]``, ``difference`` =
            ``of[0] - of[1]``, ``sum``. ``None`` (rank, p-value, …) only follows.
        scale : float, optional
            For ``ratio`` (default 1).
        decimals : int
            Decimal places published; the attacker allows half of the last digit either way.

        Examples
        --------
        >>> b = CellBuilder()
        >>> a = b.count(table="t", area="X", row="r", column="sv", value=3)
        >>> c = b.count(table="t", area="X", row="r", column="all", value=40)
        >>> s = b.derived(table="t", area="X", row="r", column="pct", value=7.5, of=[a, c], op="ratio", scale=100)
        >>> b.derived(table="t", area="X", row="r", column="bad", value=1.0, of=["0123456789abcdef"])
        Traceback (most recent call last):
        ...
        KeyError: 't|X|r|bad derives from undeclared cell 0123456789abcdef'
        """
        where = f"{table}|{area}|{row}|{column}"
        parents = [str(p) for p in of]
        if not parents:
            raise ValueError(f"{where}: a derived value needs the cells it derives from (of=[...])")
        for p in parents:
            if p not in self._cells:
                raise KeyError(f"{where} derives from undeclared cell {p}")
        if op not in OPS:
            raise ValueError(f"{where}: op must be one of {OPS}, got {op!r}")
        if op in ("ratio", "pct_change", "difference") and len(parents) != 2:
            raise ValueError(f"{where}: op {op!r} takes exactly two cells in of=, got {len(parents)}")
        if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral) or not 0 <= decimals <= 12:
            raise ValueError(f"{where}: decimals must be a whole number 0..12, got {decimals!r}")
        if scale is not None and op != "ratio":
            raise ValueError(f"{where}: scale applies to op='ratio' only")
        return self._add(table, area, row, column, value, "derived", derives_from=parents, op=op,
                         scale=float(1.0 if scale is None else scale) if op == "ratio" else math.nan,
                         decimals=int(decimals))

    def exempt(self, *, table: str, area: str, row: Any, column: Any, value: Any, reason: str,
               decimals: int = -1) -> str:
        """Declare a number that is published as it is, with the reason (e.g. ``"period label"``).

        ``decimals`` -1 (default) shows whole numbers without separators (years) and others as
        they are; ``0`` or more formats with thousands separators (a population).

        Examples
        --------
        >>> b = CellBuilder()
        >>> _ = b.exempt(table="t", area="county", row="r", column="year", value=2023, reason="period label")
        >>> b.exempt(table="t", area="county", row="r", column="pop", value=1000, reason=" ")
        Traceback (most recent call last):
        ...
        ValueError: t|county|r|pop: an exempt number needs a reason
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{table}|{area}|{row}|{column}: an exempt number needs a reason")
        return self._add(table, area, row, column, value, "exempt", reason=reason.strip(), decimals=int(decimals))

    # ------------------------------------------------------------------ relations
    def _relate(self, total: str, parts: Sequence[str], sense: str) -> str:
        parts = [str(p) for p in parts]
        for c in [total, *parts]:
            if c not in self._cells:
                raise KeyError(f"relation refers to undeclared cell {c}")
            if self._cells[c]["kind"] != "count":
                raise ValueError(f"relations are over counts; {self._where(c)} is {self._cells[c]['kind']}")
        if not parts:
            raise ValueError(f"relation for {self._where(total)} has no parts")
        if total in parts or len(set(parts)) != len(parts):
            raise ValueError(f"relation for {self._where(total)} repeats a cell")
        rid = _relation_id(total, parts, sense)
        self._relations.setdefault(rid, {"relation_id": rid, "total": total, "parts": parts, "sense": sense})
        return rid

    def additive(self, *, total: str, parts: Sequence[str]) -> str:
        """Declare ``total = sum(parts)`` over count cells (any tables, any areas); returns its id."""
        return self._relate(total, parts, "=")

    def same(self, a: str, b: str) -> str:
        """Declare that two cells hold the same logical count (shown in two tables)."""
        return self._relate(a, [b], "=")

    def at_most(self, *, total: str, parts: Sequence[str]) -> str:
        """Declare ``total <= sum(parts)`` (county unique people vs the CSPs' unique people)."""
        return self._relate(total, parts, "<=")

    def at_least(self, *, total: str, parts: Sequence[str]) -> str:
        """Declare ``total >= sum(parts)`` (unique people vs those living in the county)."""
        return self._relate(total, parts, ">=")

    def sum_over_areas(self, table: str, *, county: str = "county", columns: Iterable[str] | None = None,
                       rows: Iterable[str] | None = None, sense: str = "=") -> list[str]:
        """Relate every count of ``table`` at ``county`` to the same row/column in the other areas.

        ``sense`` ``"="`` (records add up), or ``"<="`` when people may be counted in several
        CSPs (county unique <= sum of CSP unique). Only cells present in every area are related
        when an area lacks the row (that area's count is then taken as absent, not zero).

        Returns the relation ids.
        """
        if sense not in _SENSES:
            raise ValueError(f"sense must be one of {_SENSES}, got {sense!r}")
        want_cols = None if columns is None else {str(c) for c in columns}
        want_rows = None if rows is None else {str(r) for r in rows}
        by_key: dict[tuple[str, str], dict[str, str]] = {}
        for cid, c in self._cells.items():
            if c["table"] == table and c["kind"] == "count":
                by_key.setdefault((c["row"], c["column"]), {})[c["area"]] = cid
        out = []
        for (row, column), areas in by_key.items():
            if (want_cols is not None and column not in want_cols) or (want_rows is not None and row not in want_rows):
                continue
            if county not in areas or len(areas) < 2:
                continue
            parts = [areas[a] for a in sorted(areas) if a != county]
            out.append(self._relate(areas[county], parts, sense))
        return out

    # ------------------------------------------------------------------ output
    def _where(self, cid: str) -> str:
        c = self._cells[cid]
        return f"{c['table']}|{c['area']}|{c['row']}|{c['column']}"

    def _check(self, rel: Mapping[str, Any]) -> None:
        values = [self._cells[c]["value"] for c in [rel["total"], *rel["parts"]]]
        names = " + ".join(self._where(p) for p in rel["parts"])
        text = f"{self._where(rel['total'])} {rel['sense']} {names}"
        if any(math.isnan(v) for v in values):
            raise ValueError(f"relation {text} involves a missing value; declare relations over known counts only")
        total, parts = values[0], sum(values[1:])
        ok = {"=": total == parts, "<=": total <= parts, ">=": total >= parts}[rel["sense"]]
        if not ok:
            raise ValueError(f"relation {text} does not hold: {total:g} vs {parts:g}")

    def frame(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The cells and relations as DataFrames (see :data:`CELL_COLUMNS`, :data:`RELATION_COLUMNS`).

        Raises ``ValueError`` when a relation does not hold for the declared values.
        """
        for rel in self._relations.values():
            self._check(rel)
        cells = pd.DataFrame(list(self._cells.values()), columns=CELL_COLUMNS)
        cells = cells.astype({"cell_id": object, "table": object, "area": object, "row": object,
                              "column": object, "kind": object, "reason": object, "level": object,
                              "value": "float64", "scale": "float64", "decimals": "int64", "order": "int64"})
        cells["op"] = cells["op"].astype(object).where(cells["op"].notna(), None)
        relations = pd.DataFrame(list(self._relations.values()), columns=RELATION_COLUMNS).astype(object)
        return cells, relations


def declare_frame(builder: CellBuilder, df: pd.DataFrame, *, table: str, area: str,
                  count_columns: Sequence[str], derived: Mapping[str, Any] | None = None,
                  exempt: Mapping[str, str] | None = None, total_row: Any = None,
                  total_col: str | None = None) -> pd.DataFrame:
    """Declare a describe-style table (rows = ``df.index``) as cells, with its margins as relations.

    Parameters
    ----------
    builder : CellBuilder
    df : DataFrame
        One row per category; the row labels are ``df.index`` (set label columns as the index).
    table, area : str
        Where the cells are published.
    count_columns : sequence of str
        Columns of counts.
    derived : mapping, optional
        ``{column: [count columns]}`` (follows only) or ``{column: {"of": [...], "op": "ratio",
        "scale": 100, "decimals": 1}}``; the inputs are the cells of the same row.
    exempt : mapping, optional
        ``{column: reason}`` for columns published as they are.
    total_row : index label, optional
        A row holding the column totals: each count column adds up to it.
    total_col : str, optional
        A count column holding the row totals: each row's other count columns add up to it.

    Every column of ``df`` must be a count, derived or exempt column (default-deny).

    Returns
    -------
    DataFrame of str
        The cell ids, shaped like ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"people": [9, 30, 39], "repeats": [3, 10, 13], "records": [12, 40, 52],
    ...                   "repeat_pct": [25.0, 25.0, 25.0]}, index=["North", "South", "Total"])
    >>> b = CellBuilder()
    >>> ids = declare_frame(b, t, table="people", area="county", count_columns=["people", "repeats", "records"],
    ...                     derived={"repeat_pct": {"of": ["repeats", "records"], "op": "ratio", "scale": 100}},
    ...                     total_row="Total", total_col="records")
    >>> cells, relations = b.frame()
    >>> len(cells), len(relations)
    (12, 6)
    >>> declare_frame(CellBuilder(), t, table="people", area="county", count_columns=["people"])
    Traceback (most recent call last):
    ...
    ValueError: table people (county): columns ['repeats', 'records', 'repeat_pct'] are not declared as count, derived or exempt
    """
    derived = dict(derived or {})
    exempt = dict(exempt or {})
    counts = [str(c) for c in count_columns]
    undeclared = [c for c in df.columns if c not in counts and c not in derived and c not in exempt]
    if undeclared:
        raise ValueError(f"table {table} ({area}): columns {undeclared!r} are not declared as count, derived or exempt")
    if total_col is not None and total_col not in counts:
        raise KeyError(f"table {table} ({area}): total_col {total_col!r} must be one of count_columns")
    if total_row is not None and int(np.sum(df.index == total_row)) != 1:
        raise KeyError(f"table {table} ({area}): total_row {total_row!r} must label exactly one row")
    if not df.index.is_unique:
        raise ValueError(f"table {table} ({area}): row labels must be unique")
    columns = {c: df[c].tolist() for c in df.columns}
    ids: dict[Any, dict[str, str]] = {}
    for i, label in enumerate(df.index):
        got = ids[label] = {}
        for column in counts:
            got[column] = builder.count(table=table, area=area, row=label, column=column, value=columns[column][i])
        for column, reason in exempt.items():
            got[column] = builder.exempt(table=table, area=area, row=label, column=column,
                                         value=columns[column][i], reason=reason)
        for column, spec in derived.items():
            spec = {"of": list(spec)} if not isinstance(spec, Mapping) else dict(spec)
            of = [got[c] for c in spec.pop("of")]
            got[column] = builder.derived(table=table, area=area, row=label, column=column,
                                          value=columns[column][i], of=of, **spec)
    inner_rows = [r for r in df.index if total_row is None or r != total_row]
    if total_col is not None:
        parts = [c for c in counts if c != total_col]
        for label in df.index:
            if parts:
                builder.additive(total=ids[label][total_col], parts=[ids[label][c] for c in parts])
    if total_row is not None and inner_rows:
        for column in counts:
            builder.additive(total=ids[total_row][column], parts=[ids[r][column] for r in inner_rows])
    ids = pd.DataFrame([[ids[label][c] for c in df.columns] for label in df.index], index=df.index,
                       columns=list(df.columns), dtype=object)
    return ids
