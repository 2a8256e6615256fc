"""Tests for the shipped Home Office offence reference table."""

from __future__ import annotations

import pandas as pd
import pytest

from sna_lib.errors import DataValidationError
from sna_lib.reference import (
    OFFENCE_GROUPS,
    VIOLENCE_GROUPS,
    _parse,
    offence_weights,
    offences,
    unknown_codes,
)


def test_table_shape_and_codes():
    t = offences()
    assert len(t) >= 100
    assert t["offence_code"].is_unique
    for code in ["1", "4.1", "5D", "8N", "28A", "28E", "34B", "92A", "10D", "105A", "8U", "19C"]:
        assert code in set(t["offence_code"]), code
    assert set(t["offence_group"]) == set(OFFENCE_GROUPS)


def test_every_row_has_a_non_negative_weight_and_basis():
    t = offences()
    assert t["cchi_days"].notna().all()
    assert (t["cchi_days"] >= 0).all()
    assert set(t["cchi_basis"]) <= {"published", "estimate"}


def test_harm_ordering_is_sane():
    w = offences().set_index("offence_code")["cchi_days"]
    # murder > attempted murder > GBH with intent > assault with injury > common assault > shoplifting
    assert w["1"] > w["2"] > w["5D"] > w["8N"] > w["105A"] >= w["46"]
    assert w["19C"] > w["20A"]
    assert w["92A/A"] > w["92D/A"]


def test_flags():
    t = offences().set_index("offence_code")
    assert t.loc["92D/A", "class_a_possession"] and not t.loc["92D/A", "class_a_supply"]
    assert t.loc["92A/A", "class_a_supply"]
    assert t.loc["19C", "sexual"] and not t.loc["8N", "sexual"]
    vap = t["violence_against_the_person"]
    assert (vap == t["offence_group"].isin(VIOLENCE_GROUPS)).all()
    assert t.loc["8U", "vawg_relevant"] and not t.loc["46", "vawg_relevant"]


def test_offences_returns_independent_copies():
    a = offences()
    a.loc[0, "offence_title"] = "changed"
    assert offences().loc[0, "offence_title"] != "changed"


def test_weights_and_unknown_codes():
    codes = pd.Series(["1", "8N", "XX"], index=[10, 11, 12])
    w = offence_weights(codes)
    assert list(w.index) == [10, 11, 12]
    assert w[10] == 5475 and pd.isna(w[12])
    assert unknown_codes(codes) == ["XX"]


def test_parse_reports_every_problem():
    raw = pd.DataFrame({
        "offence_code": ["1", "1", ""],
        "offence_title": ["a", "b", "c"],
        "offence_group": ["homicide", "nonsense", "robbery"],
        "offence_subgroup": ["x", "x", "x"],
        "cchi_days": ["10", "-1", "abc"],
        "cchi_basis": ["estimate"] * 3,
        "code_status": ["current"] * 3,
        "notifiable": ["true", "maybe", "false"],
        "violence_against_the_person": ["true"] * 3,
        "class_a_possession": ["false"] * 3,
        "class_a_supply": ["false"] * 3,
        "sexual": ["false"] * 3,
        "vawg_relevant": ["false"] * 3,
    })
    with pytest.raises(DataValidationError) as err:
        _parse(raw)
    reasons = [(p.column, p.row) for p in err.value.problems]
    assert ("offence_code", 2) in reasons      # duplicate
    assert ("offence_code", 3) in reasons      # empty
    assert ("offence_group", 2) in reasons
    assert ("cchi_days", 2) in reasons and ("cchi_days", 3) in reasons
    assert ("notifiable", 2) in reasons


def test_parse_missing_column():
    with pytest.raises(DataValidationError, match="required column missing"):
        _parse(pd.DataFrame({"offence_code": ["1"]}))
