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

from sna_lib.publication.attack import Attacker, _dense_to_csc
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
