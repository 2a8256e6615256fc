"""Benchmark ``sna import police-uk`` on the 12 Essex months (not a test).

Usage::

    python benchmarks/import_benchmark.py [--shared /work/shared] [--out build/bench-import] [--repeat 2]

Phases (each timed wall-clock and CPU, best of ``--repeat``):

* **baseline** — the least any importer must do: ``pandas.read_csv`` of the 12 gzipped street
  files plus the LSOA → LAD and TS011 files it has to consult (no checks, nothing written);
* **import** — the full import without the final ``validate_dir`` pass;
* **import + validate** — what ``sna import police-uk`` runs (the output is validated).

Target on the 2-core reference machine: import + validate < 30 s. The machine is shared, so
the ratio to the baseline (same run, same load) is the number to compare across runs; CPU
seconds are printed beside wall seconds. Results go to ``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

TARGET_SECONDS = 30.0


def _timed(fn) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=os.environ.get("SNA_SHARED_DIR", str(Path(__file__).resolve().parents[1].parent / "shared")))
    parser.add_argument("--out", default="build/bench-import")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import pandas as pd

    from sna_lib.data.importers.police_uk import import_police_uk

    root = Path(args.shared) / "data" / "open"
    if not root.is_dir():
        print(f"no open data at {root}")
        return 1
    g = root / "geography"
    kwargs = {"boundaries": g / "lsoa11_bsc_essex_pfa.geojson",
              "lookups": [g / "lookup_ltla24_csp24_pfa24_ew.csv", g / "lookup_lsoa11_ltla19_ew.csv.gz",
                          g / "lookup_lsoa11_lsoa21_ltla22_ew.csv.gz"],
              "population": sorted((root / "population").glob("*.csv.gz")),
              "census": next((root / "census").glob("census2021_ts011*.csv.gz")),
              "imd": next((root / "deprivation").glob("imd2019_ranks*.csv.gz")), "force": "essex"}
    street = sorted((root / "police_uk").glob("*/*-essex-street.csv.gz"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def baseline():
        for f in street:
            pd.read_csv(f, dtype=str, keep_default_na=False)
        pd.read_csv(kwargs["lookups"][1], dtype=str)
        pd.read_csv(kwargs["census"], dtype=str)

    def run(validate):
        def go():
            import_police_uk(out / "essex-open", street=[root / "police_uk"], validate=validate, **kwargs)
        return go

    results = {}
    for name, fn in (("baseline", baseline), ("import", run(False)), ("import_validate", run(True))):
        times = [_timed(fn) for _ in range(max(1, args.repeat))]
        results[name] = min(times, key=lambda t: t["wall"])
        print(f"{name:>16}: {results[name]['wall']:6.1f} s wall, {results[name]['cpu']:6.1f} s CPU", flush=True)
    base = results["baseline"]["wall"]
    for name in ("import", "import_validate"):
        results[name]["ratio_to_baseline"] = results[name]["wall"] / base
        print(f"{name:>16}: {results[name]['ratio_to_baseline']:.1f}× the baseline")
    results["target_seconds"] = TARGET_SECONDS
    results["meets_target"] = results["import_validate"]["wall"] < TARGET_SECONDS
    results["street_rows"] = 199_298
    print(f"target import + validate < {TARGET_SECONDS:.0f} s: {'met' if results['meets_target'] else 'NOT met'}")
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(out / "essex-open", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
