"""Flag LSOAs whose recorded crime is dominated by a non-residential site.

Rule (documented in ``data/README.md``): an LSOA is **non-residential** when at least
:data:`MIN_SHARE` of its crime records (ASB excluded) over the imported months are at police.uk
snap points of a site type in :data:`SITES` — places whose users are almost all visitors,
passengers or inmates rather than the residents a per-resident rate divides by — and at least
:data:`MIN_RECORDS` records are there. Stansted Airport (E01022090, "On or near
Airport/Airfield") is the Essex case: 70 % of the LSOA's crime records; in 2018 the LSOA holds
659 of Uttlesford's 673 possession-of-weapons offences, 589 of them at the airport itself. Town centres, shopping centres and
hospitals are not flagged: they have residents and their rates are a real feature of the place.
"""

from __future__ import annotations

import pandas as pd

SITES: tuple[str, ...] = ("Airport/Airfield", "Prison")
MIN_SHARE = 0.5
MIN_RECORDS = 50


def flag_non_residential(crimes: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    """``lsoa_code, non_residential, non_residential_reason`` for every LSOA in ``codes``.

    ``crimes`` needs ``lsoa_code`` and ``location`` (police.uk "On or near …" text).

    Examples
    --------
    >>> c = pd.DataFrame({"lsoa_code": ["A"] * 60 + ["B"] * 3,
    ...                   "location": ["On or near Airport/Airfield"] * 55 + ["On or near X Road"] * 8})
    >>> flag_non_residential(c, pd.Index(["A", "B"]))["non_residential"].tolist()
    [True, False]
    """
    site = crimes["location"].fillna("").str.replace(r"^On or near ", "", regex=True)
    at_site = site.where(site.isin(SITES))
    total = crimes.groupby("lsoa_code").size().reindex(codes, fill_value=0)
    by_site = (pd.DataFrame({"lsoa_code": crimes["lsoa_code"], "site": at_site}).dropna()
               .groupby(["lsoa_code", "site"]).size())
    out = pd.DataFrame({"lsoa_code": codes, "non_residential": False, "non_residential_reason": pd.NA})
    out = out.astype({"non_residential_reason": "str"})
    for (code, place), n in by_site.items():
        share = n / total[code]
        if n >= MIN_RECORDS and share >= MIN_SHARE:
            row = out.index[out["lsoa_code"] == code][0]
            out.at[row, "non_residential"] = True
            out.at[row, "non_residential_reason"] = (
                f"{share:.0%} of its crime records are at police.uk '{place}' locations")
    return out
