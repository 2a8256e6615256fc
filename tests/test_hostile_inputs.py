"""Hostile-input corpus (issue #7): every malformed folder is refused with a precise problem."""

from __future__ import annotations

import pytest
from hostile.builder import OFFENCE_CODES, build_valid_dir
from hostile.cases import CASES, Case

from sna_lib import cli
from sna_lib.data import validate as validate_module
from sna_lib.data.validate import validate_dir


@pytest.fixture(autouse=True)
def small_offence_table(monkeypatch):
    """Validate against a small offence table so tests do not depend on the shipped one."""
    monkeypatch.setattr(validate_module, "known_offence_codes", lambda: OFFENCE_CODES)


def test_corpus_is_large_and_distinct():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def test_unmutated_folder_is_clean(tmp_path):
    report = validate_dir(build_valid_dir(tmp_path))
    assert report.problems == []
    assert report.ok


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_input_is_reported_precisely(case: Case, tmp_path, capsys, monkeypatch):
    data = build_valid_dir(tmp_path / "data")
    case.mutate(data)
    reports = []

    def recording_validate_dir(path):
        reports.append(validate_dir(path))
        return reports[-1]

    monkeypatch.setattr(validate_module, "validate_dir", recording_validate_dir)
    assert cli.main(["validate", "--data", str(data)]) != 0
    assert "FAILED" in capsys.readouterr().out
    (report,) = reports
    assert not report.ok
    matches = [p for p in report.problems
               if (p.file, p.column, p.row) == (case.file, case.column, case.row) and case.reason in p.reason]
    assert matches, "expected problem not reported; got:\n" + "\n".join(map(str, report.problems))
    if "formula" not in case.id:  # negative numbers and ordinary text are never taken for formulas
        assert not any("spreadsheet formula" in p.reason for p in report.problems)
