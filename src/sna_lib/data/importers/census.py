"""Census households by deprivation dimensions (2021 TS011 or 2011 QS119) → ``census_deprivation``.

Long files (one row per LSOA and number of dimensions 0–4, as nomis publishes them) become the
contract's wide layout. When the census LSOAs are 2021 and the boundaries 2011, counts move
through the ONS LSOA 2011 → 2021 lookup: an unchanged (U) or split (S) 2021 LSOA belongs to
one 2011 LSOA and is added to it exactly; a merged (M) or complex (X) 2021 LSOA is shared
among its 2011 LSOAs in proportion to their population (largest-remainder rounding, so every
count stays whole and the 2021 total is kept).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.importers.columns import find, read_text_table

COLUMNS = [f"deprived_{i}" for i in range(5)]


def read_deprivation(path: Path) -> tuple[pd.DataFrame, str]:
    """Wide ``lsoa_code, deprived_0 … deprived_4`` and the LSOA vintage of the file."""
    name = Path(path).name
    raw = read_text_table(path)
    code = find(raw.columns, ("lsoa21code", "lsoa21cd", "lsoa11code", "lsoa11cd", "geographycode"))
    dim = find(raw.columns, ("householdsnumberdeprivationdimensions", "deprivationdimensions", "dimensions"))
    count = find(raw.columns, ("count", "observation", "value", "obsvalue"))
    if code is None or dim is None or count is None:
        raise DataValidationError([Problem(name, None, None, "is not a long TS011/QS119 table (needs an LSOA code, "
                                                             "households_number_deprivation_dimensions and count)")])
    vintage = "2021" if "21" in code else "2011"
    dims = pd.to_numeric(raw[dim], errors="coerce")
    counts = pd.to_numeric(raw[count], errors="coerce")
    bad = dims.isna() | ~dims.isin(range(5)) | counts.isna() | (counts < 0) | (counts % 1 != 0)
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        col = dim if (dims.isna() | ~dims.isin(range(5))).iloc[r] else count
        raise DataValidationError([Problem(name, col, r + 1, f"{raw.iloc[r][col]!r} is not valid "
                                                             "(dimensions 0–4, count a whole number ≥ 0)")])
    wide = (pd.DataFrame({"lsoa_code": raw[code].str.strip(), "dim": dims.astype(int), "n": counts.astype("int64")})
            .pivot_table(index="lsoa_code", columns="dim", values="n", aggfunc="sum", fill_value=0))
    wide = wide.reindex(columns=range(5), fill_value=0).set_axis(COLUMNS, axis=1).reset_index()
    return wide, vintage


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split a whole number by weights into whole numbers that add up to it.

    Examples
    --------
    >>> _largest_remainder(10, np.array([1.0, 1.0, 1.0])).tolist()
    [4, 3, 3]
    """
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    share = total * weights / weights.sum()
    base = np.floor(share).astype("int64")
    order = np.argsort(-(share - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base


def to_lsoa11(wide21: pd.DataFrame, changes: pd.DataFrame, weights: pd.Series) -> pd.DataFrame:
    """Move 2021-LSOA counts to 2011 LSOAs (see the module docstring); ``weights`` = population per LSOA11."""
    links = changes[["lsoa11", "lsoa21"]].drop_duplicates()
    n_parents = links.groupby("lsoa21")["lsoa11"].transform("size")
    single = links[n_parents == 1].merge(wide21, left_on="lsoa21", right_on="lsoa_code")
    parts = [single.drop(columns=["lsoa_code", "lsoa21"]).rename(columns={"lsoa11": "lsoa_code"})]
    shared = links[n_parents > 1]
    counts = wide21.set_index("lsoa_code")
    for code, owners in shared.groupby("lsoa21")["lsoa11"]:
        if code not in counts.index:
            continue
        w = weights.reindex(owners.to_numpy()).fillna(0).to_numpy(dtype=float)
        split = np.column_stack([_largest_remainder(int(counts.at[code, c]), w) for c in COLUMNS])
        parts.append(pd.DataFrame(split, columns=COLUMNS).assign(lsoa_code=owners.to_numpy()))
    out = pd.concat(parts, ignore_index=True)[["lsoa_code", *COLUMNS]]
    return out.groupby("lsoa_code", sort=True).sum().reset_index()


def build_census(path: Path, codes: pd.Index, vintage: str, changes: pd.DataFrame | None,
                 weights: pd.Series) -> tuple[pd.DataFrame, str]:
    """Contract ``census_deprivation`` for ``codes`` (boundary vintage ``vintage``) and the method text."""
    name = Path(path).name
    wide, census_vintage = read_deprivation(path)
    method = f"{name}: LSOA {census_vintage} counts used as published"
    if census_vintage != vintage:
        if census_vintage == "2011" or changes is None:
            raise DataValidationError([Problem(name, None, None,
                                               f"is at {census_vintage} LSOAs but the boundaries are {vintage}; "
                                               "give the LSOA 2011 → 2021 lookup with --lookup (2021 census onto "
                                               "2011 boundaries is supported)")])
        wide = to_lsoa11(wide[wide["lsoa_code"].isin(set(changes.loc[changes["lsoa11"].isin(codes), "lsoa21"]))],
                         changes, weights)
        method = (f"{name}: LSOA 2021 counts moved to LSOA 2011 via the ONS 2011→2021 lookup (unchanged and "
                  "split LSOAs added exactly; merged/complex LSOAs shared by population, largest remainder)")
    wide = wide[wide["lsoa_code"].isin(codes)]
    missing = codes.difference(pd.Index(wide["lsoa_code"]))
    if len(missing):
        raise DataValidationError([Problem(name, None, None, f"has no households for {len(missing):,} LSOA(s) of the "
                                                             f"force (e.g. {', '.join(missing[:5])})")])
    wide = wide.assign(households=wide[COLUMNS].sum(axis=1))[["lsoa_code", "households", *COLUMNS]]
    return wide.sort_values("lsoa_code").reset_index(drop=True).astype({c: "int64" for c in ["households", *COLUMNS]}), method
