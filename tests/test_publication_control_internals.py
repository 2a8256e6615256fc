"""Control's fast internals against SciPy's own sparse operations (independent method).

Disclosure control must give the same answer however fast it runs: the repair model's dense
block and the HiGHS model's column-major arrays are built from raw CSR arrays instead of
``scipy.sparse`` slicing; here both are compared with what SciPy computes, bit for bit
(including signed zeros, which change nothing in a sum but would show a different path).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from sna_lib.publication.attack import Attacker, _ActiveRows, _dense_to_csc
from sna_lib.publication.cells import CellBuilder, declare_frame
from sna_lib.publication.control import _Repair, published_values
from sna_lib.publication.disclosure import disclosure_rules


def test_dense_to_csc_matches_scipy_csc_matrix():
    rng = np.random.default_rng(7)
    for _ in range(200):
        r, c = rng.integers(0, 25, 2)
        a = rng.choice([0.0, -0.0, 1.0, -1.0, 2.5, -7.25], size=(r, c), p=[.6, .1, .1, .1, .05, .05])
        ref = sparse.csc_matrix(a)
        indptr, index, value = _dense_to_csc(a)
        assert indptr.tolist() == ref.indptr.tolist()
        assert index.tolist() == ref.indices.tolist()
        assert np.array_equal(value, ref.data)
        assert indptr.dtype == index.dtype == np.int32 and value.dtype == np.float64


def _publication(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    b = CellBuilder()
    for area in ("North", "South", "county"):
        t = pd.DataFrame(rng.integers(0, 40, size=(4, 3)), columns=["a", "b", "c"], index=list("wxyz"))
        t["all"] = t.sum(axis=1)
        t.loc["all"] = t.sum(axis=0)
        declare_frame(b, t, table="t", area=area, count_columns=list(t.columns), total_row="all", total_col="all")
    return b.frame()


def test_repair_dense_block_matches_scipy_slicing():
    rng = np.random.default_rng(11)
    cells, relations = _publication(rng)
    rules = disclosure_rules(None)
    attacker = Attacker(cells.assign(published_value=published_values(cells, rules)), relations, rules)
    rel = attacker.m[np.flatnonzero(attacker.relation_rows)]
    csr, csc = rel.tocsr(), rel.tocsc()
    pickable = attacker.is_count
    repair = _Repair(attacker, csr, csc, pickable, ~attacker.applies, rules)
    for _ in range(100):
        rows = np.sort(rng.choice(csr.shape[0], size=rng.integers(1, csr.shape[0] + 1), replace=False))
        cols = rng.choice(csr.shape[1], size=rng.integers(1, 12), replace=False)
        a, shift = repair._dense(rows, cols)
        sub = csr[rows]
        known = repair.known.copy()
        known[cols] = 0.0
        assert np.array_equal(a, sub[:, cols].toarray())
        expected = sub @ known
        assert np.array_equal(shift, expected) and np.array_equal(np.signbit(shift), np.signbit(expected))
    # the scratch column map is left clean for the next call
    assert (repair._col_pos == -1).all()


def _one_total(values: list[int], withheld: int) -> tuple[Attacker, np.ndarray]:
    """One published total over parts of which the first ``withheld`` are withheld (an LSOA table)."""
    b = CellBuilder()
    t = pd.DataFrame({"n": values + [sum(values)]}, index=[f"p{i:02d}" for i in range(len(values))] + ["all"])
    ids = declare_frame(b, t, table="t", area="North", count_columns=["n"], total_row="all")
    cells, relations = b.frame()
    attacker = Attacker(cells, relations, judge="all")
    hidden = np.isin(attacker.ids, ids["n"].iloc[:withheld].tolist())
    return attacker, hidden


def test_batch_program_without_presolve_reaches_the_hand_computed_optimum():
    # 12 withheld parts add up to 30 (the published total 120 less the published 40 and 50).
    # The "hi" batch maximises sum(min(x_j, 7)): at most 30, reached with every part <= 7
    # (12 * 7 >= 30). The "lo" batch minimises sum(max(x_j - 1, 0)) >= sum(x_j - 1) = 30 - 12 = 18,
    # reached with every part >= 1. Solved without presolve (the witness programs).
    values = [1, 2, 3, 4, 5, 6, 1, 2, 3, 1, 1, 1] + [40, 50]
    attacker, hidden = _one_total(values, 12)
    comp = attacker.components(hidden)[0]
    act_index = np.flatnonzero(attacker._active(hidden))
    csr = attacker.m[act_index]
    act = _ActiveRows(act_index, csr, csr.tocsc())
    known = np.nan_to_num(attacker._known_values(hidden), nan=0.0)
    touch = np.unique(np.concatenate([act.csc.indices[act.csc.indptr[c]:act.csc.indptr[c + 1]] for c in comp]))
    model = attacker._build(comp, hidden, known, act, touch)
    targets = [j for j in range(len(comp)) if hidden[comp[j]]]
    assert len(targets) == 12
    hi = attacker._batch(model, targets, "hi")
    lo = attacker._batch(model, targets, "lo")
    for x in (hi, lo):
        assert x is not None and np.all(x >= 0) and np.allclose(x, np.round(x))
        assert x[targets].sum() == 30  # feasible: the withheld parts add up to what is left
    assert np.minimum(hi[targets], 7).sum() == 30
    assert np.maximum(lo[targets] - 1, 0).sum() == 18
