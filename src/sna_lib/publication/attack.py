"""The interval attacker: how narrowly can each withheld count be pinned down from what is published?

An attacker sees every published number and knows how the numbers relate (the declared
relations: totals and parts, records = people + repeats, county = the sum of its CSPs, …, and
the derived values: share = 100 × count / denominator, rate = 1000 × count / population,
mean = total / count, % change). For each withheld count cell the attacker computes the
smallest and largest value it can take, with every published value fixed, every count a
whole number >= 0 and every relation holding, by integer linear programming
(:func:`scipy.optimize.milp`; :func:`scipy.optimize.linprog` gives an outer bound when the
integer program does not finish). A published derived value shown to ``d`` decimals is known
to within half its last digit, so ``share = 100 a / b`` gives
``(share - h) b <= 100 a <= (share + h) b``: linear in ``a`` and ``b`` even when both are
withheld. With rounding configured, a published count ``r`` is only known to lie in
``[r - base/2, r + base/2)``.

A withheld cell is **safe** when the attacker cannot narrow it inside the suppression range:
the interval ``[lo, hi]`` contains the whole range (``1..7`` by default, i.e. ``lo <= 1`` and
``hi >= 7``), or it excludes the range entirely (the attacker learns only that the cell is not
small, e.g. a secondary cell known to lie in ``40..53``, or a withheld zero). Cells at levels
where small counts may be published (the county, unless ``suppress_county``) are always safe.
The attacker never reads the value of a withheld cell; the defender's true values, when
present, serve only as a starting feasible point (a witness) to save solver calls.

The problem splits into connected components of the graph joining unknown cells that share a
relation; each component is a small independent integer program.

Examples
--------
A 2 × 2 table with its margins published and one small cell withheld alone: the margins give
it away.

>>> from sna_lib.publication.cells import declare_frame, CellBuilder
>>> from sna_lib.publication.control import primary_only
>>> import pandas as pd
>>> t = pd.DataFrame({"a": [3, 50, 53], "b": [40, 60, 100], "all": [43, 110, 153]}, index=["x", "y", "all"])
>>> b = CellBuilder()
>>> ids = declare_frame(b, t, table="t", area="North", count_columns=["a", "b", "all"],
...                     total_row="all", total_col="all")
>>> cells, relations = b.frame()
>>> attack(primary_only(cells), relations)[["lo", "hi", "safe"]].values.tolist()
[[3.0, 3.0, False]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from sna_lib.disclosure import DisclosureRules, disclosure_rules

__all__ = ["ATTACK_COLUMNS", "Attacker", "attack", "is_safe"]

#: Columns of :func:`attack`'s result.
ATTACK_COLUMNS = ["cell_id", "lo", "hi", "safe", "exact"]
#: Upper bound given to every unknown (a value reaching it means "unbounded").
_BIG = 1e9
_TOL = 1e-6


def is_safe(lo: float, hi: float, rules: DisclosureRules | None = None) -> bool:
    """Whether an attacker's interval ``[lo, hi]`` protects a withheld count.

    Examples
    --------
    >>> is_safe(0, 43), is_safe(1, 7), is_safe(40, 53), is_safe(0, 0)
    (True, True, True, True)
    >>> is_safe(0, 6), is_safe(2, 60), is_safe(3, 3)
    (False, False, False)
    """
    rules = rules or DisclosureRules()
    low, high = max(rules.suppress_min, 1), rules.suppress_max
    return bool((lo <= low and hi >= high) or lo > high or hi < low)


@dataclass
class _ActiveRows:
    """The constraint rows in force for one set of withheld cells."""

    index: np.ndarray  # row numbers in the full matrix
    csr: sparse.csr_matrix
    csc: sparse.csc_matrix


@dataclass
class _Component:
    """One independent integer program: unknown cells ``cols`` and the rows touching them."""

    cols: np.ndarray  # cell positions of the unknowns
    a: np.ndarray  # dense constraint matrix over the unknowns
    lo: np.ndarray
    hi: np.ndarray
    integer: np.ndarray  # 1 = integer variable
    lb: np.ndarray
    ub: np.ndarray


class Attacker:
    """The attacker's model of a publication: cells, relations and published derived values.

    Built once; :meth:`intervals` is then called with the set of withheld cells (control calls
    it repeatedly as it adds secondary suppressions; results of unchanged components are
    cached).

    Parameters
    ----------
    cells : DataFrame
        Cells frame (:meth:`sna_lib.publication.cells.CellBuilder.frame`); ``value`` of a
        withheld cell is used only as a witness and may be NaN.
    relations : DataFrame
        Relations frame.
    rules : DisclosureRules or config, optional
    """

    def __init__(self, cells: pd.DataFrame, relations: pd.DataFrame, rules: Any = None) -> None:
        self.rules = disclosure_rules(rules)
        self.cells = cells.reset_index(drop=True)
        self.ids = self.cells["cell_id"].astype(str).to_numpy()
        self.pos = {c: i for i, c in enumerate(self.ids)}
        n = len(self.ids)
        self.kind = self.cells["kind"].astype(str).to_numpy()
        self.is_count = self.kind == "count"
        self.applies = np.array([self.rules.applies(lv) for lv in self.cells["level"].astype(str)], dtype=bool)
        self.raw = self.cells["value"].to_numpy(dtype="float64")
        rows, cols, coefs, lo, hi, gate = [], [], [], [], [], []

        def add(members: Sequence[tuple[str, float]], low: float, high: float, g: int) -> None:
            r = len(lo)
            for cid, coef in members:
                rows.append(r)
                cols.append(self.pos[cid])
                coefs.append(coef)
            lo.append(low)
            hi.append(high)
            gate.append(g)

        for total, parts, sense in zip(relations["total"], relations["parts"], relations["sense"]):
            members = [(str(total), 1.0)] + [(str(p), -1.0) for p in parts]
            low, high = {"=": (0.0, 0.0), "<=": (-np.inf, 0.0), ">=": (0.0, np.inf)}[str(sense)]
            add(members, low, high, -1)
        # published derived values with a linear form give two-sided constraints, active only
        # while the derived cell itself is published
        self._derived_rows(add)
        self.n_rows = len(lo)
        self.m = sparse.csr_matrix((coefs, (rows, cols)), shape=(self.n_rows, n), dtype="float64")
        self.row_lo = np.array(lo, dtype="float64")
        self.row_hi = np.array(hi, dtype="float64")
        self.gate = np.array(gate, dtype=np.int64)
        self.relation_rows = self.gate < 0
        self._cache: dict[tuple, dict[int, tuple[float, float, bool]]] = {}

    def _derived_rows(self, add) -> None:
        cells = self.cells
        if "op" not in cells.columns:
            return
        for i in np.flatnonzero((self.kind == "derived") & cells["op"].notna().to_numpy()):
            op = str(cells.at[i, "op"])
            parents = [str(p) for p in cells.at[i, "derives_from"]]
            v = self._shown(i)
            if math.isnan(v) or any(p not in self.pos for p in parents):
                continue
            d = int(cells.at[i, "decimals"])
            h = 0.5 * 10.0 ** (-d) + 1e-9 * max(1.0, abs(v))
            if op == "ratio":
                s = float(cells.at[i, "scale"])
                a, b = parents
                add([(a, s), (b, -(v + h))], -np.inf, 0.0, i)
                add([(a, s), (b, -(v - h))], 0.0, np.inf, i)
            elif op == "pct_change":
                a, b = parents
                add([(b, 100.0), (a, -(100.0 + v + h))], -np.inf, 0.0, i)
                add([(b, 100.0), (a, -(100.0 + v - h))], 0.0, np.inf, i)
            elif op == "difference":
                a, b = parents
                add([(a, 1.0), (b, -1.0)], v - h, v + h, i)
            elif op == "sum":
                add([(p, 1.0) for p in parents], v - h, v + h, i)

    def _shown(self, i: int) -> float:
        """The value as published (``published_value`` after control, else ``value``)."""
        if "published_value" in self.cells.columns:
            return float(self.cells.at[i, "published_value"])
        return float(self.raw[i])

    # ------------------------------------------------------------------ model per hidden set
    def _known_values(self, hidden: np.ndarray) -> np.ndarray:
        if "published_value" in self.cells.columns:
            known = self.cells["published_value"].to_numpy(dtype="float64").copy()
        else:
            known = self.raw.copy()
        known[hidden] = np.nan
        return known

    def components(self, hidden: np.ndarray) -> list[np.ndarray]:
        """Connected components (cell positions) of the unknowns, each holding a withheld count."""
        unknown = self._unknown(hidden)
        sub = self.m[np.flatnonzero(self._active(hidden))][:, np.flatnonzero(unknown)]
        sub = (sub != 0).astype(np.int8).tocsr()
        sub.eliminate_zeros()
        nr, nu = sub.shape
        graph = sparse.bmat([[None, sub], [sub.T, None]], format="csr") if nr and nu else None
        cols = np.flatnonzero(unknown)
        if graph is None:
            labels = np.arange(nu)
        else:
            _, lab = connected_components(graph, directed=False)
            labels = lab[nr:]
        out = []
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        for group in np.split(order, bounds):
            members = cols[group]
            if len(members) and (hidden[members] & self.is_count[members]).any():
                out.append(np.sort(members))
        out.sort(key=lambda g: self.ids[g].min())
        return out

    def _unknown(self, hidden: np.ndarray) -> np.ndarray:
        unknown = hidden.copy()
        if self.rules.rounding:
            unknown |= self.is_count & self.applies & ~np.isnan(self.raw)
        return unknown

    def _active(self, hidden: np.ndarray) -> np.ndarray:
        gated = self.gate >= 0
        active = ~gated.copy()
        active[gated] = ~hidden[self.gate[gated]]
        return active

    def _build(self, cols: np.ndarray, hidden: np.ndarray, known: np.ndarray, act: "_ActiveRows",
               touch: np.ndarray) -> _Component:
        rows = act.csr[touch]
        a = rows[:, cols].toarray()
        shift = rows @ known - a @ known[cols]
        lo = self.row_lo[act.index[touch]] - shift
        hi = self.row_hi[act.index[touch]] - shift
        integer = self.is_count[cols].astype(np.int8)
        lb = np.where(self.is_count[cols], 0.0, -_BIG)
        ub = np.full(len(cols), _BIG)
        if self.rules.rounding:
            base = float(self.rules.rounding)
            for j, c in enumerate(cols):
                if not hidden[c]:
                    r = float(self.rules.round(int(self.raw[c])))
                    lb[j] = max(0.0, math.ceil(r - base / 2))
                    ub[j] = math.ceil(r + base / 2) - 1
        return _Component(cols, a, lo, hi, integer, lb, ub)

    def _solve(self, comp: _Component, j: int, sign: float) -> tuple[float, np.ndarray | None, bool]:
        """Optimum of ``sign * x_j`` (min for +1), its solution and whether it is exact."""
        c = np.zeros(len(comp.cols))
        c[j] = sign
        bounds = Bounds(comp.lb, comp.ub)
        cons = [LinearConstraint(comp.a, comp.lo, comp.hi)] if len(comp.lo) else []
        res = milp(c, integrality=comp.integer, bounds=bounds, constraints=cons,
                   options={"time_limit": 20.0, "presolve": True})
        if res.status == 0 and res.x is not None:
            x = np.where(comp.integer == 1, np.round(res.x), res.x)
            return float(x[j]), x, True
        if res.status == 2:
            raise ValueError("the published values contradict the declared relations "
                             f"(cells {', '.join(self.ids[comp.cols][:5])} …)")
        # no integer optimum in time: the LP relaxation is an outer bound (never claims safety)
        a_ub, b_ub, a_eq, b_eq = _split(comp)
        lp = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                     bounds=list(zip(comp.lb, comp.ub)), method="highs")
        if lp.status != 0:
            raise ValueError(f"attack could not bound cell {self.ids[comp.cols[j]]}: {lp.message}")
        value = float(lp.x[j])
        return (math.ceil(value - _TOL) if sign > 0 else math.floor(value + _TOL)), None, False

    def _witness(self, comp: _Component) -> np.ndarray | None:
        """The true values, when they are known and satisfy the component's constraints."""
        x = self.raw[comp.cols]
        if np.isnan(x).any():
            return None
        ax = comp.a @ x if len(comp.lo) else np.zeros(0)
        ok = np.all(ax >= comp.lo - 1e-6) and np.all(ax <= comp.hi + 1e-6)
        ok &= np.all(x >= comp.lb - 1e-9) and np.all(x <= comp.ub + 1e-9)
        return x if ok else None

    def _component_intervals(self, cols: np.ndarray, hidden: np.ndarray, known: np.ndarray,
                             exact: bool, act: "_ActiveRows", touch: np.ndarray
                             ) -> dict[int, tuple[float, float, bool, bool]]:
        comp = self._build(cols, hidden, known, act, touch)
        targets = [j for j in np.argsort(self.ids[cols], kind="stable")
                   if hidden[cols[j]] and self.is_count[cols[j]]]
        low, high = max(self.rules.suppress_min, 1), self.rules.suppress_max
        wmin = np.full(len(cols), np.inf)
        wmax = np.full(len(cols), -np.inf)
        seed = None if exact else self._witness(comp)
        if seed is not None:
            wmin, wmax = seed.copy(), seed.copy()

        def solve(j: int, sign: float) -> tuple[float, bool]:
            nonlocal wmin, wmax
            value, x, is_exact = self._solve(comp, j, sign)
            if x is not None:
                wmin, wmax = np.minimum(wmin, x), np.maximum(wmax, x)
            return value, is_exact

        out: dict[int, tuple[float, float, bool, bool]] = {}
        for j in targets:
            cell = int(cols[j])
            judged = bool(self.applies[cell])
            # each side is a reachable value (witness), an outer bound (LP) or both (exact)
            lo, lo_reach, lo_outer, lo_exact = wmin[j], bool(np.isfinite(wmin[j])), False, False
            if exact or not judged or not (lo_reach and lo <= low):
                lo, lo_reach = solve(j, 1.0)
                lo_outer = True
                lo_exact = lo_reach
            hi, hi_reach, hi_outer, hi_exact = wmax[j], bool(np.isfinite(wmax[j])), False, False
            above = lo_outer and lo > high
            lower_ok = lo_reach and lo <= low
            if exact or not judged or (lower_ok and not (hi_reach and hi >= high)):
                hi, hi_reach = solve(j, -1.0)
                hi_outer = True
                hi_exact = hi_reach
            elif not hi_reach:
                hi = math.nan
            if hi >= _BIG - 0.5:
                hi = math.inf
            below = hi_outer and hi < low
            contains = lower_ok and hi_reach and hi >= high
            safe = (not judged) or above or below or contains
            out[cell] = (float(lo), float(hi), bool(safe), bool(lo_exact and hi_exact))
        return out

    def intervals(self, hidden: np.ndarray, *, exact: bool = False,
                  only: Iterable[np.ndarray] | None = None) -> pd.DataFrame:
        """Attack with ``hidden`` (bool per cell) withheld; one row per withheld count cell.

        Parameters
        ----------
        hidden : ndarray of bool
            Withheld cells (counts and derived).
        exact : bool
            Compute the exact minimum and maximum of every withheld count. Otherwise (control's
            fast path) stop as soon as safety is decided: a side already shown reachable by a
            feasible point is reported as that point (the true interval is at least as wide).
        only : iterable of component arrays, optional
            Restrict to these components (from :meth:`components`).
        """
        hidden = np.asarray(hidden, dtype=bool)
        known = np.nan_to_num(self._known_values(hidden), nan=0.0)
        comps = self.components(hidden) if only is None else list(only)
        index = np.flatnonzero(self._active(hidden))
        csr = self.m[index]
        act = _ActiveRows(index, csr, csr.tocsc())
        records = []
        for cols in comps:
            touch = np.unique(np.concatenate([csc_rows(act.csc, c) for c in cols]))
            key = (tuple(cols.tolist()), tuple(hidden[cols].tolist()), tuple(act.index[touch].tolist()), exact)
            result = self._cache.get(key)
            if result is None:
                result = self._component_intervals(cols, hidden, known, exact, act, touch)
                self._cache[key] = result
            for cell, (lo, hi, safe, ex) in result.items():
                records.append((self.ids[cell], lo, hi, safe, ex))
        out = pd.DataFrame(records, columns=ATTACK_COLUMNS)
        return out.sort_values("cell_id", kind="stable").reset_index(drop=True)


def csc_rows(m: sparse.csc_matrix, col: int) -> np.ndarray:
    """Row numbers of the non-zeros of column ``col`` of a CSC matrix."""
    return m.indices[m.indptr[col]:m.indptr[col + 1]]


def _split(comp: _Component):
    eq = np.isclose(comp.lo, comp.hi)
    a_eq, b_eq = comp.a[eq], comp.lo[eq]
    ub_rows, ub_rhs = [], []
    for a, lo, hi in zip(comp.a[~eq], comp.lo[~eq], comp.hi[~eq]):
        if np.isfinite(hi):
            ub_rows.append(a)
            ub_rhs.append(hi)
        if np.isfinite(lo):
            ub_rows.append(-a)
            ub_rhs.append(-lo)
    a_ub = np.array(ub_rows) if ub_rows else None
    return a_ub, (np.array(ub_rhs) if ub_rows else None), (a_eq if len(b_eq) else None), (b_eq if len(b_eq) else None)


def attack(cells: pd.DataFrame, relations: pd.DataFrame, rules: Any = None, *, exact: bool = True) -> pd.DataFrame:
    """Interval attack on a controlled publication: ``[cell_id, lo, hi, safe, exact]`` per withheld count.

    Parameters
    ----------
    cells : DataFrame
        Cells with a ``published`` column (after :func:`~sna_lib.publication.control.control`,
        or read back from a published store, where withheld values are absent).
    relations : DataFrame
    rules : DisclosureRules or config, optional
    exact : bool, default True
        Exact integer bounds for every withheld count; ``False`` decides safety with fewer
        solver calls (``lo``/``hi`` are then values shown reachable, ``exact`` False).

    Returns
    -------
    DataFrame
        Sorted by ``cell_id``; ``hi`` is ``inf`` when nothing bounds the cell from above.

    Examples
    --------
    Three CSPs and the county total: withholding the small CSP alone is undone by
    "county minus the other CSPs"; withholding a second CSP leaves the pair ``0..39``.

    >>> from sna_lib.publication.cells import CellBuilder
    >>> b = CellBuilder()
    >>> ids = [b.count(table="t", area=a, row="r", column="n", value=v)
    ...        for a, v in [("A", 4), ("B", 35), ("C", 1500), ("county", 1539)]]
    >>> _ = b.sum_over_areas("t")
    >>> cells, relations = b.frame()
    >>> cells["published"] = ~cells["cell_id"].isin([ids[0]])
    >>> attack(cells, relations)[["lo", "hi", "safe"]].values.tolist()
    [[4.0, 4.0, False]]
    >>> cells["published"] = ~cells["cell_id"].isin(ids[:2])
    >>> r = attack(cells, relations)
    >>> r[r["cell_id"] == ids[0]][["lo", "hi", "safe"]].values.tolist()
    [[0.0, 39.0, True]]
    """
    if "published" not in cells.columns:
        raise KeyError("attack needs a 'published' column: run control() first (or read a published store)")
    attacker = Attacker(cells, relations, rules)
    hidden = ~cells["published"].to_numpy(dtype=bool)
    return attacker.intervals(hidden, exact=exact)
