"""Category-mean harm: one harm weight per police.uk crime category (open-data level).

police.uk street-level crime has a broad category per crime and no Home Office (HO) offence
code, so the Cambridge Crime Harm Index cannot be applied crime by crime. This module gives
each category one weight::

    w_category = Σ_c n_c · w_c / Σ_c n_c      over the HO codes c mapped to the category

where ``w_c`` is the harm weight (days) of code ``c`` — the shipped sna-book estimates
(``reference/offences.csv``) or, when ``harm.cchi_workbook`` is configured, the official CCHI
workbook a user downloaded (:func:`sna_lib.measures.cchi.weights_for_config`) — and ``n_c`` is
the number of offences of code ``c`` in an offence mix. The mapping category → HO codes is
data, one documented row per code (``reference/police_uk_categories.yaml``). Codes with no
count or no weight are left out of their category's mean and listed.

The default offence mix is sna-book's modelled county (``synthetic/profile.yaml``, volumes of
an Essex-sized county chosen to look like a real SNA's: plausible magnitudes, **not recorded
counts**); ``harm.offence_counts`` in ``config.yaml`` names a CSV ``offence_code,count`` (e.g.
from the Home Office police recorded crime tables by offence code) for a real mix. Either way the result is an estimate of the mean harm of a category's
crimes, never the index itself: pages call it "category-mean harm (estimate)".

Examples
--------
>>> table = pd.DataFrame({"offence_code": ["34A", "34B"], "cchi_days": [100.0, 400.0],
...                       "cchi_basis": ["estimate", "estimate"]})
>>> mapping = pd.DataFrame({"category": ["robbery", "robbery"], "offence_code": ["34A", "34B"]})
>>> w = category_weights(table, counts=pd.Series({"34A": 1, "34B": 3}), mapping=mapping)
>>> float(w.loc["robbery", "weight"])          # (1 x 100 + 3 x 400) / 4
325.0
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

__all__ = ["LABEL", "basis_sentence", "category_harm", "category_map", "category_weights",
           "category_weights_for_config", "counts_for_config", "harm_table", "profile_mix", "proxy_harm_share"]

#: what the pages call a harm figure computed from these weights
LABEL = "category-mean harm (estimate)"
PROFILE_MIX = ("sna-book's modelled county offence mix (synthetic/profile.yaml: plausible volumes for an "
               "Essex-sized county, not recorded counts)")


@lru_cache(maxsize=1)
def _mapping_rows() -> tuple[tuple[str, str, str, str], ...]:
    text = resources.files("sna_lib.reference").joinpath("police_uk_categories.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["categories"]
    return tuple((str(cat), str(row["code"]), str(row["title"]), str(row["why"]))
                 for cat, spec in raw.items() for row in spec["codes"])


def category_map() -> pd.DataFrame:
    """The shipped mapping: one row per HO code, ``category, offence_code, title, why``.

    Examples
    --------
    >>> m = category_map()
    >>> sorted(m.loc[m["category"] == "robbery", "offence_code"])
    ['34A', '34B']
    """
    return pd.DataFrame(list(_mapping_rows()), columns=["category", "offence_code", "title", "why"])


def profile_mix() -> pd.Series:
    """Offences per HO code in the modelled county (``synthetic/profile.yaml`` ``offences.*.n``).

    sna-book's drug sub-codes (``92A/A``, ``92A/BC``, …) are added into their HO code (``92A``).

    Examples
    --------
    >>> mix = profile_mix()
    >>> int(mix["92A"]) == int(mix.sum() - mix.drop("92A").sum())
    True
    """
    from sna_lib.synthetic.profile import load_profile

    offences = load_profile()["offences"]
    mix = pd.Series({str(code): float(spec["n"]) for code, spec in offences.items()}, dtype=float)
    return mix.groupby(mix.index.str.split("/").str[0]).sum()


def category_weights(table: pd.DataFrame | None = None, *, counts: pd.Series | None = None,
                     mapping: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count-weighted mean harm weight per police.uk category.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        ``offence_code, cchi_days, cchi_basis`` (default: the shipped estimates,
        :func:`sna_lib.reference.offences`).
    counts : pandas.Series, optional
        offences per HO code (default :func:`profile_mix`); codes absent or ≤ 0 are left out.
    mapping : pandas.DataFrame, optional
        ``category, offence_code`` (default :func:`category_map`).

    Returns
    -------
    pandas.DataFrame
        indexed by ``category``: ``weight`` (days; NA when no code has both a count and a
        weight), ``offences`` (Σ n_c used), ``codes`` (codes used), ``left_out`` (codes mapped
        but without a count or weight, comma-separated), ``weights`` (official / estimate
        share of the codes used, e.g. ``"official 2 of 2"``).
    """
    from sna_lib.reference import offences

    table = offences() if table is None else table
    counts = profile_mix() if counts is None else pd.Series(counts, dtype=float)
    mapping = category_map() if mapping is None else mapping
    weight = table.set_index(table["offence_code"].astype(str))["cchi_days"].astype(float)
    basis = table.set_index(table["offence_code"].astype(str))["cchi_basis"].astype(str) \
        if "cchi_basis" in table else pd.Series("estimate", index=weight.index)
    counts.index = counts.index.astype(str)
    rows = {}
    for category, codes in mapping.groupby("category", sort=False)["offence_code"]:
        codes = codes.astype(str)
        w = weight.reindex(codes)
        n = counts.reindex(codes)
        use = w.notna().to_numpy() & n.notna().to_numpy() & (n.fillna(0) > 0).to_numpy()
        used = codes[use].tolist()
        total = float(n[use].sum())
        value = float(np.dot(n[use].to_numpy(), w[use].to_numpy()) / total) if total > 0 else np.nan
        official = int(basis.reindex(used).fillna("estimate").str.startswith("official").sum())
        rows[category] = {"weight": value, "offences": total, "codes": ", ".join(used),
                          "left_out": ", ".join(codes[~use].tolist()),
                          "weights": f"official {official} of {len(used)}" if official else "estimate"}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "category"
    out["weight"] = out["weight"].astype("Float64")
    return out


def counts_for_config(config) -> tuple[pd.Series, str]:
    """The offence mix a run weights by and its description: ``harm.offence_counts`` when set, else
    :func:`profile_mix`."""
    path = getattr(getattr(config, "harm", None), "offence_counts", None)
    if not path:
        return profile_mix(), PROFILE_MIX
    from pathlib import Path

    from sna_lib.data.offence_counts import read_offence_counts

    return read_offence_counts(path), f"the recorded offences per Home Office code in {Path(path).name}"


def category_weights_for_config(config, counts: pd.Series | None = None) -> pd.DataFrame:
    """:func:`category_weights` over the weights a run uses (official where ``harm.cchi_workbook`` is
    set) and its offence mix (``harm.offence_counts``, else the modelled mix; ``counts`` overrides).

    The description of the mix is in ``.attrs["counts"]``.
    """
    from sna_lib.measures.cchi import weights_for_config

    table, _ = weights_for_config(config)
    label = "the given offence counts"
    if counts is None:
        counts, label = counts_for_config(config)
    out = category_weights(table, counts=counts)
    out.attrs["counts"] = label
    return out


def category_harm(crimes: pd.DataFrame, weights: pd.DataFrame) -> pd.Series:
    """Category-mean harm (days) of each crime: the weight of its ``category`` (NA when it has none).

    Examples
    --------
    >>> w = pd.DataFrame({"weight": pd.array([365.0, 19.0], dtype="Float64")}, index=["robbery", "burglary"])
    >>> category_harm(pd.DataFrame({"category": ["robbery", "burglary", "robbery"]}), w).tolist()
    [365.0, 19.0, 365.0]
    """
    return crimes["category"].astype(str).map(weights["weight"].astype(float)).astype("Float64")


def basis_sentence(weights: pd.DataFrame, table: pd.DataFrame | None = None, *, counts_label: str | None = None) -> str:
    """The basis of the weights in one plain sentence, for the page.

    Examples
    --------
    >>> s = basis_sentence(category_weights())
    >>> s.startswith("Category-mean harm (estimate): each police.uk category")
    True
    """
    from sna_lib.measures.cchi import weights_label
    from sna_lib.reference import offences

    table = offences() if table is None else table
    counts_label = counts_label or weights.attrs.get("counts", PROFILE_MIX)
    return (f"{LABEL[0].upper()}{LABEL[1:]}: each police.uk category is given the mean harm weight (days) of the "
            f"Home Office offence codes it covers, weighted by {counts_label}; weights: {weights_label(table)}. "
            "It is an estimate for a category's average crime, not the Cambridge Crime Harm Index of these crimes, "
            "which needs each crime's Home Office offence code.")


def harm_table(crimes: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Crimes and category-mean harm (days) per police.uk category (every category, proxy first).

    ``Category-mean harm (days)`` = crimes x the category's ``Weight (days)`` (NA where it has none);
    ``Proxy``: whether the category is in the open-data proxy.

    Examples
    --------
    >>> w = pd.DataFrame({"weight": pd.array([365.0, 1.0], dtype="Float64")}, index=["robbery", "shoplifting"])
    >>> t = harm_table(pd.DataFrame({"category": ["robbery", "robbery", "shoplifting"]}), w)
    >>> t.set_index("Category").loc[["Robbery", "Shoplifting"], "Category-mean harm (days)"].tolist()
    [730.0, 1.0]
    """
    from sna_lib.measures.open_proxy import category_counts

    counts = category_counts(crimes)
    weight = counts["police.uk code"].map(weights["weight"].astype(float))
    return pd.DataFrame({"Category": counts["Category"], "Proxy": counts["In the open-data proxy"],
                         "Crimes": counts["Crimes"], "Weight (days)": weight.round(1),
                         "Category-mean harm (days)": (counts["Crimes"] * weight).round(0)})


def proxy_harm_share(table: pd.DataFrame) -> tuple[float, float]:
    """Shares of the open-data proxy in crimes and in category-mean harm over all categories.

    Examples
    --------
    >>> t = pd.DataFrame({"Proxy": ["yes", "no"], "Crimes": [10, 90],
    ...                   "Category-mean harm (days)": [1000.0, 90.0]})
    >>> [round(x, 3) for x in proxy_harm_share(t)]
    [0.1, 0.917]
    """
    proxy = table["Proxy"] == "yes"
    harm = table["Category-mean harm (days)"].astype(float).fillna(0.0)
    crimes = table["Crimes"].astype(float)
    return (float(crimes[proxy].sum() / crimes.sum()) if crimes.sum() else float("nan"),
            float(harm[proxy].sum() / harm.sum()) if harm.sum() else float("nan"))
