"""Hostile-input corpus (issues #7 and #12).

* :data:`CASES` (validate level): every malformed folder is refused by ``sna validate`` with the
  exact file, column/key, row and reason — data tables (#7), config and definition files,
  typed columns and dates, CRS, ``on_error: reject`` limits (#12).
* :data:`ACCEPTED`: hostile-looking but legal folders that must validate (and say what they did).
* :data:`BOUNDARY_CHECKS`: text from data/config crossing the one rendering boundary (Markdown,
  MyST templates, HTML/JS, CSV cells, plot text, folder names) comes out inert.
* :data:`FAULTS`: user-caused faults end in one line and a non-zero exit; damaged cache entries
  are rebuilt; only contract files are read, copied or named.
* ``test_book_build_with_hostile_names`` (marked ``slow``): one real book built with every
  hostile name at once (see :data:`BUILD_CHECKS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile.boundary_cases import BOUNDARY_CHECKS
from hostile.builder import CONFIG, OFFENCE_CODES, build_valid_dir
from hostile.cases import CASES as DATA_CASES
from hostile.cases import Case, _replace_line, edit_geo, rewrite_bytes, write_config
from hostile.config_cases import CONFIG_CASES
from hostile.fault_cases import FAULTS
from hostile.table_cases import TABLE_CASES

from sna_lib import cli
from sna_lib.data import validate as validate_module
from sna_lib.data.validate import validate_dir

CASES: list[Case] = [*DATA_CASES, *CONFIG_CASES, *TABLE_CASES]


@dataclass(frozen=True)
class Accepted:
    """A folder that must validate; ``check(report)`` asserts what the report says."""

    id: str
    mutate: Callable[[Path], None]
    check: Callable[[object], None]


def _reject_config(d: Path) -> None:
    (d / "config.yaml").write_text(CONFIG + "validation: {on_error: reject, max_rejected_share: 0.5}\n",
                                   encoding="utf-8")


def _then(*fns):
    def mutate(d: Path) -> None:
        for fn in fns:
            fn(d)

    return mutate


def _rejected(file: str, n: int, reason: str):
    def check(report) -> None:
        q = report.quality.to_frame().set_index("file")
        assert q.loc[file, "rejected"] == n and q.loc[file, "read"] == q.loc[file, "used"] + n
        assert any(p.file == file and reason in p.reason for p in report.row_problems)
        assert report.quality.reconciles()

    return check


def _rename_csps(names: tuple[str, str]):
    def mutate(d: Path) -> None:
        write_config(CONFIG.replace("[North, South]", f"['{names[0]}', '{names[1]}']"))(d)
        edit_geo(lambda g: g.assign(area=[names[0], names[0], names[1], names[1]]))(d)
        survey = d / "community_survey.csv"
        survey.write_text(survey.read_text(encoding="utf-8").replace("North", names[0]), encoding="utf-8")

    return mutate


def _slugs_match(names: tuple[str, ...]):
    def check(report) -> None:
        from sna_lib.book.pipeline import area_slug

        assert report.problems == []
        assert [area_slug(n) for n in names] == [n.lower().replace("ô", "o").replace(" ", "-").replace("ŵ", "w")
                                                 for n in names]

    return check


ACCEPTED: list[Accepted] = [
    Accepted("reject_mode_ragged_row_is_rejected", _then(_reject_config, rewrite_bytes(
        "asb.csv", lambda b: _replace_line(b, 2, b"A2,2022-04-01,X01000002,extra"))),
        _rejected("asb.csv", 1, "has 4 fields but the header has 3")),
    Accepted("reject_mode_short_row_is_rejected", _then(_reject_config, rewrite_bytes(
        "fire.csv", lambda b: _replace_line(b, 1, b"F1,2021-03-01"))),
        _rejected("fire.csv", 1, "has 2 fields but the header has 4")),
    Accepted("non_ascii_csp_names_validate_and_build", _rename_csps(("Ynys Môn", "Bro Ŵ")),
             _slugs_match(("Ynys Môn", "Bro Ŵ"))),
]


@pytest.fixture(autouse=True)
def small_offence_table(monkeypatch):
    """Validate against a small offence table so tests do not depend on the shipped one."""
    monkeypatch.setattr(validate_module, "known_offence_codes", lambda: OFFENCE_CODES)


def all_case_ids() -> list[str]:
    from test_hostile_build import BUILD_CHECKS

    return ([c.id for c in CASES] + [c.id for c in ACCEPTED] + [c.id for c in BOUNDARY_CHECKS]
            + [c.id for c in FAULTS] + [f"build_{c}" for c in BUILD_CHECKS])


def test_corpus_is_large_and_distinct():
    ids = all_case_ids()
    assert len(ids) >= 130
    assert len(set(ids)) == len(ids)


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
    if "formula" not in case.id and "marker" not in case.id:  # negative numbers and text are never formulas
        assert not any("spreadsheet formula" in p.reason for p in report.problems)


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda c: c.id)
def test_legal_but_hostile_looking_input_is_accepted(case: Accepted, tmp_path, capsys):
    data = build_valid_dir(tmp_path / "data")
    case.mutate(data)
    assert cli.main(["validate", "--data", str(data)]) == 0, capsys.readouterr().out
    case.check(validate_dir(data))


@pytest.mark.parametrize("check", BOUNDARY_CHECKS, ids=lambda c: c.id)
def test_rendering_boundary_neutralises(check, tmp_path):
    check.run(tmp_path)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda c: c.id)
def test_user_fault_is_one_line_or_rebuilt(fault, tmp_path, capsys):
    fault.run(tmp_path, capsys)
