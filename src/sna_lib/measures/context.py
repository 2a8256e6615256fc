"""Serious violence in the context of all crime (reference SNA section 3).

Two tables: volumes and % of all crime for *all crime*, *all violence* (violence against the
person), *all serious violence* (Home Office categories) and *serious violence* (partnership
definition); and % of crime for domestic abuse, sexual offences, violence against women and
girls (VAWG) and partnership serious violence. Volumes are published "rounded to the nearest
100"; exact values are kept alongside.

VAWG (sna-book rule, documented in the methods annex): a crime counts when at least one victim
is female (``sex == "F"``) and the offence is VAWG-relevant in the reference table
(``vawg_relevant``) or the crime is flagged domestic abuse.

Examples
--------
>>> round_to(157_049), round_to(3_150), round_to(64_115, 1)
(157000, 3200, 64115)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sna_lib.data.definitions import Definition, load_definition
from sna_lib.measures.classify import qualifying_mask
from sna_lib.measures.people import isin_mask
from sna_lib.data.codes import factorize_text
from sna_lib.reference import offences
from sna_lib.measures.significance import round_half_away

__all__ = ["round_to", "offence_attribute", "crime_volumes", "crime_shares", "vawg_mask"]


def round_to(n: float, base: int = 100) -> int:
    """Round to the nearest ``base`` (halves away from zero), as published.

    Examples
    --------
    >>> round_to(150), round_to(149), round_to(-150)
    (200, 100, -200)
    """
    return int(round_half_away(n / base) * base)


def offence_attribute(crimes: pd.DataFrame, column: str) -> pd.Series:
    """Look up a reference-table column (e.g. ``offence_group``) for every crime.

    Examples
    --------
    >>> import pandas as pd
    >>> offence_attribute(pd.DataFrame({"offence_code": ["34B", "ZZ"]}), "offence_group").tolist()
    ['robbery', <NA>]
    """
    table = offences().set_index("offence_code")[column]
    idx, uniques = factorize_text(crimes["offence_code"])
    is_flag = table.dtype == bool
    values = table.reindex(uniques)
    if is_flag:
        arr = values.fillna(False).to_numpy(dtype=bool)
        return pd.Series(np.append(arr, False)[idx], index=crimes.index, name=column)
    arr = np.append(values.to_numpy(dtype=object), pd.NA)[idx]
    return pd.Series(arr, index=crimes.index, name=column, dtype=table.dtype)


def vawg_mask(crimes: pd.DataFrame, persons: pd.DataFrame) -> np.ndarray:
    """Crimes counted as violence against women and girls (see module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": ["a", "b", "c", "d"], "offence_code": ["8N", "8N", "46", "46"],
    ...                   "domestic_abuse": [False, False, False, True]})
    >>> p = pd.DataFrame({"crime_id": ["a", "b", "c", "d"], "person_id": ["1", "2", "3", "4"],
    ...                   "role": "victim", "sex": ["F", "M", "F", "F"]})
    >>> vawg_mask(c, p).tolist()
    [True, False, False, True]
    """
    female = persons.loc[(persons["role"] == "victim") & (persons["sex"] == "F"), "crime_id"]
    has_female = isin_mask(crimes["crime_id"], female)
    relevant = offence_attribute(crimes, "vawg_relevant").to_numpy(dtype=bool)
    da = crimes["domestic_abuse"].fillna(False).to_numpy(dtype=bool)
    return has_female & (relevant | da)


def _pct(n: int, total: int) -> float | None:
    return (100.0 * n / total) if total else None


def _row(label: str, n: int, total: int, base: int) -> dict:
    pct = _pct(n, total)
    return {"measure": label, "volume": int(n), "volume_rounded": round_to(n, base),
            "pct_of_crime": pct, "pct_of_crime_rounded": None if pct is None else round_half_away(pct, 1)}


def crime_volumes(crimes: pd.DataFrame,
                  definitions: Mapping[str, str | Path | Definition] | None = None,
                  base: int = 100) -> pd.DataFrame:
    """Volumes and % of all crime: all crime, all violence, Home Office SV, partnership SV.

    Parameters
    ----------
    crimes : pandas.DataFrame
        All crime for one period and area.
    definitions : mapping, optional
        Row label -> definition; default ``{"All serious violence": "home_office",
        "Serious violence (partnership)": "partnership"}``.
    base : int
        Rounding base of ``volume_rounded`` (published: 100).

    Returns
    -------
    pandas.DataFrame
        ``measure, volume, volume_rounded, pct_of_crime, pct_of_crime_rounded`` (1 decimal).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": list("abcd"), "offence_code": ["8N", "105A", "46", "46"],
    ...                   "domestic_abuse": False, "knife": [True, False, False, False], "firearm": False,
    ...                   "other_weapon": False, "county_lines": False, "gang": False,
    ...                   "location_type": "public"})
    >>> crime_volumes(c, base=1)[["measure", "volume", "pct_of_crime"]].values.tolist()
    [['All crime', 4, 100.0], ['All violence', 2, 50.0], ['All serious violence', 1, 25.0], ['Serious violence (partnership)', 1, 25.0]]
    """
    if definitions is None:
        definitions = {"All serious violence": "home_office", "Serious violence (partnership)": "partnership"}
    total = len(crimes)
    violence = int(offence_attribute(crimes, "violence_against_the_person").sum())
    rows = [_row("All crime", total, total, base), _row("All violence", violence, total, base)]
    for label, d in definitions.items():
        rows.append(_row(label, int(qualifying_mask(crimes, load_definition(d)).sum()), total, base))
    return pd.DataFrame(rows)


def crime_shares(crimes: pd.DataFrame, persons: pd.DataFrame,
                 partnership: str | Path | Definition = "partnership",
                 extra: Sequence[tuple[str, np.ndarray]] = ()) -> pd.DataFrame:
    """% of all crime: domestic abuse, sexual offences, VAWG and partnership serious violence.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": list("abcd"), "offence_code": ["19C", "8N", "46", "46"],
    ...                   "domestic_abuse": [True, False, False, False], "knife": False, "firearm": False,
    ...                   "other_weapon": False, "county_lines": False, "gang": False,
    ...                   "location_type": "public"})
    >>> p = pd.DataFrame({"crime_id": ["a"], "person_id": ["v"], "role": ["victim"], "sex": ["F"]})
    >>> crime_shares(c, p)[["measure", "volume", "pct_of_crime"]].values.tolist()
    [['Domestic Abuse', 1, 25.0], ['Sexual Offences', 1, 25.0], ['Violence Against Women and Girls', 1, 25.0], ['Serious violence (partnership)', 0, 0.0]]
    """
    total = len(crimes)
    parts = [
        ("Domestic Abuse", crimes["domestic_abuse"].fillna(False).to_numpy(dtype=bool)),
        ("Sexual Offences", offence_attribute(crimes, "sexual").to_numpy(dtype=bool)),
        ("Violence Against Women and Girls", vawg_mask(crimes, persons)),
        ("Serious violence (partnership)", qualifying_mask(crimes, load_definition(partnership))),
        *extra,
    ]
    return pd.DataFrame([_row(label, int(mask.sum()), total, 100) for label, mask in parts])
