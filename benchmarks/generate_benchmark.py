"""Time and size of the synthetic demo county at several scales.

Usage::

    .venv/bin/python benchmarks/generate_benchmark.py                 # scales 0.05 and 1, 2 runs
    .venv/bin/python benchmarks/generate_benchmark.py --scales 0.05 1 30 --runs 1

Prints one line per run (wall time, peak RSS of this process so far, total bytes written,
row counts of the big tables) and checks that repeated runs with the same seed wrote
byte-identical files. Targets (issue #3): scale 1 in < 60 s and < 100 MB of Parquet;
scale 0.05 in ~2 s.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from sna_lib.synthetic import generate_demo


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _rows(folder: Path, stem: str) -> int:
    path = folder / f"{stem}.parquet"
    return pq.ParquetFile(path).metadata.num_rows if path.exists() else -1


def run(scale: float, seed: int, fmt: str, keep: Path | None) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"sna-demo-{scale:g}-")) if keep is None else keep
    start = time.perf_counter()
    generate_demo(out, seed=seed, scale=scale, fmt=fmt)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.iterdir())
    result = {
        "scale": scale, "seconds": round(seconds, 2), "megabytes": round(size / 1e6, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "crimes": _rows(out, "crimes"), "persons": _rows(out, "persons"),
        "population": _rows(out, "population"), "digest": _digest(out)[:16],
    }
    if keep is None:
        shutil.rmtree(out)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.05, 1.0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    args = parser.parse_args(argv)
    ok = True
    for scale in args.scales:
        digests = set()
        for i in range(args.runs):
            r = run(scale, args.seed, args.format, None)
            digests.add(r.pop("digest"))
            print(f"run {i + 1}: " + "  ".join(f"{k}={v}" for k, v in r.items()), flush=True)
        same = len(digests) == 1
        ok &= same
        print(f"scale {scale:g}: {'identical' if same else 'DIFFERENT'} output across {args.runs} run(s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
