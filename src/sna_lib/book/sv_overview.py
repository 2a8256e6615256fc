"""Figures for the "What is serious violence" section: definition, volume, harm and LSOA rates.

Presentation-ready aggregates for ``notebooks/03_what_is_sv.ipynb``; the notebook only shows
them. Classification comes from :mod:`sna_lib.measures.classify`, harm from :mod:`sna_lib.measures.harm`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna_lib.data.definitions import load_definition
from sna_lib.measures.classify import qualifying_mask
from sna_lib.measures.harm import harm_summary
from sna_lib.reference import offences

__all__ = [
    "area_crimes",
    "definition_table",
    "sv_by_group",
    "harm_comparison",
    "harm_table",
    "headline",
    "published_by_group",
    "by_group_alt",
]


def area_crimes(dataset, area: str) -> pd.DataFrame:
    """Crimes in ``area`` (every crime for ``"county"``, else those in the CSP's LSOAs).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(
    ...     geography=pd.DataFrame({"lsoa_code": ["A1", "B1"], "area": ["North", "South"]}),
    ...     crimes=pd.DataFrame({"crime_id": ["c1", "c2", "c3"], "lsoa_code": ["A1", "B1", "B1"]}))
    >>> area_crimes(ds, "South")["crime_id"].tolist(), len(area_crimes(ds, "county"))
    (['c2', 'c3'], 3)
    """
    crimes = dataset.crimes
    if area == "county":
        return crimes
    geo = dataset.geography
    lsoas = set(geo.loc[geo["area"] == area, "lsoa_code"])
    return crimes[crimes["lsoa_code"].isin(lsoas)]


def _in_year(crimes: pd.DataFrame, year: int) -> pd.DataFrame:
    return crimes[crimes["date"].dt.year == year]


def definition_table(definition: str = "partnership") -> pd.DataFrame:
    """The rules of a serious-violence definition as a two-column table (``Rule``, ``Value``).

    Examples
    --------
    >>> t = definition_table("partnership")
    >>> t.loc[t["Rule"] == "Domestic abuse", "Value"].item()
    'excluded'
    """
    d = load_definition(definition)
    flags = {"knife": "knife or bladed article", "firearm": "firearm", "other_weapon": "other weapon",
             "county_lines": "county lines", "gang": "gang-related"}
    rows = [
        ("Definition", d.name),
        ("Offence types", ", ".join(d.offence_groups) or "—"),
        ("Specific offence codes", ", ".join(d.offence_codes) or "—"),
        ("Always included", ", ".join([*d.always_include_groups, *d.always_include_codes]) or "—"),
        ("Must be flagged with any of",
         ", ".join(flags.get(f, f) for f in d.require_any_flag) or "no flag needed"),
        ("Location", "outside the home only" if d.location_types == ("public",)
         else ", ".join(d.location_types) if d.location_types else "anywhere"),
        ("Domestic abuse", "excluded" if d.exclude_domestic_abuse else "included"),
    ]
    return pd.DataFrame(rows, columns=["Rule", "Value"]).astype("string")


def sv_by_group(crimes: pd.DataFrame, year: int, definition: str = "partnership") -> pd.DataFrame:
    """Serious-violence offences in ``year`` by offence group, largest first.

    Returns columns ``offence_group`` and ``offences``.

    Examples
    --------
    >>> c = pd.DataFrame({"crime_id": ["a", "b", "c"], "offence_code": ["1", "4.1", "1"],
    ...                   "date": pd.to_datetime(["2023-01-01"] * 3), "domestic_abuse": False})
    >>> sv_by_group(c, 2023, "non_domestic_homicide").values.tolist()
    [['homicide', 3]]
    """
    in_year = _in_year(crimes, year)
    sv = in_year[qualifying_mask(in_year, definition)]
    groups = offences().set_index("offence_code")["offence_group"]
    group = sv["offence_code"].map(groups).fillna("unknown code")
    counts = group.value_counts().rename_axis("offence_group").reset_index(name="offences")
    counts = counts.sort_values(["offences", "offence_group"], ascending=[False, True], ignore_index=True)
    return counts.astype({"offence_group": "string", "offences": "int64"})


def harm_comparison(crimes: pd.DataFrame, year: int, definition: str = "partnership",
                    table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Volume and harm (days of custody, CCHI method) of serious violence against all crime in ``year``.

    Returns one row per measure (``measure``, ``serious_violence``, ``all_crime``) with
    offences, total harm (days), mean harm per offence, and the shares of all crime.
    Also sets ``attrs["harm_ratio"]``: mean SV harm / mean harm of all crime, and
    ``attrs["weights"]``: which weights were used (:func:`sna_lib.measures.cchi.weights_label`).
    ``table`` is the offence table with the weights (default: the shipped estimates; see
    :func:`sna_lib.measures.cchi.weights_for_config`).

    Examples
    --------
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["1", "8N"],
    ...                   "date": pd.to_datetime(["2023-01-01"] * 2), "domestic_abuse": False})
    >>> t = harm_comparison(c, 2023, "non_domestic_homicide")
    >>> t.set_index("measure").loc["Offences"].tolist()
    [1.0, 2.0]
    >>> round(t.attrs["harm_ratio"], 2)
    2.0
    """
    from sna_lib.measures.cchi import weights_label
    from sna_lib.reference import offences

    in_year = _in_year(crimes, year)
    sv = in_year[qualifying_mask(in_year, definition)]
    all_harm = harm_summary(in_year, table)
    sv_harm = harm_summary(sv, table)
    share_count = 100 * len(sv) / len(in_year) if len(in_year) else np.nan
    share_harm = 100 * sv_harm.total / all_harm.total if all_harm.total else np.nan
    rows = [
        ("Offences", float(len(sv)), float(len(in_year))),
        ("Total harm (days of imprisonment)", sv_harm.total, all_harm.total),
        ("Mean harm per offence (days)", sv_harm.mean if sv_harm.mean is not None else np.nan,
         all_harm.mean if all_harm.mean is not None else np.nan),
        ("Share of offences (%)", share_count, 100.0),
        ("Share of harm (%)", share_harm, 100.0),
    ]
    out = pd.DataFrame(rows, columns=["measure", "serious_violence", "all_crime"])
    out["measure"] = out["measure"].astype("string")
    ratio = (sv_harm.mean / all_harm.mean) if (sv_harm.mean and all_harm.mean) else np.nan
    out.attrs["harm_ratio"] = ratio
    out.attrs["weights"] = weights_label(offences() if table is None else table)
    return out


def harm_table(harm: pd.DataFrame, *, area_level: str, config=None) -> pd.DataFrame:
    """Publication text for :func:`harm_comparison`: counts through disclosure, harm rounded.

    When the serious-violence count is withheld, every serious-violence figure is withheld
    (each would reveal it).

    Examples
    --------
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["1", "8N"],
    ...                   "date": pd.to_datetime(["2023-01-01"] * 2), "domestic_abuse": False})
    >>> h = harm_comparison(c, 2023, "non_domestic_homicide")
    >>> harm_table(h, area_level="county")["Serious violence"].tolist()
    ['1', '5,475', '5,475.0', '50.0%', '99.8%']
    >>> harm_table(h, area_level="csp")["Serious violence"].tolist()
    ['[c]', '[c]', '[c]', '[c]', '[c]']
    """
    from sna_lib.publication.disclosure import is_suppressed, publish_number

    formats = ["count", "{:,.0f}", "{:,.1f}", "{:.1f}%", "{:.1f}%"]

    def column(values) -> list[str]:
        out = []
        for fmt, value in zip(formats, values):
            if fmt == "count":
                out.append(str(publish_number(value, area_level=area_level, config=config)))
            else:
                out.append("–" if value is None or value != value else fmt.format(value))
        return out

    sv = column(harm["serious_violence"].tolist())
    if is_suppressed(publish_number(harm["serious_violence"].iloc[0], area_level=area_level, config=config)):
        sv = [sv[0]] * len(sv)
    return pd.DataFrame({"Measure": harm["measure"].astype("string"), "Serious violence": sv,
                         "All crime": column(harm["all_crime"].tolist())}).astype("string")


def headline(harm: pd.DataFrame) -> dict:
    """Headline numbers from :func:`harm_comparison` for the prose (unformatted).

    Returns ``offences`` (int), ``share_of_offences``, ``share_of_harm`` (percent) and
    ``harm_ratio``.

    Examples
    --------
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["1", "8N"],
    ...                   "date": pd.to_datetime(["2023-01-01"] * 2), "domestic_abuse": False})
    >>> h = headline(harm_comparison(c, 2023, "non_domestic_homicide"))
    >>> h["offences"], h["share_of_offences"], round(h["share_of_harm"], 1)
    (1, 50.0, 99.8)
    """
    values = dict(zip(harm["measure"], harm["serious_violence"]))
    return {
        "offences": int(values["Offences"]),
        "share_of_offences": float(values["Share of offences (%)"]),
        "share_of_harm": float(values["Share of harm (%)"]),
        "harm_ratio": float(harm.attrs.get("harm_ratio", np.nan)),
    }


def published_by_group(crimes: pd.DataFrame, year: int, *, area_level: str, config=None,
                       definition: str = "partnership") -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`sv_by_group` after disclosure control: (chart data without withheld rows, CSV text).

    Examples
    --------
    >>> c = pd.DataFrame({"crime_id": list("abcdefghij"), "offence_code": ["1"] * 9 + ["4.1"],
    ...                   "date": pd.to_datetime(["2023-01-01"] * 10), "domestic_abuse": False})
    >>> chart, text = published_by_group(c, 2023, area_level="county", definition="non_domestic_homicide")
    >>> chart.values.tolist(), text["offences"].tolist()
    ([['homicide', 10]], ['10'])
    """
    from sna_lib.publication.disclosure import suppress_counts

    groups = sv_by_group(crimes, year, definition)
    numeric = suppress_counts(groups, ["offences"], area_level=area_level, config=config, output="numeric")
    chart = numeric.dropna(subset=["offences"]).astype({"offences": "int64"}).reset_index(drop=True)
    text = suppress_counts(groups, ["offences"], area_level=area_level, config=config)
    return chart, text


def by_group_alt(chart: pd.DataFrame, year: int) -> str:
    """Alt text for the offence-type bar chart, listing every bar.

    Examples
    --------
    >>> by_group_alt(pd.DataFrame({"offence_group": ["robbery"], "offences": [1200]}), 2023)
    'Horizontal bar chart of serious violence offences by offence type in 2023: robbery 1,200.'
    """
    bars = "; ".join(f"{g} {int(n):,}" for g, n in zip(chart["offence_group"], chart["offences"]))
    return (f"Horizontal bar chart of serious violence offences by offence type in {year}: "
            f"{bars or 'no offence type can be shown'}.")
