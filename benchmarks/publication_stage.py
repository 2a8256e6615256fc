"""Publication stage timing: compute (one grouped pass) and control, against a per-area baseline.

Baseline (same run, same data): the old per-area path, ``compute_figures`` of
``sna_lib/publication/figures.py`` as it was at commit :data:`BASELINE_REV` (loaded from git; the
library no longer has it: ``sna figures`` reads the store), for the county and every CSP (each
area recomputed from the records). Reported as seconds and as ratios to the baseline; the
issue-10 target is < 30 s for county + 14 CSPs at scale 1.

Usage::

    python benchmarks/publication_stage.py DATA_DIR [--control] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import time
import types
from pathlib import Path

#: Last commit whose ``sna_lib/publication/figures.py`` computed figures per area from records.
BASELINE_REV = "c61e7f4"


def baseline_compute_figures():
    """``compute_figures(dataset, area)`` of the removed per-area path, or None without git."""
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(["git", "show", f"{BASELINE_REV}:src/sna_lib/publication/figures.py"], cwd=repo,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    module = types.ModuleType("figures_baseline")
    exec(compile(proc.stdout, f"{BASELINE_REV}:figures.py", "exec"), module.__dict__)  # noqa: S102 - our own code
    return module.compute_figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir")
    parser.add_argument("--control", action="store_true", help="also time disclosure control over every cell")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the per-area baseline (national scale: it alone takes hours)")
    args = parser.parse_args()

    from sna_lib.data.dataset import load_dataset
    from sna_lib.publication.compute import publication_cells

    compute_figures = None if args.no_baseline else baseline_compute_figures()

    t = time.perf_counter()
    dataset = load_dataset(args.data_dir)
    load_s = time.perf_counter() - t
    areas = ["county", *dataset.config.csps]

    def best(fn):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return min(times), out

    baseline_s = math.nan if compute_figures is None else best(lambda: [compute_figures(dataset, a) for a in areas])[0]
    compute_s, (cells, relations, _) = best(lambda: publication_cells(dataset))
    result = {"data": args.data_dir, "areas": len(areas), "crimes": int(len(dataset.crimes)),
              "cells": int(len(cells)), "relations": int(len(relations)), "load_s": round(load_s, 2),
              "baseline_per_area_figures_s": round(baseline_s, 2), "compute_s": round(compute_s, 2),
              "compute_vs_baseline": round(compute_s / baseline_s, 3)}
    result["lsoas"] = int(len(dataset.geography))
    if args.control:
        from sna_lib.publication.disclosure import disclosure_rules
        from sna_lib.publication.control import control

        t0 = time.perf_counter()
        controlled = control(cells, relations, disclosure_rules(dataset.config))
        result["control_s"] = round(time.perf_counter() - t0, 2)
        result["stage_s"] = round(compute_s + result["control_s"], 2)
        result["withheld"] = int((~controlled["published"]).sum())
    result["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
