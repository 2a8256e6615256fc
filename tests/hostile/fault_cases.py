"""Faults a user can cause (issue #12): a build folder that cannot be written, damaged cache
entries, stray files in the data folder. Each ends in one clear line and a non-zero exit, or is
detected and rebuilt; nothing outside the contract is read, copied or named."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hostile.builder import build_valid_dir

STRAY = "victim_John_Smith_DOB_1990-01-01_notes.txt"


@dataclass(frozen=True)
class Fault:
    id: str
    cls: str
    run: Callable[[Path, pytest.CaptureFixture], None]


def _one_line_error(argv: list[str], capsys, *, code: int = 2, says: str = "cannot write or read") -> None:
    from sna_lib import cli

    assert cli.main(argv) == code
    err = capsys.readouterr().err.strip()
    errors = [line for line in err.splitlines() if "error" in line]
    assert "Traceback" not in err and len(errors) == 1, err  # progress lines aside, one line says it all
    assert says in errors[0], err


def _build_into(build_dir_of: Callable[[Path], Path], command: str = "build"):
    def run(tmp: Path, capsys) -> None:
        data = build_valid_dir(tmp / "data")
        target = build_dir_of(tmp)
        _one_line_error([command, "--data", str(data), "--build-dir", str(target)], capsys)

    return run


def _under_a_file(tmp: Path) -> Path:
    (tmp / "not-a-folder").write_text("x", encoding="utf-8")
    return tmp / "not-a-folder" / "build"


def _read_only(tmp: Path) -> Path:
    if os.geteuid() != 0:
        ro = tmp / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        return ro / "build"
    return Path("/sys/sna-hostile-build")  # read-only even for root


def _figures_out_missing_folder(tmp: Path, capsys) -> None:
    data = build_valid_dir(tmp / "data")
    _one_line_error(["figures", "--data", str(data), "--out", str(tmp / "no" / "such" / "x.json")], capsys)


def _demo_into_file(tmp: Path, capsys) -> None:
    (tmp / "f").write_text("x", encoding="utf-8")
    _one_line_error(["demo-data", "--out", str(tmp / "f" / "demo"), "--scale", "0.01"], capsys)


def _internal_error_is_one_line(tmp: Path, capsys) -> None:
    from sna_lib.data import validate

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SNA_DEBUG", raising=False)
        mp.setattr(validate, "validate_dir", lambda path: (_ for _ in ()).throw(RuntimeError("boom")))
        _one_line_error(["validate", "--data", str(tmp)], capsys, code=3, says="internal error: RuntimeError: boom")


# --------------------------------------------------------------------------- run cache


def _job(key: str = "k" * 24):
    from sna_lib.book.pipeline import _Job

    return _Job("county", "notebooks/01_key_findings", None, key)


def _damaged_run(damage: Callable[[Path], None]):
    def run(tmp: Path, capsys) -> None:
        from sna_lib.book import pipeline

        runs = tmp / "runs"
        job = _job()
        # a healthy run as the pipeline writes it (ask it to execute nothing, then write the files)
        run_dir = runs / job.key
        (run_dir / "downloads").mkdir(parents=True)
        (run_dir / "notebook.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                            "nbformat_minor": 5}), encoding="utf-8")
        (run_dir / "downloads" / "t.csv").write_text("a\n1\n", encoding="utf-8")
        (run_dir / "run.json").write_text("{}", encoding="utf-8")
        pipeline.write_manifest(run_dir)
        cached, todo = pipeline._split_cached([job], runs)
        assert [r.key for r in cached] == [job.key] and todo == []  # intact entries are reused
        damage(run_dir)
        cached, todo = pipeline._split_cached([job], runs)
        assert cached == [] and todo == [job], "a damaged cache entry must be executed again"
        assert not run_dir.exists()

    return run


def _garbage_notebook(run_dir: Path) -> None:
    (run_dir / "notebook.ipynb").write_bytes(b"\x00\x01 not json")


def _truncated_notebook(run_dir: Path) -> None:
    path = run_dir / "notebook.ipynb"
    path.write_bytes(path.read_bytes()[:10])


def _missing_download(run_dir: Path) -> None:
    (run_dir / "downloads" / "t.csv").unlink()


def _edited_download(run_dir: Path) -> None:
    (run_dir / "downloads" / "t.csv").write_text("a\n2\n", encoding="utf-8")


def _no_manifest(run_dir: Path) -> None:
    from sna_lib.book.pipeline import MANIFEST_FILE

    (run_dir / MANIFEST_FILE).write_text("not json", encoding="utf-8")


# --------------------------------------------------------------------------- validated data copy


def _damaged_copy(damage: Callable[[Path], None]):
    def run(tmp: Path, capsys) -> None:
        from sna_lib.data import validate
        from sna_lib.book import pipeline

        from hostile.builder import OFFENCE_CODES

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(validate, "known_offence_codes", lambda: OFFENCE_CODES)
            data = build_valid_dir(tmp / "data")
            copy = pipeline.prepare_data(data, tmp / "cache")
            damage(copy)
            again = pipeline.prepare_data(data, tmp / "cache")
        assert pq.read_table(again / "crimes.parquet").num_rows == 12

    return run


def _truncate_parquet(copy: Path) -> None:
    path = copy / "crimes.parquet"
    path.write_bytes(path.read_bytes()[:100])


def _delete_parquet(copy: Path) -> None:
    (copy / "crimes.parquet").unlink()


# --------------------------------------------------------------------------- only contract files


def _stray(where: str):
    def run(tmp: Path, capsys) -> None:
        from sna_lib.data import validate
        from sna_lib.book import pipeline

        from hostile.builder import OFFENCE_CODES

        data = build_valid_dir(tmp / "data")
        stray = data / where
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_text("Name: John Smith", encoding="utf-8")
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(validate, "known_offence_codes", lambda: OFFENCE_CODES)
            copy = pipeline.prepare_data(data, tmp / "cache")
        copied = [p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()]
        assert not any("John" in c or "notes" in c or "backup" in c for c in copied), copied
        provenance = (copy / "provenance.json").read_text(encoding="utf-8")
        assert "John" not in provenance and stray.name not in provenance
        assert "crimes.csv" in provenance

    return run


def _stray_does_not_change_cache_key(tmp: Path, capsys) -> None:
    from sna_lib.data import validate
    from sna_lib.book import pipeline

    from hostile.builder import OFFENCE_CODES

    data = build_valid_dir(tmp / "data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(validate, "known_offence_codes", lambda: OFFENCE_CODES)
        first = pipeline.prepare_data(data, tmp / "cache")
        (data / STRAY).write_text("x", encoding="utf-8")
        second = pipeline.prepare_data(data, tmp / "cache")
    assert first == second


def _validate_warns_about_stray(tmp: Path, capsys) -> None:
    from sna_lib.data import validate

    from hostile.builder import OFFENCE_CODES

    data = build_valid_dir(tmp / "data")
    (data / STRAY).write_text("x", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(validate, "known_offence_codes", lambda: OFFENCE_CODES)
        report = validate.validate_dir(data)
    assert report.ok
    assert any(w.file == STRAY and "not a file of the contract" in w.reason for w in report.warnings)


FAULTS: list[Fault] = [
    Fault("build_dir_read_only", "faults", _build_into(_read_only)),
    Fault("build_dir_under_a_file", "faults", _build_into(_under_a_file)),
    Fault("run_dir_read_only", "faults", _build_into(_read_only, "run")),
    Fault("figures_out_missing_folder", "faults", _figures_out_missing_folder),
    Fault("demo_data_into_a_file", "faults", _demo_into_file),
    Fault("internal_error_one_line", "faults", _internal_error_is_one_line),
    Fault("cache_notebook_not_json", "cache", _damaged_run(_garbage_notebook)),
    Fault("cache_notebook_truncated", "cache", _damaged_run(_truncated_notebook)),
    Fault("cache_download_missing", "cache", _damaged_run(_missing_download)),
    Fault("cache_download_edited", "cache", _damaged_run(_edited_download)),
    Fault("cache_manifest_unreadable", "cache", _damaged_run(_no_manifest)),
    Fault("data_copy_parquet_truncated", "cache", _damaged_copy(_truncate_parquet)),
    Fault("data_copy_parquet_deleted", "cache", _damaged_copy(_delete_parquet)),
    Fault("stray_file_not_copied_or_named", "files", _stray(STRAY)),
    Fault("stray_subfolder_not_copied", "files", _stray("notes/interview_notes.txt")),
    Fault("stray_backup_table_not_copied", "files", _stray("crimes_backup_2023.csv")),
    Fault("stray_file_not_in_cache_key", "files", _stray_does_not_change_cache_key),
    Fault("stray_file_warned_by_validate", "files", _validate_warns_about_stray),
]
