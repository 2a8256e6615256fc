"""Statistical disclosure control for every number the book publishes.

An SNA is built from police and health records about real people, so a small count in a
small area (for example "2 knife offences in one CSP in 2023") can identify somebody.
Every count that leaves the library for a page, chart, map tooltip or download goes
through this module:

* :func:`publish_number` formats one count, or returns a :class:`Suppressed` marker;
* :func:`publish_rate` formats a rate/percentage, suppressed when its count is;
* :func:`suppress_counts` applies *primary* suppression (counts ``suppress_min..suppress_max``,
  1–7 by default) and *secondary* suppression to a whole table, so that no hidden cell can be
  recovered from row/column totals (published in the table or elsewhere in the book, e.g.
  "county minus the other CSPs");
* :func:`suppress_rates` hides the rates derived from hidden counts;
* :func:`suppression_mask` exposes the boolean pattern for charts and maps.

Rules come from the ``disclosure`` section of the data folder's ``config.yaml``
(``suppress_min`` 1, ``suppress_max`` 7, ``rounding`` none). Suppression applies below county
level (``area_level`` other than ``"county"``); county-level and national figures are
published as they are. Zero is never suppressed (a zero discloses nobody). The marker
(default ``"[c]"``, the ONS convention) and ``suppress_county`` (default false) can be set
through a mapping or :class:`DisclosureRules`; ``config.yaml`` currently accepts only
``suppress_min``, ``suppress_max`` and ``rounding``.

Examples
--------
>>> publish_number(1234, area_level="csp")
'1,234'
>>> publish_number(3, area_level="csp")
'[c]'
>>> publish_number(3, area_level="county")
'3'
>>> import pandas as pd
>>> t = pd.DataFrame({"2022": [5, 40, 30], "2023": [20, 44, 31]}, index=["A", "B", "C"])
>>> suppress_counts(t, ["2022", "2023"], area_level="csp")
  2022 2023
A  [c]  [c]
B   40   44
C  [c]  [c]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from sna_lib.errors import DataValidationError, Problem

__all__ = [
    "DisclosureRules",
    "Suppressed",
    "area_level_of",
    "disclosure_rules",
    "is_suppressed",
    "publish_number",
    "publish_rate",
    "suppress_counts",
    "suppress_rates",
    "suppression_mask",
    "suppression_note",
]

#: Area levels at or above county: published without suppression unless ``suppress_county``.
COUNTY_OR_ABOVE = frozenset({"county", "vru", "police_force", "region", "national", "comparator"})
#: Area levels below county: suppression always applies.
BELOW_COUNTY = frozenset({
    "csp", "local_authority", "district", "ward", "msoa", "lsoa", "output_area", "hotspot", "grid",
    "school",
})
MISSING_TEXT = "–"


class Suppressed(str):
    """A published cell that was withheld; a ``str`` holding the marker text (``"[c]"``).

    Being a ``str`` it renders directly in tables, glue, tooltips and CSV downloads, while
    ``isinstance(x, Suppressed)`` (or :func:`is_suppressed`) still tells it apart from numbers.

    Examples
    --------
    >>> s = Suppressed("[c]")
    >>> s, is_suppressed(s), is_suppressed("[c]")
    ('[c]', True, False)
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__repr__(str(self))


def is_suppressed(value: object) -> bool:
    """True when ``value`` is a :class:`Suppressed` marker.

    Examples
    --------
    >>> is_suppressed(publish_number(2, area_level="lsoa")), is_suppressed("12")
    (True, False)
    """
    return isinstance(value, Suppressed)


@dataclass(frozen=True)
class DisclosureRules:
    """The disclosure-control settings in force.

    Parameters
    ----------
    suppress_min, suppress_max : int
        Counts in this closed range are suppressed (zero never is, even if ``suppress_min`` is 0).
    rounding : int or None
        Round every published (unsuppressed) count to this base, e.g. 5; ``None`` = exact.
    marker : str
        Text shown in place of a suppressed value.
    suppress_county : bool
        Also apply the rules to county-level figures.

    Examples
    --------
    >>> r = DisclosureRules()
    >>> r.is_small(7), r.is_small(8), r.is_small(0), r.applies("csp"), r.applies("county")
    (True, False, False, True, False)
    """

    suppress_min: int = 1
    suppress_max: int = 7
    rounding: int | None = None
    marker: str = "[c]"
    suppress_county: bool = False

    def __post_init__(self) -> None:
        problems = []
        for key in ("suppress_min", "suppress_max"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                problems.append(f"disclosure.{key} must be a whole number >= 0, got {value!r}")
        if not problems and self.suppress_min > self.suppress_max:
            problems.append("disclosure.suppress_min must not exceed disclosure.suppress_max")
        if self.rounding is not None and (
            isinstance(self.rounding, bool) or not isinstance(self.rounding, numbers.Integral)
            or self.rounding < 1
        ):
            problems.append(f"disclosure.rounding must be none or a whole number >= 1, got {self.rounding!r}")
        if not isinstance(self.marker, str) or not self.marker.strip():
            problems.append("disclosure.marker must be non-empty text")
        if problems:
            raise DataValidationError([Problem("config.yaml", "disclosure", None, p) for p in problems])

    def applies(self, area_level: str) -> bool:
        """Whether suppression/rounding applies at ``area_level`` (raises on unknown levels)."""
        level = _check_level(area_level)
        return level in BELOW_COUNTY or self.suppress_county

    def is_small(self, n: int) -> bool:
        """Whether count ``n`` falls in the suppressed range (never for zero)."""
        return n != 0 and max(self.suppress_min, 1) <= n <= self.suppress_max

    def round(self, n: int) -> int:
        """``n`` rounded half-up to the rounding base (unchanged when rounding is off)."""
        if not self.rounding:
            return int(n)
        base = int(self.rounding)
        return int(math.floor(n / base + 0.5)) * base


def _check_level(area_level: str) -> str:
    level = str(area_level).strip().lower()
    if level not in COUNTY_OR_ABOVE and level not in BELOW_COUNTY:
        raise ValueError(
            f"unknown area_level {area_level!r}; use one of {sorted(COUNTY_OR_ABOVE | BELOW_COUNTY)} "
            "(or area_level_of(area) for a notebook's area parameter)"
        )
    return level


def area_level_of(area: str) -> str:
    """The ``area_level`` for a book's ``area`` parameter: ``"county"`` or ``"csp"``.

    Examples
    --------
    >>> area_level_of("county"), area_level_of("Basildon")
    ('county', 'csp')
    """
    return "county" if str(area).strip().lower() == "county" else "csp"


def disclosure_rules(config: Any = None) -> DisclosureRules:
    """Build :class:`DisclosureRules` from a config in any of the shapes the library meets.

    Parameters
    ----------
    config : None, DisclosureRules, sna_lib.data.config.Config, or mapping
        ``None`` gives the defaults. A ``Config`` (anything with a ``disclosure`` attribute),
        a mapping with a ``"disclosure"`` key (raw ``config.yaml``), or the ``disclosure``
        section itself are all accepted.

    Examples
    --------
    >>> disclosure_rules({"disclosure": {"suppress_max": 9, "rounding": 5}})
    DisclosureRules(suppress_min=1, suppress_max=9, rounding=5, marker='[c]', suppress_county=False)
    """
    if config is None:
        return DisclosureRules()
    if isinstance(config, DisclosureRules):
        return config
    section: Any = config
    if hasattr(config, "disclosure"):
        section = config.disclosure
    elif isinstance(config, Mapping) and "disclosure" in config:
        section = config["disclosure"]
    if section is None:
        return DisclosureRules()
    if isinstance(section, DisclosureRules):
        return section
    getter = section.get if hasattr(section, "get") else (lambda k, d=None: getattr(section, k, d))
    defaults = DisclosureRules()
    rounding = getter("rounding", None)
    if isinstance(rounding, str) and rounding.strip().lower() in {"none", "null", ""}:
        rounding = None
    return DisclosureRules(
        suppress_min=getter("suppress_min", defaults.suppress_min),
        suppress_max=getter("suppress_max", defaults.suppress_max),
        rounding=rounding,
        marker=getter("marker", defaults.marker) or defaults.marker,
        suppress_county=bool(getter("suppress_county", defaults.suppress_county)),
    )


def suppression_note(config: Any = None) -> str:
    """The footnote that explains the marker, for tables, charts and downloads.

    Examples
    --------
    >>> suppression_note()
    '[c] = count of 1 to 7, withheld to protect confidentiality (with other cells where needed so it cannot be worked out from totals).'
    """
    r = disclosure_rules(config)
    note = (f"{r.marker} = count of {max(r.suppress_min, 1)} to {r.suppress_max}, withheld to protect "
            "confidentiality (with other cells where needed so it cannot be worked out from totals).")
    if r.rounding:
        note += f" Other counts are rounded to the nearest {r.rounding}."
    return note


def _as_count(n: Any) -> int | None:
    """``n`` as an int (None for missing); raises on negative or fractional values."""
    if n is None or n is pd.NA:
        return None
    if isinstance(n, bool):
        raise TypeError(f"a count must be a number, got {n!r}")
    if isinstance(n, numbers.Real):
        f = float(n)
        if math.isnan(f):
            return None
        if not f.is_integer():
            raise ValueError(f"a count must be a whole number, got {n!r}; use publish_rate for rates")
        if f < 0:
            raise ValueError(f"a count cannot be negative, got {n!r}")
        return int(f)
    raise TypeError(f"a count must be a number, got {type(n).__name__} {n!r}")


def publish_number(n: Any, *, area_level: str, config: Any = None) -> str:
    """Format one count for publication, or return the :class:`Suppressed` marker.

    Parameters
    ----------
    n : int-like
        A non-negative whole count (``NaN``/``None`` shown as ``"–"``).
    area_level : str
        ``"county"`` (or above) publishes as is; ``"csp"``, ``"lsoa"``, … apply the rules.
        For a notebook's ``area`` parameter use :func:`area_level_of`.
    config : optional
        Anything :func:`disclosure_rules` accepts.

    Returns
    -------
    str
        Thousands-separated count, or a :class:`Suppressed` (a ``str`` such as ``"[c]"``).

    Notes
    -----
    A single number is only primary-suppressed. When several published numbers add up to a
    published total (a table, a set of CSP figures beside the county figure), use
    :func:`suppress_counts` so secondary suppression protects them.

    Examples
    --------
    >>> publish_number(0, area_level="lsoa"), publish_number(8, area_level="lsoa")
    ('0', '8')
    >>> publish_number(7, area_level="lsoa")
    '[c]'
    >>> publish_number(7, area_level="lsoa", config={"marker": "<8"})
    '<8'
    >>> publish_number(123, area_level="csp", config={"rounding": 5})
    '125'
    """
    rules = disclosure_rules(config)
    count = _as_count(n)
    if count is None:
        return MISSING_TEXT
    if rules.applies(area_level):
        if rules.is_small(count):
            return Suppressed(rules.marker)
        count = rules.round(count)
    return f"{count:,}"


def publish_rate(rate: Any, *, count: Any, area_level: str, config: Any = None, decimals: int = 1,
                 suffix: str = "") -> str:
    """Format a rate or percentage derived from ``count``; suppressed when the count is.

    Parameters
    ----------
    rate : float
        The derived value (per 1,000, percentage, …).
    count : int-like or Suppressed
        The numerator count the rate was computed from (or its already-published text).
    area_level, config
        As for :func:`publish_number`.
    decimals : int
        Decimal places shown.
    suffix : str
        Appended to the number, e.g. ``"%"``.

    Examples
    --------
    >>> publish_rate(0.42, count=3, area_level="csp")
    '[c]'
    >>> publish_rate(12.345, count=30, area_level="csp", suffix="%")
    '12.3%'
    """
    rules = disclosure_rules(config)
    if is_suppressed(count):
        return Suppressed(rules.marker)
    c = _as_count(count)
    if c is not None and rules.applies(area_level) and rules.is_small(c):
        return Suppressed(rules.marker)
    if rate is None or rate is pd.NA or (isinstance(rate, numbers.Real) and math.isnan(float(rate))):
        return MISSING_TEXT
    return f"{float(rate):,.{int(decimals)}f}{suffix}"


# --------------------------------------------------------------------------------------------
# Table suppression
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Lines:
    """The additive relations of a table: each line's member cells and whether its total is
    a cell of the table (``total_cell``) or a known figure published elsewhere."""

    members: list[list[tuple[int, int]]]  # cell positions (row, col) whose values add up
    total_cell: list[tuple[int, int] | None]  # the line's total as a table cell, if present


def _lines(n_rows: int, n_cols: int, total_row: int | None, total_col: int | None,
           assume_published_totals: bool) -> _Lines:
    members: list[list[tuple[int, int]]] = []
    totals: list[tuple[int, int] | None] = []
    inner_rows = [r for r in range(n_rows) if r != total_row]
    inner_cols = [c for c in range(n_cols) if c != total_col]
    # rows (including the row of column totals), each summing across the inner columns
    for r in range(n_rows):
        cells = [(r, c) for c in inner_cols]
        if total_col is not None:
            members.append(cells)
            totals.append((r, total_col))
        elif assume_published_totals and len(cells) >= 2:
            members.append(cells)
            totals.append(None)
    # columns (including the column of row totals), each summing down the inner rows
    for c in range(n_cols):
        cells = [(r, c) for r in inner_rows]
        if total_row is not None:
            members.append(cells)
            totals.append((total_row, c))
        elif assume_published_totals and len(cells) >= 2:
            members.append(cells)
            totals.append(None)
    return _Lines(members, totals)


def _null_space(a: np.ndarray) -> np.ndarray:
    """Orthonormal basis (as columns) of the null space of ``a``."""
    if a.shape[1] == 0:
        return np.zeros((0, 0))
    if a.shape[0] == 0:
        return np.eye(a.shape[1])
    _, s, vt = np.linalg.svd(a)
    tol = max(a.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0) * 10
    rank = int((s > tol).sum())
    return vt[rank:].T


def _recoverable(hidden: np.ndarray, lines: _Lines) -> list[tuple[int, int]]:
    """Hidden cells whose exact value follows from the published cells by linear algebra.

    Each line gives one equation ``sum(members) - total = 0`` (or ``= published total``).
    Restricted to the hidden cells, a hidden cell is determined exactly iff every vector of
    the null space of that system is zero in its coordinate.
    """
    cells = [tuple(p) for p in np.argwhere(hidden)]
    if not cells:
        return []
    index = {cell: i for i, cell in enumerate(cells)}
    rows = []
    for members, total in zip(lines.members, lines.total_cell):
        row = np.zeros(len(cells))
        for cell in members:
            if cell in index:
                row[index[cell]] += 1.0
        if total is not None and total in index:
            row[index[total]] -= 1.0
        if row.any():
            rows.append(row)
    basis = _null_space(np.array(rows).reshape(len(rows), len(cells)))
    if basis.size == 0:
        return list(cells)
    determined = np.abs(basis).max(axis=1) < 1e-9
    return [cells[i] for i in np.flatnonzero(determined)]


def _pick_secondary(candidates: Sequence[tuple[int, int]], values: np.ndarray, hidden: np.ndarray,
                    missing: np.ndarray) -> tuple[int, int] | None:
    """The smallest non-zero visible candidate (zeros only as a last resort); ties by position."""
    open_cells = [c for c in candidates if not hidden[c] and not missing[c]]
    if not open_cells:
        return None
    return min(open_cells, key=lambda c: (values[c] == 0, values[c], c))


def _mask_array(values: np.ndarray, missing: np.ndarray, rules: DisclosureRules, lines: _Lines,
                fixed: np.ndarray | None = None) -> np.ndarray:
    """Primary + secondary suppression; ``fixed`` cells are published whatever happens."""
    fixed = np.zeros_like(missing) if fixed is None else fixed
    unpickable = missing | fixed
    small = np.vectorize(rules.is_small, otypes=[bool])(values) if values.size else np.zeros_like(missing)
    hidden = small & ~unpickable
    if not hidden.any():
        return hidden
    given_up: set[tuple[int, int]] = set()
    while True:
        # 1. line rule (iterated to a fixed point): no line may hold exactly one hidden cell
        changed = True
        while changed:
            changed = False
            for members, total in zip(lines.members, lines.total_cell):
                line = list(members) + ([total] if total is not None else [])
                if sum(bool(hidden[c]) for c in line) == 1:
                    pick = _pick_secondary(line, values, hidden, unpickable)
                    if pick is not None:
                        hidden[pick] = True
                        changed = True
        # 2. audit against a full linear attack (combinations of lines, e.g. two hidden blocks
        #    joined by one cell); hide one more cell next to a recoverable one and repeat
        exposed = [c for c in _recoverable(hidden, lines) if c not in given_up]
        if not exposed:
            return hidden
        cell = exposed[0]
        neighbours = [m for members, total in zip(lines.members, lines.total_cell)
                      if cell in members or cell == total
                      for m in list(members) + ([total] if total is not None else []) if m != cell]
        pick = _pick_secondary(neighbours, values, hidden, unpickable)
        if pick is None:  # only published-anyway cells share its lines: nothing more can protect it
            given_up.add(cell)
        else:
            hidden[pick] = True


def _positions(df: pd.DataFrame, columns: list[Hashable], total_row: Hashable | None,
               total_col: Hashable | None) -> tuple[int | None, int | None]:
    r = c = None
    if total_row is not None:
        matches = np.flatnonzero(df.index == total_row)
        if len(matches) != 1:
            raise KeyError(f"total_row {total_row!r} must label exactly one row of the table")
        r = int(matches[0])
    if total_col is not None:
        if total_col not in columns:
            raise KeyError(f"total_col {total_col!r} must be one of count_columns {columns!r}")
        c = columns.index(total_col)
    return r, c


def suppression_mask(df: pd.DataFrame, count_columns: Sequence[Hashable], *, area_level: str,
                     config: Any = None, total_row: Hashable | None = None,
                     total_col: Hashable | None = None,
                     assume_published_totals: bool = True, total_published: bool = False) -> pd.DataFrame:
    """Boolean frame (index × ``count_columns``): True where a count must be withheld.

    Primary suppression hides counts in ``suppress_min..suppress_max``. Secondary suppression
    then hides further cells until no hidden cell can be worked out exactly from the table's
    additive relations:

    1. every row and every column ("line") holding a hidden cell holds at least two (its
       total counts as a member when it is in the table); the next-smallest non-zero cell of
       the line is hidden, iterated to a fixed point;
    2. an exact linear-algebra audit over all lines together (an attacker combining several
       rows and columns) hides one more neighbouring cell while any hidden cell is determined.

    Parameters
    ----------
    df : DataFrame
        The table as it will be published; rows are areas/categories.
    count_columns : sequence
        Columns holding non-negative whole counts.
    area_level : str
        Level of the table's cells (``"csp"``, ``"lsoa"``, ``"county"``, …).
    config : optional
        Anything :func:`disclosure_rules` accepts.
    total_row : index label, optional
        Label of a row that holds column totals (e.g. ``"Total"`` or the county row beside
        its CSPs). It is a cell like any other and may itself be hidden.
    total_col : column name, optional
        A column among ``count_columns`` holding row totals.
    assume_published_totals : bool, default True
        Treat row and column totals as published elsewhere in the book even when the table
        does not show them (e.g. the county figure on another page), so secondary suppression
        protects against differencing with them too. Set False only for tables whose lines do
        not add up to anything published (say, rates or overlapping categories).
    total_published : bool, default False
        The ``total_row``/``total_col`` cells are published whatever this table shows (e.g. the
        county figure, which is not suppressed, beside its CSPs): they are never withheld, so
        secondary suppression uses other cells. To protect one figure across separately
        published CSP pages, pass a frame with one row per CSP plus the county as
        ``total_row``, one column per figure, ``assume_published_totals=False`` (different
        figures do not add up) and ``total_published=True``.

    Returns
    -------
    DataFrame of bool
        Same index as ``df``, columns ``count_columns``. All False at county level (unless
        ``suppress_county``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"v": [3, 10, 12, 25]}, index=["A", "B", "C", "Total"])
    >>> suppression_mask(t, ["v"], area_level="csp", total_row="Total")["v"].tolist()
    [True, True, False, False]

    One figure (homicides) on separate CSP pages, with the county figure published anyway:

    >>> h = pd.DataFrame({"homicides": [1, 0, 12, 9, 22]}, index=["A", "B", "C", "D", "county"])
    >>> suppression_mask(h, ["homicides"], area_level="csp", total_row="county",
    ...                  assume_published_totals=False, total_published=True)["homicides"].tolist()
    [True, False, False, True, False]
    """
    columns = list(count_columns)
    missing_cols = [c for c in columns if c not in df.columns]
    if missing_cols:
        raise KeyError(f"count columns not in the table: {missing_cols!r}")
    rules = disclosure_rules(config)
    r_tot, c_tot = _positions(df, columns, total_row, total_col)
    if not rules.applies(area_level) or df.empty or not columns:
        return pd.DataFrame(False, index=df.index, columns=columns)
    raw = df[columns]
    missing = raw.isna().to_numpy(dtype=bool)
    values = np.zeros(raw.shape, dtype=np.int64)
    for j, col in enumerate(columns):
        for i, v in enumerate(raw[col].tolist()):
            count = _as_count(v)
            values[i, j] = 0 if count is None else count
    lines = _lines(values.shape[0], values.shape[1], r_tot, c_tot, assume_published_totals)
    fixed = np.zeros(values.shape, dtype=bool)
    if total_published:
        if r_tot is not None:
            fixed[r_tot, :] = True
        if c_tot is not None:
            fixed[:, c_tot] = True
    hidden = _mask_array(values, missing, rules, lines, fixed)
    return pd.DataFrame(hidden, index=df.index, columns=columns)


def suppress_counts(df: pd.DataFrame, count_columns: Sequence[Hashable], *, area_level: str,
                    config: Any = None, total_row: Hashable | None = None,
                    total_col: Hashable | None = None, assume_published_totals: bool = True,
                    total_published: bool = False,
                    output: Literal["text", "numeric"] = "text") -> pd.DataFrame:
    """The table ready to publish: small counts and their protectors withheld.

    See :func:`suppression_mask` for the rules and the parameters shared with it.

    Parameters
    ----------
    output : {"text", "numeric"}
        ``"text"`` (default; for HTML tables, CSV downloads and tooltips): count columns become
        strings (object dtype), thousands-separated; withheld cells hold a :class:`Suppressed`
        marker (``"[c]"``, so :func:`is_suppressed` works on them), missing cells ``"–"``. ``"numeric"`` (for charts and map colours): nullable ``Int64`` with
        ``<NA>`` where withheld. Rounding (if configured) applies to both.

    Returns
    -------
    DataFrame
        A copy of ``df``; other columns unchanged.

    Examples
    --------
    County row as the total: with one small CSP, the next-smallest CSP is hidden too,
    otherwise "county minus the other CSPs" would reveal it.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"area": ["North", "South", "East", "County"],
    ...                   "crimes": [4, 1500, 35, 1539]}).set_index("area")
    >>> published = suppress_counts(t, ["crimes"], area_level="csp", total_row="County")
    >>> published["crimes"].tolist(), is_suppressed(published.loc["North", "crimes"])
    (['[c]', '1,500', '[c]', '1,539'], True)
    >>> suppress_counts(t, ["crimes"], area_level="csp", total_row="County", output="numeric")["crimes"].tolist()
    [<NA>, 1500, <NA>, 1539]
    """
    if output not in ("text", "numeric"):
        raise ValueError(f"output must be 'text' or 'numeric', got {output!r}")
    rules = disclosure_rules(config)
    mask = suppression_mask(df, count_columns, area_level=area_level, config=rules, total_row=total_row,
                            total_col=total_col, assume_published_totals=assume_published_totals,
                            total_published=total_published)
    applies = rules.applies(area_level)
    marker = Suppressed(rules.marker)
    out = df.copy()
    for col in count_columns:
        hidden = mask[col].to_numpy(dtype=bool)
        counts = [_as_count(v) for v in df[col].tolist()]
        counts = [c if c is None or not applies else rules.round(c) for c in counts]
        if output == "numeric":
            out[col] = pd.array([pd.NA if (h or c is None) else c for c, h in zip(counts, hidden)], dtype="Int64")
        else:
            texts = [marker if h else (MISSING_TEXT if c is None else f"{c:,}") for c, h in zip(counts, hidden)]
            out[col] = pd.Series(texts, index=df.index, dtype=object)
    return out


def suppress_rates(df: pd.DataFrame, rate_columns: Sequence[Hashable], count_columns: Sequence[Hashable], *,
                   area_level: str, config: Any = None, total_row: Hashable | None = None,
                   total_col: Hashable | None = None, assume_published_totals: bool = True,
                   total_published: bool = False, decimals: int = 1,
                   output: Literal["text", "numeric"] = "text") -> pd.DataFrame:
    """Withhold every rate whose numerator count is withheld (primary or secondary).

    Parameters
    ----------
    df : DataFrame
        Holds both the counts and the rates derived from them.
    rate_columns, count_columns : sequences of equal length
        ``rate_columns[i]`` was computed from ``count_columns[i]``. The suppression pattern is
        worked out on the counts exactly as :func:`suppress_counts` does (same ``total_row`` /
        ``total_col`` / ``assume_published_totals``), so a rate never reveals a hidden count.
    decimals : int
        Decimal places for ``output="text"``.
    output : {"text", "numeric"}
        Text with the marker, or ``Float64`` with ``<NA>``.

    Returns
    -------
    DataFrame
        A copy of ``df`` with the rate columns withheld/formatted; count columns untouched
        (pass the result through :func:`suppress_counts` to publish them as well).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [3, 200, 150], "per_1000": [0.31, 2.5, 1.94]}, index=list("ABC"))
    >>> suppress_rates(t, ["per_1000"], ["n"], area_level="csp")["per_1000"].tolist()
    ['[c]', '2.5', '[c]']
    """
    rates, counts = list(rate_columns), list(count_columns)
    if len(rates) != len(counts):
        raise ValueError("rate_columns and count_columns must pair up one to one")
    if output not in ("text", "numeric"):
        raise ValueError(f"output must be 'text' or 'numeric', got {output!r}")
    rules = disclosure_rules(config)
    mask = suppression_mask(df, counts, area_level=area_level, config=rules, total_row=total_row,
                            total_col=total_col, assume_published_totals=assume_published_totals,
                            total_published=total_published)
    marker = Suppressed(rules.marker)
    out = df.copy()
    for rate_col, count_col in zip(rates, counts):
        hidden = mask[count_col].to_numpy(dtype=bool)
        values = df[rate_col].tolist()
        missing = [v is None or v is pd.NA or (isinstance(v, numbers.Real) and math.isnan(float(v)))
                   for v in values]
        if output == "numeric":
            nums = [pd.NA if (h or m) else float(v) for v, h, m in zip(values, hidden, missing)]
            out[rate_col] = pd.array(nums, dtype="Float64")
        else:
            texts = [marker if h else (MISSING_TEXT if m else f"{float(v):,.{int(decimals)}f}")
                     for v, h, m in zip(values, hidden, missing)]
            out[rate_col] = pd.Series(texts, index=df.index, dtype=object)
    return out
