"""Crime harm weighted by days of custody (Cambridge Crime Harm Index method): totals, means, ratios.

Each crime's harm is the weight (days) of its Home Office offence code, from the offence table:
by default :func:`sna_lib.reference.offences` (sna-book estimates re-derived from Sentencing
Council starting points by the CCHI's method, never to be called the Cambridge index), or the
official CCHI where the user supplies the workbook (:mod:`sna_lib.measures.cchi`). Results name the
weights used (``HarmImpact.weights``). A crime whose code is unknown or has no weight gets NA
harm, is left out of totals and means, and is reported with a :class:`MissingHarmWeightWarning`
naming the codes: never counted silently as zero harm.

Reference SNA section 5: mean harm 73 (all crime) vs 950 (serious violence) gives a harm ratio
of 13; 1,100 offences x 13 = 14,300; 626 unique suspects x 13 = 8,138; 947 unique victims x 13
= 12,311.

Examples
--------
>>> harm_equivalent(1100, harm_ratio_from_means(950, 73))
14300
>>> harm_equivalent(626, 13), harm_equivalent(947, 13)
(8138, 12311)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from sna_lib.measures.people import isin_mask
from sna_lib.data.codes import factorize_text
from sna_lib.reference import offences
from sna_lib.measures.significance import round_half_away

__all__ = [
    "MissingHarmWeightWarning",
    "HarmSummary",
    "HarmImpact",
    "crime_harm",
    "harm_summary",
    "harm_ratio",
    "harm_ratio_from_means",
    "harm_equivalent",
    "harm_impact",
    "harm_equivalent_exact",
]


class MissingHarmWeightWarning(UserWarning):
    """Some crimes have no harm weight (unknown code or empty ``cchi_days``)."""


def crime_harm(crimes: pd.DataFrame, table: pd.DataFrame | None = None, *, warn: bool = True) -> pd.Series:
    """CCHI harm (days) for each crime; NA where the weight is unknown.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Needs ``offence_code``.
    table : pandas.DataFrame, optional
        Offence reference table (default: the shipped one).
    warn : bool
        Emit :class:`MissingHarmWeightWarning` listing codes without a weight.

    Returns
    -------
    pandas.Series
        Float64, aligned to ``crimes.index``.

    Examples
    --------
    >>> import pandas as pd
    >>> crime_harm(pd.DataFrame({"offence_code": ["1", "8N"]})).tolist()
    [5475.0, 10.0]
    """
    table = offences() if table is None else table
    weights = table.set_index("offence_code")["cchi_days"].astype("Float64")
    idx, uniques = factorize_text(crimes["offence_code"])
    uniq_w = weights.reindex(uniques).to_numpy(dtype="float64", na_value=np.nan)
    values = np.append(uniq_w, np.nan)[idx]
    out = pd.Series(values, index=crimes.index, dtype="Float64", name="harm")
    if warn:
        missing = np.isnan(values)
        if missing.any():
            codes = crimes["offence_code"].astype("string")
            missing_codes = sorted({str(c) for c in codes[missing].dropna().unique()})
            n_blank = int(codes[missing].isna().sum())
            detail = ", ".join(missing_codes[:20]) + (" …" if len(missing_codes) > 20 else "")
            blank = f"; {n_blank} with no offence code" if n_blank else ""
            warnings.warn(
                f"{int(missing.sum())} crime(s) have no harm weight and are left out of harm totals "
                f"(codes: {detail or 'none'}{blank})", MissingHarmWeightWarning, stacklevel=2)
    return out


@dataclass(frozen=True)
class HarmSummary:
    """Harm of a set of crimes.

    Attributes
    ----------
    crimes : int
        Crimes in the set.
    weighted : int
        Crimes with a known weight (used in ``total`` and ``mean``).
    unweighted : int
        Crimes without a weight (reported, not zero).
    missing_codes : tuple of str
        Offence codes lacking a weight.
    total : float
        Sum of harm (days).
    mean : float or None
        Mean harm per weighted crime; ``None`` for an empty set.
    """

    crimes: int
    weighted: int
    unweighted: int
    missing_codes: tuple[str, ...]
    total: float
    mean: float | None

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        d = asdict(self)
        d["missing_codes"] = list(self.missing_codes)
        return d


def harm_summary(crimes: pd.DataFrame, table: pd.DataFrame | None = None) -> HarmSummary:
    """Total and mean CCHI harm of ``crimes``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = harm_summary(pd.DataFrame({"offence_code": ["1", "8N", "8N"]}))
    >>> s.total, round(s.mean, 2)
    (5495.0, 1831.67)
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingHarmWeightWarning)
        harm = crime_harm(crimes, table)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    known = harm.notna()
    missing = tuple(sorted({str(c) for c in crimes.loc[~known.to_numpy(), "offence_code"].dropna().unique()}))
    n = int(known.sum())
    total = float(harm[known].sum()) if n else 0.0
    return HarmSummary(crimes=len(crimes), weighted=n, unweighted=len(crimes) - n, missing_codes=missing,
                       total=total, mean=(total / n) if n else None)


def harm_ratio_from_means(mean_subset: float, mean_all: float) -> float:
    """How many times more harmful the subset is than crime in general (``mean_subset / mean_all``).

    Examples
    --------
    >>> round(harm_ratio_from_means(950, 73), 3)
    13.014
    """
    if not mean_all:
        raise ValueError("mean harm of all crime must be positive")
    return float(mean_subset) / float(mean_all)


def harm_ratio(subset: pd.DataFrame, all_crimes: pd.DataFrame, table: pd.DataFrame | None = None) -> float | None:
    """Mean harm of ``subset`` divided by mean harm of ``all_crimes``; ``None`` if either is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> everything = pd.DataFrame({"offence_code": ["1", "46", "46", "46"]})
    >>> round(harm_ratio(everything.iloc[:1], everything), 4)  # 5475 / ((5475 + 3 * 1) / 4)
    3.9978
    """
    s, a = harm_summary(subset, table), harm_summary(all_crimes, table)
    if s.mean is None or not a.mean:
        return None
    return harm_ratio_from_means(s.mean, a.mean)


def harm_equivalent(count: int, ratio: float) -> int:
    """Harm-weighted equivalent of a count, as published: ``count x ratio rounded to a whole number``.

    Examples
    --------
    >>> harm_equivalent(1100, 13.014)
    14300
    """
    return int(count) * int(round_half_away(ratio))


@dataclass(frozen=True)
class HarmImpact:
    """The reference SNA's harm table (section 5) for one subset of crime.

    ``*_equivalent`` follow the reference's convention (count x the ratio rounded to a whole
    number, "x 13"); ``*_equivalent_exact`` use the exact ratio (count x ratio, rounded once at
    the end). ``weights`` names the harm weights used (official CCHI or sna-book estimates).
    """

    mean_harm_all: float | None
    mean_harm_subset: float | None
    harm_ratio: float | None
    harm_ratio_rounded: int | None
    offences: int
    offences_equivalent: int | None
    unique_suspects: int
    suspects_equivalent: int | None
    unique_victims: int
    victims_equivalent: int | None
    unweighted_crimes: int
    offences_equivalent_exact: int | None = None
    suspects_equivalent_exact: int | None = None
    victims_equivalent_exact: int | None = None
    weights: str = ""

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return asdict(self)


def harm_equivalent_exact(count: int, ratio: float) -> int:
    """Harm-weighted equivalent with the exact ratio: ``count x ratio`` rounded half away from zero.

    Examples
    --------
    >>> harm_equivalent_exact(1100, 950 / 73), harm_equivalent(1100, 950 / 73)
    (14315, 14300)
    """
    return int(round_half_away(int(count) * float(ratio)))


def harm_impact(subset: pd.DataFrame, all_crimes: pd.DataFrame, persons: pd.DataFrame,
                table: pd.DataFrame | None = None) -> HarmImpact:
    """Mean harm, harm ratio and harm-weighted equivalents of offences, suspects and victims.

    Parameters
    ----------
    subset : pandas.DataFrame
        The crimes of interest (e.g. partnership SV in the reporting year).
    all_crimes : pandas.DataFrame
        All crime over the same period and area.
    persons : pandas.DataFrame
        ``crime_id, person_id, role``; only rows linked to ``subset`` are used.

    Examples
    --------
    >>> import pandas as pd
    >>> allc = pd.DataFrame({"crime_id": ["a", "b", "c", "d"], "offence_code": ["5D", "46", "46", "46"]})
    >>> p = pd.DataFrame({"crime_id": ["a", "a"], "person_id": ["p1", "p2"], "role": ["suspect", "victim"]})
    >>> h = harm_impact(allc.iloc[:1], allc, p)
    >>> h.harm_ratio_rounded, h.offences_equivalent, h.unique_suspects, h.victims_equivalent
    (4, 4, 1, 4)
    """
    s, a = harm_summary(subset, table), harm_summary(all_crimes, table)
    ratio = harm_ratio_from_means(s.mean, a.mean) if (s.mean is not None and a.mean) else None
    rounded = int(round_half_away(ratio)) if ratio is not None else None
    linked = persons.loc[isin_mask(persons["crime_id"], subset["crime_id"]), ["person_id", "role"]]
    suspects = int(linked.loc[linked["role"] == "suspect", "person_id"].nunique())
    victims = int(linked.loc[linked["role"] == "victim", "person_id"].nunique())

    def eq(n: int) -> int | None:
        return harm_equivalent(n, ratio) if ratio is not None else None

    def exact(n: int) -> int | None:
        return harm_equivalent_exact(n, ratio) if ratio is not None else None

    from sna_lib.measures.cchi import weights_label

    return HarmImpact(
        mean_harm_all=a.mean, mean_harm_subset=s.mean, harm_ratio=ratio, harm_ratio_rounded=rounded,
        offences=len(subset), offences_equivalent=eq(len(subset)), unique_suspects=suspects,
        suspects_equivalent=eq(suspects), unique_victims=victims, victims_equivalent=eq(victims),
        unweighted_crimes=a.unweighted, offences_equivalent_exact=exact(len(subset)),
        suspects_equivalent_exact=exact(suspects), victims_equivalent_exact=exact(victims),
        weights=weights_label(offences() if table is None else table),
    )


def harm_by(crimes: pd.DataFrame, keys: str | Iterable[str], table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Crimes, total harm and mean harm grouped by ``keys`` (e.g. ``offence_group`` or LSOA).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"offence_code": ["1", "8N", "8N"], "lsoa_code": ["X", "Y", "Y"]})
    >>> harm_by(c, "lsoa_code")["total_harm"].tolist()
    [5475.0, 20.0]
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    frame = crimes[keys].copy()
    frame["harm"] = crime_harm(crimes, table).to_numpy(dtype="float64", na_value=np.nan)
    out = frame.groupby(keys, sort=True, observed=True).agg(
        crimes=("harm", "size"), weighted=("harm", "count"), total_harm=("harm", "sum"))
    out["mean_harm"] = out["total_harm"] / out["weighted"].where(out["weighted"] > 0)
    return out.reset_index()


__all__.append("harm_by")
