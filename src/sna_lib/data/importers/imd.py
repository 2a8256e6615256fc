"""English Indices of Deprivation (ranks and deciles per LSOA) → contract ``imd``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.importers.columns import find, read_text_table

#: contract prefix → normalised header prefixes used by MHCLG / the IMD package
DOMAINS = {
    "imd": ("imd", "indexofmultipledeprivation"), "income": ("income",), "employment": ("employment",),
    "education": ("education",), "health": ("health",), "crime": ("crime",),
    "barriers": ("housingandaccess", "barrierstohousingandservices", "barriers"),
    "living_environment": ("environment", "livingenvironment"),
}


def build_imd(path: Path, codes: pd.Index, vintage: str) -> pd.DataFrame:
    """Contract ``imd`` for ``codes``: ``imd_rank``, ``imd_decile`` and the domain ranks/deciles present."""
    name = Path(path).name
    raw = read_text_table(path)
    code = find(raw.columns, ("lsoa11code", "lsoa11cd", "lsoa21code", "lsoa21cd", "lsoacode2011", "lsoacode"))
    if code is None:
        raise DataValidationError([Problem(name, None, None, "has no LSOA code column (lsoa11_code)")])
    file_vintage = "2021" if "21" in code else "2011"
    if file_vintage != vintage:
        raise DataValidationError([Problem(name, code, None, f"is at {file_vintage} LSOAs but the boundaries are "
                                                             f"{vintage}; use the IMD edition of the same vintage")])
    out = pd.DataFrame({"lsoa_code": raw[code].str.strip()})
    for key, prefixes in DOMAINS.items():
        for kind in ("rank", "decile"):
            col = find(raw.columns, tuple(f"{p}{kind}" for p in prefixes))
            if col is not None:
                out[f"{key}_{kind}"] = pd.to_numeric(raw[col], errors="coerce").astype("Int64")
    if "imd_rank" not in out or "imd_decile" not in out:
        raise DataValidationError([Problem(name, None, None, "needs IMD_rank and IMD_decile columns")])
    out = out[out["lsoa_code"].isin(codes)]
    missing = codes.difference(pd.Index(out["lsoa_code"]))
    if len(missing):
        raise DataValidationError([Problem(name, code, None, f"has no IMD for {len(missing):,} LSOA(s) of the force "
                                                             f"(e.g. {', '.join(missing[:5])})")])
    return out.sort_values("lsoa_code").reset_index(drop=True)
