"""ONS small-area population estimates (single year of age, persons) → contract ``population``.

Each data year gets the **nearest** mid-year estimate supplied (ties go to the earlier
estimate, the one available at the time); the chosen estimate is kept in ``estimate_year``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.importers.columns import find, read_text_table

_YEAR_IN_NAME = re.compile(r"mid[-_ ]?(\d{4})|(?<!\d)(\d{4})(?!\d)")


def estimate_year(path: Path) -> int:
    """The mid-year of an estimate file, from its name (``…mid2017…`` or a lone 4-digit year).

    Examples
    --------
    >>> estimate_year(Path("ons_sape_mid2019_lsoa11_syoa_persons_ew.csv.gz"))
    2019
    """
    name = Path(path).name
    match = _YEAR_IN_NAME.search(name)
    if match is None:
        raise DataValidationError([Problem(name, None, None, "population file name must contain the estimate's "
                                                             "mid-year, e.g. 'mid2019'")])
    return int(match.group(1) or match.group(2))


def nearest_estimates(data_years: list[int], estimates: list[int]) -> dict[int, int]:
    """Map each data year to the nearest estimate year (ties → the earlier estimate).

    Examples
    --------
    >>> nearest_estimates([2018, 2019], [2017, 2019, 2020])
    {2018: 2017, 2019: 2019}
    """
    return {y: min(estimates, key=lambda e: (abs(e - y), e)) for y in data_years}


def read_sape(path: Path, codes: pd.Index) -> pd.DataFrame:
    """One estimate file, long: ``lsoa_code, age (0–90, 90 = 90+), population`` for ``codes``."""
    name = Path(path).name
    raw = read_text_table(path)
    code = find(raw.columns, ("lsoa11code", "lsoa11cd", "lsoa21code", "lsoa21cd", "lsoacode", "areacodes"))
    if code is None:
        raise DataValidationError([Problem(name, None, None, "has no LSOA code column (lsoa11_code / LSOA Code)")])
    ages = {}
    for col in raw.columns:
        text = str(col).strip().replace("+", "")
        if text.isdigit() and 0 <= int(text) <= 90:
            ages[col] = int(text)
    if sorted(ages.values()) != list(range(91)):
        raise DataValidationError([Problem(name, None, None, "needs one column per single year of age 0 … 89 "
                                                             "and '90+'")])
    rows = raw[raw[code].str.strip().isin(codes)]
    missing = codes.difference(pd.Index(rows[code].str.strip()))
    if len(missing):
        raise DataValidationError([Problem(name, code, None, f"has no estimate for {len(missing):,} LSOA(s) of the "
                                                             f"force (e.g. {', '.join(missing[:5])})")])
    values = rows[list(ages)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() | (values < 0) | (values % 1 != 0)
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise DataValidationError([Problem(name, str(values.columns[c]), int(rows.index[r]) + 1,
                                           f"{rows.iloc[r][values.columns[c]]!r} is not a whole number of people")])
    long = values.set_axis(list(ages.values()), axis=1).assign(lsoa_code=rows[code].str.strip().to_numpy())
    long = long.melt(id_vars="lsoa_code", var_name="age", value_name="population")
    return long.astype({"age": "int64", "population": "int64"})


def build_population(paths: list[Path], codes: pd.Index, data_years: list[int]) -> tuple[pd.DataFrame, dict[int, int]]:
    """Contract ``population`` for ``data_years`` from the nearest estimates; and the mapping used."""
    by_year = {}
    for path in paths:
        year = estimate_year(path)
        if year in by_year:
            raise DataValidationError([Problem(Path(path).name, None, None, f"a second mid-{year} estimate was given")])
        by_year[year] = path
    if not by_year:
        raise DataValidationError([Problem("--population", None, None, "at least one population estimate is required")])
    chosen = nearest_estimates(data_years, sorted(by_year))
    read = {e: read_sape(by_year[e], codes) for e in sorted(set(chosen.values()))}
    frames = [read[e].assign(year=y, estimate_year=e) for y, e in sorted(chosen.items())]
    out = pd.concat(frames, ignore_index=True)[["lsoa_code", "year", "age", "population", "estimate_year"]]
    return out.sort_values(["lsoa_code", "year", "age"]).reset_index(drop=True), chosen
