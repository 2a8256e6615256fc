"""Shipped reference data: the Home Office offence table with Cambridge Crime Harm Index weights.

The table lives in ``offences.csv`` beside this module (provenance in ``PROVENANCE.md``).
Every police-recorded crime in ``crimes.offence_code`` must have a row here; the row gives the
ONS offence group used for context shares, the harm weight used by :mod:`sna_lib.measures.harm`, and
flags used by classification and the risk index.

Examples
--------
>>> from sna_lib.reference import offences
>>> table = offences()
>>> table.loc[table["offence_code"] == "1", ["offence_title", "offence_group"]].iloc[0].tolist()
['Murder', 'homicide']
>>> bool(table["offence_code"].is_unique)
True
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from sna_lib.errors import DataValidationError, Problem

__all__ = [
    "OFFENCE_GROUPS",
    "VIOLENCE_GROUPS",
    "BOOL_COLUMNS",
    "offences",
    "offence_weights",
    "unknown_codes",
]

#: ONS notifiable offence groups (police recorded crime, excluding fraud), in publication order.
OFFENCE_GROUPS: tuple[str, ...] = (
    "homicide",
    "death or serious injury by unlawful driving",
    "violence with injury",
    "violence without injury",
    "stalking and harassment",
    "sexual offences",
    "robbery",
    "theft offences",
    "criminal damage and arson",
    "drug offences",
    "possession of weapons offences",
    "public order offences",
    "miscellaneous crimes against society",
)

#: Groups that make up "violence against the person" ("All violence" in the reference SNA).
VIOLENCE_GROUPS: tuple[str, ...] = OFFENCE_GROUPS[:5]

BOOL_COLUMNS: tuple[str, ...] = (
    "notifiable",
    "violence_against_the_person",
    "class_a_possession",
    "class_a_supply",
    "sexual",
    "vawg_relevant",
)
_REQUIRED = ("offence_code", "offence_title", "offence_group", "offence_subgroup", "cchi_days",
             "cchi_basis", "code_status") + BOOL_COLUMNS
_FILE = "offences.csv"


def _parse(raw: pd.DataFrame, source: str = _FILE) -> pd.DataFrame:
    """Check and type the raw reference CSV; raise DataValidationError listing every problem."""
    problems: list[Problem] = []
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise DataValidationError([Problem(source, c, None, "required column missing") for c in missing])
    df = raw.copy()
    df["offence_code"] = df["offence_code"].astype("string").str.strip()
    for i in df.index[df["offence_code"].isna() | (df["offence_code"] == "")]:
        problems.append(Problem(source, "offence_code", int(i) + 1, "empty offence code"))
    for i in df.index[df["offence_code"].duplicated(keep="first")]:
        problems.append(Problem(source, "offence_code", int(i) + 1,
                                f"duplicate offence code {df.at[i, 'offence_code']!r}"))
    bad_group = ~df["offence_group"].isin(OFFENCE_GROUPS)
    for i in df.index[bad_group]:
        problems.append(Problem(source, "offence_group", int(i) + 1,
                                f"unknown offence group {df.at[i, 'offence_group']!r}"))
    weights = pd.to_numeric(df["cchi_days"], errors="coerce")
    bad_weight = (weights < 0) | (weights.isna() & df["cchi_days"].notna()
                                  & (df["cchi_days"].astype("string").str.strip() != ""))
    for i in df.index[bad_weight.fillna(False)]:
        problems.append(Problem(source, "cchi_days", int(i) + 1,
                                f"harm weight must be a number of days >= 0, got {df.at[i, 'cchi_days']!r}"))
    df["cchi_days"] = weights.astype("Float64")
    truthy = {"true": True, "1": True, "y": True, "false": False, "0": False, "n": False}
    for col in BOOL_COLUMNS:
        text = df[col].astype("string").str.strip().str.lower()
        mapped = text.map(truthy)
        for i in df.index[mapped.isna()]:
            problems.append(Problem(source, col, int(i) + 1, f"not a boolean: {df.at[i, col]!r}"))
        df[col] = mapped.fillna(False).astype(bool)
    if problems:
        raise DataValidationError(problems)
    for col in ("offence_title", "offence_group", "offence_subgroup", "cchi_basis", "code_status"):
        df[col] = df[col].astype("string")
    return df.reset_index(drop=True)


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    with resources.files(__name__).joinpath(_FILE).open("r", encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False, na_values=[""])
    return _parse(raw)


def offences() -> pd.DataFrame:
    """Return the shipped Home Office offence reference table (a fresh copy).

    Returns
    -------
    pandas.DataFrame
        One row per offence code with columns ``offence_code`` (str), ``offence_title``,
        ``offence_group`` (one of :data:`OFFENCE_GROUPS`), ``offence_subgroup``,
        ``cchi_days`` (Float64; NA when no weight is known), ``cchi_basis``
        (``published`` or ``estimate``), ``code_status`` and boolean flags
        ``notifiable``, ``violence_against_the_person``, ``class_a_possession``,
        ``class_a_supply``, ``sexual``, ``vawg_relevant``.

    Examples
    --------
    >>> t = offences()
    >>> len(t) >= 100
    True
    >>> sorted(t.loc[t["class_a_supply"], "offence_code"])
    ['92A/A']
    >>> float(t.set_index("offence_code").at["8N", "cchi_days"]) > 0
    True
    """
    return _load().copy()


def offence_weights(codes: pd.Series, table: pd.DataFrame | None = None) -> pd.Series:
    """Map offence codes to CCHI harm weights (days), NA where the code or weight is unknown.

    Parameters
    ----------
    codes : pandas.Series
        Home Office offence codes (str).
    table : pandas.DataFrame, optional
        Reference table to use; defaults to :func:`offences`.

    Returns
    -------
    pandas.Series
        Float64 weights aligned to ``codes``.

    Examples
    --------
    >>> import pandas as pd
    >>> offence_weights(pd.Series(["1", "nope"])).tolist()
    [5475.0, <NA>]
    """
    table = offences() if table is None else table
    lookup = table.set_index("offence_code")["cchi_days"]
    return pd.Series(codes.astype("string").map(lookup), index=codes.index, dtype="Float64")


def unknown_codes(codes: pd.Series, table: pd.DataFrame | None = None) -> list[str]:
    """Return the sorted distinct codes that are not in the reference table.

    Examples
    --------
    >>> import pandas as pd
    >>> unknown_codes(pd.Series(["1", "8N", "ZZ9", "ZZ9"]))
    ['ZZ9']
    """
    table = offences() if table is None else table
    values = pd.Series(codes.dropna().astype("string").unique())
    return sorted(values[~values.isin(table["offence_code"])].tolist())
