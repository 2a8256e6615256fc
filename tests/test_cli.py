"""The ``sna`` command line: help, exit codes, and what a failed build leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pandas as pd
import pytest

COMMANDS = ("demo-data", "validate", "run", "build", "figures")


def sna(*args: str, env: dict | None = None, timeout: int = 600, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sna_lib.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=cwd)


def test_help_lists_every_command_quickly():
    started = time.perf_counter()
    proc = sna("--help")
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0
    for command in COMMANDS:
        assert command in proc.stdout
    assert elapsed < 10  # heavy imports are deferred until a command runs


@pytest.mark.parametrize("command", ["run", "build"])
def test_run_and_build_help_show_their_options(command):
    proc = sna(command, "--help")
    assert proc.returncode == 0
    for option in ("--data", "--area", "--build-dir", "--workers", "'all'"):
        assert option in proc.stdout


def test_missing_subcommand_is_a_usage_error():
    proc = sna()
    assert proc.returncode == 2
    assert "COMMAND" in proc.stderr or "required" in proc.stderr


def test_build_with_broken_data_exits_non_zero_and_publishes_nothing(demo_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for path in demo_dir.iterdir():
        (bad / path.name).write_bytes(path.read_bytes())
    crimes = pd.read_parquet(bad / "crimes.parquet").drop(columns=["offence_code"])
    crimes.to_parquet(bad / "crimes.parquet", index=False)
    build = tmp_path / "build"
    proc = sna("build", "--data", str(bad), "--build-dir", str(build))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "crimes" in proc.stderr and "offence_code" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (build / "html").exists()
    assert not any(build.rglob("*.ipynb"))


def test_run_names_the_failing_notebook_and_exits_non_zero(tiny_project, few_csp_dir, tmp_path):
    import yaml

    from conftest import write_tiny_notebook

    csp = yaml.safe_load((few_csp_dir / "config.yaml").read_text(encoding="utf-8"))["csps"][1]
    write_tiny_notebook(tiny_project / "notebooks" / "01_tiny.ipynb", fail_areas=[csp])
    (tmp_path / "data").symlink_to(few_csp_dir)
    # relative --data and --build-dir (as `make book` passes them): kernels run elsewhere
    proc = sna("run", "--data", "data", "--area", csp, "--build-dir", "build",
               env={"SNA_PROJECT_DIR": str(tiny_project)}, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert f"FAILED {csp}: notebooks/01_tiny: RuntimeError: deliberate failure for {csp}" in proc.stderr
    assert "notebooks executed: 1" in proc.stderr  # the area profile still ran


def test_unknown_area_is_reported_not_a_traceback(demo_dir, tmp_path):
    proc = sna("run", "--data", str(demo_dir), "--area", "Atlantis", "--build-dir", str(tmp_path / "b"))
    assert proc.returncode == 2
    assert "Atlantis" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "b" / ".cache" / "data").exists()  # rejected before validation and the stage


def test_build_processes_skip_the_slow_optional_import_and_nbformat_still_validates():
    """SKIP_SLOW_IMPORTS (kernels, the build, each jupyter-book run) keeps jsonschema from
    importing rfc3987_syntax; nbformat still validates notebooks and rejects a broken one."""
    import subprocess
    import sys

    from sna_lib.book.execute import SKIP_SLOW_IMPORTS

    code = SKIP_SLOW_IMPORTS + """
import sys, nbformat, jsonschema
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
nbformat.validate(nb)
nb.cells[0]["cell_type"] = "nonsense"
try:
    nbformat.validate(nb)
    print("accepted broken")
except nbformat.ValidationError:
    print("rejected broken")
print("iri" in jsonschema.FormatChecker().checkers, sys.modules["rfc3987_syntax"] is None)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["rejected", "broken", "False", "True"]
