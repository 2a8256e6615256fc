"""Time disclosure control and the attacker on a synthetic publication the size of the scale-1 county.

Usage::

    .venv/bin/python benchmarks/bench_publication_control.py                # ~50k cells
    .venv/bin/python benchmarks/bench_publication_control.py --tables 10    # smaller

The synthetic publication has 14 CSPs + the county, ``--tables`` tables per area, each with
``--rows`` categories × 4 count columns, a total row and a total column, one share column
(derived, ratio of the row total to the county-wide total) and county = sum of the CSPs for
every count. Counts are negative binomial (many small). Reported: cells, withheld cells,
time of :func:`control`, of the fast audit (``attack(exact=False)``) and, as the baseline in
the same run, of the per-table :func:`sna_lib.disclosure.suppression_mask` the book used before
(which neither spans areas nor bounds intervals).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sna_lib.publication.disclosure import suppression_mask
from sna_lib.publication.attack import attack
from sna_lib.publication.cells import CellBuilder, declare_frame
from sna_lib.publication.control import control

CSPS = [f"CSP {i:02d}" for i in range(1, 15)]
COLUMNS = ["a", "b", "c", "d"]


def synthetic_tables(n_tables: int, n_rows: int, seed: int) -> dict[tuple[str, str], pd.DataFrame]:
    """``{(table, area): frame}`` with margins; the county frame is the sum of the CSP frames."""
    rng = np.random.default_rng(seed)
    out = {}
    for t in range(n_tables):
        mean = rng.choice([3.0, 8.0, 30.0, 200.0])
        frames = {}
        for area in CSPS:
            inner = rng.negative_binomial(2, 2 / (2 + mean), size=(n_rows, len(COLUMNS)))
            frames[area] = pd.DataFrame(inner, columns=COLUMNS, index=[f"r{i}" for i in range(n_rows)])
        frames["county"] = sum(frames.values())
        for area, f in frames.items():
            f = f.copy()
            f["total"] = f[COLUMNS].sum(axis=1)
            f.loc["Total"] = f.sum(axis=0)
            grand = max(int(f.loc["Total", "total"]), 1)
            f["share"] = (100 * f["total"] / grand).round(1)
            out[(f"table{t:02d}", area)] = f
    return out


def build(tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    b = CellBuilder()
    for (table, area), frame in tables.items():
        declare_frame(b, frame, table=table, area=area, count_columns=[*COLUMNS, "total"],
                      derived={"share": {"of": ["total"], "decimals": 1}}, total_row="Total", total_col="total")
    for table in sorted({t for t, _ in tables}):
        b.sum_over_areas(table)
    return b.frame()


def baseline(tables) -> float:
    start = time.perf_counter()
    for (table, area), frame in tables.items():
        suppression_mask(frame, [*COLUMNS, "total"], area_level="county" if area == "county" else "csp",
                         total_row="Total", total_col="total")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=40)
    parser.add_argument("--rows", type=int, default=11)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tables = synthetic_tables(args.tables, args.rows, args.seed)
    t0 = time.perf_counter()
    cells, relations = build(tables)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = control(cells, relations)
    t_control = time.perf_counter() - t0
    t0 = time.perf_counter()
    audit = attack(out, relations, exact=False)
    t_attack = time.perf_counter() - t0
    t_base = baseline(tables)
    why = out["suppressed_why"].str.split(":").str[0].value_counts().to_dict()
    print(f"cells {len(cells):,}  relations {len(relations):,}  withheld {int((~out['published']).sum()):,} {why}")
    print(f"declare (CellBuilder)          {t_build:8.2f} s")
    print(f"control (primary+secondary)    {t_control:8.2f} s")
    print(f"audit attack (exact=False)     {t_attack:8.2f} s   unsafe: {int((~audit['safe']).sum())}")
    print(f"baseline per-table mask        {t_base:8.2f} s   control/baseline = {t_control / t_base:.2f}")


if __name__ == "__main__":
    main()
