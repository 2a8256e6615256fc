"""Category-mean harm for police.uk categories: the mapping's integrity, the count-weighted mean
against hand computation, the official workbook when configured ($SNA_SHARED_DIR/data/cchi; skipped
when absent; its values are read at test time, never stored), and the page's table disclosure."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from sna_lib.data.schemas import CATEGORY_CODES
from sna_lib.measures.category_harm import LABEL, basis_sentence, category_harm, category_map, category_weights, \
    category_weights_for_config
from sna_lib.reference import offences


def test_every_police_uk_crime_category_is_mapped_once_to_known_codes():
    m = category_map()
    assert set(m["category"]) == set(CATEGORY_CODES)                  # every crime category, no ASB
    assert not m["offence_code"].duplicated().any()                   # a code is in one category only
    known = set(offences()["offence_code"].astype(str))
    assert set(m["offence_code"]) <= known
    assert (m["why"].str.len() > 0).all() and (m["title"].str.len() > 0).all()   # documented per row
    assert sorted(m.loc[m["category"] == "robbery", "offence_code"]) == ["34A", "34B"]
    assert {"5D", "8N", "105A", "19C", "1"} <= set(m.loc[m["category"] == "violence_and_sexual_offences",
                                                      "offence_code"])


def test_count_weighted_mean_by_hand():
    table = pd.DataFrame({"offence_code": ["A1", "A2", "A3", "B1"], "cchi_days": [10.0, 100.0, 1000.0, 7.0],
                          "cchi_basis": ["estimate", "official", "estimate", "estimate"]})
    mapping = pd.DataFrame({"category": ["a", "a", "a", "b", "c"], "offence_code": ["A1", "A2", "A3", "B1", "C9"]})
    counts = pd.Series({"A1": 6, "A2": 3, "A3": 0, "B1": 5})           # A3: no offences; C9 unknown
    w = category_weights(table, counts=counts, mapping=mapping)
    assert float(w.loc["a", "weight"]) == pytest.approx((6 * 10 + 3 * 100) / 9)   # 40, not the plain mean 370
    assert w.loc["a", "left_out"] == "A3" and w.loc["a", "weights"] == "official 1 of 2"
    assert float(w.loc["b", "weight"]) == 7.0
    assert pd.isna(w.loc["c", "weight"]) and w.loc["c", "left_out"] == "C9"
    crimes = pd.DataFrame({"category": ["a", "b", "a", "c"]})
    assert category_harm(crimes, w).astype(float).fillna(-1).tolist() == [40.0, 7.0, 40.0, -1]


def test_shipped_default_possession_of_weapons_by_hand():
    # estimates (reference/offences.csv): 10A 1825, 10B 365, 10C 19, 10D 19, 81 182.5, 90 3 days;
    # modelled mix (synthetic/profile.yaml): 10A 40, 10C 420, 10D 1050, 81 150 (10B, 90 absent)
    w = category_weights()
    expected = (40 * 1825 + 420 * 19 + 1050 * 19 + 150 * 182.5) / (40 + 420 + 1050 + 150)   # = 77.29
    assert float(w.loc["possession_of_weapons", "weight"]) == pytest.approx(expected)
    assert w.loc["possession_of_weapons", "left_out"] == "10B, 90"
    # drugs: sna-book's Class sub-codes fold into their HO code (92A/A 590 + 92A/BC 360 -> 92A 950, at 19 days)
    drugs = (950 * 19 + 50 * 3 + 950 * 2 + 2500 * 2) / (950 + 50 + 950 + 2500)
    assert float(w.loc["drugs", "weight"]) == pytest.approx(drugs)


def test_named_as_an_estimate_never_the_index():
    w = category_weights()
    text = basis_sentence(w)
    assert text.startswith("Category-mean harm (estimate)") and LABEL == "category-mean harm (estimate)"
    assert "not the Cambridge Crime Harm Index" in text and "not recorded counts" in text


def test_official_workbook_when_configured(cchi_workbook, tmp_path):
    raw = pd.read_excel(cchi_workbook, sheet_name="CCHI 2020 values sheet", dtype=str)
    score = pd.to_numeric(raw["CCHI Score"], errors="coerce")
    code = raw["CLASSIFICATION_CODE"].astype(str).str.strip().str.upper()
    attempt = raw["SHORT_TITLE"].astype(str).str.strip().str.lower().str.startswith("attempted")

    def median(c):                                        # full offences only, where the code has them
        rows = (code == c) & score.notna()
        full = rows & ~attempt
        return float(score[full if full.any() else rows].median())

    config = SimpleNamespace(harm=SimpleNamespace(cchi_workbook=Path(cchi_workbook)))
    counts = pd.Series({"34A": 1, "34B": 4, "10A": 2, "10D": 8})
    w = category_weights_for_config(config, counts=counts)
    assert float(w.loc["robbery", "weight"]) == pytest.approx((median("34A") + 4 * median("34B")) / 5)
    assert float(w.loc["possession_of_weapons", "weight"]) == pytest.approx(
        (2 * median("10A") + 8 * median("10D")) / 10)
    assert w.loc["robbery", "weights"] == "official 2 of 2"
    default = category_weights_for_config(SimpleNamespace(harm=SimpleNamespace(cchi_workbook=None)), counts=counts)
    assert default.loc["robbery", "weights"] == "estimate"


@pytest.fixture
def cchi_workbook():
    from conftest import shared_dir

    path = shared_dir() / "data" / "cchi" / "Cambridge-Crime-Harm-Index-2020.xlsx"
    if not path.is_file():
        pytest.skip(f"official CCHI workbook not present at {path} (set SNA_SHARED_DIR)")
    return path


def _open_folder(tmp_path, counts_csv: str | None, key: str = "counts.csv"):
    """The hand-made open-level folder of test_open_contract with harm.offence_counts set to ``key``."""
    from test_open_contract import CONFIG, _folder

    tmp_path.mkdir(parents=True, exist_ok=True)
    folder = _folder(tmp_path, config=CONFIG + f"harm: {{offence_counts: {key}}}\n")
    if counts_csv is not None:
        (folder / key).write_text(counts_csv)
    return folder


def test_configured_offence_counts_weight_the_mean(tmp_path):
    from sna_lib.data.config import load_config
    from sna_lib.data.validate import validate_dir

    folder = _open_folder(tmp_path, "offence_code,count\n34A,10\n34B,30\n10A,1\n10D,99\n")
    report = validate_dir(folder)
    assert report.ok, report.problems
    assert not [w for w in report.warnings if "counts.csv" in str(w)]       # a contract file, not stray
    w = category_weights_for_config(load_config(folder))
    assert float(w.loc["possession_of_weapons", "weight"]) == pytest.approx((1 * 1825 + 99 * 19) / 100)
    assert w.loc["possession_of_weapons", "left_out"] == "10B, 10C, 81, 90"
    assert "recorded offences per Home Office code in counts.csv" in basis_sentence(w)
    assert pd.isna(w.loc["shoplifting", "weight"])                          # no count for 46: no weight


def test_bad_offence_counts_are_reported_with_file_column_row(tmp_path):
    from sna_lib.data.validate import validate_dir

    folder = _open_folder(tmp_path, "offence_code,count\n34A,10\nZZ9,3\n34B,-1\n34A,2\n10D,2.5\n")
    found = {(p.file, p.column, p.row) for p in validate_dir(folder).problems}
    assert {("counts.csv", "offence_code", 2), ("counts.csv", "count", 3), ("counts.csv", "offence_code", 4),
            ("counts.csv", "count", 5)} <= found
    missing = _open_folder(tmp_path / "m", None)
    assert [(p.file, p.column) for p in validate_dir(missing).problems if "not found" in p.reason] == \
        [("config.yaml", "harm.offence_counts")]
