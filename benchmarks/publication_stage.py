"""Publication stage timing: compute (one grouped pass), disclosure control and the store write.

The stage is :func:`sna_lib.publication.compute.run_publication`; this runs its three parts
separately on one data folder and reports, for each, wall seconds and CPU seconds of this
process (the machine is shared: CPU time is the figure that does not depend on the others'
load, which is printed too), the peak resident memory, and — where a baseline runs in the same
process — ratios against it.

Baseline (same run, same data): the old per-area path, ``compute_figures`` of
``sna_lib/publication/figures.py`` as it was at commit :data:`BASELINE_REV` (loaded from git; the
library no longer has it: ``sna figures`` reads the store), for the county and every CSP (each area recomputed from the records); ``--no-baseline`` skips it
(national scale: it alone takes hours). Targets (issue 10, 2-core machine): stage < 30 s for
county + 14 CSPs at scale 1; < 5 min and < 8 GB peak at national scale (``--scale 30``).

``--phases`` also splits control into its phases (attacker set-up, the relaxed and the integer
attacker rounds, the repair picks, the sum rule, releasing determined cells, formatting) by
timing those functions of :mod:`sna_lib.publication.control` from outside, without changing them
(a phase's own CPU seconds: time in a phase called from another counts once, in the inner one).

Memory: ``peak_rss_gb`` of a part is the highest resident memory sampled (every 0.1 s, from
``/proc/self/statm``) while that part ran, so the part that sets the process peak shows; the
load average is sampled with it (the machine is shared: mean and max over the run).

``--markdown FILE`` appends the run as one row of the table in ``FILE``
(``benchmarks/results/publication_stage.md``), writing the header when the file is new.

Usage::

    python benchmarks/publication_stage.py DATA_DIR [--no-baseline] [--no-validate] [--phases] [--repeat 1]
        [--json OUT] [--markdown benchmarks/results/publication_stage.md --label "scale 1, seed 2024"]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import tempfile
import threading
import time
import types
from collections import defaultdict
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


def _rss_gb() -> float:
    """Peak resident memory of this process so far, GB (``ru_maxrss`` is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9, 2)


def _rss_now_gb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9
    except OSError:  # not Linux: the process peak so far
        return _rss_gb()


class _Sampler:
    """Resident memory and load average every ``every`` seconds, by the part running."""

    def __init__(self, every: float = 0.1) -> None:
        self.part = "start"
        self.peaks: dict[str, float] = defaultdict(float)
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            self.peaks[self.part] = max(self.peaks[self.part], _rss_now_gb())
            if n % 50 == 0:
                self.loads.append(os.getloadavg()[0])
            n += 1
            self._stop.wait(self._every)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        loads = self.loads or [os.getloadavg()[0]]
        return {"mean": round(sum(loads) / len(loads), 1), "max": round(max(loads), 1)}


class _Clock:
    """Wall and CPU seconds of named parts (best of ``repeat`` runs), and their memory peaks."""

    def __init__(self, sampler: _Sampler | None = None) -> None:
        self.parts: dict[str, dict[str, float]] = {}
        self.sampler = sampler

    @contextlib.contextmanager
    def part(self, name: str):
        if self.sampler is not None:
            self.sampler.part = name
        w, c = time.perf_counter(), time.process_time()
        yield
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        peak = round(self.sampler.peaks[name], 2) if self.sampler is not None else _rss_gb()
        old = self.parts.get(name)
        if old is None or wall < old["wall_s"]:
            self.parts[name] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_gb": peak}


#: Columns of the results table (``--markdown``).
TABLE_HEADER = (
    "| run | cells | withheld | load CPU s (wall) | compute CPU s (wall) | control CPU s (wall) | "
    "stage CPU s (wall) | peak RSS GB (stage / process) | load avg mean / max |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
)


def markdown_row(result: dict, label: str) -> str:
    """One row of the results table from a run's result.

    Examples
    --------
    >>> r = {"cells": 10, "withheld": 2, "peak_rss_gb": 1.5, "load_average_during": {"mean": 3.0, "max": 4.0},
    ...      "parts": {"load": {"cpu_s": 1.0, "wall_s": 2.0, "peak_rss_gb": 1.0},
    ...                "compute": {"cpu_s": 3.0, "wall_s": 4.0, "peak_rss_gb": 1.2},
    ...                "stage": {"cpu_s": 3.5, "wall_s": 5.0, "peak_rss_gb": 1.3}}}
    >>> markdown_row(r, "scale 1")
    '| scale 1 | 10 | 2 | 1.0 (2.0) | 3.0 (4.0) | – | 3.5 (5.0) | 1.30 / 1.50 | 3.0 / 4.0 |'
    """
    parts = result["parts"]

    def cell(name: str) -> str:
        p = parts.get(name)
        return f"{p['cpu_s']:.1f} ({p['wall_s']:.1f})" if p else "–"

    load = result.get("load_average_during", {})
    return (f"| {label} | {result.get('cells', '–')} | {result.get('withheld', '–')} | {cell('load')} | "
            f"{cell('compute')} | {cell('control')} | {cell('stage')} | "
            f"{parts['stage']['peak_rss_gb']:.2f} / {result['peak_rss_gb']:.2f} | "
            f"{load.get('mean', '–')} / {load.get('max', '–')} |")


def append_markdown(path: str, row: str) -> None:
    """Append ``row`` to the table in ``path`` (header first when the file is new)."""
    new = not os.path.exists(path)
    with open(path, "a", encoding="utf-8") as fh:
        if new:
            fh.write("# Publication stage: measured runs (`benchmarks/publication_stage.py`)\n\n"
                     "CPU seconds of the process (wall in brackets; the machine is shared: see the load "
                     "average). Peak RSS: the stage's parts (compute, control, write) / the whole process "
                     "(including loading).\n\n" + TABLE_HEADER)
        fh.write(row + "\n")


@contextlib.contextmanager
def _control_phases(totals: dict[str, float]):
    """Time control's phases by wrapping its functions (restored on exit)."""
    from sna_lib.publication import attack, control

    inner: list[float] = []                # time of phases nested in the running one (counted once)

    def timed(owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            key = label(args, kwargs) if callable(label) else label
            t = time.process_time()
            inner.append(0.0)
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.process_time() - t
                totals[key] += spent - inner.pop()
                if inner:
                    inner[-1] += spent
        setattr(owner, name, wrapper)
        return owner, name, original

    patches = [
        timed(attack.Attacker, "__init__", "attacker set-up"),
        timed(attack.Attacker, "intervals",
              lambda a, k: "attacker rounds (relaxed)" if k.get("relaxed") else "attacker rounds (integer)"),
        timed(control._Repair, "picks", "repair picks"),
        timed(control._SumRule, "apply", "sum rule"),
        timed(control, "_release_determined", "release determined"),
        timed(control, "_finish", "finish (display)"),
    ]
    try:
        yield
    finally:
        for owner, name, original in patches:
            setattr(owner, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the per-area baseline (national scale: it alone takes hours)")
    parser.add_argument("--no-control", action="store_true", help="time compute only")
    parser.add_argument("--phases", action="store_true", help="split control into its phases (CPU seconds)")
    parser.add_argument("--no-validate", action="store_true",
                        help="load without the contract checks (as the stage re-reads a validated copy), so the "
                             "peak memory is the stage's own, not validation's")
    parser.add_argument("--json", help="also write the result to this file")
    parser.add_argument("--markdown", help="append the run as a row of the table in this file")
    parser.add_argument("--label", help="the row's label (default: the data folder)")
    args = parser.parse_args()

    sampler = _Sampler()
    clock = _Clock(sampler)
    with clock.part("imports"):
        from sna_lib.data.dataset import load_dataset
        from sna_lib.publication.compute import publication_cells
        from sna_lib.publication.control import control
        from sna_lib.publication.disclosure import disclosure_rules
        from sna_lib.publication.store import write_store
    compute_figures = None if args.no_baseline else baseline_compute_figures()

    with clock.part("load"):
        dataset = load_dataset(args.data_dir, validate=not args.no_validate)
    areas = ["county", *dataset.config.csps]
    result = {"data": args.data_dir, "areas": len(areas), "lsoas": int(len(dataset.geography)),
              "crimes": int(len(dataset.crimes)), "persons": int(len(dataset.persons)),
              "load_average_before": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}

    for _ in range(args.repeat):
        if compute_figures is not None:
            with clock.part("baseline_per_area_figures"):
                for a in areas:
                    compute_figures(dataset, a)
        with clock.part("compute"):
            cells, relations, provenance = publication_cells(dataset)
    result.update({"cells": int(len(cells)), "relations": int(len(relations))})
    if not args.no_control:
        rules = disclosure_rules(dataset.config)
        phases: dict[str, float] = defaultdict(float)
        for _ in range(args.repeat):
            phases.clear()
            with (_control_phases(phases) if args.phases else contextlib.nullcontext()), clock.part("control"):
                controlled = control(cells, relations, rules)
        result["withheld"] = int((~controlled["published"]).sum())
        if args.phases:
            result["control_phases_cpu_s"] = {k: round(v, 2) for k, v in sorted(phases.items(), key=lambda kv: -kv[1])}
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.repeat):
                with clock.part("write"):
                    write_store(os.path.join(tmp, "published"), controlled, relations, provenance, rules=rules)
    parts = clock.parts
    stage = [p for p in ("compute", "control", "write") if p in parts]
    parts["stage"] = {k: round(sum(parts[p][k] for p in stage), 2) for k in ("wall_s", "cpu_s")}
    parts["stage"]["peak_rss_gb"] = max(parts[p]["peak_rss_gb"] for p in stage)
    base = parts.get("baseline_per_area_figures")
    if base:
        result["compute_vs_baseline"] = round(parts["compute"]["wall_s"] / base["wall_s"], 3)
        result["compute_cpu_vs_baseline"] = round(parts["compute"]["cpu_s"] / base["cpu_s"], 3)
    result["parts"] = parts
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["load_average_during"] = sampler.stop()
    result["peak_rss_gb"] = _rss_gb()
    result["targets_s"] = {"scale_1_stage": 30, "national_stage": 300, "national_peak_rss_gb": 8}
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(text + "\n")
    if args.markdown:
        append_markdown(args.markdown, markdown_row(result, args.label or args.data_dir))


if __name__ == "__main__":
    main()
