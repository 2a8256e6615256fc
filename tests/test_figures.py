"""Tests for the figure export, cross-checked against independent pandas computations."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

import pandas as pd
import pytest

from sna_lib.data.dataset import load_dataset
from sna_lib.errors import DataValidationError
from sna_lib.publication.figures import compute_figures, export_figures

REF = pd.read_csv(resources.files("sna_lib").joinpath("reference", "offences.csv"), dtype=str,
                  keep_default_na=False)


@pytest.fixture(scope="module")
def dataset(demo_dir):
    return load_dataset(demo_dir)


@pytest.fixture(scope="module")
def county(dataset):
    return compute_figures(dataset, "county")


@pytest.fixture(scope="module")
def county_json(demo_dir):
    return export_figures(demo_dir, "county", "json")


def _raw(demo_dir):
    crimes = pd.read_parquet(demo_dir / "crimes.parquet")
    persons = pd.read_parquet(demo_dir / "persons.parquet")
    return crimes, persons


def test_json_is_deterministic_and_complete(demo_dir, county_json):
    a = county_json
    b = export_figures(demo_dir, "county", "json")
    assert a == b
    figs = json.loads(a)["figures"]
    assert list(figs) == sorted(figs)
    for key in ["section3.volumes.all_crime.volume", "section3.shares.domestic_abuse.pct_of_crime",
                "section3.people.suspects.previous_five_years_pct", "section5.harm.harm_ratio_rounded",
                "section5.harm.victims_equivalent", "section8.table_A.non_domestic_homicide.p_value",
                "section8.table_D.u25_hospital.pct_change", "section8.table_E.knife_homicide.after",
                "section11.suspects.age_features.incline_start", "section11.suspects.under_25_pct",
                "section11.suspects.origin.outside_county_pct", "section11.suspects.domestic_abuse_link_pct",
                "section11.overlap.pct_of_victims"]:
        assert key in figs, key
    # no identifiers leak into the export
    crimes, persons = _raw(demo_dir)
    text_values = {v for v in figs.values() if isinstance(v, str)}
    assert not text_values & set(crimes["crime_id"].head(500)) and not text_values & set(persons["person_id"].head(500))


def test_csv_matches_json(demo_dir, county_json):
    figs = json.loads(county_json)["figures"]
    rows = list(csv.DictReader(io.StringIO(export_figures(demo_dir, "county", "csv"))))
    assert [r["figure"] for r in rows] == list(figs)
    for r in rows:
        v = figs[r["figure"]]
        if v is None:
            assert r["value"] == ""
        elif isinstance(v, bool):
            assert r["value"] == str(v).lower()
        elif isinstance(v, float):
            assert float(r["value"]) == pytest.approx(v, abs=1e-4)
        else:
            assert r["value"] == str(v)


def test_context_and_harm_match_independent_computation(demo_dir, dataset, county):
    crimes, persons = _raw(demo_dir)
    year = dataset.config.reporting_year
    c = crimes[pd.to_datetime(crimes["date"]).dt.year == year].merge(
        REF[["offence_code", "offence_group", "cchi_days"]], on="offence_code", how="left")
    assert county["section3.volumes.all_crime.volume"] == len(c)
    violence = c["offence_group"].isin(["homicide", "death or serious injury by unlawful driving",
                                        "violence with injury", "violence without injury",
                                        "stalking and harassment"])
    assert county["section3.volumes.all_violence.volume"] == int(violence.sum())
    sv = (c["offence_group"].isin(["homicide", "violence with injury", "robbery", "sexual offences"])
          & c[["knife", "firearm", "other_weapon", "county_lines", "gang"]].astype(bool).any(axis=1)
          & ~c["domestic_abuse"].astype(bool) & (c["location_type"] == "public"))
    assert county["section3.volumes.serious_violence_partnership.volume"] == int(sv.sum())
    assert county["section5.harm.offences"] == int(sv.sum())
    w = c["cchi_days"].astype(float)
    ratio = w[sv].mean() / w.mean()
    assert county["section5.harm.harm_ratio"] == pytest.approx(ratio)
    assert county["section5.harm.offences_equivalent"] == int(sv.sum()) * int(ratio + 0.5)
    sv_ids = set(c.loc[sv, "crime_id"])
    linked = persons[persons["crime_id"].isin(sv_ids)]
    assert county["section5.harm.unique_suspects"] == linked.loc[linked["role"] == "suspect", "person_id"].nunique()
    assert county["section3.people.victims.records"] == len(
        linked.loc[linked["role"] == "victim", ["crime_id", "person_id"]].drop_duplicates())
    assert county["section3.shares.domestic_abuse.volume"] == int(c["domestic_abuse"].astype(bool).sum())


def test_key_measure_counts_independent(demo_dir, dataset, county):
    crimes, _ = _raw(demo_dir)
    d = pd.to_datetime(crimes["date"])
    homicide = crimes["offence_code"].isin(["1", "4.1", "4.2", "4.10"]) & ~crimes["domestic_abuse"].astype(bool)
    end = pd.Timestamp(dataset.config.rolling_end)
    latest = (d > end - pd.DateOffset(years=1)) & (d <= end)
    assert county["section8.table_A.non_domestic_homicide.after"] == int((homicide & latest).sum())
    fy = dataset.config.baselines.homicide_financial_year
    start = pd.Timestamp(int(fy[:4]), 4, 1)
    in_fy = (d >= start) & (d < start + pd.DateOffset(years=1))
    assert county["section8.table_C.non_domestic_homicide.before"] == int((homicide & in_fy).sum())
    assert county["section8.table_E.knife_homicide.before"] == int(
        (homicide & in_fy & crimes["knife"].astype(bool)).sum())


def test_csp_volumes_add_up_to_county(dataset, county):
    total = 0
    sv = 0
    for csp in dataset.config.csps:
        f = compute_figures(dataset, csp)
        total += f["section3.volumes.all_crime.volume"]
        sv += f["section3.volumes.serious_violence_partnership.volume"]
        assert f["meta.area"] == csp
        assert "section8.table_A.u25_hospital.after" in f and f["section8.table_A.u25_hospital.after"] is None
    assert total == county["section3.volumes.all_crime.volume"]
    assert sv == county["section3.volumes.serious_violence_partnership.volume"]


def test_csp_export_suppresses_small_counts(demo_dir, dataset):
    csp = dataset.config.csps[0]
    raw = compute_figures(dataset, csp)
    figs = json.loads(export_figures(demo_dir, csp, "json"))["figures"]
    assert figs["meta.disclosure"].startswith("counts 1-7")
    small = [k for k, v in raw.items() if k.endswith(".volume") and isinstance(v, int) and 1 <= v <= 7]
    big = [k for k, v in raw.items() if k.endswith(".volume") and isinstance(v, int) and v > 7]
    for k in small:
        assert figs[k] == "[c]"
        assert figs[k[: -len(".volume")] + ".pct_of_crime"] == "[c]"
    for k in big:
        assert figs[k] == raw[k]
    for k, v in raw.items():
        if ".age_profile." in k and 1 <= v <= 7:
            assert figs[k] == "[c]"


def test_unknown_area_and_format(demo_dir):
    with pytest.raises(DataValidationError, match="unknown area"):
        export_figures(demo_dir, "Atlantis")
    with pytest.raises(ValueError):
        export_figures(demo_dir, "county", "xml")


def test_partnership_own_definition_via_config(demo_dir, tmp_path, dataset, county):
    """A partnership can swap in its own YAML definition (config `definitions`) without code."""
    import shutil

    own = tmp_path / "data"
    shutil.copytree(demo_dir, own)
    (own / "local_sv.yaml").write_text(
        "id: local_sv\nname: Local SV\noffence_groups: [violence with injury, robbery]\n"
        "require_any_flag: [knife]\nexclude_domestic_abuse: true\n", encoding="utf-8")
    cfg_text = (own / "config.yaml").read_text(encoding="utf-8")
    cfg_text = cfg_text.replace("definitions:\n- partnership\n- home_office",
                                "definitions:\n- local_sv.yaml\n- partnership\n- home_office")
    (own / "config.yaml").write_text(cfg_text, encoding="utf-8")
    figs = json.loads(export_figures(own, "county"))["figures"]
    assert figs["meta.sv_definition"] == "local_sv"
    crimes, _ = _raw(demo_dir)
    year = dataset.config.reporting_year
    c = crimes[pd.to_datetime(crimes["date"]).dt.year == year].merge(REF[["offence_code", "offence_group"]],
                                                                     on="offence_code")
    expect = (c["offence_group"].isin(["violence with injury", "robbery"]) & c["knife"].astype(bool)
              & ~c["domestic_abuse"].astype(bool))
    assert figs["section3.volumes.serious_violence_partnership.volume"] == int(expect.sum())
    assert figs["section5.harm.offences"] == int(expect.sum())
    # the shipped partnership definition is still reported as an extra definition
    assert figs["section3.volumes.definition_partnership.volume"] == \
        county["section3.volumes.serious_violence_partnership.volume"]
