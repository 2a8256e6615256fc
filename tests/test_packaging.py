"""The conda spec, the pip export and the Makefile hand off to the same hashed lock as uv."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[1]


def _uv() -> str:
    found = shutil.which("uv") or str(REPO / ".tools" / "bin" / "uv")
    if not Path(found).exists():
        pytest.fail("uv not found: `make test` bootstraps it into .tools/")
    return found


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_requirements_export_matches_uv_lock():
    exported = subprocess.run(
        [_uv(), "export", "--frozen", "--all-extras", "--no-emit-project",
         "--format", "requirements-txt", "-q"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout
    strip = lambda text: [ln for ln in text.splitlines() if not ln.startswith("#")]  # noqa: E731
    committed = (REPO / "requirements.lock.txt").read_text()
    assert strip(exported) == strip(committed), "run `make lock` to refresh requirements.lock.txt"


def test_uv_lock_is_current_for_pyproject():
    result = subprocess.run([_uv(), "lock", "--check"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_environment_yml_hands_off_to_the_lock():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    deps = env["dependencies"]
    python_pin = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    version = python_pin.split("=", 1)[1]
    assert SpecifierSet(_pyproject()["project"]["requires-python"]).contains(f"{version}.0")
    pip_lines = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-r requirements.lock.txt" in pip_lines
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (REPO / "Makefile").read_text(), re.M).group(1)
    assert f"uv=={makefile_uv}" in pip_lines


def test_every_declared_dependency_is_pinned_with_hashes_in_the_export():
    lock_text = (REPO / "requirements.lock.txt").read_text().lower()
    deps = _pyproject()["project"]["dependencies"] + _pyproject()["project"]["optional-dependencies"]["test"]
    for dep in deps:
        name = re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        block = re.search(rf"^{re.escape(name)}==[^\n]*\n(\s+--hash=sha256:[0-9a-f]{{64}}.*\n?)+", lock_text, re.M)
        assert block, f"{name} is not pinned with hashes in requirements.lock.txt"


def test_console_script_declared():
    assert _pyproject()["project"]["scripts"]["sna"] == "sna_lib.cli:main"
