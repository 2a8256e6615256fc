"""Benchmark the book build (not a test): cold, warm and one-area-change wall times.

Usage::

    python benchmarks/build_benchmark.py --data build/demo-data [--workers 2] [--skip-baseline]

Phases, each in its own fresh build folder under ``--out`` (default ``build/bench``):

* **baseline** — the naive way: every county-book notebook run one after another with plain
  papermill (a fresh kernel each, no cache), then one ``jupyter-book build`` — the same pages,
  the same validated data copy, so only the execution strategy differs;
* **county cold** — ``build_book(area="county")``: the county book with one area profile per CSP;
* **all cold** — ``build_book(area="all")``: county + every CSP book (15 books for Essex);
* **warm, no change** — the same call again: nothing to execute, no jupyter-book run;
* **one-area change** — one CSP's ``reporting_year`` overridden: only that area's runs
  re-execute and only the books holding them rebuild.

Targets on the 2-core reference machine: county cold < 90 s; all books cold < 5 min; warm
no-change < 10 s. Times are printed and written to ``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

TARGETS = {"county_cold": 90.0, "all_cold": 300.0, "warm_no_change": 10.0}


def naive_baseline(data_dir: Path, build_dir: Path) -> dict:
    """Sequential fresh-kernel papermill over the county book's pages, then one book build."""
    import papermill as pm

    from sna_lib.book import pipeline as pl

    started = time.perf_counter()
    ctx = pl._prepare(data_dir, "county", build_dir, None)
    prepared = time.perf_counter()
    runs_dir = ctx.cache / "runs"
    records = {}
    for job in ctx.jobs:  # one after another, a new kernel each time, nothing cached
        run_dir = runs_dir / job.key
        run_dir.mkdir(parents=True, exist_ok=True)
        source = run_dir / "source.ipynb"
        source.write_text(json.dumps(pl.read_notebook(pl.notebook_file(ctx.project, job.notebook))), encoding="utf-8")
        pm.execute_notebook(str(source), str(run_dir / "notebook.ipynb"),
                            parameters={"area": job.area, "data_dir": str(ctx.data_copy),
                                        "reporting_year": job.reporting_year, "build_dir": str(run_dir)},
                            kernel_name=pl.KERNEL_NAME, progress_bar=False, cwd=str(run_dir))
        pl._clean_notebook(run_dir / "notebook.ipynb")
        records[job.key] = pl.RunRecord(job.area, job.notebook, job.key, run_dir, True)
    executed = time.perf_counter()
    staging, key = pl._assemble(ctx, "county", records)
    built, error = pl._build_one(ctx, "county", staging, key, pl.published_dir(build_dir, "county"))
    if error:
        raise RuntimeError(error)
    finished = time.perf_counter()
    return {"seconds": finished - started, "prepare": prepared - started, "execute": executed - prepared,
            "book": finished - executed, "notebooks": len(ctx.jobs)}


def timed_build(data_dir: Path, build_dir: Path, area: str, workers: int, overrides=None) -> dict:
    from sna_lib.book.pipeline import build_book

    started = time.perf_counter()
    result = build_book(data_dir, area=area, build_dir=build_dir, workers=workers, overrides=overrides)
    seconds = time.perf_counter() - started
    for failure in result.failures:  # reported, not fatal: the timings still stand
        print(f"  FAILED {str(failure).splitlines()[0][:200]}", file=sys.stderr)
    return {"seconds": seconds, "ok": result.ok, "failures": len(result.failures),
            "executed": result.executed, "cached": result.run.cached,
            "books_built": len(result.built), "books_unchanged": len(result.skipped),
            "timings": {k: round(v, 2) for k, v in result.timings.items()}}


def site_sizes(site: Path) -> dict:
    pages = {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*.html")
             if "_static" not in p.parts}
    largest = sorted(pages.items(), key=lambda kv: -kv[1])[:5]
    return {"pages": len(pages), "site_mb": round(sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 1e6, 1),
            "largest_kb": {k: round(v / 1024) for k, v in largest}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="data folder (e.g. build/demo-data)")
    parser.add_argument("--out", type=Path, default=Path("build/bench"), help="scratch folder (emptied)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-baseline", action="store_true", help="skip the naive baseline")
    args = parser.parse_args(argv)

    from sna_lib.config import load_config

    csps = list(load_config(args.data).csps)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    results: dict = {"data": str(args.data), "csps": len(csps), "workers": args.workers}

    def report(name: str, value: dict) -> None:
        results[name] = value
        extra = {k: v for k, v in value.items() if k != "seconds"}
        print(f"{name:>16}: {value['seconds']:7.1f} s  {extra}", flush=True)

    if not args.skip_baseline:
        report("baseline_county", naive_baseline(args.data, args.out / "baseline"))
    report("county_cold", timed_build(args.data, args.out / "county", "county", args.workers))
    results["county_site"] = site_sizes(args.out / "county" / "html")
    report("all_cold", timed_build(args.data, args.out / "all", "all", args.workers))
    report("warm_no_change", timed_build(args.data, args.out / "all", "all", args.workers))
    year = load_config(args.data).reporting_year
    report("one_area_change", timed_build(args.data, args.out / "all", "all", args.workers,
                                          overrides={csps[0]: {"reporting_year": year - 1}}))

    print("\nsummary")
    if "baseline_county" in results:
        base = results["baseline_county"]["seconds"]
        per_run = results["baseline_county"]["execute"] / results["baseline_county"]["notebooks"]
        # all-books baseline estimated from the measured per-notebook and per-book costs
        all_runs = results["all_cold"]["executed"]
        est_all = results["baseline_county"]["prepare"] + per_run * all_runs \
            + results["baseline_county"]["book"] * (1 + len(csps))
        results["baseline_all_estimated"] = {"seconds": est_all}
        print(f"  county cold: {results['county_cold']['seconds']:.1f} s vs naive {base:.1f} s "
              f"= {base / results['county_cold']['seconds']:.1f}x faster")
        print(f"  all cold:    {results['all_cold']['seconds']:.1f} s vs naive (estimated) {est_all:.1f} s "
              f"= {est_all / results['all_cold']['seconds']:.1f}x faster")
        print(f"  warm:        {results['warm_no_change']['seconds']:.1f} s vs naive {base:.1f} s "
              f"(naive re-runs everything) = {base / results['warm_no_change']['seconds']:.0f}x faster")
    for name, target in TARGETS.items():
        seconds = results[name]["seconds"]
        print(f"  {name}: {seconds:.1f} s (target < {target:.0f} s) {'OK' if seconds < target else 'MISSED'}")
    print(f"  county site: {results['county_site']}")
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
