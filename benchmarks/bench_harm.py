"""Time classification, harm and the figure export at full demo scale.

Usage::

    .venv/bin/python benchmarks/bench_harm.py                  # generates scale 1 into a temp dir
    .venv/bin/python benchmarks/bench_harm.py --data DIR       # an existing data folder

Targets (issue #4): classifying ~1.6M crimes against one definition well under 1 s; every
published number of the county and all CSPs (the publication stage's compute pass) in seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from sna_lib.measures.classify import classify, load_definition
from sna_lib.data.dataset import load_dataset
from sna_lib.publication.compute import publication_cells
from sna_lib.measures.harm import crime_harm


def _time(label: str, fn, repeat: int = 3):
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<40} {best:8.3f} s (best of {repeat})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="data folder; default: generate the demo at --scale")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data) if args.data else Path(tmp)
        if not args.data:
            from sna_lib.synthetic import generate_demo

            generate_demo(data, seed=2024, scale=args.scale)
        ds = load_dataset(data, validate=False)
        print(f"crimes {len(ds.crimes):,}  person links {len(ds.persons):,}")
        for name in ("partnership", "home_office", "knife_enabled"):
            d = load_definition(name)
            _time(f"classify {name}", lambda d=d: classify(ds.crimes, d))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _time("crime_harm (all crimes)", lambda: crime_harm(ds.crimes))
        _time("publication_cells (county + all CSPs)", lambda: publication_cells(ds), repeat=1)


if __name__ == "__main__":
    main()
