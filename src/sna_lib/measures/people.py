"""People involved in serious violence: unique and repeat suspects/victims, overlaps, ages, origins.

All functions take the contract ``persons`` frame (``crime_id, person_id, role, age, sex,
home_lsoa, origin_area``) and the crime ids (or crimes) of interest, so they can be tested on
tiny frames. "Records" are person-crime links; "people" are distinct ``person_id`` values.

Reference SNA (section 3 and 5): 715 suspect records, 626 unique suspects, so
(715 - 626) / 715 = 12.4% of records were repeats within the year; 20% of suspects had been SV
suspects in the previous five years. Section 11: age profile (steep incline from 12, peak 15,
dip, rise again at 17, decline to about 21, plateau from about 23), share aged under 25,
where suspects come from. Section 1: 43% of violent offenders have a connection to domestic
abuse (as suspect, victim or involved party).

Examples
--------
>>> import pandas as pd
>>> p = pd.DataFrame({"crime_id": ["a", "b", "c"], "person_id": ["s1", "s1", "s2"],
...                   "role": ["suspect"] * 3})
>>> c = person_counts(p, ["a", "b", "c"], "suspect")
>>> c.records, c.unique, c.repeat_people, round(c.repeat_share_records, 3)
(3, 2, 1, 0.333)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.signal import find_peaks

__all__ = [
    "ROLES",
    "PersonCounts",
    "isin_mask",
    "links",
    "person_counts",
    "previous_involvement",
    "victim_suspect_overlap",
    "domestic_abuse_link",
    "AgeProfile",
    "age_profile",
    "AgeFeatures",
    "age_profile_features",
    "share_under_age",
    "origin_profile",
]

ROLES = ("suspect", "victim", "involved_party")


def isin_mask(values: pd.Series, candidates: Iterable[Any]) -> np.ndarray:
    """Fast ``values.isin(candidates)`` as a NumPy bool array (Arrow ``is_in`` for string columns).

    pandas' own ``isin`` on Arrow-backed strings builds a Python list of the candidates, which
    is slow for the 10^5 ids met at county scale; this uses :func:`pyarrow.compute.is_in`.
    Missing values never match.

    Examples
    --------
    >>> import pandas as pd
    >>> isin_mask(pd.Series(["a", "b", None], dtype="string"), ["b", "c"]).tolist()
    [False, True, False]
    """
    pa_values = getattr(values.array, "_pa_array", None)
    if pa_values is not None and (pa.types.is_string(pa_values.type) or pa.types.is_large_string(pa_values.type)):
        cand = candidates if isinstance(candidates, (pd.Series, pd.Index)) else pd.Series(list(candidates), dtype=object)
        cand_arr = pa.array(pd.Series(cand, dtype=object).dropna().astype(str).unique(), type=pa_values.type)
        hit = pc.is_in(pa_values, value_set=cand_arr, skip_nulls=True)
        return np.array(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    if not isinstance(candidates, (pd.Series, pd.Index, list, set, frozenset, tuple, np.ndarray)):
        candidates = list(candidates)
    return np.array(values.isin(candidates).fillna(False).to_numpy(dtype=bool), dtype=bool)


def _link_mask(persons: pd.DataFrame, crime_ids: Iterable[str], role: str | None = None) -> np.ndarray:
    if role is not None and role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    mask = isin_mask(persons["crime_id"], crime_ids)
    if role is not None:
        mask &= (persons["role"] == role).fillna(False).to_numpy(dtype=bool)
    return mask


def links(persons: pd.DataFrame, crime_ids: Iterable[str], role: str | None = None,
          columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Person-crime links for the given crimes (and role, if given); optionally only ``columns``.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"crime_id": ["a", "b"], "person_id": ["x", "y"], "role": ["suspect", "victim"]})
    >>> links(p, ["a", "b"], "victim")["person_id"].tolist()
    ['y']
    """
    mask = _link_mask(persons, crime_ids, role)
    frame = persons if columns is None else persons[list(columns)]
    return frame[mask]


def _people(persons: pd.DataFrame, crime_ids: Iterable[str], role: str | None = None) -> pd.Index:
    """Distinct person ids linked to ``crime_ids`` (in ``role``)."""
    mask = _link_mask(persons, crime_ids, role)
    return pd.Index(persons["person_id"][mask].unique())


@dataclass(frozen=True)
class PersonCounts:
    """Records, unique people and repeats for one role within one set of crimes.

    Attributes
    ----------
    records : int
        Person-crime links (the reference SNA's "715 suspects").
    unique : int
        Distinct people ("626 unique suspects").
    repeat_share_records : float or None
        ``(records - unique) / records``: the reference SNA's "12.4% were repeat suspects".
    repeat_people : int
        People linked to two or more distinct crimes.
    repeat_people_share : float or None
        ``repeat_people / unique``.
    """

    role: str
    records: int
    unique: int
    repeat_share_records: float | None
    repeat_people: int
    repeat_people_share: float | None

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return asdict(self)


def person_counts(persons: pd.DataFrame, crime_ids: Iterable[str], role: str) -> PersonCounts:
    """Count records, unique people and repeats of ``role`` in the given crimes.

    Examples
    --------
    Reference SNA arithmetic: 715 records of 626 people is 12.4% repeats.

    >>> round((715 - 626) / 715 * 100, 1)
    12.4
    """
    linked = links(persons, crime_ids, role, ["crime_id", "person_id"]).drop_duplicates()
    records = len(linked)
    per_person = linked.groupby("person_id", sort=False, observed=True)["crime_id"].nunique()
    unique = int(len(per_person))
    repeat = int((per_person >= 2).sum())
    return PersonCounts(
        role=role, records=records, unique=unique,
        repeat_share_records=(records - unique) / records if records else None,
        repeat_people=repeat, repeat_people_share=repeat / unique if unique else None,
    )


@dataclass(frozen=True)
class ShareResult:
    """``count`` of ``of`` people have the property; ``share = count / of``."""

    count: int
    of: int
    share: float | None

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return asdict(self)


def _share(count: int, of: int) -> ShareResult:
    return ShareResult(int(count), int(of), (count / of) if of else None)


def previous_involvement(persons: pd.DataFrame, crimes: pd.DataFrame, year: int, role: str = "suspect",
                         lookback_years: int = 5) -> ShareResult:
    """Share of ``role`` people in ``year``'s crimes with the same role in the previous years' crimes.

    Parameters
    ----------
    persons : pandas.DataFrame
        Contract persons frame.
    crimes : pandas.DataFrame
        The qualifying crimes of ALL years (``crime_id``, ``date``), e.g. partnership SV.
    year : int
        Calendar year of interest.
    role : str
        ``suspect`` or ``victim``.
    lookback_years : int
        Calendar years before ``year`` to look back (reference: 5, i.e. ``year-5 .. year-1``).

    Returns
    -------
    ShareResult
        ``count`` = people of ``year`` also seen in the look-back window, ``of`` = unique people
        of ``year``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": ["old", "new1", "new2"],
    ...                   "date": pd.to_datetime(["2019-03-01", "2023-01-05", "2023-02-01"])})
    >>> p = pd.DataFrame({"crime_id": ["old", "new1", "new2"], "person_id": ["s1", "s1", "s2"],
    ...                   "role": "suspect"})
    >>> previous_involvement(p, c, 2023).share
    0.5
    """
    y = crimes["date"].dt.year
    now_ids = crimes.loc[(y == year).to_numpy(), "crime_id"]
    past_ids = crimes.loc[((y >= year - lookback_years) & (y < year)).to_numpy(), "crime_id"]
    now = _people(persons, now_ids, role)
    past = _people(persons, past_ids, role)
    return _share(int(isin_mask(pd.Series(now, dtype="string"), past).sum()), len(now))


@dataclass(frozen=True)
class Overlap:
    """People who are both victims and suspects within one set of crimes."""

    both: int
    victims: int
    suspects: int
    share_of_victims: float | None
    share_of_suspects: float | None

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return asdict(self)


def victim_suspect_overlap(persons: pd.DataFrame, crime_ids: Iterable[str]) -> Overlap:
    """How many SV victims were also SV suspects (in the same set of crimes), and vice versa.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"crime_id": ["a", "a", "b", "b"], "person_id": ["x", "y", "y", "z"],
    ...                   "role": ["suspect", "victim", "suspect", "victim"]})
    >>> o = victim_suspect_overlap(p, ["a", "b"])
    >>> o.both, o.share_of_victims, round(o.share_of_suspects, 2)
    (1, 0.5, 0.5)
    """
    linked = links(persons, crime_ids, columns=["person_id", "role"])
    victims = pd.Index(linked.loc[linked["role"] == "victim", "person_id"].unique())
    suspects = pd.Index(linked.loc[linked["role"] == "suspect", "person_id"].unique())
    both = int(isin_mask(pd.Series(victims, dtype="string"), suspects).sum())
    return Overlap(both, len(victims), len(suspects), both / len(victims) if len(victims) else None,
                   both / len(suspects) if len(suspects) else None)


def domestic_abuse_link(persons: pd.DataFrame, crimes: pd.DataFrame, crime_ids: Iterable[str], year: int,
                        role: str = "suspect", window_years: int = 5) -> ShareResult:
    """Share of ``role`` people in ``crime_ids`` named in any role in a domestic-abuse crime recently.

    "Recently" is the ``window_years`` calendar years ending with ``year``
    (``year - window_years + 1`` .. ``year``; reference: five years). Any role counts: suspect,
    victim or involved party.

    Parameters
    ----------
    persons : pandas.DataFrame
        Contract persons frame.
    crimes : pandas.DataFrame
        ALL crimes (``crime_id, date, domestic_abuse``).
    crime_ids : iterable of str
        The serious-violence crimes whose people are examined.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"crime_id": ["sv1", "sv2", "da"], "domestic_abuse": [False, False, True],
    ...                   "date": pd.to_datetime(["2023-05-01", "2023-06-01", "2020-01-01"])})
    >>> p = pd.DataFrame({"crime_id": ["sv1", "sv2", "da"], "person_id": ["a", "b", "a"],
    ...                   "role": ["suspect", "suspect", "victim"]})
    >>> domestic_abuse_link(p, c, ["sv1", "sv2"], 2023).share
    0.5
    """
    y = crimes["date"].dt.year
    window = (y > year - window_years) & (y <= year) & crimes["domestic_abuse"].fillna(False).astype(bool)
    da_ids = crimes.loc[window.to_numpy(dtype=bool), "crime_id"]
    people = _people(persons, crime_ids, role)
    if people.empty:
        return _share(0, 0)
    da_people = _people(persons, da_ids)
    return _share(int(isin_mask(pd.Series(people, dtype="string"), da_people).sum()), len(people))


@dataclass(frozen=True)
class AgeProfile:
    """Counts by single year of age (complete integer range, zeros filled) plus unknown ages."""

    counts: pd.Series
    unknown: int
    unit: str

    def to_dict(self) -> dict:
        """Plain dictionary (for export): ``{"counts": {age: n}, "unknown": n, "unit": ...}``."""
        return {"counts": {int(k): int(v) for k, v in self.counts.items()}, "unknown": self.unknown,
                "unit": self.unit}


def age_profile(persons: pd.DataFrame, crime_ids: Iterable[str], role: str | None = None,
                unit: str = "people") -> AgeProfile:
    """Number of people (or records) by single year of age.

    Parameters
    ----------
    unit : {"people", "records"}
        ``people`` counts each person once (at the youngest age recorded in these crimes, per
        role); ``records`` counts person-crime links.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"crime_id": ["a", "b", "c", "d"], "person_id": ["x", "x", "y", "z"],
    ...                   "role": "suspect", "age": pd.array([15, 16, 17, None], dtype="Int64")})
    >>> prof = age_profile(p, ["a", "b", "c", "d"])
    >>> prof.counts.to_dict(), prof.unknown
    ({15: 1, 16: 0, 17: 1}, 1)
    """
    if unit not in ("people", "records"):
        raise ValueError("unit must be 'people' or 'records'")
    linked = links(persons, crime_ids, role, ["person_id", "role", "age"])
    ages = pd.to_numeric(linked["age"], errors="coerce")
    if unit == "people":
        frame = pd.DataFrame({"person_id": linked["person_id"].to_numpy(), "role": linked["role"].to_numpy(),
                              "age": ages.to_numpy(dtype="float64", na_value=np.nan)})
        youngest = frame.groupby(["person_id", "role"], sort=False, observed=True)["age"].min()
        ages = youngest
    known = ages.dropna().astype(int)
    unknown = int(ages.isna().sum())
    if known.empty:
        return AgeProfile(pd.Series(dtype="int64", name="count"), unknown, unit)
    counts = known.value_counts().reindex(range(int(known.min()), int(known.max()) + 1), fill_value=0)
    counts.index.name = "age"
    return AgeProfile(counts.sort_index().astype("int64").rename("count"), unknown, unit)


@dataclass(frozen=True)
class AgeFeatures:
    """Turning points of an age profile (see :func:`age_profile_features`)."""

    incline_start: int | None
    peaks: tuple[int, ...] = field(default_factory=tuple)
    dips: tuple[int, ...] = field(default_factory=tuple)
    rises_again: tuple[int, ...] = field(default_factory=tuple)
    plateau_start: int | None = None

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return {"incline_start": self.incline_start, "peaks": list(self.peaks), "dips": list(self.dips),
                "rises_again": list(self.rises_again), "plateau_start": self.plateau_start}


def age_profile_features(counts: pd.Series, *, smooth: int = 1, steep: float = 0.08,
                         peak_prominence: float = 0.05, peak_height: float = 0.5,
                         flat: float = 0.03, plateau_span: int = 5) -> AgeFeatures:
    """Find where an age profile starts its steep incline, its peak(s), dip(s) and plateau.

    Algorithm (all thresholds are fractions of the profile's maximum ``M``):

    1. Fill missing ages with 0 and, if ``smooth > 1``, take a centred moving average of
       ``smooth`` years (reduces noise in small areas; 1 = raw counts).
    2. **Peaks**: local maxima with prominence >= ``peak_prominence * M`` and height
       >= ``peak_height * M`` (:func:`scipy.signal.find_peaks`). **Dips**: the lowest age
       between consecutive peaks; **rises again**: the age after each dip.
    3. **Incline start**: the youngest age (before the first peak) from which the next year's
       count is at least ``steep * M`` higher: where the steep climb begins.
    4. **Plateau start**: the first age after the last peak from which every year-on-year
       change over the next ``plateau_span`` years is within ``flat * M`` (the decline has
       levelled off).

    Parameters
    ----------
    counts : pandas.Series
        Counts indexed by integer age.

    Returns
    -------
    AgeFeatures

    Examples
    --------
    A profile shaped like the reference SNA (incline from 12, peak 15, dip 16, rise again at
    17, decline to 21, plateau from about 23):

    >>> import pandas as pd
    >>> ages = range(8, 41)
    >>> n = [1, 1, 2, 3, 6, 25, 55, 90, 70, 85, 88, 75, 60, 50, 44, 41, 40,
    ...      39, 39, 38, 38, 37, 37, 36, 36, 35, 35, 34, 34, 33, 33, 32, 32]
    >>> f = age_profile_features(pd.Series(n, index=ages))
    >>> f.incline_start, f.peaks, f.dips, f.rises_again, f.plateau_start
    (12, (15, 18), (16,), (17,), 23)
    """
    if counts.empty:
        return AgeFeatures(None)
    idx = counts.index.astype(int)
    full = pd.Series(counts.to_numpy(dtype=float), index=idx).reindex(range(idx.min(), idx.max() + 1),
                                                                       fill_value=0.0)
    if smooth > 1:
        full = full.rolling(smooth, center=True, min_periods=1).mean()
    values = full.to_numpy()
    ages = full.index.to_numpy()
    top = values.max()
    if top <= 0:
        return AgeFeatures(None)
    # pad so a maximum at either end can be detected
    padded = np.concatenate([[0.0], values, [0.0]])
    pk, _ = find_peaks(padded, prominence=peak_prominence * top, height=peak_height * top)
    pk = pk - 1
    peaks = tuple(int(ages[i]) for i in pk)
    dips = tuple(int(ages[a + int(np.argmin(values[a:b + 1]))]) for a, b in zip(pk[:-1], pk[1:]))
    rises = tuple(d + 1 for d in dips)
    incline = None
    if len(pk):
        rising = np.flatnonzero(np.diff(values[: int(pk[0]) + 1]) >= steep * top)
        incline = int(ages[rising[0]]) if len(rising) else None
    plateau = None
    if len(pk):
        steps = np.abs(np.diff(values))
        for j in range(int(pk[-1]) + 1, len(values) - 1):
            window = steps[j:j + plateau_span]
            if len(window) and np.all(window <= flat * top):
                plateau = int(ages[j])
                break
    return AgeFeatures(incline, peaks, dips, rises, plateau)


def share_under_age(persons: pd.DataFrame, crime_ids: Iterable[str], age: int = 25,
                    role: str | None = None) -> ShareResult:
    """Share of people (known age, youngest recorded age) aged under ``age``.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"crime_id": ["a", "b", "c"], "person_id": ["x", "y", "z"],
    ...                   "role": "victim", "age": pd.array([19, 30, None], dtype="Int64")})
    >>> share_under_age(p, ["a", "b", "c"]).share
    0.5
    """
    prof = age_profile(persons, crime_ids, role, unit="people")
    total = int(prof.counts.sum())
    under = int(prof.counts[prof.counts.index < age].sum())
    return _share(under, total)


def origin_profile(persons: pd.DataFrame, crime_ids: Iterable[str], csps: Sequence[str],
                   role: str = "suspect") -> pd.DataFrame:
    """Where people come from: counts of unique people by ``origin_area``.

    Each person is counted once, under the origin recorded most often for them in these crimes
    (ties: alphabetical). ``place`` is ``in county`` for a CSP name, ``unknown`` for
    ``Unknown``/empty, else ``outside county``.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin_area, place, people, share`` (share of people with a known origin;
        NA for unknown), sorted by ``place`` then descending ``people`` then name.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"crime_id": ["a", "b", "c", "d"], "person_id": ["w", "x", "y", "z"],
    ...                   "role": "suspect", "origin_area": ["North", "London", "North", "Unknown"]})
    >>> origin_profile(p, list("abcd"), ["North", "South"])[["origin_area", "place", "people"]].values.tolist()
    [['North', 'in county', 2], ['London', 'outside county', 1], ['Unknown', 'unknown', 1]]
    """
    linked = links(persons, crime_ids, role, ["person_id", "origin_area"])
    origin = linked["origin_area"].astype("string").fillna("Unknown").str.strip()
    origin = origin.mask(origin == "", "Unknown")
    frame = pd.DataFrame({"person_id": linked["person_id"].to_numpy(), "origin_area": origin.to_numpy()})
    per = frame.groupby(["person_id", "origin_area"], sort=True, observed=True).size().rename("n").reset_index()
    per = per.sort_values(["person_id", "n", "origin_area"], ascending=[True, False, True], kind="mergesort")
    one = per.drop_duplicates("person_id", keep="first")
    out = one.groupby("origin_area", sort=True, observed=True).size().rename("people").reset_index()
    csp_set = set(csps)
    out["place"] = np.where(out["origin_area"].isin(csp_set), "in county",
                            np.where(out["origin_area"].str.lower() == "unknown", "unknown", "outside county"))
    known = out.loc[out["place"] != "unknown", "people"].sum()
    out["share"] = (out["people"] / known).where((out["place"] != "unknown") & (known > 0))
    order = {"in county": 0, "outside county": 1, "unknown": 2}
    out = out.assign(_o=out["place"].map(order)).sort_values(
        ["_o", "people", "origin_area"], ascending=[True, False, True], kind="mergesort")
    out["people"] = out["people"].astype("int64")
    out["origin_area"] = out["origin_area"].astype("string")
    return out[["origin_area", "place", "people", "share"]].reset_index(drop=True)
