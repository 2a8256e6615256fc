"""Open-data risk index against the same-size naive baseline, over consecutive quarters, with intervals.

The published open-data check (:func:`sna_lib.index.validation.out_of_time_check`, table
``open.validation``) is one pair of periods (Jan–Jul 2018 → Oct 2018–Feb 2019 for Essex) and
has no interval. Here the same two selections — the top 5 % of LSOAs by the proxy risk index
(:func:`~sna_lib.index.risk_index.risk_score` of :func:`~sna_lib.index.factors.risk_layers`,
ties by code) and the same number of LSOAs with the most proxy crimes — are built on every
complete calendar quarter and scored on the proxy crimes of the next quarter (the months of it
the data hold), then pooled over those pairs with 95 % LSOA-bootstrap intervals by the same
:func:`~sna_lib.index.validation.method_vs_baseline` as the full-data book. PAI by land area.

Usage::

    python benchmarks/open_index_vs_baseline.py --data build/essex-open

Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args(argv)

    import pandas as pd

    from sna_lib.data.dataset import area_lsoas, load_dataset
    from sna_lib.data.periods import Coverage, calendar_periods, in_months
    from sna_lib.index.factors import lsoa_counts, risk_layers
    from sna_lib.index.risk_index import risk_score, select_top
    from sna_lib.index.validation import (ValidationRun, evaluate_selection, lsoa_areas, method_vs_baseline,
                                          out_of_time_check, top_n)
    from sna_lib.measures.open_proxy import proxy_crimes

    start = time.perf_counter()
    dataset = load_dataset(args.data, validate=False)
    codes = area_lsoas(dataset, "county")
    geo = dataset.geography
    area = lsoa_areas(geo.set_index(geo["lsoa_code"].astype(str)).reindex(codes).reset_index(drop=True)
                      .assign(lsoa_code=codes))
    proxy = proxy_crimes(dataset.crimes)
    quarters = calendar_periods(Coverage.from_dataset(dataset), "Q")
    pairs = [(q, nxt) for q, nxt in zip(quarters[:-1], quarters[1:]) if q.complete and nxt.present]
    rows, selections, outcomes = [], {}, {}
    for i, (train, test) in enumerate(pairs):
        outcome = lsoa_counts(in_months(proxy, test.start, test.end), codes)
        history = lsoa_counts(in_months(proxy, train.start, train.end), codes)
        index_sel = select_top(risk_score(risk_layers(dataset, train.start, train.end)), share=args.share,
                               tie_rule="stable").reindex(codes).fillna(False).astype(bool)
        naive_sel = top_n(history, int(index_sel.sum())).reindex(codes).fillna(False).astype(bool)
        selections[i] = pd.DataFrame({"risk_index": index_sel, "last_year_top_counts": naive_sel})
        outcomes[i] = outcome
        for name, sel in (("risk_index", index_sel), ("last_year_top_counts", naive_sel)):
            r = evaluate_selection(sel, outcome, area=area)
            rows.append({"year": i, "train": train.text, "test": test.text, "selection": name, **r})
    table = pd.DataFrame(rows)
    run = ValidationRun(table, selections, outcomes, {}, area)
    pooled = method_vs_baseline(run, "risk_index", "last_year_top_counts", bootstrap=args.bootstrap, seed=args.seed)
    print(f"{args.data}: {len(codes):,} LSOAs, {len(proxy):,} proxy crimes; {time.perf_counter() - start:.1f} s; "
          f"PAI basis {run.area_basis}")
    pd.set_option("display.width", 220)
    print(table[["train", "test", "selection", "lsoas", "captured", "total", "capture_rate", "area_share", "pai",
                 "lift"]].to_string(index=False, float_format=lambda v: f"{v:.4f}"))

    def ci(pair, pct=True):
        return f"({pair[0]:.1%}–{pair[1]:.1%})" if pct else f"({pair[0]:.2f}–{pair[1]:.2f})"

    p = pooled
    print(f"pooled over {len(pairs)} quarter pairs: risk index capture {p['capture']:.1%} {ci(p['capture_interval'])}, "
          f"PAI {p['pai']:.2f} {ci(p['pai_interval'], False)}; naive capture {p['baseline_capture']:.1%} "
          f"{ci(p['baseline_capture_interval'])}, PAI {p['baseline_pai']:.2f} {ci(p['baseline_pai_interval'], False)}; "
          f"difference {100 * p['capture_difference']:+.1f} pp ({100 * p['capture_difference_interval'][0]:+.1f} to "
          f"{100 * p['capture_difference_interval'][1]:+.1f}) -> {p['verdict']}")
    check = out_of_time_check(dataset, share=args.share)
    print("published check (open.validation):")
    print(check.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
