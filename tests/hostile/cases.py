"""The hostile-input corpus: malformed variants of the tiny valid folder.

Each :class:`Case` mutates a freshly built valid folder and names the exact problem
(file, column, 1-based data row, reason substring) validation must report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Polygon

from hostile.builder import CONFIG


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Path], None]
    file: str
    column: str | None
    row: int | None
    reason: str


def read(d: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(d / f"{name}.csv", dtype=str, keep_default_na=False)


def write(d: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(d / f"{name}.csv", index=False)


def set_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set 1-based data ``row`` of ``column`` in ``name.csv`` to ``value``."""

    def mutate(d: Path) -> None:
        frame = read(d, name)
        frame.loc[row - 1, column] = value
        write(d, name, frame)

    return mutate


def edit(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        write(d, name, fn(read(d, name)))

    return mutate


def edit_geo(fn: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        path = d / "geography.parquet"
        fn(gpd.read_parquet(path)).to_parquet(path)

    return mutate


def write_config(text: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / "config.yaml").write_text(text, encoding="utf-8")

    return mutate


def rewrite_bytes(name: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        path = d / name
        path.write_bytes(fn(path.read_bytes()))

    return mutate


def _replace_line(data: bytes, line: int, new: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[line] = new
    return b"\n".join(lines)


def _geo_set(row: int, column: str, value):
    def fn(g):
        g = g.copy()
        g.loc[row - 1, column] = value
        return g

    return fn


def _bowtie(g):
    g = g.copy()
    g.loc[1, "geometry"] = Polygon([(1000, 0), (2000, 1000), (2000, 0), (1000, 1000)])
    return g


def _link_outside(d: Path, name: str) -> None:
    """Replace ``name`` with a symbolic link to a copy outside the data folder."""
    outside = d.parent / f"outside-{name}"
    (d / name).rename(outside)
    (d / name).symlink_to(outside)


FORMULA = "=cmd|' /C calc'!A0"

CASES: list[Case] = [
    # ---- crimes: codes, keys, references, dates, types, allowed values
    Case("unknown_offence_code", set_cell("crimes", 3, "offence_code", "ZZ9"),
         "crimes.csv", "offence_code", 3, "not a Home Office offence code"),
    Case("duplicate_crime_id", set_cell("crimes", 4, "crime_id", "C001"),
         "crimes.csv", "crime_id", 4, "duplicate crime_id"),
    Case("unknown_lsoa", set_cell("crimes", 5, "lsoa_code", "E01000001"),
         "crimes.csv", "lsoa_code", 5, "not an LSOA code in geography"),
    Case("impossible_date", set_cell("crimes", 6, "date", "2023-02-30"),
         "crimes.csv", "date", 6, "not a real date"),
    Case("unparsable_date", set_cell("crimes", 7, "date", "31/12/2023"),
         "crimes.csv", "date", 7, "not a real date"),
    Case("date_before_first_year", set_cell("crimes", 1, "date", "2020-12-31"),
         "crimes.csv", "date", 1, "outside the data period 2021-01-01 to 2024-03-31"),
    Case("date_after_rolling_end", set_cell("crimes", 12, "date", "2024-04-01"),
         "crimes.csv", "date", 12, "outside the data period"),
    Case("bad_boolean", set_cell("crimes", 8, "knife", "maybe"),
         "crimes.csv", "knife", 8, "not true/false"),
    Case("bad_location_type", set_cell("crimes", 9, "location_type", "street"),
         "crimes.csv", "location_type", 9, "not one of the allowed values"),
    Case("blank_required_value", set_cell("crimes", 10, "lsoa_code", "  "),
         "crimes.csv", "lsoa_code", 10, "is empty"),
    Case("formula_injection_text", set_cell("crimes", 2, "offence_description", FORMULA),
         "crimes.csv", "offence_description", 2, "spreadsheet formula"),
    Case("formula_injection_signed", set_cell("crimes", 11, "offence_description", "-2+3+cmd|' /C calc'!A0"),
         "crimes.csv", "offence_description", 11, "spreadsheet formula"),
    Case("huge_text_cell", set_cell("crimes", 4, "offence_description", "A" * 20_000),
         "crimes.csv", "offence_description", 4, "longer than 500 characters"),
    Case("missing_column", edit("crimes", lambda f: f.drop(columns="knife")),
         "crimes.csv", "knife", None, "required column is missing"),
    Case("renamed_column", edit("crimes", lambda f: f.rename(columns={"crime_id": "Crime ID"})),
         "crimes.csv", "crime_id", None, "rename it to 'crime_id'"),
    Case("duplicate_header", rewrite_bytes("crimes.csv", lambda b: b.replace(b"firearm", b"knife", 1)),
         "crimes.csv", "knife", None, "appears more than once"),
    Case("empty_file", rewrite_bytes("crimes.csv", lambda b: b""),
         "crimes.csv", None, None, "is empty"),
    Case("header_only", rewrite_bytes("crimes.csv", lambda b: b.split(b"\n", 1)[0] + b"\n"),
         "crimes.csv", None, None, "no data rows"),
    Case("utf16_file", rewrite_bytes("crimes.csv", lambda b: b.decode("utf-8").encode("utf-16")),
         "crimes.csv", None, None, "UTF-16"),
    Case("undecodable_byte", rewrite_bytes("crimes.csv", lambda b: _replace_line(
        b, 5, b.split(b"\n")[5].replace(b"Burglary", b"Burgl\xe6ry"))),
         "crimes.csv", None, 5, "not valid UTF-8"),
    Case("unmatched_quote", rewrite_bytes("crimes.csv", lambda b: _replace_line(
        b, 4, b.split(b"\n")[4].replace(b"Robbery", b'"Robbery'))),
         "crimes.csv", None, 4, "unmatched double quote"),
    Case("nul_bytes", rewrite_bytes("crimes.csv", lambda b: b.replace(b"Murder", b"Mur\x00der")),
         "crimes.csv", None, None, "NUL bytes"),
    Case("symlink_outside_data_dir", lambda d: _link_outside(d, "crimes.csv"),
         "crimes.csv", None, None, "outside the data folder"),
    Case("two_formats", lambda d: read(d, "crimes").to_parquet(d / "crimes.parquet"),
         "crimes.csv", None, None, "more than one file"),
    # ---- persons
    Case("negative_age", set_cell("persons", 1, "age", "-3"),
         "persons.csv", "age", 1, "between 0 and 110"),
    Case("age_over_110", set_cell("persons", 2, "age", "111"),
         "persons.csv", "age", 2, "between 0 and 110"),
    Case("fractional_age", set_cell("persons", 3, "age", "12.5"),
         "persons.csv", "age", 3, "not a whole number"),
    Case("text_age", set_cell("persons", 4, "age", "twenty"),
         "persons.csv", "age", 4, "not a whole number"),
    Case("bad_sex", set_cell("persons", 5, "sex", "X"),
         "persons.csv", "sex", 5, "not one of the allowed values"),
    Case("orphan_person", set_cell("persons", 6, "crime_id", "C999"),
         "persons.csv", "crime_id", 6, "not a crime_id in crimes"),
    Case("unknown_home_lsoa", set_cell("persons", 7, "home_lsoa", "W01000009"),
         "persons.csv", "home_lsoa", 7, "not an LSOA code in geography"),
    Case("duplicate_person_key", edit("persons", lambda f: f.assign(
        person_id=f["person_id"].mask(f.index == 1, "P01"), role=f["role"].mask(f.index == 1, "victim"))),
         "persons.csv", "crime_id+person_id+role", 2, "duplicate key"),
    Case("formula_at_sign", set_cell("persons", 8, "origin_area", "@SUM(1+1)*cmd|' /C calc'!A0"),
         "persons.csv", "origin_area", 8, "spreadsheet formula"),
    # ---- population and census
    Case("huge_population", set_cell("population", 4, "population", "1e30"),
         "population.csv", "population", 4, "must be between 0 and"),
    Case("population_age_91", set_cell("population", 3, "age", "91"),
         "population.csv", "age", 3, "between 0 and 90"),
    Case("duplicate_population_key", set_cell("population", 2, "age", "0"),
         "population.csv", "lsoa_code+year+age", 2, "duplicate key"),
    Case("ts011_sum", set_cell("census_deprivation", 2, "deprived_4", "6"),
         "census_deprivation.csv", "households", 2, "does not add up to households"),
    Case("duplicate_census_lsoa", set_cell("census_employment", 4, "lsoa_code", "X01000001"),
         "census_employment.csv", "lsoa_code", 4, "duplicate lsoa_code"),
    Case("ts065_sum", set_cell("census_employment", 3, "never_worked", "0"),
         "census_employment.csv", "residents_16_plus", 3, "does not add up to residents_16_plus"),
    Case("negative_count_in_numeric_column", set_cell("census_deprivation", 1, "deprived_0", "-300"),
         "census_deprivation.csv", "deprived_0", 1, "must be between 0 and"),
    # ---- other tables
    Case("ragged_row", rewrite_bytes("asb.csv", lambda b: _replace_line(b, 2, b"A2,2022-04-01,X01000002,extra")),
         "asb.csv", None, 2, "has 4 fields but the header has 3"),
    Case("bad_fire_type", set_cell("fire", 1, "fire_type", "arson"),
         "fire.csv", "fire_type", 1, "not one of the allowed values"),
    Case("bad_financial_year", set_cell("hospital_admissions", 2, "financial_year", "2022/24"),
         "hospital_admissions.csv", "financial_year", 2, "consecutive years"),
    Case("infinite_comparator", set_cell("comparators", 2, "value", "inf"),
         "comparators.csv", "value", 2, "not a number"),
    Case("unknown_survey_area", set_cell("community_survey", 1, "area", "Atlantis"),
         "community_survey.csv", "area", 1, "not a CSP in config.csps"),
    Case("missing_required_table", lambda d: (d / "persons.csv").unlink(),
         "persons.*", None, None, "required table 'persons' is missing"),
    # ---- geography
    Case("area_not_in_config", edit_geo(_geo_set(3, "area", "Elsewhere")),
         "geography.parquet", "area", 3, "not a CSP listed in config.csps"),
    Case("geographic_crs", edit_geo(lambda g: g.set_crs("EPSG:4326", allow_override=True)),
         "geography.parquet", "geometry", None, "geographic CRS"),
    Case("self_intersecting_polygon", edit_geo(_bowtie),
         "geography.parquet", "geometry", 2, "not a valid polygon"),
    Case("formula_in_lsoa_name", edit_geo(_geo_set(1, "lsoa_name", "+HYPERLINK(\"http://x\")")),
         "geography.parquet", "lsoa_name", 1, "spreadsheet formula"),
    # ---- config
    Case("csp_without_lsoas", write_config(CONFIG.replace("[North, South]", "[North, South, East]")),
         "geography.parquet", "area", None, "no LSOAs for CSP(s) in config.csps: East"),
    Case("definition_path_escape", write_config(CONFIG + "definitions: [partnership, ../evil.yaml]\n"),
         "config.yaml", "definitions", None, "must not use '..'"),
    Case("definition_absolute_path", write_config(CONFIG + "definitions: [/etc/sv.yaml]\n"),
         "config.yaml", "definitions", None, "not absolute"),
    Case("year_as_text", write_config(CONFIG.replace("reporting_year: 2023", "reporting_year: '2023'")),
         "config.yaml", "reporting_year", None, "whole calendar year"),
    Case("config_not_yaml", write_config("county: [unclosed\n"),
         "config.yaml", None, None, "not valid YAML"),
    Case("config_missing", lambda d: (d / "config.yaml").unlink(),
         "config.yaml", None, None, "missing"),
]
