"""Benchmark the book build (not a test): cold, warm and one-area-change wall times.

Usage::

    python benchmarks/build_benchmark.py --data build/demo-data [--workers 2] [--skip-baseline]

Phases, each in its own fresh build folder under ``--out`` (default ``build/bench``):

* **baseline** — the naive way: every county-book notebook run one after another with plain
  papermill (a fresh kernel each, no cache), then one ``jupyter-book build`` — the same pages,
  the same validated data copy, so only the execution strategy differs;
* **county cold** — ``build_book(area="county")``: the county book with one area profile per CSP,
  runs as jobs on the default executor (threads, each keeping a warm kernel);
* **county cold, fresh kernels** — the same with ``warm_kernels=False``: plain papermill jobs (a new
  kernel per run) in a ``ThreadPoolExecutor``; and (``--processes``) in a ``ProcessPoolExecutor``.
  These decide whether the warm-kernel reuse is worth keeping;
* **all cold** — ``build_book(area="all")``: county + every CSP book (15 books for Essex);
* **warm, no change** — the same call again: nothing to execute, no jupyter-book run;
* **one-area change** — one CSP's ``reporting_year`` overridden: only that area's runs
  re-execute and only the books holding them rebuild.

* **hash cost** — content hashing of data, code and notebooks plus verifying every cache entry's
  manifest, timed alone on the warm cache (the part of a warm run the content-keyed cache adds).

Targets on the 2-core reference machine (issue 10): county cold < 60 s; all books cold < 150 s;
warm no-change < 5 s; one-CSP change < 30 s. Times are printed and written, phase by phase, to
``<out>/results.json`` with the load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

TARGETS = {"county_cold": 60.0, "all_cold": 150.0, "warm_no_change": 5.0, "one_area_change": 30.0}


def naive_baseline(data_dir: Path, build_dir: Path) -> dict:
    """Sequential fresh-kernel papermill over the county book's pages, then one book build."""
    import papermill as pm

    from sna_lib.book import pipeline as pl
    from sna_lib.book.execute import clean_notebook

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
        clean_notebook(run_dir / "notebook.ipynb")
        records[job.key] = pl.RunRecord(job.area, job.notebook, job.key, run_dir, True)
    executed = time.perf_counter()
    staging, key = pl._assemble(ctx, "county", records)
    built, error = pl._build_one(ctx, "county", staging, key, pl.published_dir(build_dir, "county"))
    if error:
        raise RuntimeError(error)
    finished = time.perf_counter()
    return {"seconds": finished - started, "prepare": prepared - started, "execute": executed - prepared,
            "book": finished - executed, "notebooks": len(ctx.jobs)}


def timed_build(data_dir: Path, build_dir: Path, area: str, workers: int, overrides=None, **options) -> dict:
    from sna_lib.book.pipeline import build_book

    started = time.perf_counter()
    result = build_book(data_dir, area=area, build_dir=build_dir, workers=workers, overrides=overrides, **options)
    seconds = time.perf_counter() - started
    for failure in result.failures:  # reported, not fatal: the timings still stand
        print(f"  FAILED {str(failure).splitlines()[0][:200]}", file=sys.stderr)
    return {"seconds": seconds, "ok": result.ok, "failures": len(result.failures),
            "executed": result.executed, "cached": result.run.cached,
            "books_built": len(result.built), "books_unchanged": len(result.skipped),
            "timings": {k: round(v, 2) for k, v in result.timings.items()}}


def hash_cost(data_dir: Path, build_dir: Path) -> dict:
    """Time the content hashing a warm run does: inputs (data, code, notebooks) and cache manifests."""
    from sna_lib.book import pipeline as pl

    project = pl.project_dir()
    started = time.perf_counter()
    hasher = pl._ContentHashes()
    pl._data_hashes(data_dir.resolve(), hasher)
    for p in pl._tree_files(pl._SRC):
        hasher(p)
    for nb in pl.toc_notebooks(project):
        hasher(pl.notebook_file(project, nb))
    inputs = time.perf_counter()
    entries = [d for d in (build_dir / ".cache" / "runs").iterdir() if d.is_dir() and not d.name.startswith(".")]
    entries += list((build_dir / ".cache" / "data").iterdir())
    ok = sum(pl.cache_entry_ok(d) for d in entries if d.name != "failed")
    finished = time.perf_counter()
    return {"seconds": finished - started, "inputs": round(inputs - started, 3),
            "manifests": round(finished - inputs, 3), "entries": ok,
            "input_mb": round(sum(os.path.getsize(k) for k in hasher.memo) / 1e6, 1)}


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
    parser.add_argument("--skip-fresh", action="store_true", help="skip the fresh-kernel executor comparison")
    parser.add_argument("--processes", action="store_true", help="also time fresh kernels in a process pool")
    args = parser.parse_args(argv)

    from sna_lib.book.execute import skip_slow_imports

    skip_slow_imports()  # as `sna build` does, before anything imports jsonschema (~3 CPU s otherwise)
    from sna_lib.data.config import load_config

    csps = list(load_config(args.data).csps)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    results: dict = {"data": str(args.data), "csps": len(csps), "workers": args.workers,
                     "loadavg_start": os.getloadavg(), "cpus": os.cpu_count()}

    def report(name: str, value: dict) -> None:
        results[name] = value
        extra = {k: v for k, v in value.items() if k != "seconds"}
        print(f"{name:>16}: {value['seconds']:7.1f} s  {extra}  (load {os.getloadavg()[0]:.1f})", flush=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")

    if not args.skip_baseline:
        report("baseline_county", naive_baseline(args.data, args.out / "baseline"))
    report("county_cold", timed_build(args.data, args.out / "county", "county", args.workers))
    results["county_site"] = site_sizes(args.out / "county" / "html")
    if not args.skip_fresh:
        report("county_cold_fresh_threads", timed_build(args.data, args.out / "fresh-threads", "county",
                                                        args.workers, warm_kernels=False))
    report("all_cold", timed_build(args.data, args.out / "all", "all", args.workers))
    report("warm_no_change", timed_build(args.data, args.out / "all", "all", args.workers))
    report("hash_cost", hash_cost(args.data, args.out / "all"))
    year = load_config(args.data).reporting_year
    report("one_area_change", timed_build(args.data, args.out / "all", "all", args.workers,
                                          overrides={csps[0]: {"reporting_year": year - 1}}))
    if args.processes and not args.skip_fresh:
        report("county_cold_fresh_processes", timed_build(args.data, args.out / "fresh-processes", "county",
                                                          args.workers, warm_kernels=False, scheduler="processes"))
    results["loadavg_end"] = os.getloadavg()

    print("\nsummary")
    if "baseline_county" in results:
        base = results["baseline_county"]["seconds"]
        per_run = results["baseline_county"]["execute"] / results["baseline_county"]["notebooks"]
        # all-books baseline estimated from the measured per-notebook and per-book costs
        all_runs = results["all_cold"]["executed"]
        est_all = results["baseline_county"]["prepare"] + per_run * all_runs \
            + results["baseline_county"]["book"] * (1 + len(csps))
        results["baseline_all_estimated"] = {"seconds": est_all}
        ratios = {"county_cold": base, "county_cold_fresh_threads": base, "county_cold_fresh_processes": base,
                  "all_cold": est_all, "warm_no_change": est_all, "one_area_change": est_all}
        results["speedup_vs_naive"] = {}
        for name, reference in ratios.items():
            if name in results:
                results["speedup_vs_naive"][name] = round(reference / results[name]["seconds"], 2)
                print(f"  {name}: {results[name]['seconds']:.1f} s vs naive {reference:.1f} s "
                      f"= {reference / results[name]['seconds']:.1f}x faster")
    for name in ("county_cold_fresh_threads", "county_cold_fresh_processes"):
        if name in results:
            ratio = results[name]["seconds"] / results["county_cold"]["seconds"]
            results[f"{name}_over_warm"] = round(ratio, 2)
            print(f"  {name} / county_cold (warm kernels): {ratio:.2f}")
    for name, target in TARGETS.items():
        seconds = results[name]["seconds"]
        print(f"  {name}: {seconds:.1f} s (target < {target:.0f} s) {'OK' if seconds < target else 'MISSED'}")
    print(f"  county site: {results['county_site']}")
    print(f"  load average start {results['loadavg_start']}, end {results['loadavg_end']}")
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
