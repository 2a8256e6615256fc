"""The official Cambridge Crime Harm Index (CCHI) workbook, read from a file the user downloaded.

The CCHI is copyright (Cambridge Centre for Evidence-Based Policing) with no licence to
redistribute, so sna-book ships only its own estimates (``reference/offences.csv``, each row
re-derived from public Sentencing Council starting points, ``estimate_basis``). A partnership
that has downloaded the official workbook points ``harm.cchi_workbook`` in ``config.yaml`` at
it; :func:`official_table` then replaces the estimates with the official values wherever the
workbook covers a code, and lists the codes it lacks (kept at the estimate) for the
data-quality page.

Mapping the workbook to the contract's codes
--------------------------------------------
Each workbook row is one offence (ATHENA URN) with a Home Office classification sub-code
``HOME_OFFICE_CLASSIFICATION`` such as ``005/01`` (HO code 5, sub-code 01) and the notifiable
offence code it counts under, ``CLASSIFICATION_CODE`` (``5D``). The letter of a code is not
recoverable from the sub-code (``005/01`` holds both s18 wounding, ``5D``, and the same on a
constable, ``8S``), so the rule is: take ``CLASSIFICATION_CODE``, written in the contract's
form (``4/1`` -> ``4.1``, ``37/2`` -> ``37.2``, leading zeros dropped); when it is blank, use
the sub-code's HO number (``056/01`` -> ``56``) if that is itself a contract code, else
the single contract code that is that number plus one letter (``56A`` when only ``56A`` and
``56B`` exist is ambiguous and stays unmapped). Rows coded ``NN`` (non-notifiable), ``NFIB``
(fraud) or ``ASB`` are not police-recorded notifiable crime and are dropped.

One value per code
------------------
A code covers several offences with different starting points (``8N``: ABH, s20 wounding,
dog attacks…). Crimes are recorded by code, so one weight per code is needed: the **median**
CCHI value of the code's offences, with "Attempted -" duplicates dropped where the full offence
is present (``how="median"``; ``"min"``/``"max"`` for sensitivity).

Examples
--------
>>> contract_code("4/1"), contract_code("5D"), contract_code("", ["39"], "039/00")
('4.1', '5D', '39')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from sna_lib.errors import DataValidationError, Problem
from sna_lib.reference import offences

__all__ = [
    "SHEET",
    "contract_code",
    "read_workbook",
    "code_weights",
    "official_table",
    "weights_label",
    "weights_for_config",
]

#: The values sheet of the 2020 edition (698 rows); later editions keep the column names.
SHEET = "CCHI 2020 values sheet"
_COLUMNS = {"score": "CCHI Score", "code": "CLASSIFICATION_CODE", "ho": "HOME_OFFICE_CLASSIFICATION",
            "title": "SHORT_TITLE"}
_NOT_NOTIFIABLE = {"NN", "NFIB", "ASB", ""}


def contract_code(value: str | None, known: Iterable[str] | None = None, ho_subcode: str | None = None) -> str | None:
    """The contract's offence code for a workbook ``CLASSIFICATION_CODE`` (or HO sub-code).

    Parameters
    ----------
    value : str
        ``CLASSIFICATION_CODE`` (``5D``, ``4/1``, ``NN`` …), or a bare HO sub-code.
    known : iterable of str, optional
        The contract's codes (default: the shipped table's), used for the sub-code fallback.
    ho_subcode : str, optional
        ``HOME_OFFICE_CLASSIFICATION`` (``056/01``) used when ``value`` is blank.

    Examples
    --------
    >>> contract_code("37/2"), contract_code("NN"), contract_code(" 8n ")
    ('37.2', None, '8N')
    >>> contract_code("", ["56A", "56B"], "056/01") is None, contract_code(None, ["126"], "126/00")
    (True, '126')
    """
    known_set = set(offences()["offence_code"]) if known is None else set(known)
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip().upper()
    if re.fullmatch(r"\d{3}/\d{2}", text):  # a sub-code passed as the code
        ho_subcode, text = text, ""
    if text in _NOT_NOTIFIABLE:
        if text or not ho_subcode:
            return None
        number = str(int(str(ho_subcode).split("/")[0]))
        if number in known_set:
            return number
        lettered = [c for c in known_set if re.fullmatch(rf"{number}[A-Z]", c)]
        return lettered[0] if len(lettered) == 1 else None
    m = re.fullmatch(r"0*(\d+)/(\d+)", text)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    return text.lstrip("0") or None


def read_workbook(path: Path | str, sheet: str = SHEET) -> pd.DataFrame:
    """Read the official CCHI workbook's values sheet into ``urn, title, ho_subcode, offence_code, cchi_days``.

    Raises :class:`~sna_lib.errors.DataValidationError` naming the file, sheet and column
    when the workbook is not the expected one.

    Examples
    --------
    >>> read_workbook("missing.xlsx")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    sna_lib.errors.DataValidationError: missing.xlsx: file not found
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise DataValidationError([Problem(name, None, None, "file not found")])
    try:
        raw = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl")
    except ValueError as exc:  # missing sheet
        raise DataValidationError([Problem(name, None, None, f"no sheet {sheet!r} ({exc})")]) from None
    except Exception as exc:  # not a workbook at all
        raise DataValidationError([Problem(name, None, None, f"cannot be read as an .xlsx workbook ({exc})")]) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in (_COLUMNS["score"], _COLUMNS["code"], _COLUMNS["ho"]) if c not in raw.columns]
    if missing:
        raise DataValidationError([Problem(name, c, None, f"column missing from sheet {sheet!r}") for c in missing])
    known = set(offences()["offence_code"])
    score = pd.to_numeric(raw[_COLUMNS["score"]], errors="coerce")
    out = pd.DataFrame({
        "urn": raw.get("ATHENA URN", pd.Series(index=raw.index, dtype=str)).astype("string"),
        "title": raw.get(_COLUMNS["title"], pd.Series(index=raw.index, dtype=str)).astype("string"),
        "ho_subcode": raw[_COLUMNS["ho"]].astype("string").str.strip(),
        "offence_code": [contract_code(c, known, h) for c, h in zip(raw[_COLUMNS["code"]], raw[_COLUMNS["ho"]])],
        "cchi_days": score.astype("Float64"),
    })
    out["offence_code"] = out["offence_code"].astype("string")
    out.attrs["source"] = name
    out.attrs["rows"] = len(raw)
    return out


def code_weights(rows: pd.DataFrame, how: str = "median") -> pd.DataFrame:
    """One CCHI value per contract code from the workbook's offence rows.

    Attempts (titles starting "Attempted") are dropped for a code that also has the full
    offence. Returns ``offence_code, cchi_days, offences`` (rows used).

    Examples
    --------
    >>> rows = pd.DataFrame({"offence_code": ["8N", "8N", "8N", "1"], "cchi_days": [10, 547.5, 19, 5475],
    ...                      "title": ["ABH", "s20", "Attempted - s20", "Murder"]})
    >>> code_weights(rows).values.tolist()
    [['1', 5475.0, 1], ['8N', 278.75, 2]]
    """
    if how not in ("median", "min", "max"):
        raise ValueError("how must be 'median', 'min' or 'max'")
    use = rows[rows["offence_code"].notna() & rows["cchi_days"].notna()].copy()
    title = use.get("title", pd.Series("", index=use.index)).astype("string").fillna("")
    use["_attempt"] = title.str.strip().str.lower().str.startswith("attempted").to_numpy(dtype=bool)
    has_full = use.groupby("offence_code")["_attempt"].transform(lambda a: (~a).any())
    use = use[~use["_attempt"] | ~has_full]
    grouped = use.groupby("offence_code", sort=True)["cchi_days"]
    out = grouped.agg(how).astype(float).rename("cchi_days").to_frame()
    out["offences"] = grouped.size().astype("int64")
    return out.reset_index()


def official_table(workbook: Path | str, table: pd.DataFrame | None = None,
                   how: str = "median") -> tuple[pd.DataFrame, list[str]]:
    """The offence table with official CCHI weights where the workbook has the code.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The table (``cchi_basis`` = ``official`` for replaced rows, ``official (successor
        code)`` for legacy codes valued as their successor, ``estimate`` for the rest) and the
        sorted codes the workbook lacks (kept at the estimate: list them on the data-quality
        page).
    """
    table = offences() if table is None else table.copy()
    weights = code_weights(read_workbook(workbook), how).set_index("offence_code")["cchi_days"]
    codes = table["offence_code"].astype("string")
    # legacy codes (pre-2017, "legacy code, now 28E") take their successor's official value
    successor = table["offence_title"].astype("string").str.extract(r"now (\w+)\)", expand=False)
    if "code_status" in table:
        successor = successor.where(table["code_status"].astype("string") == "legacy")
    lookup = codes.where(codes.isin(weights.index), successor)
    have = lookup.isin(weights.index).fillna(False).to_numpy(dtype=bool)
    table.loc[have, "cchi_days"] = lookup[have].map(weights).astype("Float64").to_numpy()
    via = np.where(codes.isin(weights.index).to_numpy(dtype=bool), "official",
                   "official (successor code)")
    table["cchi_basis"] = pd.Series(np.where(have, via, "estimate"), index=table.index, dtype="string")
    lacking = sorted(codes[~have].tolist())
    table.attrs["weights"] = f"official CCHI ({Path(workbook).name}, {how} per code)"
    table.attrs["lacking"] = lacking
    return table, lacking


def weights_label(table: pd.DataFrame) -> str:
    """What the pages call the weights in ``table``: never "Cambridge Crime Harm Index" for estimates.

    Examples
    --------
    >>> weights_label(offences())
    'sna-book estimates of crime harm (Sentencing Council starting points, CCHI method), not the official Cambridge Crime Harm Index'
    """
    official = table["cchi_basis"].astype(str).str.startswith("official")
    if official.all():
        return "official Cambridge Crime Harm Index"
    if official.any():
        n = int(official.sum())
        return (f"official Cambridge Crime Harm Index for {n} of {len(table)} offence codes; "
                "sna-book estimates for the rest")
    return ("sna-book estimates of crime harm (Sentencing Council starting points, CCHI method), "
            "not the official Cambridge Crime Harm Index")


def weights_for_config(config) -> tuple[pd.DataFrame, list[str]]:
    """The harm table a run uses: official where ``harm.cchi_workbook`` is set, else the estimates.

    Returns the table and the codes kept at the estimate (all codes when no workbook is set).
    Results are cached per workbook path and modification time.
    """
    harm = getattr(config, "harm", None)
    path = getattr(harm, "cchi_workbook", None) if harm is not None else None
    if not path:
        table = offences()
        return table, sorted(table["offence_code"].astype(str))
    p = Path(path)
    table, lacking = _official_cached(str(p), p.stat().st_mtime_ns)
    return table.copy(), list(lacking)


from functools import lru_cache  # noqa: E402


@lru_cache(maxsize=4)
def _official_cached(path: str, mtime: int) -> tuple[pd.DataFrame, tuple[str, ...]]:
    table, lacking = official_table(path)
    return table, tuple(lacking)
