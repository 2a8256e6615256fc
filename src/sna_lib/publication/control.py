"""Disclosure control over a whole publication at once, default-deny.

:func:`control` takes every declared cell (:mod:`sna_lib.publication.cells`) and decides which
are published:

1. **primary**: counts below county level (where :class:`~sna_lib.publication.disclosure.DisclosureRules`
   apply) in the suppression range (1–7 by default; zero never);
2. **follows**: a derived value is withheld when any cell it derives from is (recursively):
   a share, rate, mean or change of a withheld count would give it back;
3. **secondary**: the interval attacker (:mod:`sna_lib.publication.attack`) bounds every
   withheld count from everything still published; while any is narrowed inside the range,
   the cheapest complementary cell is withheld too — the smallest non-zero published count in
   a relation containing the exposed cell (CSP-level before county-level, zeros last, ties by
   ``cell_id``) — and the attack repeats, to a fixed point. Exempt cells are always published.

It works component by component (cells joined by relations through withheld cells) and is
deterministic: the same cells give the same result. This supersedes the per-table
``suppress_counts``/``suppression_mask`` of :mod:`sna_lib.publication.disclosure` and its exact
linear-algebra audit: the attacker here also bounds cells that are not determined exactly,
spans every table and area at once, and uses derived values and integrality.

Examples
--------
>>> import pandas as pd
>>> from sna_lib.publication.cells import CellBuilder
>>> b = CellBuilder()
>>> ids = [b.count(table="sv", area=a, row="2023", column="offences", value=v)
...        for a, v in [("North", 4), ("South", 1500), ("East", 35), ("county", 1539)]]
>>> share = b.derived(table="sv", area="North", row="2023", column="share", value=0.26, of=[ids[0], ids[3]],
...                   op="ratio", scale=100, decimals=2)
>>> _ = b.sum_over_areas("sv")
>>> out = control(*b.frame())
>>> out[["area", "column", "display", "suppressed_why"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
[['North', 'offences', '[c]', 'primary'], ['South', 'offences', '1,500', ''],
 ['East', 'offences', '[c]', 'secondary'], ['county', 'offences', '1,539', ''],
 ['North', 'share', '[c]', 'follows:...']]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.publication.disclosure import MISSING_TEXT, DisclosureRules, disclosure_rules
from sna_lib.publication.attack import _BIG, Attacker, _Component, csc_rows

__all__ = ["CONTROL_COLUMNS", "control", "primary_only", "published_values", "format_display"]

#: Columns :func:`control` adds to the cells frame.
CONTROL_COLUMNS = ["published", "suppressed_why", "display", "published_value"]
_REQUIRED = ["cell_id", "table", "area", "row", "column", "value", "kind", "derives_from", "level"]


def _check(cells: pd.DataFrame) -> None:
    missing = [c for c in _REQUIRED if c not in cells.columns]
    if missing:
        raise KeyError(f"cells frame lacks columns {missing}; build it with CellBuilder.frame()")
    if not cells["cell_id"].is_unique:
        dup = cells.loc[cells["cell_id"].duplicated(), "cell_id"].iloc[0]
        raise ValueError(f"cell {dup} appears twice in the cells frame")


def published_values(cells: pd.DataFrame, rules: Any = None) -> np.ndarray:
    """Each cell's value as it would be published: counts rounded (if configured), derived to their decimals.

    Examples
    --------
    >>> from sna_lib.publication.cells import CellBuilder
    >>> b = CellBuilder()
    >>> n = b.count(table="t", area="X", row="r", column="n", value=123)
    >>> _ = b.derived(table="t", area="X", row="r", column="s", value=12.345, of=[n], decimals=1)
    >>> published_values(b.frame()[0], {"rounding": 5}).tolist()
    [125.0, 12.3]
    """
    rules = disclosure_rules(rules)
    values = cells["value"].to_numpy(dtype="float64").copy()
    kinds = cells["kind"].astype(str).to_numpy()
    decimals = cells["decimals"].to_numpy(dtype="int64") if "decimals" in cells.columns else np.full(len(cells), 1)
    for i, (kind, level) in enumerate(zip(kinds, cells["level"].astype(str))):
        v = values[i]
        if math.isnan(v):
            continue
        if kind == "count" and rules.rounding and rules.applies(level):
            values[i] = float(rules.round(int(v)))
        elif kind == "derived":
            values[i] = round(v, int(decimals[i]))
    return values


def format_display(kind: str, value: float, decimals: int = -1) -> str:
    """The published text of one value (``"–"`` for no data).

    Examples
    --------
    >>> format_display("count", 1234.0), format_display("derived", 12.345, 1)
    ('1,234', '12.3')
    >>> format_display("exempt", 2023.0), format_display("exempt", 1234567.0, 0), format_display("count", float("nan"))
    ('2023', '1,234,567', '–')
    """
    if value is None or math.isnan(value):
        return MISSING_TEXT
    if kind == "count":
        return f"{int(round(value)):,}"
    if kind == "derived":
        return f"{value:,.{max(int(decimals), 0)}f}"
    if int(decimals) >= 0:
        return f"{value:,.{int(decimals)}f}"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _primary(cells: pd.DataFrame, rules: DisclosureRules) -> np.ndarray:
    values = cells["value"].to_numpy(dtype="float64")
    kinds = cells["kind"].astype(str).to_numpy()
    out = np.zeros(len(cells), dtype=bool)
    for i, level in enumerate(cells["level"].astype(str)):
        v = values[i]
        if kinds[i] == "count" and not math.isnan(v) and rules.applies(level) and rules.is_small(int(v)):
            out[i] = True
    return out


class _Follows:
    """Derived cells in declaration order with the positions they derive from."""

    def __init__(self, cells: pd.DataFrame) -> None:
        ids = cells["cell_id"].astype(str).to_numpy(dtype=object)
        pos = {c: i for i, c in enumerate(ids.tolist())}
        kinds = cells["kind"].astype(str).to_numpy()
        order = cells["order"].to_numpy() if "order" in cells.columns else np.arange(len(cells))
        derived = [i for i in np.argsort(order, kind="stable") if kinds[i] == "derived"]
        derives_from = cells["derives_from"].to_numpy(dtype=object)
        self.items = []
        for i in derived:
            parents = []
            for p in derives_from[i]:
                if str(p) not in pos:
                    raise KeyError(f"cell {ids[i]} derives from undeclared cell {p}")
                parents.append(pos[str(p)])
            self.items.append((int(i), parents))
        self.ids = ids

    def apply(self, hidden: np.ndarray, why: np.ndarray) -> np.ndarray:
        flags = hidden.tolist()  # list lookups: this loop runs over every derived cell per round
        for _ in range(len(self.items) + 1):  # derived of derived declared out of order
            changed = False
            for i, parents in self.items:
                if flags[i]:
                    continue
                first = next((p for p in parents if flags[p]), None)
                if first is not None:
                    flags[i] = True
                    why[i] = f"follows:{self.ids[first]}"
                    changed = True
            if not changed:
                break
        return np.array(flags, dtype=bool)


def _finish(cells: pd.DataFrame, hidden: np.ndarray, why: np.ndarray, rules: DisclosureRules,
            values: np.ndarray) -> pd.DataFrame:
    out = cells.copy()
    decimals = cells["decimals"].to_numpy(dtype="int64") if "decimals" in cells.columns else np.full(len(cells), -1)
    kinds = cells["kind"].astype(str).to_numpy()
    out["published"] = ~hidden
    out["suppressed_why"] = pd.Series(why, index=cells.index, dtype=object)
    out["display"] = pd.Series([rules.marker if h else format_display(k, v, d)
                                for h, k, v, d in zip(hidden, kinds, values, decimals)], index=cells.index, dtype=object)
    out["published_value"] = np.where(hidden, np.nan, values)
    return out


def _cheapest(candidates, full, pickable, county, raw, ids, taken=(), incidence=None) -> int | None:
    """The cell to withhold next among ``candidates``: most relations with withheld cells
    first (``incidence``: it closes the most routes, e.g. the corner of a 2 × 2 × 2 block across
    areas), then CSP before county, non-zero first, smallest value, then ``cell_id``."""
    best, best_key = None, None
    for c in candidates:
        if full[c] or not pickable[c] or c in taken:
            continue
        key = (-(0 if incidence is None else int(incidence(c))), bool(county[c]), raw[c] == 0, raw[c], ids[c])
        if best_key is None or key < best_key:
            best, best_key = int(c), key
    return best


def _members(rel_csr, rows) -> list[int]:
    """Cells of the given relation rows, sorted."""
    return sorted({int(c) for r in rows for c in rel_csr.indices[rel_csr.indptr[r]:rel_csr.indptr[r + 1]]})


class _SumRule:
    """Cheap first pass over each relation on its own, before any linear program.

    For ``total = Σ parts`` (or ``total >= Σ parts``) with the total published, the withheld parts
    add up to at most ``U`` = total − published parts, so each lies in ``[0, U]``: a withheld
    count that needs protection is narrowed unless at least two parts are withheld and
    ``U >= suppress_max``. For ``total <= Σ parts`` a lone withheld part is at least ``U``. When a
    relation breaks the rule, withhold one more part — the smallest that closes the gap
    (CSP before county, non-zero first), else the largest — or, with no part left, the total.
    Applied to a fixed point, this settles most secondary suppression in a few sparse passes;
    the attacker then only checks what relations do together.
    """

    def __init__(self, relations: pd.DataFrame, attacker: Attacker, small: np.ndarray, pickable: np.ndarray,
                 county: np.ndarray, rules: DisclosureRules) -> None:
        pos = attacker.pos
        self.rows = [(pos[str(t)], np.array([pos[str(p)] for p in parts], dtype=np.int64), str(sense))
                     for t, parts, sense in zip(relations["total"], relations["parts"], relations["sense"])]
        self.raw = np.nan_to_num(attacker.raw, nan=0.0)
        self.small = small
        self.pickable = pickable
        self.county = county
        self.ids = attacker.ids
        self.high = float(rules.suppress_max)
        self.low = float(max(rules.suppress_min, 1))

    def _pick(self, members: np.ndarray, full: np.ndarray, need: float) -> int | None:
        best, best_key = None, None
        for c in members:
            if full[c] or not self.pickable[c]:
                continue
            v = self.raw[c]
            short = v < need
            key = (short, bool(self.county[c]), v == 0, -v if short else v, self.ids[c])
            if best_key is None or key < best_key:
                best, best_key = int(c), key
        return best

    def apply(self, full: np.ndarray, hidden: np.ndarray, why: np.ndarray) -> bool:
        """One pass; withholds (in ``full``, ``hidden``, ``why``) and returns True if it withheld any."""
        picked = False
        for total, parts, sense in self.rows:
            if full[total]:
                continue
            withheld = parts[full[parts]]
            if not len(withheld) or not self.small[withheld].any():
                continue
            bound = self.raw[total] - self.raw[parts[~full[parts]]].sum()
            if sense == "<=":
                if len(withheld) >= 2 or bound <= self.low:
                    continue
                need = 0.0
            else:
                if len(withheld) >= 2 and bound >= self.high:
                    continue
                need = self.high - bound
            pick = self._pick(parts, full, need)
            if pick is None and self.pickable[total]:
                pick = int(total)
            if pick is None:
                continue
            full[pick] = hidden[pick] = True
            why[pick] = "secondary"
            picked = True
        return picked


def _release_determined(full: np.ndarray, hidden: np.ndarray, why: np.ndarray, attacker: Attacker,
                        follows: "_Follows") -> np.ndarray:
    """Publish the secondary cells an attacker can compute exactly anyway (e.g. people = records
    when repeats are published as 0): withholding them protects nothing and reads as a leak.
    Their exact integer interval is a single value, so showing it adds nothing to what the
    attacker knows. Returns the withheld mask after release (derived cells re-followed)."""
    secondary = np.flatnonzero(hidden & (why == "secondary"))
    if not len(secondary):
        return full
    comps = [c for c in attacker.components(full) if np.isin(c, secondary).any()]
    exact = attacker.intervals(full, exact=True, only=comps)
    pinned = exact[(exact["lo"] == exact["hi"]) & exact["exact"].astype(bool)]
    released = [attacker.pos[c] for c in pinned["cell_id"] if why[attacker.pos[c]] == "secondary"]
    if not released:
        return full
    hidden[released] = False
    why[released] = ""
    why[np.char.startswith(why.astype(str), "follows:")] = ""
    return follows.apply(hidden, why)


#: Cost per unit of moving a county count in the repair program, against 1 for a CSP count:
#: the county's own figures are the book's headline, so CSP complements are preferred.
COUNTY_COST = 100.0


class _Repair:
    """Which published counts to withhold so that one exposed cell can reach the range's end.

    A linear program over the exposed cell's component (its withheld cells are free) and the
    published counts in the relations around it (each may move from its published value at a cost
    per unit: one for a CSP cell, :data:`COUNTY_COST` for a county cell): the cheapest movement that lets the
    exposed cell reach ``suppress_min`` (side ``"lo"``) or ``suppress_max`` (side ``"hi"``) while every
    relation holds. The counts that moved are a set of complementary suppressions that protects the
    cell in the relaxation (the integer attacker checks it next round). This is the linear-programming
    model of cell suppression (Fischetti and Salazar-González, 2000) for one cell at a time.
    """

    def __init__(self, attacker: Attacker, rel_csr, rel_csc, pickable: np.ndarray, county: np.ndarray,
                 rules: DisclosureRules) -> None:
        self.att = attacker
        rel_index = np.flatnonzero(attacker.relation_rows)
        self.rows_csr, self.rows_csc = rel_csr, rel_csc
        self.row_lo = attacker.row_lo[rel_index]
        self.row_hi = attacker.row_hi[rel_index]
        self.pickable = pickable
        self.cost = np.where(county, COUNTY_COST, 1.0)
        self.low = float(max(rules.suppress_min, 1))
        self.high = float(rules.suppress_max)
        self.known = np.nan_to_num(attacker._known_values(np.zeros(len(attacker.ids), dtype=bool)), nan=0.0)
        # adjacency as Python lists (the model grows cell by cell: sparse slicing per step costs more)
        self.row_cells = [rel_csr.indices[rel_csr.indptr[r]:rel_csr.indptr[r + 1]].tolist()
                          for r in range(rel_csr.shape[0])]
        self.cell_rows = [rel_csc.indices[rel_csc.indptr[c]:rel_csc.indptr[c + 1]].tolist()
                          for c in range(rel_csc.shape[1])]
        self._col_pos = np.full(rel_csr.shape[1], -1, dtype=np.int64)

    def _rows_of(self, cells) -> set[int]:
        out: set[int] = set()
        for c in cells:
            out.update(self.cell_rows[c])
        return out

    def _dense(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``rows × cols`` of the relation matrix (dense) and, per row, the published counts
        outside ``cols`` times their coefficients (``row @ known`` with ``cols`` zeroed), read
        from the CSR arrays of just those rows (no sparse slicing, no all-cells copy)."""
        csr = self.rows_csr
        starts, ends = csr.indptr[rows], csr.indptr[rows + 1]
        lens = ends - starts
        entries = np.repeat(ends - np.cumsum(lens), lens) + np.arange(int(lens.sum()))
        local = np.repeat(np.arange(len(rows)), lens)
        where = self._col_pos
        where[cols] = np.arange(len(cols))
        at = where[csr.indices[entries]]
        where[cols] = -1
        inside = at >= 0
        a = np.zeros((len(rows), len(cols)))
        a[local[inside], at[inside]] = csr.data[entries[inside]]
        out = ~inside
        weights = csr.data[entries[out]] * self.known[csr.indices[entries[out]]]
        shift = np.bincount(local[out], weights=weights, minlength=len(rows)).astype("float64")
        return a, shift

    def picks(self, full: np.ndarray, u: int, side: str, hops: int = 1) -> list[int]:
        """Cells to withhold (empty when no movement of counts within ``hops`` relations helps).

        The model spreads from ``u`` through withheld cells freely and through published counts
        for ``hops`` steps; withheld cells it meets are free, published counts it meets are the
        candidates, and every count beyond is fixed at its published value.
        """
        free, cand = {u}, set()
        rows = self._rows_of([u])
        new_rows = rows
        members: set[int] = set()
        waiting: set[int] = set()  # published, pickable members not yet candidates
        frontier_hops = 0
        while True:
            new_members: set[int] = set()
            for r in new_rows:
                new_members.update(self.row_cells[r])
            new_members -= members
            members |= new_members
            new_free = {c for c in new_members if full[c]} - free
            waiting |= {c for c in new_members if not full[c] and self.pickable[c]}
            new_cand = waiting - cand
            if new_free:
                free |= new_free
            elif new_cand and frontier_hops < hops:
                cand |= new_cand
                waiting.clear()
                frontier_hops += 1
            else:
                break
            new_rows = self._rows_of(new_free or new_cand) - rows
            rows |= new_rows
        unknown = np.array(sorted(free), dtype=np.int64)
        cand_arr = np.array(sorted(cand), dtype=np.int64)
        cols = np.concatenate([unknown, cand_arr])
        rows = np.array(sorted(rows), dtype=np.int64)
        a, shift = self._dense(rows, cols)
        k, n_c = len(unknown), len(cand_arr)
        v = self.att.raw[cand_arr]
        a_full = np.hstack([a[:, :k], a[:, k:], -a[:, k:]])
        base = a[:, k:] @ v
        lo = self.row_lo[rows] - shift - base
        hi = self.row_hi[rows] - shift - base
        lb = np.concatenate([np.where(self.att.is_count[unknown], 0.0, -_BIG), np.zeros(2 * n_c)])
        ub = np.concatenate([np.full(k, _BIG), np.full(n_c, _BIG), v])
        j = int(np.flatnonzero(unknown == u)[0])
        if side == "lo":
            ub[j] = self.low
        else:
            lb[j] = self.high
        cost = self.cost[cand_arr] * np.where(v == 0, 5.0, 1.0)  # a withheld zero needs protecting too
        c = np.concatenate([np.zeros(k), cost, cost])
        program = _Component(cols, a_full, lo, hi, np.zeros(len(c), dtype=np.int8), lb, ub)
        try:
            x = self.att._lp(program, c, lb, ub)
        except RuntimeError:  # the solver gave no answer: no repair from this model
            return []
        if x is None:
            return []
        moved = (x[k:k + n_c] + x[k + n_c:]) > 1e-7
        return [int(i) for i in cand_arr[moved]]


def primary_only(cells: pd.DataFrame, rules: Any = None, *, follow: bool = True) -> pd.DataFrame:
    """Primary suppression alone (and derived cells following it unless ``follow=False``).

    Not safe to publish: this is what the attacker tests and demonstrations bypass control with.

    Examples
    --------
    >>> from sna_lib.publication.cells import CellBuilder
    >>> b = CellBuilder()
    >>> n = b.count(table="t", area="X", row="r", column="n", value=3)
    >>> _ = b.derived(table="t", area="X", row="r", column="s", value=7.5, of=[n])
    >>> primary_only(b.frame()[0])["display"].tolist(), primary_only(b.frame()[0], follow=False)["display"].tolist()
    (['[c]', '[c]'], ['[c]', '7.5'])
    """
    _check(cells)
    rules = disclosure_rules(rules)
    hidden = _primary(cells, rules)
    why = np.where(hidden, "primary", "").astype(object)
    if follow:
        hidden = _Follows(cells).apply(hidden, why)
    return _finish(cells, hidden, why, rules, published_values(cells, rules))


def control(cells: pd.DataFrame, relations: pd.DataFrame, rules: Any = None, *,
            max_rounds: int = 10_000) -> pd.DataFrame:
    """Disclosure-control every cell of a publication; returns the cells with the control columns.

    Parameters
    ----------
    cells, relations : DataFrame
        From :meth:`sna_lib.publication.cells.CellBuilder.frame`.
    rules : DisclosureRules, Config or mapping, optional
        As :func:`sna_lib.publication.disclosure.disclosure_rules` accepts (default 1–7 below county).
    max_rounds : int
        Guard on the number of secondary-suppression rounds.

    Returns
    -------
    DataFrame
        ``cells`` plus ``published`` (bool), ``suppressed_why`` (``"primary"``,
        ``"secondary"``, ``"follows:<cell_id>"`` or ``""``), ``display`` (formatted value or
        the marker) and ``published_value`` (the number as published; NaN where withheld).

    Raises
    ------
    RuntimeError
        When an exposed cell has no published count left to withhold beside it.
    """
    _check(cells)
    rules = disclosure_rules(rules)
    # Canonical order (cell ids, relation ids): the choice among equally cheap complements, and the
    # simplex's among equal optima, must not depend on the order cells were declared in.
    index = cells.index
    order = np.argsort(cells["cell_id"].astype(str).to_numpy(), kind="stable")
    out = _control_sorted(cells.iloc[order].reset_index(drop=True),
                          relations.sort_values("relation_id", kind="stable").reset_index(drop=True), rules, max_rounds)
    restored = out.iloc[np.argsort(order, kind="stable")]
    restored.index = index
    return restored


def _control_sorted(cells: pd.DataFrame, relations: pd.DataFrame, rules: DisclosureRules,
                    max_rounds: int) -> pd.DataFrame:
    values = published_values(cells, rules)
    hidden = _primary(cells, rules)
    why = np.where(hidden, "primary", "").astype(object)
    follows = _Follows(cells)
    # Every withheld count below county is judged, not only the small ones: an attacker who pins a
    # withheld 150 to 7..17 has learnt "7, if it is small" (safe means the interval holds the whole
    # range or none of it).
    attacker = Attacker(cells.assign(published_value=values), relations, rules, judge="all")
    rel = attacker.m[np.flatnonzero(attacker.relation_rows)]
    rel_csr, rel_csc = rel.tocsr(), rel.tocsc()
    pickable = attacker.is_count & ~np.isnan(attacker.raw)
    raw = attacker.raw
    county = ~attacker.applies
    sum_rule = _SumRule(relations, attacker, _primary(cells, rules), pickable, county, rules)
    repair = _Repair(attacker, rel_csr, rel_csc, pickable, county, rules)
    low, high = max(rules.suppress_min, 1), rules.suppress_max
    # Withholding more only widens intervals, so a cell once shown to range over the whole
    # suppression range stays safe (per phase: the relaxation's answers are optimistic and do not
    # carry over to the integer phase). A cell safe because it is pinned outside the range is not
    # remembered: a wider interval may reach into the range (29..29 becomes 6..29).
    safe_so_far = np.zeros(len(cells), dtype=bool)
    relaxed_safe = np.zeros(len(cells), dtype=bool)
    relaxed = True  # phase 1: LP-relaxation answers where integers would cost an integer program
    for _ in range(max_rounds):
        full = follows.apply(hidden, why)
        if sum_rule.apply(full, hidden, why):
            continue
        comps = attacker.components(full)
        result = attacker.intervals(full, only=comps, skip=relaxed_safe if relaxed else safe_so_far, relaxed=relaxed)
        unsafe = result.loc[~result["safe"], "cell_id"].tolist()
        covers = result["safe"] & (result["lo"] <= low) & (result["hi"] >= high)
        shown_safe = [attacker.pos[c] for c in result.loc[covers, "cell_id"]]
        (relaxed_safe if relaxed else safe_so_far)[shown_safe] = True
        if not unsafe:
            if relaxed:  # phase 2: the integer attacker, to its own fixed point
                relaxed = False
                continue
            return _finish(cells, _release_determined(full, hidden, why, attacker, follows), why, rules, values)
        component_of = {int(c): k for k, comp in enumerate(comps) for c in comp}
        n_hidden = np.asarray((rel_csr.multiply(full.astype(np.float64)) != 0).sum(axis=1)).ravel()
        hidden_rows = n_hidden > 0

        def incidence(c: int) -> int:
            return int(hidden_rows[csc_rows(rel_csc, c)].sum())

        bounds = result.set_index("cell_id")
        picks: list[int] = []
        for cid in sorted(unsafe):
            u = attacker.pos[cid]
            comp = comps[component_of[u]]
            chosen: list[int] = []
            for side in ("lo", "hi"):
                if (side == "lo" and bounds.at[cid, "lo"] > low) or (side == "hi" and bounds.at[cid, "hi"] < high):
                    grown = full.copy()
                    grown[picks + chosen] = True
                    for hops in (1, 2, 3):
                        found = repair.picks(grown, u, side, hops)
                        if found:
                            chosen += [c for c in found if c not in chosen]
                            break
            if not chosen:  # no nearby movement helps in the relaxation: the cheapest neighbour
                own_rows = set(csc_rows(rel_csc, u).tolist())
                near_rows = set()
                for c in comp:
                    if full[c]:
                        near_rows.update(csc_rows(rel_csc, int(c)).tolist())
                best = _cheapest(_members(rel_csr, near_rows | own_rows), full, pickable, county, raw, attacker.ids,
                                 picks, incidence)
                if best is not None:
                    chosen = [best]
            picks += [c for c in chosen if c not in picks]
        if not picks:
            row = cells.iloc[attacker.pos[sorted(unsafe)[0]]]
            raise RuntimeError(
                f"cell {row['table']}|{row['area']}|{row['row']}|{row['column']} can be narrowed by an "
                "attacker but no published count is left beside it to withhold; check its relations")
        for c in picks:
            hidden[c] = True
            why[c] = "secondary"
    raise RuntimeError(f"secondary suppression did not settle within {max_rounds} rounds")
