"""The open-data proxy of serious violence: police.uk categories, and crimes by category.

At ``data_level: open`` a crime carries one police.uk category and a month, no Home Office
offence code or flags, so serious violence can only be approximated by categories: the
shipped definition :data:`PROXY` (``definitions/open_data_proxy.yaml``) names the categories
it takes. :func:`proxy_crimes` keeps the crimes that meet it, :func:`category_counts` counts
crimes in every police.uk category (zeros kept) with the proxy flag, and
:func:`definition_table` lists the proxy's categories as police.uk spells them
(:data:`sna_lib.data.schemas.CATEGORY_LABELS`).

Examples
--------
>>> proxy_categories()
('violence_and_sexual_offences', 'robbery', 'possession_of_weapons')
>>> definition_table()["Category"].tolist()[0]
'Violence and sexual offences'
"""

from __future__ import annotations

import pandas as pd

from sna_lib.data.schemas import CATEGORY_LABELS

__all__ = ["PROXY", "category_counts", "definition_table", "proxy_categories", "proxy_crimes"]

#: the shipped open-data definition (``sna_lib/definitions/open_data_proxy.yaml``)
PROXY = "open_data_proxy"


def proxy_categories(definition: str = PROXY) -> tuple[str, ...]:
    """The police.uk categories of an open-data definition."""
    from sna_lib.data.definitions import load_definition

    return tuple(load_definition(definition).categories)


def definition_table(definition: str = PROXY) -> pd.DataFrame:
    """One row per police.uk category of the proxy: ``Category, police.uk code``."""
    cats = proxy_categories(definition)
    return pd.DataFrame({"Category": [CATEGORY_LABELS.get(c, c) for c in cats], "police.uk code": list(cats)})


def category_counts(crimes: pd.DataFrame, definition: str = PROXY) -> pd.DataFrame:
    """Records per police.uk category (every category, zeros kept), with the proxy flag.

    Examples
    --------
    >>> c = pd.DataFrame({"category": ["robbery", "robbery", "drugs"]})
    >>> t = category_counts(c)
    >>> t.set_index("police.uk code").loc[["robbery", "drugs"], "Crimes"].tolist()
    [2, 1]
    """
    cats = proxy_categories(definition)
    codes = [c for c in CATEGORY_LABELS if c != "anti_social_behaviour"]
    counts = crimes["category"].astype(str).value_counts().reindex(codes, fill_value=0).astype("int64")
    out = pd.DataFrame({"Category": [CATEGORY_LABELS[c] for c in codes], "police.uk code": codes,
                        "In the open-data proxy": ["yes" if c in cats else "no" for c in codes],
                        "Crimes": counts.to_numpy()})
    return out.sort_values(["In the open-data proxy", "Crimes"], ascending=[False, False], kind="stable") \
        .reset_index(drop=True)


def proxy_crimes(crimes: pd.DataFrame, definition: str = PROXY) -> pd.DataFrame:
    """Crimes that meet the open-data definition."""
    return crimes[crimes["category"].astype(str).isin(proxy_categories(definition))]
