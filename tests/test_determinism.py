"""Same inputs and seed -> byte-identical outputs, across separate processes.

Each comparison runs one side in a fresh interpreter with a different ``PYTHONHASHSEED``, so
set/dict ordering, import-time state or caches cannot make two runs agree by accident.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path


SMALL_SCALE = 0.02


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_python(code: str, *, hash_seed: int, cwd: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_demo_generation_is_byte_identical(tmp_path):
    from sna_lib.synthetic import generate_demo

    generate_demo(tmp_path / "a", seed=11, scale=SMALL_SCALE, fmt="parquet", progress=False)
    run_python(f"""
        from sna_lib.synthetic import generate_demo
        generate_demo({str(tmp_path / 'b')!r}, seed=11, scale={SMALL_SCALE}, fmt="parquet", progress=False)
    """, hash_seed=4242, cwd=tmp_path)
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert "crimes.parquet" in a and "config.yaml" in a
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []
    # and the seed matters (so the comparison above can fail)
    generate_demo(tmp_path / "c", seed=12, scale=SMALL_SCALE, fmt="parquet", progress=False)
    assert tree_bytes(tmp_path / "c")["crimes.parquet"] != a["crimes.parquet"]


def test_demo_csv_generation_is_byte_identical(tmp_path):
    from sna_lib.synthetic import generate_demo

    for name in ("a", "b"):
        generate_demo(tmp_path / name, seed=5, scale=SMALL_SCALE, fmt="csv", progress=False)
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert "crimes.csv" in a and a == b


FIGURES_SCRIPT = """
    from pathlib import Path
    from sna_lib.data.config import load_config
    from sna_lib.book.stores import export_figures
    data, out = Path({data!r}), Path({out!r})
    out.mkdir(parents=True, exist_ok=True)
    csp = list(load_config(data).csps)[0]
    for area, fmt in (("county", "json"), ("county", "csv"), (csp, "json")):
        (out / f"{{area}}.{{fmt}}").write_text(export_figures(data, area=area, fmt=fmt), encoding="utf-8")
"""


def test_sna_figures_is_byte_identical(store_only_dir, tmp_path):
    """Two processes (different hash seeds) export the same store to the same bytes (the store's
    own bytes are compared in the publication-stage tests)."""
    demo_dir = store_only_dir
    for name, seed in (("a", 1), ("b", 2)):
        run_python(FIGURES_SCRIPT.format(data=str(demo_dir), out=str(tmp_path / name)), hash_seed=seed, cwd=tmp_path)
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert len(a) == 3 and sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []
    county = json.loads(a["county.json"])
    assert county  # a real export, not an empty document
    # the CLI writes the same bytes as the library call
    from sna_lib.cli import main

    assert main(["figures", "--data", str(demo_dir), "--area", "county", "--format", "csv",
                 "--out", str(tmp_path / "cli.csv")]) == 0
    assert (tmp_path / "cli.csv").read_bytes() == a["county.csv"]


