"""Serious-violence classification: a parsed definition applied to crimes.

A definition (``src/sna_lib/definitions/<id>.yaml`` or a partnership's own YAML file) says which
offence types are in scope, which flags are required, which locations count and whether
domestic abuse is excluded; reading and checking the file is the data contract,
:mod:`sna_lib.data.definitions` (the keys are listed there). :func:`classify` applies it to every
crime and records *why* each crime did or did not qualify, so every count in the book can be
traced back to the rule. The definition names (:class:`Definition`, :func:`load_definition`,
:func:`load_definitions`, :func:`parse_definition`, …) are importable from here too.

Open-data definitions (``data_level: open``) select police.uk crime categories; the reason is
``included`` or ``excluded: category``.

Reasons are checked in this order and the first failing rule is reported:
``excluded: offence code not in reference table``, ``excluded: offence type``,
``excluded: domestic abuse``, ``excluded: in dwelling`` (or ``excluded: location``),
``excluded: <flag_reason>``; qualifying crimes get ``included``.

Examples
--------
>>> import pandas as pd
>>> crimes = pd.DataFrame({
...     "crime_id": ["a", "b", "c", "d", "e"],
...     "offence_code": ["8N", "8N", "8N", "46", "8N"],
...     "domestic_abuse": [False, True, False, False, False],
...     "knife": [True, True, True, True, False],
...     "firearm": False, "other_weapon": False, "county_lines": False, "gang": False,
...     "location_type": ["public", "public", "dwelling", "public", "public"],
... })
>>> classify(crimes, "partnership")["reason"].tolist()
['included', 'excluded: domestic abuse', 'excluded: in dwelling', 'excluded: offence type', 'excluded: no weapon or county-lines/gang flag']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna_lib.data.definitions import (
    FLAG_COLUMNS,
    LOCATION_TYPES,
    Definition,
    available_definitions,
    load_definition,
    load_definitions,
    parse_definition,
    primary_definition,
)
from sna_lib.errors import DataValidationError, Problem
from sna_lib.data.codes import factorize_text
from sna_lib.reference import offences

__all__ = [
    "classify", "classify_all", "qualifying_mask", "serious_violence_ids",
    # the definition contract, re-exported from sna_lib.data.definitions (tests, notebooks and
    # docs import these names from here)
    "FLAG_COLUMNS", "LOCATION_TYPES", "Definition", "available_definitions", "load_definition",
    "load_definitions", "parse_definition", "primary_definition",
]

INCLUDED = "included"


def _bool(crimes: pd.DataFrame, column: str) -> np.ndarray:
    if column not in crimes.columns:
        raise DataValidationError([Problem("crimes", column, None, "required column missing")])
    return crimes[column].fillna(False).to_numpy(dtype=bool)


def _code_masks(codes: pd.Series, *code_sets: frozenset[str]) -> list[np.ndarray]:
    """Membership masks for several code sets with one factorisation of the (long) code column."""
    idx, uniques = factorize_text(codes)
    uniq = np.asarray(uniques, dtype=object)
    out = []
    for s in code_sets:
        member = np.fromiter((u in s for u in uniq), dtype=bool, count=len(uniq))
        member = np.append(member, False)  # position -1 (missing code) -> False
        out.append(member[idx])
    return out


def _evaluate_open(crimes: pd.DataFrame, definition: Definition) -> tuple[np.ndarray, np.ndarray]:
    if "category" not in crimes.columns:
        raise DataValidationError([Problem("crimes", "category", None,
                                           f"definition {definition.id!r} is an open-data (police.uk category) "
                                           "definition; these crimes have no category column")])
    member = crimes["category"].astype("string").isin(definition.categories).fillna(False).to_numpy(dtype=bool)
    return np.where(member, 0, 1).astype(np.int8), np.asarray([INCLUDED, "excluded: category"], dtype=object)


def _evaluate(crimes: pd.DataFrame, definition: Definition) -> tuple[np.ndarray, np.ndarray]:
    """Return (reason code per crime, reason labels); code 0 = included."""
    if definition.data_level == "open":
        return _evaluate_open(crimes, definition)
    if "offence_code" not in crimes.columns:
        raise DataValidationError([Problem("crimes", "offence_code", None,
                                           f"definition {definition.id!r} needs Home Office offence codes; "
                                           "open (police.uk) data have categories only")])
    table = offences()
    known, scope, flag_free = _code_masks(crimes["offence_code"], frozenset(table["offence_code"]),
                                          definition.in_scope_codes(table), definition.flag_free_codes(table))
    n = len(crimes)
    labels = [INCLUDED, "excluded: offence code not in reference table", "excluded: offence type",
              "excluded: domestic abuse"]
    reason = np.zeros(n, dtype=np.int8)
    undecided = np.ones(n, dtype=bool)

    def exclude(mask: np.ndarray, code: int) -> None:
        hit = undecided & mask
        reason[hit] = code
        undecided[hit] = False

    exclude(~known, 1)
    exclude(~scope, 2)
    if definition.exclude_domestic_abuse:
        exclude(_bool(crimes, "domestic_abuse"), 3)
    if definition.location_types is not None:
        allowed = set(definition.location_types)
        label = "excluded: in dwelling" if allowed == {"public"} else "excluded: location"
        labels.append(label)
        loc = crimes["location_type"].astype("string").isin(allowed).fillna(False).to_numpy(dtype=bool)
        exclude(~loc, len(labels) - 1)
    if definition.require_any_flag:
        labels.append(f"excluded: {definition.flag_reason}")
        any_flag = np.zeros(n, dtype=bool)
        for col in definition.require_any_flag:
            any_flag |= _bool(crimes, col)
        exclude(~(any_flag | flag_free), len(labels) - 1)
    return reason, np.asarray(labels, dtype=object)


def qualifying_mask(crimes: pd.DataFrame, definition: str | Path | Definition) -> np.ndarray:
    """Boolean array: does each crime (row order) meet the definition?

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["1", "1"],
    ...                   "domestic_abuse": [False, True]})
    >>> qualifying_mask(c, "non_domestic_homicide").tolist()
    [True, False]
    """
    reason, _ = _evaluate(crimes, load_definition(definition))
    return reason == 0


def classify(crimes: pd.DataFrame, definition: str | Path | Definition) -> pd.DataFrame:
    """Classify every crime against one definition, with the reason.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Contract columns ``crime_id, offence_code, domestic_abuse, knife, firearm, other_weapon,
        county_lines, gang, location_type`` (only those the definition uses are required).
    definition : str, Path or Definition
        Shipped id, YAML path, or a loaded :class:`Definition`.

    Returns
    -------
    pandas.DataFrame
        Same index and row order as ``crimes``; columns ``crime_id``, ``qualifies`` (bool) and
        ``reason`` (categorical text).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["10D", "46"],
    ...                   "domestic_abuse": [True, False], "knife": [False, True],
    ...                   "firearm": False, "location_type": "dwelling"})
    >>> classify(c, "home_office")[["qualifies", "reason"]].values.tolist()
    [[True, 'included'], [True, 'included']]
    """
    d = load_definition(definition)
    reason, labels = _evaluate(crimes, d)
    return pd.DataFrame(
        {
            "crime_id": crimes["crime_id"].to_numpy(),
            "qualifies": reason == 0,
            "reason": pd.Categorical.from_codes(reason, categories=list(labels)),
        },
        index=crimes.index,
    )


def serious_violence_ids(dataset: Any, definition: str | Path | Definition = "partnership",
                         year: int | None = None) -> pd.Index:
    """Crime ids in ``dataset.crimes`` that meet ``definition`` (optionally in one calendar year).

    Parameters
    ----------
    dataset : Dataset or pandas.DataFrame
        A :class:`sna_lib.data.dataset.Dataset` (its ``crimes`` are used) or a crimes frame.
    definition : str, Path or Definition
        Definition id or path; default the partnership definition.
    year : int, optional
        Keep crimes whose ``date`` falls in this calendar year.

    Returns
    -------
    pandas.Index
        Crime ids (str), in crimes row order.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "offence_code": ["1", "1"],
    ...                   "date": pd.to_datetime(["2022-05-01", "2023-05-01"]),
    ...                   "domestic_abuse": False})
    >>> list(serious_violence_ids(c, "non_domestic_homicide", year=2023))
    ['b']
    """
    crimes = dataset if isinstance(dataset, pd.DataFrame) else dataset.crimes
    mask = qualifying_mask(crimes, definition)
    if year is not None:
        mask &= (crimes["date"].dt.year == year).to_numpy()
    return pd.Index(crimes["crime_id"].to_numpy()[mask], name="crime_id")


def classify_all(crimes: pd.DataFrame, definitions: Iterable[str | Path | Definition]) -> pd.DataFrame:
    """One boolean and one reason column per definition (``<id>`` and ``<id>_reason``).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": ["a"], "offence_code": ["10D"], "domestic_abuse": [False],
    ...                   "knife": [True], "firearm": False, "other_weapon": False, "county_lines": False,
    ...                   "gang": False, "location_type": ["public"]})
    >>> out = classify_all(c, ["partnership", "home_office"])
    >>> list(out.columns)
    ['crime_id', 'partnership', 'partnership_reason', 'home_office', 'home_office_reason']
    >>> bool(out.at[0, "partnership"]), out.at[0, "partnership_reason"], bool(out.at[0, "home_office"])
    (False, 'excluded: offence type', True)
    """
    out = pd.DataFrame({"crime_id": crimes["crime_id"].to_numpy()}, index=crimes.index)
    for d in load_definitions(definitions).values():
        r = classify(crimes, d)
        out[d.id] = r["qualifies"]
        out[f"{d.id}_reason"] = r["reason"]
    return out
