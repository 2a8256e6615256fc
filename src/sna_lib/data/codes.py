"""Text columns held as integer codes: sorted ``Categorical`` columns and their factorisation.

The record tables' repeated text (offence codes, LSOA codes, roles, names) is loaded as
:func:`categorical` (see :attr:`sna_lib.data.schemas.ColumnSpec.categorical`); code that looks
values up by their distinct strings uses :func:`factorize_text`, which reads a categorical's own
codes instead of turning every row back into a string.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["categorical", "factorize_text"]


def categorical(values) -> pd.Categorical:
    """Text ``values`` as a ``Categorical`` of their distinct strings in sorted order (missing values
    stay missing), so sorting and grouping give the order the strings would, with one small integer
    per row instead of a string.

    Examples
    --------
    >>> c = categorical(pd.Series(["b", None, "a", "b"], dtype="str"))
    >>> c.codes.tolist(), c.categories.tolist(), str(c.categories.dtype)
    ([1, -1, 0, 1], ['a', 'b'], 'str')
    """
    values = pd.Series(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if cats.dtype == "str" and cats.is_monotonic_increasing and not values.cat.ordered:
            return values.array                                 # already in this form (e.g. a re-read copy)
    if values.dtype != "str":
        values = values.astype("string").astype("str")
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str"))


def factorize_text(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize`` of a text column as pandas ``string``: (code per row, ``-1`` = missing;
    the distinct values). A categorical column gives its own codes and categories, so the rows
    are never turned into strings (look-ups by the distinct values, e.g. offence codes, then cost
    one pass over small integers).

    Examples
    --------
    >>> idx, uniques = factorize_text(pd.Series(["8N", None, "5D", "8N"]))
    >>> idx.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['8N', '5D'])
    >>> idx, uniques = factorize_text(pd.Series(categorical(pd.Series(["8N", None, "5D", "8N"]))))
    >>> idx.tolist(), uniques.tolist(), str(uniques.dtype)
    ([1, -1, 0, 1], ['5D', '8N'], 'string')
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return (np.asarray(values.cat.codes, dtype="int64"),
                pd.Index(values.cat.categories.astype("string"), dtype="string"))
    idx, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    return idx, pd.Index(uniques, dtype="string")
