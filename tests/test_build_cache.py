"""The build cache is keyed on file contents, never on (size, modification time).

An edit that keeps a file's size and has its modification time restored (``cp -p``, ``rsync -t``,
``git checkout`` of an older blob with the same length, a tool that preserves times) must still be
seen: the validated data copy and every run depending on the file are rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sna_lib.book.pipeline import run_notebooks


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) and put the modification time back."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _glued_label(record) -> str:
    nb = json.loads((record.run_dir / "notebook.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if output.get("metadata", {}).get("scrapbook", {}).get("name") == "tiny_label":
                return output["data"]["application/papermill.record/text/plain"].strip("'\"")
    raise AssertionError("tiny_label not glued")


@pytest.fixture
def data_copy(few_csp_dir, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(few_csp_dir, target)
    return target


def test_same_size_data_edit_with_mtime_preserved_is_not_served_stale(tiny_project, data_copy, tmp_path):
    import yaml

    config_file = data_copy / "config.yaml"
    county = yaml.safe_load(config_file.read_text(encoding="utf-8"))["county"]
    renamed = county[:-1] + ("X" if county[-1] != "X" else "Y")
    build = tmp_path / "build"

    first = run_notebooks(data_copy, area="county", build_dir=build)
    assert first.ok, first.failures
    county_run = next(r for r in first.records if r.area == "county")
    assert _glued_label(county_run).startswith(county)

    _same_size_edit(config_file, f"county: {county}", f"county: {renamed}")
    second = run_notebooks(data_copy, area="county", build_dir=build)
    assert second.ok, second.failures
    assert second.data_copy != first.data_copy, "stale validated copy reused"
    assert second.executed == first.executed  # every run depends on the data
    county_run = next(r for r in second.records if r.area == "county")
    assert _glued_label(county_run).startswith(renamed)


def test_same_size_notebook_edit_with_mtime_preserved_reruns_that_notebook(tiny_project, few_csp_dir, tmp_path):
    build = tmp_path / "build"
    assert run_notebooks(few_csp_dir, area="county", build_dir=build).ok
    _same_size_edit(tiny_project / "notebooks" / "01_tiny.ipynb", "Tiny page", "Tiny PAGE")
    again = run_notebooks(few_csp_dir, area="county", build_dir=build)
    assert {(r.area, r.notebook) for r in again.records if r.executed} == {("county", "notebooks/01_tiny")}
    page = next(r for r in again.records if r.notebook == "notebooks/01_tiny")
    assert "Tiny PAGE" in (page.run_dir / "notebook.ipynb").read_text(encoding="utf-8")


def test_damaged_cache_entries_are_rebuilt_not_served(tiny_project, few_csp_dir, tmp_path):
    from sna_lib.book.pipeline import build_book, published_dir

    build = tmp_path / "build"
    first = run_notebooks(few_csp_dir, area="county", build_dir=build)
    assert first.ok, first.failures
    page = next(r for r in first.records if r.notebook == "notebooks/01_tiny")
    notebook = page.run_dir / "notebook.ipynb"
    good = notebook.read_bytes()
    notebook.write_bytes(good[: len(good) // 2])  # truncated (a killed copy, a full disk)
    parquet = next(first.data_copy.glob("*.parquet"))
    parquet.write_bytes(b"\0" * parquet.stat().st_size)  # damaged validated data copy, same size

    again = build_book(few_csp_dir, area="county", build_dir=build)
    assert again.ok, again.failures
    # the data copy was re-validated into the same place (same inputs, same key) ...
    assert again.run.data_copy == first.data_copy
    assert parquet.read_bytes().strip(b"\0") != b""
    # ... and only the truncated run executed again (the other runs' entries are intact)
    assert {(r.area, r.notebook) for r in again.run.records if r.executed} == {("county", "notebooks/01_tiny")}
    assert notebook.read_bytes() == good  # deterministic: the same bytes as before the damage
    assert (published_dir(build, "county") / "index.html").is_file()
