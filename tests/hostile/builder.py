"""A tiny, hand-checkable valid data folder (independent of ``sna_lib.synthetic``).

Four LSOAs (1 km squares) in two CSPs, a dozen crimes, a handful of everything else. Every
table is written as CSV so hostile cases can mutate the text; geography is GeoParquet.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

OFFENCE_CODES = frozenset({"1", "5A", "8N", "34B", "28E", "105A"})
CSPS = ("North", "South")
LSOAS = ("X01000001", "X01000002", "X01000003", "X01000004")

CONFIG = """\
county: Tinyshire
synthetic: true
csps: [North, South]
reporting_year: 2023
first_year: 2021
rolling_end: 2024-03-31
"""


def geography() -> gpd.GeoDataFrame:
    """Four 1 km squares in a row; the first two in North, the rest in South."""
    return gpd.GeoDataFrame(
        {
            "lsoa_code": list(LSOAS),
            "lsoa_name": ["North 001A", "North 001B", "South 001A", "South 001B"],
            "area": ["North", "North", "South", "South"],
            "urban": [True, False, True, False],
            "nte": [True, False, False, False],
        },
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
        crs="EPSG:27700",
    )


def tables() -> dict[str, pd.DataFrame]:
    """Every non-geographic table as text-valued frames (exactly what the CSVs hold)."""
    crimes = pd.DataFrame({
        "crime_id": [f"C{i:03d}" for i in range(1, 13)],
        "date": ["2021-01-05", "2021-06-30", "2022-02-14", "2022-07-01", "2022-12-31", "2023-01-01",
                 "2023-03-03", "2023-05-20", "2023-08-08", "2023-11-11", "2024-01-15", "2024-03-31"],
        "offence_code": ["1", "5A", "8N", "34B", "28E", "105A", "8N", "5A", "34B", "8N", "28E", "5A"],
        "offence_description": ["Murder", "Wounding with intent", "Assault with injury", "Robbery of personal property",
                                "Burglary", "Assault without injury", "Assault with injury",
                                "Wounding with intent", "Robbery of personal property", "Assault with injury",
                                "Burglary", "Wounding with intent"],
        "lsoa_code": [LSOAS[i % 4] for i in range(12)],
        "domestic_abuse": ["false", "false", "true", "false", "false", "true",
                           "false", "false", "false", "true", "false", "false"],
        "knife": ["true", "true", "false", "true", "false", "false", "false", "true", "false", "false", "false", "true"],
        "firearm": ["false"] * 12,
        "other_weapon": ["false"] * 11 + ["true"],
        "county_lines": ["false"] * 12,
        "gang": ["false", "true"] + ["false"] * 10,
        "location_type": ["public", "public", "dwelling", "public", "dwelling", "dwelling",
                          "public", "public", "public", "dwelling", "dwelling", "public"],
    })
    persons = pd.DataFrame({
        "crime_id": ["C001", "C001", "C002", "C002", "C003", "C004", "C005", "C006",
                     "C007", "C008", "C009", "C010", "C011", "C012", "C012"],
        "person_id": ["P01", "P02", "P03", "P01", "P04", "P05", "P06", "P07",
                      "P08", "P09", "P10", "P11", "P12", "P13", "P03"],
        "role": ["victim", "suspect", "victim", "suspect", "victim", "victim", "victim", "victim",
                 "suspect", "victim", "victim", "victim", "victim", "victim", "suspect"],
        "age": ["19", "22", "17", "22", "34", "", "45", "28", "16", "61", "15", "38", "52", "24", "18"],
        "sex": ["M", "M", "F", "M", "F", "U", "M", "F", "M", "F", "M", "F", "M", "M", "F"],
        "home_lsoa": ["X01000001", "", "X01000002", "", "X01000003", "", "X01000004", "X01000001",
                      "X01000002", "X01000003", "", "X01000004", "X01000001", "X01000002", "X01000002"],
        "origin_area": ["North", "London", "North", "London", "South", "Unknown", "South", "North",
                        "North", "South", "Unknown", "South", "North", "North", "North"],
    })
    population = pd.DataFrame(
        [(lsoa, str(year), str(age), str(100 + 10 * i + age)) for i, lsoa in enumerate(LSOAS)
         for year in (2021, 2022, 2023) for age in (0, 45, 90)],
        columns=["lsoa_code", "year", "age", "population"],
    )
    deprivation = pd.DataFrame({
        "lsoa_code": list(LSOAS),
        "households": ["600", "650", "700", "550"],
        "deprived_0": ["300", "350", "200", "250"],
        "deprived_1": ["200", "200", "300", "200"],
        "deprived_2": ["80", "70", "150", "80"],
        "deprived_3": ["15", "25", "40", "15"],
        "deprived_4": ["5", "5", "10", "5"],
    })
    employment = pd.DataFrame({
        "lsoa_code": list(LSOAS),
        "residents_16_plus": ["1200", "1300", "1400", "1100"],
        "in_employment": ["700", "800", "750", "600"],
        "not_in_employment_worked_last_12_months": ["100", "100", "150", "100"],
        "not_in_employment_not_worked_last_12_months": ["350", "350", "420", "350"],
        "never_worked": ["50", "50", "80", "50"],
    })
    return {
        "population": population,
        "census_deprivation": deprivation,
        "census_employment": employment,
        "crimes": crimes,
        "persons": persons,
        "asb": pd.DataFrame({"incident_id": ["A1", "A2", "A3"], "date": ["2021-03-01", "2022-04-01", "2023-05-01"],
                             "lsoa_code": ["X01000001", "X01000002", "X01000004"]}),
        "fire": pd.DataFrame({"incident_id": ["F1", "F2", "F3"], "date": ["2021-03-01", "2022-04-01", "2023-05-01"],
                              "lsoa_code": ["X01000001", "X01000003", "X01000004"],
                              "fire_type": ["deliberate_fire", "arson_not_endangering_life", "arson_endangering_life"]}),
        "ambulance": pd.DataFrame({"call_id": ["M1", "M2"], "date": ["2022-09-09", "2023-10-10"],
                                   "lsoa_code": ["X01000002", "X01000003"],
                                   "category": ["assault_sexual_assault", "stab_gunshot_penetrating_trauma"]}),
        "hospital_admissions": pd.DataFrame({"financial_year": ["2018/19", "2022/23"],
                                             "age_band": ["under_25", "25_plus"], "admissions": ["12", "30"]}),
        "school_exclusions": pd.DataFrame({"local_authority": ["Tinyshire", "Tinyshire"],
                                           "academic_year": ["2021/22", "2022/23"],
                                           "reason": ["Physical assault against a pupil"] * 2,
                                           "permanent_exclusions": ["3", "4"], "suspensions": ["40", "52"]}),
        "community_survey": pd.DataFrame({"year": ["2023", "2023"], "area": ["North", "county"],
                                          "theme": ["knife crime", "drugs"], "responses": ["14", "22"]}),
        "comparators": pd.DataFrame({"series": ["knife_offences", "knife_offences"],
                                     "area": ["England and Wales", "England and Wales"],
                                     "year": ["2022", "2023"], "value": ["-0.5", "51.2"]}),
    }


def build_valid_dir(path: Path) -> Path:
    """Write the tiny valid folder into ``path`` (created if needed) and return it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(CONFIG, encoding="utf-8")
    geography().to_parquet(path / "geography.parquet")
    for name, frame in tables().items():
        frame.to_csv(path / f"{name}.csv", index=False)
    return path
