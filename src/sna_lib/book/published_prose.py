"""Sentences built from published cells (store values: numbers, NaN, or the suppression marker).

Presentation only: each function turns numbers that disclosure control has already released
into the words a page prints, and says "withheld" where a number was not released.

Examples
--------
>>> change_words(-33.3, 0.4244, 0)
('-33%', 'not statistically significant, p = 0.42')
>>> age_sentence({"incline_start": 12, "peak": 15, "dip": float("nan"), "rises_again": float("nan"),
...               "plateau_start": 23}, basis="county")
'Across the county, involvement of suspects begins a steep incline at age 12 and peaks at 15, then levels off from about age 23.'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["is_number", "change_words", "age_sentence", "code_list"]


def is_number(value: Any) -> bool:
    """True for a released, non-missing number (not the marker, not NaN, not ``None``).

    Examples
    --------
    >>> is_number(3), is_number(float("nan")), is_number("[c]"), is_number(None)
    (True, False, False, False)
    """
    if value is None or isinstance(value, (str, bool)):
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def change_words(pct_change: Any, p_value: Any, significant: Any) -> tuple[str, str]:
    """``(change, significance)`` as printed: ``('+5%', 'statistically significant, p = 0.003')``.

    A withheld input gives ``'withheld'`` / ``'significance withheld'``; a change from zero
    (no % change) gives ``'no % change (none the year before)'``.

    Examples
    --------
    >>> change_words(12.5, 0.0004, 1)
    ('+13%', 'statistically significant, p < 0.001')
    >>> from sna_lib.publication.disclosure import Suppressed
    >>> change_words(Suppressed("[c]"), Suppressed("[c]"), Suppressed("[c]"))
    ('change withheld', 'significance withheld')
    >>> change_words(float("nan"), 0.03, 1)
    ('no % change (none the year before)', 'statistically significant, p = 0.03')
    >>> change_words(float("nan"), float("nan"), float("nan"))
    ('no % change (none the year before)', 'no comparison possible')
    """
    from sna_lib.book.describe import _p_text, significance_text
    from sna_lib.measures.significance import round_half_away

    if is_number(pct_change):
        change = f"{round_half_away(float(pct_change)):+,.0f}%"
    elif isinstance(pct_change, float) and math.isnan(pct_change):
        change = "no % change (none the year before)"
    else:
        change = "change withheld"
    if p_value is None or (isinstance(p_value, float) and math.isnan(p_value)):
        return change, "no comparison possible"
    if is_number(p_value) and is_number(significant):
        p = _p_text(float(p_value))
        cell = f"{'Yes' if significant else 'No'} (p {p if p.startswith('<') else '= ' + p})"
        return change, significance_text(cell)
    return change, "significance withheld"


def age_sentence(values: Mapping[str, Any], basis: str = "", who: str = "suspects") -> str:
    """:func:`sna_lib.book.describe.age_profile_sentence` for a published ``people.age_features`` row.

    A withheld feature reads as absent; when the peak itself is withheld the sentence says so.

    Examples
    --------
    >>> age_sentence({"incline_start": float("nan"), "peak": float("nan")})
    'There are too few suspects with a known age to describe how involvement changes with age.'
    >>> age_sentence({"peak": float("nan")}, basis="county")
    'Across the county, there are too few suspects with a known age to describe how involvement changes with age.'
    >>> age_sentence({"peak": "[c]"}, who="victims")
    'The turning points of the age curve of victims are withheld to protect the people involved.'
    """
    from sna_lib.book.describe import age_profile_sentence
    from sna_lib.measures.people import AgeFeatures

    peak = values.get("peak")
    if not is_number(peak) and not (isinstance(peak, float) and math.isnan(peak)) and peak is not None:
        return f"The turning points of the age curve of {who} are withheld to protect the people involved."

    def age(name: str) -> int | None:
        v = values.get(name)
        return int(v) if is_number(v) else None

    def ages(name: str) -> tuple[int, ...]:
        v = age(name)
        return () if v is None else (v,)

    features = AgeFeatures(age("incline_start"), ages("peak"), ages("dip"), ages("rises_again"),
                           age("plateau_start"), basis=basis)
    sentence = age_profile_sentence(features, who)
    if basis == "county" and not features.peaks:  # say whose curve it is, as the feature sentence does
        sentence = "Across the county, t" + sentence[1:]
    return sentence


def code_list(codes: list[str], limit: int = 60) -> str:
    """Offence codes as a comma-separated list (at most ``limit``, then "and N more").

    Examples
    --------
    >>> code_list(["12", "15", "4.10"]), code_list([])
    ('12, 15, 4.10', 'none')
    >>> code_list(["1", "2", "3"], limit=2)
    '1, 2 and 1 more'
    """
    codes = [str(c) for c in codes]
    if not codes:
        return "none"
    shown = ", ".join(codes[:limit])
    return shown if len(codes) <= limit else f"{shown} and {len(codes) - limit} more"
