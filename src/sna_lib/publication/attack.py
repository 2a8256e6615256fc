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

A withheld cell that needs protection is **safe** when the attacker cannot narrow it inside
the suppression range: the interval ``[lo, hi]`` contains the whole range (``1..7`` by
default, i.e. ``lo <= 1`` and ``hi >= 7``), or excludes it entirely (the attacker learns only
that the cell is not small). Protection is needed by every withheld count whose true value is
in the range at a level where the rules apply (the primary cells); a secondary cell of 150
known to lie in ``3..300`` discloses nobody. When the true values are not available (an attack
on a published store, where withheld values are absent) every withheld count below county is
judged (``judge="all"`` forces that too), which is stricter. Cells at levels where small counts
may be published (the county, unless ``suppress_county``) are never judged.
The attacker never reads the value of a withheld cell except to tell which cells need
protection; the defender's true values, when present, also serve as a starting feasible point
(a witness) that saves solver calls.

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

from sna_lib.publication.disclosure import DisclosureRules, disclosure_rules

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


class _HighsLp:
    """One component's linear program kept loaded in HiGHS between solves.

    Control and the attacker solve the same constraints hundreds of times with a different
    objective or column bounds; ``scipy.optimize.linprog`` re-parses and re-loads the model on every
    call (≈ 5 ms), while changing the objective of a loaded model and re-running it from the
    previous basis takes ≈ 0.06 ms on the same machine. This uses the HiGHS binding that SciPy
    ships (``scipy.optimize._highspy``); :func:`linprog` is the fallback when it is unavailable.

    ``presolve=False`` switches HiGHS's presolve off: the attacker's batch programs
    (:meth:`Attacker._batch`: one auxiliary column and row per target) are solved by presolve
    alone, in time that grows faster than quadratically with the component (≈ 0.75 s for a
    417-cell component of the scale-10 demo's LSOA table), while the simplex without it takes
    ≈ 3 ms. Only programs whose answer is a witness (any feasible point) may switch it off:
    among equal optima the two paths can return different vertices, which matters for
    control's repair program (:class:`sna_lib.publication.control._Repair`), not for a witness.
    """

    def __init__(self, a: np.ndarray, row_lo: np.ndarray, row_hi: np.ndarray, presolve: bool = True) -> None:
        from scipy.optimize._highspy import _core

        self._core = _core
        n = a.shape[1]
        self.n = n
        self.idx = np.arange(n, dtype=np.int32)
        h = _core._Highs()
        h.setOptionValue("output_flag", False)
        if not presolve:
            h.setOptionValue("presolve", "off")
        lp = _core.HighsLp()
        indptr, index, value = _dense_to_csc(a)
        lp.num_col_, lp.num_row_ = n, a.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, _BIG)
        lp.row_lower_ = np.asarray(row_lo, dtype="float64")
        lp.row_upper_ = np.asarray(row_hi, dtype="float64")
        lp.a_matrix_.format_ = _core.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, a.shape[0]
        lp.a_matrix_.start_ = indptr
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        if h.passModel(lp) != _core.HighsStatus.kOk:
            raise RuntimeError("HiGHS rejected the model")
        self.h = h

    def solve(self, c: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> tuple[str, np.ndarray | None]:
        """("ok", x), ("infeasible", None) or ("failed", None)."""
        h = self.h
        h.changeColsCost(self.n, self.idx, np.asarray(c, dtype="float64"))
        h.changeColsBounds(self.n, self.idx, np.asarray(lb, dtype="float64"), np.asarray(ub, dtype="float64"))
        h.run()
        status = h.getModelStatus()
        statuses = self._core.HighsModelStatus
        if status == statuses.kOptimal:
            return "ok", np.array(h.getSolution().col_value)
        if status == statuses.kInfeasible:
            return "infeasible", None
        h.clearSolver()  # unbounded/odd status: retry once from scratch before giving up
        h.run()
        if h.getModelStatus() == statuses.kOptimal:
            return "ok", np.array(h.getSolution().col_value)
        return ("infeasible" if h.getModelStatus() == statuses.kInfeasible else "failed"), None


def _dense_to_csc(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column starts, row indices and values of the non-zeros of dense ``a`` (column-major,
    rows ascending: what ``scipy.sparse.csc_matrix(a)`` holds), without building the sparse matrix.

    Examples
    --------
    >>> [x.tolist() for x in _dense_to_csc(np.array([[0.0, 2.0], [3.0, 4.0]]))]
    [[0, 1, 3], [1, 0, 1], [3.0, 2.0, 4.0]]
    """
    cols, rows = np.nonzero(a.T)
    indptr = np.zeros(a.shape[1] + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=a.shape[1]), out=indptr[1:])
    return indptr, rows.astype(np.int32), np.ascontiguousarray(a[rows, cols], dtype="float64")


def _highs_available() -> bool:
    try:
        from scipy.optimize._highspy import _core  # noqa: F401

        return hasattr(_core, "_Highs")
    except ImportError:  # pragma: no cover - older/newer SciPy without the binding
        return False


_HIGHS = _highs_available()


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
    _split: tuple | None = None
    _solver: "_HighsLp | None" = None
    presolve: bool = True

    def solver(self) -> "_HighsLp":
        """The component's loaded HiGHS model (built on first use)."""
        if self._solver is None:
            self._solver = _HighsLp(self.a, self.lo, self.hi, self.presolve)
        return self._solver

    def split(self) -> tuple:
        """``(A_ub, b_ub, A_eq, b_eq)`` for :func:`scipy.optimize.linprog`."""
        if self._split is None:
            self._split = _split(self)
        return self._split


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

    def __init__(self, cells: pd.DataFrame, relations: pd.DataFrame, rules: Any = None, *,
                 judge: Any = "small") -> None:
        if isinstance(judge, str) and judge not in ("small", "all"):
            raise ValueError(f"judge must be 'small', 'all' or cell ids, got {judge!r}")
        self.rules = disclosure_rules(rules)
        self.cells = cells.reset_index(drop=True)
        self.ids = self.cells["cell_id"].astype(str).to_numpy()
        self.pos = {c: i for i, c in enumerate(self.ids)}
        n = len(self.ids)
        self.kind = self.cells["kind"].astype(str).to_numpy()
        self.is_count = self.kind == "count"
        self.applies = np.array([self.rules.applies(lv) for lv in self.cells["level"].astype(str)], dtype=bool)
        self.raw = self.cells["value"].to_numpy(dtype="float64")
        small = np.array([math.isnan(v) or self.rules.is_small(int(v)) for v in self.raw], dtype=bool)
        if isinstance(judge, str):
            chosen = small if judge == "small" else np.ones(len(self.ids), dtype=bool)
        else:
            chosen = np.isin(self.ids, np.array([str(c) for c in judge], dtype=object))
        self.judged = self.is_count & self.applies & chosen
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
        ops = cells["op"].to_numpy(dtype=object)
        rows = np.flatnonzero((self.kind == "derived") & cells["op"].notna().to_numpy())
        parents_of = cells["derives_from"].to_numpy(dtype=object)
        decimals = cells["decimals"].to_numpy()
        scales = cells["scale"].to_numpy(dtype="float64") if "scale" in cells.columns else None
        shown = (cells["published_value"] if "published_value" in cells.columns else cells["value"]).to_numpy(dtype="float64")
        for i in rows:
            op = str(ops[i])
            parents = [str(p) for p in parents_of[i]]
            v = float(shown[i])
            if math.isnan(v) or any(p not in self.pos for p in parents):
                continue
            d = int(decimals[i])
            h = 0.5 * 10.0 ** (-d) + 1e-9 * max(1.0, abs(v))
            if op == "ratio":
                s = float(scales[i])
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

    def _lp(self, comp: _Component, c: np.ndarray, lb: np.ndarray, ub: np.ndarray):
        """LP relaxation (HiGHS): the optimum, or None when infeasible."""
        if _HIGHS and len(comp.lo):
            status, x = comp.solver().solve(c, lb, ub)
            if status == "ok":
                return x
            if status == "infeasible":
                return None
        a_ub, b_ub, a_eq, b_eq = comp.split()
        lp = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=np.column_stack([lb, ub]),
                     method="highs")
        if lp.status == 2:
            return None
        if lp.status != 0:
            raise RuntimeError(f"linear program failed ({lp.message}) near cell {self.ids[comp.cols[0]]}")
        return lp.x

    def _milp(self, comp: _Component, c: np.ndarray, lb: np.ndarray, ub: np.ndarray, *,
              time_limit: float = 30.0, gap: float | None = None):
        """Integer program: (status, x) with status "ok", "infeasible" or "unknown" (no answer in time)."""
        cons = [LinearConstraint(comp.a, comp.lo, comp.hi)] if len(comp.lo) else []
        options = {"time_limit": time_limit, "presolve": True}
        if gap is not None:
            options["mip_rel_gap"] = gap
        res = milp(c, integrality=comp.integer, bounds=Bounds(lb, ub), constraints=cons, options=options)
        if res.x is not None and res.status in (0, 1):
            x = np.where(comp.integer == 1, np.round(res.x), res.x)
            return ("ok" if res.status == 0 else "feasible"), x
        if res.status == 2:
            return "infeasible", None
        return "unknown", None

    def _integral(self, comp: _Component, x: np.ndarray) -> bool:
        ints = comp.integer == 1
        return bool(np.all(np.abs(x[ints] - np.round(x[ints])) < 1e-7))

    def _contradiction(self, comp: _Component) -> ValueError:
        return ValueError("the published values contradict the declared relations "
                          f"(cells {', '.join(self.ids[comp.cols][:5])} …)")

    def _solve(self, comp: _Component, j: int, sign: float) -> tuple[float, np.ndarray | None, bool]:
        """Optimum of ``x_j`` (min for sign +1, max for -1), a solution, and whether it is exact.

        The LP relaxation comes first; an integral LP optimum is the integer optimum. Otherwise
        the integer program decides; if it does not finish, the LP value (rounded inwards) is
        returned as an outer bound, with ``exact`` False (never enough to claim safety).
        """
        c = np.zeros(len(comp.cols))
        c[j] = sign
        x = self._lp(comp, c, comp.lb, comp.ub)
        if x is None:
            raise self._contradiction(comp)
        if self._integral(comp, x):
            x = np.where(comp.integer == 1, np.round(x), x)
            return float(x[j]), x, True
        status, xi = self._milp(comp, c, comp.lb, comp.ub)
        if status == "ok":
            return float(xi[j]), xi, True
        if status == "infeasible":
            raise self._contradiction(comp)
        value = float(x[j])
        return (math.ceil(value - _TOL) if sign > 0 else math.floor(value + _TOL)), None, False

    def _reaches(self, comp: _Component, j: int, bound: float, sign: float,
                 relaxed: bool = False) -> tuple[bool | None, np.ndarray | None]:
        """Can ``x_j <= bound`` (sign +1) or ``x_j >= bound`` (sign -1) hold? With a witness if so.

        ``None`` when the integer program gave no answer in time (callers treat it as unsafe).
        ``relaxed`` answers from the LP relaxation alone (an optimistic attacker-free answer
        used by control's first phase; never the final word).
        """
        c = np.zeros(len(comp.cols))
        c[j] = sign
        x = self._lp(comp, c, comp.lb, comp.ub)
        if x is None:
            raise self._contradiction(comp)
        if (x[j] - bound) * sign > _TOL:
            return False, None  # even the relaxation cannot get there
        if self._integral(comp, x):
            return True, np.where(comp.integer == 1, np.round(x), x)
        if relaxed:
            return True, None
        lb, ub = comp.lb.copy(), comp.ub.copy()
        if sign > 0:
            ub[j] = min(ub[j], bound)
        else:
            lb[j] = max(lb[j], bound)
        status, xi = self._milp(comp, np.zeros(len(comp.cols)), lb, ub)
        if status in ("ok", "feasible"):
            return True, xi
        return (False if status == "infeasible" else None), None

    def _witness(self, comp: _Component) -> np.ndarray | None:
        """The true values, when they are known and satisfy the component's constraints."""
        x = self.raw[comp.cols]
        if np.isnan(x).any():
            return None
        ax = comp.a @ x if len(comp.lo) else np.zeros(0)
        ok = np.all(ax >= comp.lo - 1e-6) and np.all(ax <= comp.hi + 1e-6)
        ok &= np.all(x >= comp.lb - 1e-9) and np.all(x <= comp.ub + 1e-9)
        return x if ok else None

    def _batch(self, comp: _Component, targets: Sequence[int], side: str, relaxed: bool = False) -> np.ndarray | None:
        """One integer program pushing all ``targets`` past the range at once (a witness).

        ``side="lo"`` minimises the total excess over the range's lower end,
        ``sum(max(x_j - low, 0))``; ``side="hi"`` maximises ``sum(min(x_j, high))``. Either
        optimum is a feasible point, so every target it places beyond the range is decided.
        Which optimum the solver returns changes the witness, never a cell's safety (a witness
        only spares later questions), so the program is solved without presolve (see
        :class:`_HighsLp`).
        """
        low, high = max(self.rules.suppress_min, 1), self.rules.suppress_max
        n, k = len(comp.cols), len(targets)
        aux = np.zeros((k, n + k))
        for r, j in enumerate(targets):
            aux[r, j] = 1.0
            aux[r, n + r] = -1.0
        base = np.hstack([comp.a, np.zeros((len(comp.lo), k))])
        a = np.vstack([base, aux])
        c = np.concatenate([np.zeros(n), np.ones(k)])
        if side == "lo":  # x_j - z_j <= low, z_j >= 0, min sum z
            lo = np.concatenate([comp.lo, np.full(k, -np.inf)])
            hi = np.concatenate([comp.hi, np.full(k, float(low))])
            lb = np.concatenate([comp.lb, np.zeros(k)])
            ub = np.concatenate([comp.ub, np.full(k, _BIG)])
        else:  # x_j - y_j >= 0, 0 <= y_j <= high, max sum y
            c = -c
            lo = np.concatenate([comp.lo, np.zeros(k)])
            hi = np.concatenate([comp.hi, np.full(k, np.inf)])
            lb = np.concatenate([comp.lb, np.zeros(k)])
            ub = np.concatenate([comp.ub, np.full(k, float(high))])
        integer = np.concatenate([comp.integer, np.zeros(k, dtype=np.int8)])
        big = _Component(comp.cols, a, lo, hi, integer, lb, ub, presolve=False)
        x = self._lp(big, c, lb, ub)
        if x is None:
            raise self._contradiction(comp)
        if self._integral(big, x):
            return np.where(comp.integer == 1, np.round(x[:n]), x[:n])
        status, xi = self._milp(big, c, lb, ub, time_limit=10.0, gap=0.5)
        return xi[:n] if status in ("ok", "feasible") else None

    def _component_intervals(self, cols: np.ndarray, hidden: np.ndarray, known: np.ndarray,
                             exact: bool, act: "_ActiveRows", touch: np.ndarray, judge: np.ndarray,
                             relaxed: bool = False) -> dict[int, tuple[float, float, bool, bool]]:
        comp = self._build(cols, hidden, known, act, touch)
        order = [j for j in np.argsort(self.ids[cols], kind="stable")
                 if hidden[cols[j]] and self.is_count[cols[j]]]
        low, high = max(self.rules.suppress_min, 1), self.rules.suppress_max
        wmin = np.full(len(cols), np.inf)
        wmax = np.full(len(cols), -np.inf)

        def seen(x: np.ndarray | None) -> None:  # in place: _decide holds the same arrays
            if x is not None:
                np.minimum(wmin, x, out=wmin)
                np.maximum(wmax, x, out=wmax)

        def solve(j: int, sign: float) -> tuple[float, bool]:
            value, x, is_exact = self._solve(comp, j, sign)
            seen(x)
            return value, is_exact

        judged = [j for j in order if judge[cols[j]]]
        if not exact:
            seen(self._witness(comp))
            for side in ("lo", "hi"):  # decide as many cells as possible per solver call
                while True:
                    todo = [j for j in judged if (wmin[j] > low if side == "lo" else wmax[j] < high)]
                    if not todo:
                        break
                    before = (wmin[todo] <= low) if side == "lo" else (wmax[todo] >= high)
                    seen(self._batch(comp, todo, side, relaxed))
                    after = (wmin[todo] <= low) if side == "lo" else (wmax[todo] >= high)
                    if not (after & ~before).any():
                        break
        out: dict[int, tuple[float, float, bool, bool]] = {}
        for j in order:
            cell = int(cols[j])
            is_judged = bool(judge[cell])
            if exact:
                lo, lo_exact = solve(j, 1.0)
                hi, hi_exact = solve(j, -1.0)
                hi = math.inf if hi >= _BIG - 0.5 else hi
                ok = lo_exact and hi_exact and is_safe(lo, hi, self.rules)
                out[cell] = (float(lo), float(hi), bool(ok or not is_judged), bool(lo_exact and hi_exact))
                continue
            safe = True
            if is_judged:
                safe = self._decide(comp, j, wmin, wmax, seen, relaxed)
            hi = math.inf if wmax[j] >= _BIG - 0.5 else wmax[j]
            out[cell] = (float(wmin[j]), float(hi), bool(safe), False)
        return out

    def _decide(self, comp: _Component, j: int, wmin: np.ndarray, wmax: np.ndarray, seen,
                relaxed: bool = False) -> bool:
        """Fast safety decision for one cell: feasibility questions instead of optima."""
        low, high = max(self.rules.suppress_min, 1), self.rules.suppress_max

        def reaches(bound: float, sign: float) -> bool | None:
            ok, x = self._reaches(comp, j, bound, sign, relaxed)
            seen(x)
            return ok

        lower_ok = wmin[j] <= low or reaches(low, 1.0)
        if not lower_ok:
            # cannot go down to the range's bottom: safe only if it cannot enter the range at all
            return reaches(high, 1.0) is False
        if wmax[j] >= high or reaches(high, -1.0):
            return True
        return reaches(low, -1.0) is False  # stuck below the range (a withheld zero)

    def intervals(self, hidden: np.ndarray, *, exact: bool = False,
                  only: Iterable[np.ndarray] | None = None, skip: np.ndarray | None = None,
                  relaxed: bool = False) -> pd.DataFrame:
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
        skip : ndarray of bool, optional
            Cells already shown safe with fewer cells withheld: withholding more only widens
            every interval, so they are reported safe without solving (control's rounds).
        relaxed : bool
            Decide from the LP relaxation where the integer answer would need an integer
            program (optimistic; control's first phase only, never an audit).
        """
        hidden = np.asarray(hidden, dtype=bool)
        known = np.nan_to_num(self._known_values(hidden), nan=0.0)
        comps = self.components(hidden) if only is None else list(only)
        index = np.flatnonzero(self._active(hidden))
        csr = self.m[index]
        act = _ActiveRows(index, csr, csr.tocsc())
        judge = self.judged if skip is None else self.judged & ~np.asarray(skip, dtype=bool)
        records = []
        for cols in comps:
            touch = np.unique(np.concatenate([csc_rows(act.csc, c) for c in cols]))
            key = (tuple(cols.tolist()), tuple(hidden[cols].tolist()), tuple(judge[cols].tolist()),
                   tuple(act.index[touch].tolist()), exact, relaxed)
            result = self._cache.get(key)
            if result is None:
                result = self._component_intervals(cols, hidden, known, exact, act, touch, judge, relaxed)
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


def attack(cells: pd.DataFrame, relations: pd.DataFrame, rules: Any = None, *, exact: bool = True,
           judge: Any = "small") -> pd.DataFrame:
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
    judge : {"small", "all"} or iterable of cell ids
        Which withheld counts must be safe: those whose true value is small (or unknown), all,
        or the given cells (e.g. the primary cells from a private audit file, when attacking a
        published store whose withheld values are absent).

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
    attacker = Attacker(cells, relations, rules, judge=judge)
    hidden = ~cells["published"].to_numpy(dtype=bool)
    return attacker.intervals(hidden, exact=exact)
