"""Tests for definition loading/validation and crime classification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna_lib.measures.classify import (
    available_definitions,
    classify,
    load_definition,
    load_definitions,
    parse_definition,
    qualifying_mask,
    serious_violence_ids,
)
from sna_lib.errors import DataValidationError

FLAGS = ["knife", "firearm", "other_weapon", "county_lines", "gang"]


def crime(cid, code, *, da=False, loc="public", date="2023-06-01", **flags):
    row = {"crime_id": cid, "offence_code": code, "date": pd.Timestamp(date), "domestic_abuse": da,
           "location_type": loc}
    row.update({f: bool(flags.get(f, False)) for f in FLAGS})
    return row


@pytest.fixture
def crimes():
    rows = [
        crime("knife-public", "8N", knife=True),                 # included
        crime("gang-robbery", "34B", gang=True),                 # included via gang
        crime("cl-gbh", "5D", county_lines=True),                # included via county lines
        crime("firearm-murder", "1", firearm=True),              # included
        crime("sex-weapon", "19C", other_weapon=True),           # included (sexual offences in scope)
        crime("da-knife", "8N", da=True, knife=True),            # DA
        crime("home-knife", "8N", loc="dwelling", knife=True),   # dwelling
        crime("no-flag", "8N"),                                  # no flag
        crime("common-assault-knife", "105A", knife=True),       # offence type (violence w/o injury)
        crime("shoplifting", "46", knife=True),                  # offence type
        crime("da-home-noflag", "8N", da=True, loc="dwelling"),  # first failing rule: DA
    ]
    return pd.DataFrame(rows)


def test_partnership_reasons(crimes):
    out = classify(crimes, "partnership").set_index("crime_id")
    expected = {
        "knife-public": "included", "gang-robbery": "included", "cl-gbh": "included",
        "firearm-murder": "included", "sex-weapon": "included",
        "da-knife": "excluded: domestic abuse", "home-knife": "excluded: in dwelling",
        "no-flag": "excluded: no weapon or county-lines/gang flag",
        "common-assault-knife": "excluded: offence type", "shoplifting": "excluded: offence type",
        "da-home-noflag": "excluded: domestic abuse",
    }
    assert out["reason"].astype(str).to_dict() == expected
    assert out["qualifies"].to_dict() == {k: v == "included" for k, v in expected.items()}


def test_classify_keeps_index_and_order(crimes):
    shuffled = crimes.sample(frac=1, random_state=1)
    shuffled.index = shuffled.index + 100
    out = classify(shuffled, "partnership")
    assert list(out.index) == list(shuffled.index)
    assert list(out["crime_id"]) == list(shuffled["crime_id"])


def test_home_office_includes_da_home_and_all_weapon_possession():
    c = pd.DataFrame([
        crime("da-home-knife", "8N", da=True, loc="dwelling", knife=True),
        crime("blade", "10D"),                        # possession of weapons: always
        crime("murder-noflag", "1", da=True),         # homicide: always
        crime("theft-knife", "46", knife=True),       # theft with knife: knife enabled
        crime("burglary-gang", "28E", gang=True),     # gang flag alone does not count
        crime("assault-noflag", "8N"),
    ])
    out = classify(c, "home_office").set_index("crime_id")["reason"].astype(str).to_dict()
    assert out == {"da-home-knife": "included", "blade": "included", "murder-noflag": "included",
                   "theft-knife": "included", "burglary-gang": "excluded: no knife or firearm flag",
                   "assault-noflag": "excluded: no knife or firearm flag"}


def test_knife_enabled_and_homicide_measures():
    c = pd.DataFrame([
        crime("tk", "3B", knife=True, loc="dwelling"),   # threats to kill with knife at home: counts
        crime("tk-da", "3B", knife=True, da=True),       # DA excluded
        crime("blade-possession", "10D", knife=True),    # not in ONS selected offences
        crime("hom", "4.1"), crime("hom-da", "1", da=True), crime("hom-knife", "1", knife=True),
    ])
    assert classify(c, "knife_enabled").query("qualifies")["crime_id"].tolist() == ["tk", "hom-knife"]
    assert classify(c, "non_domestic_homicide").query("qualifies")["crime_id"].tolist() == ["hom", "hom-knife"]
    assert classify(c, "knife_homicide").query("qualifies")["crime_id"].tolist() == ["hom-knife"]


def test_unknown_code_reason_and_missing_flags_are_false():
    c = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["ZZ", "8N"], "domestic_abuse": [False, pd.NA],
                      "knife": pd.array([True, pd.NA], dtype="boolean"), "firearm": False,
                      "other_weapon": False, "county_lines": False, "gang": False,
                      "location_type": ["public", "public"]})
    out = classify(c, "partnership")["reason"].astype(str).tolist()
    assert out == ["excluded: offence code not in reference table",
                   "excluded: no weapon or county-lines/gang flag"]


def test_missing_required_column():
    c = pd.DataFrame({"crime_id": ["a"], "offence_code": ["8N"], "location_type": ["public"]})
    with pytest.raises(DataValidationError, match="domestic_abuse"):
        classify(c, "partnership")


def test_shipped_definitions_all_load():
    ids = available_definitions()
    assert {"partnership", "home_office", "knife_enabled", "non_domestic_homicide", "knife_homicide"} <= set(ids)
    for i in ids:
        assert load_definition(i).id == i


def test_custom_yaml_definition_without_code(tmp_path, crimes):
    path = tmp_path / "mine.yaml"
    path.write_text("id: local_knife\nname: Local knife crime\noffence_codes: ['8N', '105A']\n"
                    "require_any_flag: [knife]\n", encoding="utf-8")
    defs = load_definitions(["partnership", str(path)])
    assert list(defs) == ["partnership", "local_knife"]
    got = serious_violence_ids(crimes, path)
    assert list(got) == ["knife-public", "da-knife", "home-knife", "common-assault-knife"]
    assert classify(crimes, defs["local_knife"]).set_index("crime_id").at["no-flag", "reason"] == \
        "excluded: no knife flag"


@pytest.mark.parametrize("raw, column, fragment", [
    ({"name": "X", "offence_groups": ["robbery"]}, "id", "required"),
    ({"id": "Bad Id", "name": "X", "offence_groups": ["robbery"]}, "id", "lower_snake_case"),
    ({"id": "x", "offence_groups": ["robbery"]}, "name", "required"),
    ({"id": "x", "name": "X"}, "offence_groups", "at least one"),
    ({"id": "x", "name": "X", "offence_codes": ["8N", "999Z"]}, "offence_codes", "'999Z'"),
    ({"id": "x", "name": "X", "offence_groups": "robbery", "require_any_flag": ["machete"]},
     "require_any_flag", "'machete'"),
    ({"id": "x", "name": "X", "offence_groups": ["robbery"], "location_types": ["street"]},
     "location_types", "'street'"),
    ({"id": "x", "name": "X", "offence_groups": ["robbery"], "exclude_domestic_abuse": "yes"},
     "exclude_domestic_abuse", "true or false"),
    ({"id": "x", "name": "X", "offence_groups": ["robbery"], "typo_key": 1}, "typo_key", "unknown key"),
    ({"id": "x", "name": "X", "offence_groups": {"a": 1}}, "offence_groups", "must be a list"),
])
def test_definition_validation_errors(raw, column, fragment):
    with pytest.raises(DataValidationError) as err:
        parse_definition(raw, "mine.yaml")
    hits = [p for p in err.value.problems if p.column == column and fragment in p.reason]
    assert hits, err.value.problems
    assert all(p.file == "mine.yaml" for p in err.value.problems)


def test_load_definition_errors(tmp_path):
    with pytest.raises(DataValidationError, match="unknown definition id"):
        load_definition("no_such_definition")
    with pytest.raises(DataValidationError, match="not found"):
        load_definition(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="not valid YAML"):
        load_definition(bad)
    notmap = tmp_path / "list.yaml"
    notmap.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="mapping"):
        load_definition(notmap)
    dup = tmp_path / "dup.yaml"
    dup.write_text("id: partnership\nname: Copy\noffence_groups: [robbery]\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="more than one"):
        load_definitions(["partnership", dup])


def test_serious_violence_ids_year_filter(crimes):
    c = crimes.copy()
    c.loc[c["crime_id"] == "gang-robbery", "date"] = pd.Timestamp("2022-12-31")
    assert "gang-robbery" not in set(serious_violence_ids(c, "partnership", year=2023))
    assert "gang-robbery" in set(serious_violence_ids(c, "partnership", year=2022))
    assert len(serious_violence_ids(c, "partnership", year=2023)) == 4


rows = st.fixed_dictionaries({
    "offence_code": st.sampled_from(["1", "8N", "5D", "34B", "19C", "105A", "46", "10D", "ZZ"]),
    "domestic_abuse": st.booleans(), "location_type": st.sampled_from(["public", "dwelling"]),
    **{f: st.booleans() for f in FLAGS},
})


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, max_size=40))
def test_property_partnership_is_subset_of_home_office_scope_and_rules(data):
    c = pd.DataFrame(data, columns=["offence_code", "domestic_abuse", "location_type", *FLAGS])
    c.insert(0, "crime_id", [f"c{i}" for i in range(len(c))])
    p = qualifying_mask(c, "partnership")
    # independent re-implementation of the partnership rule
    in_scope = c["offence_code"].isin(["1", "8N", "5D", "34B", "19C"])
    flagged = c[FLAGS].any(axis=1)
    expect = in_scope & flagged & ~c["domestic_abuse"] & (c["location_type"] == "public")
    assert np.array_equal(p, expect.to_numpy(dtype=bool))
    assert p.sum() <= len(c)
    knife_ho = qualifying_mask(c, "home_office")
    # every partnership crime with a knife/firearm is also Home Office SV
    assert not (p & c[["knife", "firearm"]].any(axis=1).to_numpy() & ~knife_ho).any()


def test_exclude_offence_codes_are_honoured(tmp_path, crimes):
    """Mutation survivor: a definition's exclude_offence_codes must remove the code both from
    the in-scope codes and from always-include rules."""
    d = parse_definition({"id": "viol_no_abh", "name": "Violence except 8N",
                          "offence_groups": ["violence with injury"], "exclude_offence_codes": ["8N"],
                          "require_any_flag": ["knife"]})
    assert "8N" not in d.in_scope_codes() and "5D" in d.in_scope_codes()
    mask = qualifying_mask(crimes, d)
    assert not mask[crimes["crime_id"].eq("knife-public").to_numpy()].any()   # 8N with a knife: excluded
    always = parse_definition({"id": "always", "name": "Always homicide but not 4.1",
                               "offence_groups": ["robbery"], "always_include_groups": ["homicide"],
                               "exclude_offence_codes": ["4.1"]})
    assert "4.1" not in always.flag_free_codes() and "1" in always.flag_free_codes()


# ------------------------------------------------------------------ mutation-testing survivors
def test_classify_all_columns_and_values_by_hand(crimes):
    from sna_lib.measures.classify import classify_all

    out = classify_all(crimes, ["partnership", "home_office"])
    assert list(out.columns) == ["crime_id", "partnership", "partnership_reason", "home_office", "home_office_reason"]
    row = out.set_index("crime_id")
    assert bool(row.loc["knife-public", "partnership"]) and bool(row.loc["knife-public", "home_office"])
    assert row.loc["shoplifting", "partnership_reason"] == "excluded: offence type"
    assert row.loc["home-knife", "partnership_reason"] == "excluded: in dwelling"
    # home_office.yaml: knife- or firearm-enabled offences incl. theft; a gang flag is not enough
    assert bool(row.loc["shoplifting", "home_office"]) and not row.loc["shoplifting", "partnership"]
    assert bool(row.loc["gang-robbery", "partnership"]) and not row.loc["gang-robbery", "home_office"]
    assert row.loc["gang-robbery", "home_office_reason"] == "excluded: no knife or firearm flag"
    assert out.index.equals(crimes.index)


def test_open_definition_uses_police_uk_categories():
    c = pd.DataFrame({"crime_id": ["a", "b", "c", "d"],
                      "category": ["robbery", "burglary", None, "possession_of_weapons"]})
    out = classify(c, "open_data_proxy")
    assert out["qualifies"].tolist() == [True, False, False, True]
    assert out["reason"].astype(str).tolist() == ["included", "excluded: category", "excluded: category", "included"]
    with pytest.raises(DataValidationError, match="no category column"):
        classify(c.drop(columns="category"), "open_data_proxy")
    with pytest.raises(DataValidationError, match="needs Home Office offence codes"):
        classify(c, "partnership")


def test_missing_offence_code_and_other_location_rule(tmp_path, crimes):
    c = crimes.copy()
    c.loc[c["crime_id"] == "knife-public", "offence_code"] = None
    reason = classify(c, "partnership").set_index("crime_id")["reason"].astype(str)
    assert reason["knife-public"] == "excluded: offence code not in reference table"
    path = tmp_path / "homes.yaml"
    path.write_text("id: homes\nname: Knife crime in homes\noffence_codes: ['8N']\nlocation_types: [dwelling]\n",
                    encoding="utf-8")
    homes = classify(crimes, path).set_index("crime_id")["reason"].astype(str)
    assert homes["home-knife"] == "included" and homes["knife-public"] == "excluded: location"


def test_serious_violence_ids_of_a_dataset_object(crimes):
    from types import SimpleNamespace

    ids = serious_violence_ids(SimpleNamespace(crimes=crimes))
    assert ids.name == "crime_id"
    assert ids.tolist() == ["knife-public", "gang-robbery", "cl-gbh", "firearm-murder", "sex-weapon"]
    assert qualifying_mask(crimes, "partnership").tolist() == [True] * 5 + [False] * 6


# ----------------------------------------------------------------------------- session-6 mutation survivors
def _problems(raw):
    with pytest.raises(DataValidationError) as err:
        parse_definition(raw, "mine.yaml")
    return [(p.column, p.reason) for p in err.value.problems]


def test_definition_error_wording_by_hand():
    # a long allowed list (the ~300 offence codes) is not spelt out; a short one (flags) is
    assert _problems({"id": "x", "name": "X", "offence_codes": ["999Z"]}) == [
        ("offence_codes", "unknown offence code '999Z' (allowed: see the reference table)")]
    assert _problems({"id": "x", "name": "X", "data_level": "partial", "offence_groups": ["robbery"]}) == [
        ("data_level", "must be 'full' or 'open', got 'partial'")]


def test_open_definition_errors_and_defaults_by_hand():
    assert _problems({"id": "x", "name": "X", "data_level": "open", "categories": ["robbery"],
                      "offence_codes": ["8N"]}) == [
        ("offence_codes", "unknown key for an open-data definition (allowed: categories, data_level, "
                          "description, id, name, proxy_note, short_name)")]
    assert _problems({"id": "x", "name": "X", "data_level": "open"}) == [
        ("categories", "at least one police.uk category is required")]
    plain = parse_definition({"id": "x", "name": " Robbery proxy ", "data_level": "open", "categories": ["robbery"]})
    assert (plain.short_name, plain.proxy_note, plain.description) == ("Robbery proxy", "", "")
    named = parse_definition({"id": "x", "name": "X", "data_level": "open", "categories": ["robbery"],
                              "short_name": " Rob ", "proxy_note": " police.uk categories only "})
    assert (named.short_name, named.proxy_note) == ("Rob", "police.uk categories only")


def test_refused_yaml_definition_names_the_line_and_reason(tmp_path):
    path = tmp_path / "anchor.yaml"
    path.write_text("id: x\nname: &n X\noffence_groups: [robbery]\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        load_definition(path)
    (problem,) = err.value.problems
    assert problem.row == 2 and problem.reason.startswith("is refused: line 2: defines a YAML anchor (&n)")


def test_missing_columns_are_named_in_the_crimes_table():
    c = pd.DataFrame({"crime_id": ["a"], "offence_code": ["8N"], "location_type": ["public"]})
    with pytest.raises(DataValidationError) as err:
        classify(c, "partnership")
    assert [(p.file, p.column, p.reason) for p in err.value.problems] == [
        ("crimes", "domestic_abuse", "required column missing")]
    with pytest.raises(DataValidationError) as err:
        classify(pd.DataFrame({"crime_id": ["a"]}), "open_data_proxy")
    assert [(p.file, p.column) for p in err.value.problems] == [("crimes", "category")]


def test_full_definition_wording_text_keys_and_default_flag_reason(tmp_path, monkeypatch):
    base = {"id": "x", "name": "X", "offence_groups": ["robbery"]}
    assert _problems({**base, "offence_groups": ["robbery", "burgling"]})[0][1].startswith(
        "unknown offence group 'burgling' (allowed: ")
    assert _problems({**base, "exclude_offence_codes": ["999Z"]}) == [
        ("exclude_offence_codes", "unknown offence code '999Z' (allowed: see the reference table)")]
    assert _problems({**base, "short_name": 5, "flag_reason": ["x"]}) == [
        ("short_name", "must be text, got 5"), ("flag_reason", "must be text, got ['x']")]
    d = parse_definition({**base, "short_name": " Rob ", "description": " Street robbery. ",
                          "require_any_flag": ["knife", "county_lines"]})
    assert (d.short_name, d.description, d.flag_reason) == ("Rob", "Street robbery.", "no knife / county-lines flag")
    # a .yml file named without a folder is a file, not a shipped id
    (tmp_path / "mine.yml").write_text("id: mine\nname: Mine\noffence_codes: ['8N']\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_definition("mine.yml").id == "mine"


# ------------------------------------------------------------------ session-8 mutation survivors
def test_definition_lists_scalars_non_text_entries_and_short_allowed_lists_by_hand():
    # a single value is a one-item list; a true/false is not a list, nor is a list inside a list
    assert parse_definition({"id": "x", "name": "X", "offence_groups": "robbery"}).offence_groups == ("robbery",)
    assert _problems({"id": "x", "name": "X", "offence_groups": True}) == [
        ("offence_groups", "must be a list, got bool")]
    assert _problems({"id": "x", "name": "X", "offence_groups": ["robbery", [1]]}) == [
        ("offence_groups", "entries must be text, got [1]")]
    # the five flags are spelt out, sorted; the ~300 codes of always_include_codes are not
    assert _problems({"id": "x", "name": "X", "offence_groups": ["robbery"], "require_any_flag": ["sword"]}) == [
        ("require_any_flag", "unknown flag 'sword' (allowed: county_lines, firearm, gang, knife, other_weapon)")]
    assert _problems({"id": "x", "name": "X", "always_include_codes": ["999Z"]}) == [
        ("always_include_codes", "unknown offence code '999Z' (allowed: see the reference table)")]


def test_open_definition_id_name_and_text_keys_by_hand():
    assert _problems({"id": "Bad id", "name": " ", "data_level": "open", "categories": ["robbery"]}) == [
        ("id", "required, lower_snake_case text; got 'Bad id'"), ("name", "required, non-empty text")]
    assert _problems({"id": "x", "name": "X", "data_level": "open", "categories": ["robbery"], "short_name": 5}) == [
        ("short_name", "must be text, got 5")]
    assert parse_definition({"id": "x", "name": "X", "data_level": "open", "categories": ["robbery"]}).data_level == "open"


def test_open_crimes_against_a_full_definition_name_the_missing_column():
    crimes = pd.DataFrame({"crime_id": ["a"], "category": ["robbery"]})
    with pytest.raises(DataValidationError) as err:
        classify(crimes, "partnership")
    (problem,) = err.value.problems
    assert (problem.file, problem.column, problem.row) == ("crimes", "offence_code", None)
    assert "needs Home Office offence codes" in problem.reason


def test_classify_all_keeps_the_crimes_index():
    from sna_lib.measures.classify import classify_all

    # 8N (assault with injury) with a knife in public, not domestic: partnership-qualifying;
    # 105A (assault without injury) is not one of its offence types
    crimes = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["8N", "105A"], "domestic_abuse": [False, False],
                           "knife": [True, True], "firearm": False, "other_weapon": False, "county_lines": False,
                           "gang": False, "location_type": ["public", "public"]}, index=[10, 11])
    out = classify_all(crimes, ["partnership"])
    assert list(out.index) == [10, 11] and out["crime_id"].tolist() == ["a", "b"]
    assert out["partnership"].tolist() == [True, False]
    assert out["partnership_reason"].tolist() == ["included", "excluded: offence type"]


def test_the_domestic_abuse_exclusion_is_kept_from_the_definition():
    d = parse_definition({"id": "x", "name": "X", "offence_groups": ["robbery"], "exclude_domestic_abuse": True})
    assert d.exclude_domestic_abuse is True
    assert parse_definition({"id": "x", "name": "X", "offence_groups": ["robbery"]}).exclude_domestic_abuse is False
