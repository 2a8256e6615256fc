"""``harm.offence_counts``: the contract file of recorded offences per Home Office offence code.

A data folder may name a CSV ``offence_code,count`` in ``config.yaml`` (e.g. from the Home
Office police recorded crime tables by offence code): the offence mix that category-mean harm
weights by (:func:`sna_lib.measures.category_harm.counts_for_config`). ``sna validate`` reads it
with :func:`read_offence_counts` so that every problem is reported with file, column and row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["read_offence_counts"]


def read_offence_counts(path) -> pd.Series:
    """Recorded offences per HO code from a CSV ``offence_code,count`` (``harm.offence_counts``).

    Every problem (missing column, unknown or repeated code, a count that is not a whole number
    ≥ 0) is reported with the file, column and row; all of them at once.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "counts.csv")
    >>> _ = open(path, "w").write("offence_code,count\\n34B,120\\n34A,15\\n")
    >>> read_offence_counts(path).to_dict()
    {'34B': 120.0, '34A': 15.0}
    """
    from pathlib import Path

    from sna_lib.errors import DataValidationError, Problem
    from sna_lib.reference import offences

    path = Path(path)
    name = path.name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataValidationError([Problem(name, None, None, f"could not be read as CSV ({type(exc).__name__})")]) \
            from None
    missing = [c for c in ("offence_code", "count") if c not in raw.columns]
    if missing:
        raise DataValidationError([Problem(name, c, None, "required column is missing") for c in missing])
    known = set(offences()["offence_code"].astype(str))
    codes = raw["offence_code"].str.strip()
    counts = pd.to_numeric(raw["count"].str.strip().str.replace(",", "", regex=False), errors="coerce")
    problems = []
    for i, (code, text, value) in enumerate(zip(codes, raw["count"], counts), start=1):
        if code not in known:
            problems.append(Problem(name, "offence_code", i, f"not a Home Office offence code of the reference "
                                                             f"table: {code[:40]!r}"))
        if pd.isna(value) or value < 0 or value != int(value):
            problems.append(Problem(name, "count", i, f"must be a whole number ≥ 0, got {text[:40]!r}"))
    for i in np.flatnonzero(codes.duplicated().to_numpy()):
        problems.append(Problem(name, "offence_code", int(i) + 1, f"code {codes.iloc[i][:40]!r} is listed twice"))
    if problems:
        raise DataValidationError(problems)
    return pd.Series(counts.to_numpy(dtype=float), index=codes.to_numpy(), dtype=float)
