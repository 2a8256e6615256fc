"""config.yaml parsing: defaults from data/README.md, every problem reported, path safety."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from sna_lib.data.config import Config, load_config, parse_config
from sna_lib.errors import DataValidationError
from sna_lib.index.hotspots import index_settings

MINIMAL = "county: Tinyshire\ncsps: [North, South]\nreporting_year: 2023\nfirst_year: 2014\n"


def write(tmp_path, text: str):
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def problems(tmp_path, text: str) -> list:
    with pytest.raises(DataValidationError) as info:
        load_config(write(tmp_path, text))
    return info.value.problems


def test_minimal_config_gets_documented_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert isinstance(cfg, Config)
    assert (cfg.county, cfg.csps, cfg.reporting_year, cfg.first_year) == ("Tinyshire", ("North", "South"), 2023, 2014)
    assert cfg.synthetic is False
    assert cfg.rolling_end == dt.date(2023, 12, 31)
    # the defaults documented in data/README.md
    assert (cfg.baselines.knife_sv_calendar_year, cfg.baselines.homicide_financial_year,
            cfg.baselines.hospital_financial_year) == (2020, "2018/19", "2018/19")
    assert cfg.definitions == ("partnership", "home_office")
    assert (cfg.disclosure.suppress_min, cfg.disclosure.suppress_max, cfg.disclosure.rounding) == (1, 7, None)
    assert (cfg.hotspots.method, cfg.hotspots.confidence, cfg.hotspots.permutations, cfg.hotspots.seed) == (
        "gistar", 0.95, 999, 12345)
    assert cfg.hotspots.permutations == index_settings()["hotspots"]["permutations"]   # one default
    assert cfg.risk_index.top_share == 0.05
    assert dict(cfg.disorganisation_weights) == {"asb": 1, "deliberate_fire": 2, "arson_not_endangering_life": 3,
                                                 "arson_endangering_life": 5}
    assert cfg.validation.on_error == "fail"
    assert cfg.data_dir == tmp_path.resolve()


def test_sections_read_as_attributes_and_mappings(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + "disclosure: {suppress_max: 9, rounding: 5}\n"
                                               "risk_index: {weights: {deprivation: 2}}\n"))
    assert cfg.disclosure["suppress_max"] == cfg.disclosure.suppress_max == 9
    assert cfg.disclosure.get("rounding") == 5
    assert dict(cfg.disclosure.items()) == {"suppress_min": 1, "suppress_max": 9, "rounding": 5,
                                            "marker": "[c]", "suppress_county": False}
    assert cfg.risk_index.weights["deprivation"] == 2.0
    with pytest.raises(TypeError):
        cfg.risk_index.weights["x"] = 1  # read-only
    with pytest.raises(AttributeError):
        cfg.county = "Other"  # frozen


def test_rolling_end_extends_the_data_period(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + "rolling_end: 2024-03-31\n"))
    assert cfg.rolling_end == dt.date(2024, 3, 31)
    assert (cfg.period_start, cfg.period_end) == (dt.date(2014, 1, 1), dt.date(2024, 3, 31))
    assert cfg.areas == ("county", "North", "South")


def test_partial_sections_keep_other_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + "hotspots: {method: poisson}\ndisorganisation_weights: {asb: 1.5}\n"
                                               "validation: {on_error: reject}\n"))
    assert (cfg.hotspots.method, cfg.hotspots.permutations) == ("poisson", 999)
    assert cfg.disorganisation_weights["asb"] == 1.5 and cfg.disorganisation_weights["arson_endangering_life"] == 5
    assert cfg.validation.on_error == "reject"


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems(tmp_path, "county: ''\ncsps: North\nreporting_year: 2023.5\nfirst_year: 2014\n"
                               "hotspots: {method: kde, confidence: 1.5}\nvalidation: {on_error: drop}\ncolour: red\n")
    keys = sorted(p.column for p in found)
    assert keys == ["colour", "county", "csps", "hotspots.confidence", "hotspots.method", "reporting_year",
                    "validation.on_error"]
    assert all(p.file == "config.yaml" and p.row is None for p in found)


@pytest.mark.parametrize("text, key, reason", [
    ("first_year: 2024\n", "first_year", "after reporting_year"),
    ("rolling_end: 2030-01-01\n", "rolling_end", "must fall in reporting_year"),
    ("rolling_end: 31/03/2024\n", "rolling_end", "ISO date"),
    ("baselines: {homicide_financial_year: '2018/20'}\n", "baselines.homicide_financial_year", "financial year"),
    ("disclosure: {suppress_min: 9}\n", "disclosure.suppress_min", "must not exceed"),
    ("disclosure: {suppress_max: -1}\n", "disclosure.suppress_max", "whole number"),
    ("synthetic: maybe\n", "synthetic", "true or false"),
    ("risk_index: {weights: {deprivation: .inf}}\n", "risk_index.weights.deprivation", "weight must be"),
    ("disorganisation_weights: {litter: 1}\n", "disorganisation_weights.litter", "unknown setting"),
    ("hotspots: {permutations: 1e9}\n", "hotspots.permutations", "whole number"),
])
def test_bad_settings(tmp_path, text, key, reason):
    text = MINIMAL.replace("first_year: 2014\n", "") + ("" if text.startswith("first_year") else "first_year: 2014\n") + text
    found = problems(tmp_path, text)
    assert any(p.column == key and reason in p.reason for p in found), found


def test_definition_ids_kept_and_paths_resolved_inside_data_dir(tmp_path):
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "local.yaml").write_text("id: local\n", encoding="utf-8")
    cfg = load_config(write(tmp_path, MINIMAL + "definitions: [partnership, defs/local.yaml]\n"))
    assert cfg.definitions == ("partnership", str((tmp_path / "defs" / "local.yaml").resolve()))


@pytest.mark.parametrize("entry, reason", [
    ("../outside.yaml", "must not use '..'"),
    ("defs/../../outside.yaml", "must not use '..'"),
    ("/etc/outside.yaml", "not absolute"),
    ("~/outside.yaml", "not absolute"),
    ("C:/outside.yaml", "not absolute"),
    ("missing.yaml", "does not exist"),
    ("notes.txt", "neither a known id"),
])
def test_definition_path_tricks_are_refused(tmp_path, entry, reason):
    found = problems(tmp_path, MINIMAL + f"definitions: ['{entry}']\n")
    assert [(p.column, reason in p.reason) for p in found] == [("definitions", True)], found


def test_definition_symlink_escaping_data_dir_is_refused(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: x\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    os.symlink(outside, data / "linked.yaml")
    found = problems(data, MINIMAL + "definitions: [linked.yaml]\n")
    assert [p.column for p in found] == ["definitions"] and "outside the data folder" in found[0].reason


@pytest.mark.parametrize("payload, reason", [
    (None, "missing"),
    (b"county: [unclosed\n", "not valid YAML"),
    (b"county: Caf\xe9\n", "not valid UTF-8"),
    (b"- just\n- a list\n", "must be a YAML map"),
    (b"!!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
])
def test_unreadable_config_files(tmp_path, payload, reason):
    if payload is not None:
        (tmp_path / "config.yaml").write_bytes(payload)
    with pytest.raises(DataValidationError) as info:
        load_config(tmp_path)
    (problem,) = info.value.problems
    assert problem.file == "config.yaml" and reason in problem.reason


def test_utf8_bom_is_accepted(tmp_path):
    (tmp_path / "config.yaml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert load_config(tmp_path).county == "Tinyshire"


def test_parse_config_matches_load_config(tmp_path):
    raw = {"county": "Tinyshire", "csps": ["North", "South"], "reporting_year": 2023, "first_year": 2014}
    assert parse_config(raw, tmp_path) == load_config(write(tmp_path, MINIMAL))


def test_index_settings_pass_through_and_typos_are_caught(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + "hotspots: {method: poisson, fdr: true}\n"
                                               "risk_index: {tie_rule: stable}\n"
                                               "disclosure: {marker: '*', suppress_county: true}\n"))
    assert (cfg.hotspots.fdr, cfg.hotspots["fdr"], dict(cfg.hotspots)["method"]) == (True, True, "poisson")
    assert cfg.risk_index.tie_rule == "stable" and "tie_rule" in cfg.risk_index
    assert (cfg.disclosure.marker, cfg.disclosure.suppress_county) == ("*", True)
    found = problems(tmp_path, MINIMAL + "hotspots: {fdrr: true}\n")
    assert [p.column for p in found] == ["hotspots.fdrr"]


def test_config_is_hashable_by_content(tmp_path):
    first = load_config(write(tmp_path, MINIMAL + "risk_index: {weights: {deprivation: 2}}\n"))
    again = load_config(tmp_path)
    assert first == again and hash(first) == hash(again) and {first: 1}[again] == 1
    other = load_config(write(tmp_path, MINIMAL + "risk_index: {weights: {deprivation: 3}}\n"))
    assert other != first


BASE = {"county": "Demo", "csps": ["A", "B"], "reporting_year": 2023, "first_year": 2014}


def test_people_windows_default_to_reference_meaning_and_are_configurable(tmp_path):
    cfg = parse_config(dict(BASE), tmp_path)
    assert (cfg.people.overlap_years, cfg.people.previous_years, cfg.people.da_link_years) == (1, 5, 5)
    assert cfg.people.da_link_include_reporting_year is False
    cfg = parse_config({**BASE, "people": {"overlap_years": 10, "da_link_include_reporting_year": True}}, tmp_path)
    assert cfg.people.overlap_years == 10 and cfg.people.da_link_include_reporting_year is True
    for bad in ({"overlap_years": 0}, {"da_link_years": "five"}, {"da_link_include_reporting_year": "yes"},
                {"typo": 1}):
        with pytest.raises(DataValidationError, match="people"):
            parse_config({**BASE, "people": bad}, tmp_path)


def test_harm_workbook_key(tmp_path):
    assert parse_config(dict(BASE), tmp_path).harm.cchi_workbook is None
    (tmp_path / "cchi.xlsx").write_bytes(b"PK")
    cfg = parse_config({**BASE, "harm": {"cchi_workbook": "cchi.xlsx"}}, tmp_path)
    assert cfg.harm.cchi_workbook == (tmp_path / "cchi.xlsx").resolve()
    with pytest.raises(DataValidationError, match="file not found"):
        parse_config({**BASE, "harm": {"cchi_workbook": "missing.xlsx"}}, tmp_path)
    with pytest.raises(DataValidationError, match="xlsx"):
        parse_config({**BASE, "harm": {"cchi_workbook": "cchi.csv"}}, tmp_path)


def test_risk_index_method_is_checked(tmp_path):
    found = problems(tmp_path, MINIMAL + "risk_index: {method: hunch}\n")
    assert [(p.column, "'score' or 'model'" in p.reason) for p in found] == [("risk_index.method", True)]
    cfg = load_config(write(tmp_path, MINIMAL + "risk_index: {method: model, model: {family: poisson}}\n"))
    s = index_settings(cfg)
    assert s["risk_index"]["method"] == "model" and s["risk_index"]["model"]["family"] == "poisson"
    assert "sv_offences" in s["risk_index"]["model"]["predictors"]       # defaults merged key by key
