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
    "AGE_FEATURES_METHOD",
    "age_bands",
    "YearWindow",
    "unique_from_records",
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
    window: str = ""

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return asdict(self)


def _share(count: int, of: int, window: str = "") -> ShareResult:
    return ShareResult(int(count), int(of), (count / of) if of else None, window)


@dataclass(frozen=True)
class YearWindow:
    """An inclusive range of calendar years, with the label pages print.

    Examples
    --------
    >>> YearWindow.ending(2023, 1).label, YearWindow.before(2023, 5).label
    ('2023', '2018–2022')
    """

    first: int
    last: int

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"window {self.first}–{self.last} is empty")

    @classmethod
    def ending(cls, year: int, years: int) -> YearWindow:
        """The ``years`` calendar years ending with ``year`` (``year`` included)."""
        if years < 1:
            raise ValueError("a window needs at least one year")
        return cls(int(year) - int(years) + 1, int(year))

    @classmethod
    def before(cls, year: int, years: int) -> YearWindow:
        """The ``years`` calendar years strictly before ``year``."""
        if years < 1:
            raise ValueError("a window needs at least one year")
        return cls(int(year) - int(years), int(year) - 1)

    @property
    def label(self) -> str:
        """``"2023"`` or ``"2018–2022"``."""
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"

    def contains(self, dates: pd.Series) -> np.ndarray:
        """Boolean mask of datetime ``dates`` whose calendar year is inside the window."""
        y = dates.dt.year
        return ((y >= self.first) & (y <= self.last)).fillna(False).to_numpy(dtype=bool)


def unique_from_records(records: int, repeat_rate: float) -> int:
    """Unique people from person-crime records and the share of records that were repeats.

    ``repeat_rate = (records - unique) / records`` (the reference SNA's "12.4 % were repeat
    suspects"), so ``unique = records x (1 - repeat_rate)``, rounded half away from zero. A
    published rate is rounded, so the result is the nearest whole number of people consistent
    with it.

    Parameters
    ----------
    records : int
        Person-crime links (e.g. 715 suspect records).
    repeat_rate : float
        Share of records that were repeats, 0..1 (e.g. 0.124).

    Examples
    --------
    >>> unique_from_records(715, 0.124)
    626
    >>> unique_from_records(0, 0.5), unique_from_records(10, 0.0)
    (0, 10)
    """
    if int(records) != records or records < 0:
        raise ValueError(f"records must be a non-negative whole number, got {records!r}")
    if not 0 <= repeat_rate < 1:
        raise ValueError(f"repeat_rate must be a share from 0 up to (not including) 1, got {repeat_rate!r}")
    import math

    exact = records * (1.0 - repeat_rate)
    return int(math.floor(exact + 0.5 + 1e-9))


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
        of ``year``; ``window`` labels the look-back years (e.g. ``"2018–2022"``).

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
    window = YearWindow.before(year, lookback_years)
    now_ids = crimes.loc[YearWindow(year, year).contains(crimes["date"]), "crime_id"]
    past_ids = crimes.loc[window.contains(crimes["date"]), "crime_id"]
    now = _people(persons, now_ids, role)
    past = _people(persons, past_ids, role)
    return _share(int(isin_mask(pd.Series(now, dtype="string"), past).sum()), len(now), window.label)


@dataclass(frozen=True)
class Overlap:
    """People who are both victims and suspects within one set of crimes."""

    both: int
    victims: int
    suspects: int
    share_of_victims: float | None
    share_of_suspects: float | None
    window: str = ""

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return asdict(self)


def victim_suspect_overlap(persons: pd.DataFrame, crime_ids: Iterable[str], *,
                           crimes: pd.DataFrame | None = None, year: int | None = None,
                           window_years: int = 1) -> Overlap:
    """How many SV victims were also SV suspects (in the same set of crimes), and vice versa.

    With ``year`` (and ``crimes`` giving each crime's ``date``) only crimes of the
    ``window_years`` calendar years ending with ``year`` count (default: the reporting year
    alone, the reference SNA's meaning); ``window`` on the result labels them. Without
    ``year`` every crime in ``crime_ids`` counts and ``window`` is empty: label it yourself.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"crime_id": ["a", "a", "b", "b"], "person_id": ["x", "y", "y", "z"],
    ...                   "role": ["suspect", "victim", "suspect", "victim"]})
    >>> o = victim_suspect_overlap(p, ["a", "b"])
    >>> o.both, o.share_of_victims, round(o.share_of_suspects, 2)
    (1, 0.5, 0.5)
    >>> c = pd.DataFrame({"crime_id": ["a", "b"], "date": pd.to_datetime(["2022-06-01", "2023-06-01"])})
    >>> o = victim_suspect_overlap(p, ["a", "b"], crimes=c, year=2023)
    >>> o.both, o.window
    (0, '2023')
    """
    label = ""
    if year is not None:
        if crimes is None:
            raise ValueError("victim_suspect_overlap: a year window needs `crimes` with dates")
        window = YearWindow.ending(year, window_years)
        in_window = crimes.loc[window.contains(crimes["date"]), "crime_id"]
        crime_ids = pd.Series(list(crime_ids) if not isinstance(crime_ids, pd.Series) else crime_ids,
                              dtype="string")
        crime_ids = crime_ids[isin_mask(crime_ids, in_window)]
        label = window.label
    linked = links(persons, crime_ids, columns=["person_id", "role"])
    victims = pd.Index(linked.loc[linked["role"] == "victim", "person_id"].unique())
    suspects = pd.Index(linked.loc[linked["role"] == "suspect", "person_id"].unique())
    both = int(isin_mask(pd.Series(victims, dtype="string"), suspects).sum())
    return Overlap(both, len(victims), len(suspects), both / len(victims) if len(victims) else None,
                   both / len(suspects) if len(suspects) else None, label)


def domestic_abuse_link(persons: pd.DataFrame, crimes: pd.DataFrame, crime_ids: Iterable[str], year: int,
                        role: str = "suspect", window_years: int = 5,
                        include_reporting_year: bool = False) -> ShareResult:
    """Share of ``role`` people in ``crime_ids`` named in any role in a domestic-abuse crime recently.

    "Recently" is the reference SNA's "previous five years": the ``window_years`` calendar
    years strictly before ``year`` (``year - window_years`` .. ``year - 1``). With
    ``include_reporting_year`` the window is instead the ``window_years`` years ending with
    ``year``. Any role counts: suspect, victim or involved party. ``window`` on the result
    labels the years used.

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
    >>> c = pd.DataFrame({"crime_id": ["sv1", "sv2", "da", "da23"], "domestic_abuse": [False, False, True, True],
    ...                   "date": pd.to_datetime(["2023-05-01", "2023-06-01", "2020-01-01", "2023-01-01"])})
    >>> p = pd.DataFrame({"crime_id": ["sv1", "sv2", "da", "da23"], "person_id": ["a", "b", "a", "b"],
    ...                   "role": ["suspect", "suspect", "victim", "suspect"]})
    >>> r = domestic_abuse_link(p, c, ["sv1", "sv2"], 2023)
    >>> r.share, r.window
    (0.5, '2018–2022')
    >>> domestic_abuse_link(p, c, ["sv1", "sv2"], 2023, include_reporting_year=True).window
    '2019–2023'
    """
    window = (YearWindow.ending(year, window_years) if include_reporting_year
              else YearWindow.before(year, window_years))
    da = window.contains(crimes["date"]) & crimes["domestic_abuse"].fillna(False).astype(bool).to_numpy()
    da_ids = crimes.loc[da, "crime_id"]
    people = _people(persons, crime_ids, role)
    if people.empty:
        return _share(0, 0, window.label)
    da_people = _people(persons, da_ids)
    return _share(int(isin_mask(pd.Series(people, dtype="string"), da_people).sum()), len(people), window.label)


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
    """Turning points of an age profile (see :func:`age_profile_features`).

    ``basis`` says which curve the features were computed on (e.g. ``"county"`` when a CSP page
    shows banded ages but quotes the county's turning points); ``method`` is the rule, for the page.
    """

    incline_start: int | None
    peaks: tuple[int, ...] = field(default_factory=tuple)
    dips: tuple[int, ...] = field(default_factory=tuple)
    rises_again: tuple[int, ...] = field(default_factory=tuple)
    plateau_start: int | None = None
    basis: str = ""
    method: str = ""

    def to_dict(self) -> dict:
        """Plain dictionary (for export)."""
        return {"incline_start": self.incline_start, "peaks": list(self.peaks), "dips": list(self.dips),
                "rises_again": list(self.rises_again), "plateau_start": self.plateau_start}


AGE_FEATURES_METHOD = (
    "Turning points of the single-year age curve, robust to Poisson noise: a peak is a local maximum "
    "at least half the curve's maximum whose prominence (height above the deeper side's dip) is at "
    "least {z:g} Poisson standard errors (z x sqrt(peak + dip)); a dip is the lowest age between two "
    "peaks. The incline start and the plateau start are the knots of a continuous two-segment line "
    "fitted by Poisson-weighted least squares (weights 1 / three-year moving average): to the ages "
    "up to the first peak (where the steep climb begins) and to the {span} years after the last "
    "peak (where the decline levels off)."
)


def _hinge_knot(x: np.ndarray, y: np.ndarray, var: np.ndarray, candidates: Sequence[int]) -> int | None:
    """Knot of the continuous two-segment line that best fits ``y`` (weighted least squares).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0); y = np.where(x < 4, 1.0, 1.0 + 5 * (x - 4))
    >>> _hinge_knot(x, y, np.ones(10), range(1, 9))
    4
    """
    weights = np.sqrt(1.0 / np.maximum(var, 1.0))
    best, knot = np.inf, None
    for k in candidates:
        design = np.column_stack([np.ones_like(x), x, np.maximum(x - k, 0.0)])
        beta, *_ = np.linalg.lstsq(design * weights[:, None], y * weights, rcond=None)
        sse = float(np.sum((weights * (y - design @ beta)) ** 2))
        if knot is None or sse < best - 1e-9 * max(1.0, best):
            best, knot = sse, int(k)
    return knot


def age_profile_features(counts: pd.Series, *, z: float = 1.96, peak_height: float = 0.5,
                         peak_prominence: float = 0.05, span: int = 25, basis: str = "") -> AgeFeatures:
    """Find where an age profile starts its steep incline, its peak(s), dip(s) and plateau.

    Robust to Poisson noise (the rule is :data:`AGE_FEATURES_METHOD`):

    1. **Peaks** are local maxima of the counts with height >= ``peak_height x M`` (``M`` the
       maximum) and prominence >= ``max(peak_prominence x M, z x sqrt(peak + base))``, where
       ``base = peak - prominence`` is the dip separating it from a higher peak (or the curve's
       lowest point on the deeper side). ``sqrt(peak + base)`` is the Poisson standard error of
       the peak-minus-dip difference, so a wiggle of one or two people is not a peak.
       **Dips**: the lowest age between consecutive peaks; **rises again**: the age after.
    2. **Incline start**: knot of a continuous two-segment line fitted (weighted least squares,
       weights ``1 / max(3-year moving average, 1)``: Poisson variance) to the ages from the
       youngest to the first peak.
    3. **Plateau start**: knot of the same fit to the last peak and the ``span`` years after it:
       where the steep decline ends.

    Parameters
    ----------
    counts : pandas.Series
        Counts indexed by integer age (missing ages count 0).
    z : float
        Standard errors a peak must stand above its dip (1.96: two-sided 95 %).
    basis : str
        Label of the curve (e.g. ``"county"``), carried on the result.

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
    >>> f.incline_start, f.peaks, f.plateau_start
    (12, (15,), 23)

    Its dip (90 -> 70 -> 88) is 1.4 standard errors deep: a feature only at a looser ``z``:

    >>> age_profile_features(pd.Series(n, index=ages), z=1.0).dips
    (16,)
    """
    method = AGE_FEATURES_METHOD.format(z=z, span=span)
    if counts.empty:
        return AgeFeatures(None, basis=basis, method=method)
    idx = counts.index.astype(int)
    full = pd.Series(counts.to_numpy(dtype=float), index=idx).reindex(range(idx.min(), idx.max() + 1),
                                                                       fill_value=0.0)
    values = full.to_numpy()
    ages = full.index.to_numpy()
    top = values.max()
    if top <= 0:
        return AgeFeatures(None, basis=basis, method=method)
    var = full.rolling(3, center=True, min_periods=1).mean().to_numpy()
    # pad so a maximum at either end can be detected
    padded = np.concatenate([[0.0], values, [0.0]])
    from scipy.signal import find_peaks  # here, not at import: scipy.signal is a slow import most runs never need

    pk, props = find_peaks(padded, prominence=peak_prominence * top, height=peak_height * top)
    pk = pk - 1
    prom = props["prominences"]
    base = values[pk] - prom
    pk = pk[prom >= z * np.sqrt(np.maximum(values[pk] + base, 1.0))]
    peaks = tuple(int(ages[i]) for i in pk)
    dips = tuple(int(ages[a + int(np.argmin(values[a:b + 1]))]) for a, b in zip(pk[:-1], pk[1:]))
    rises = tuple(d + 1 for d in dips)
    incline = plateau = None
    x = ages.astype(float)
    if len(pk) and pk[0] >= 3:
        first = int(pk[0])
        incline = _hinge_knot(x[:first + 1], values[:first + 1], var[:first + 1], ages[1:first])
    if len(pk):
        last = int(pk[-1])
        end = min(len(values) - 1, last + span)
        if end - last >= 5:
            sl = slice(last, end + 1)
            plateau = _hinge_knot(x[sl], values[sl], var[sl], ages[last + 1:end - 1])
    return AgeFeatures(incline, peaks, dips, rises, plateau, basis=basis, method=method)


def age_bands(counts: pd.Series, min_count: int) -> pd.DataFrame:
    """Group a single-year age profile into consecutive bands that each hold >= ``min_count``.

    For areas where single years of age would be withheld by disclosure control: bands are
    built from the youngest age up, closing a band as soon as it holds ``min_count`` people
    (e.g. ``suppress_max + 1``); a short remainder at the old end joins the last band. Every
    published band then survives suppression, and bands partition the ages (their sum is the
    profile's total), so no count can be recovered by differencing.

    Returns
    -------
    pandas.DataFrame
        ``band`` (label, e.g. ``"14–15"``; the first ``"up to 13"`` and the last ``"50+"``, so
        labels never give the youngest or oldest age), ``age_from``, ``age_to``, ``count``.
        One band holding everything when the total is below ``min_count`` (its count is then
        itself small and suppressed as usual).

    Examples
    --------
    >>> import pandas as pd
    >>> age_bands(pd.Series([3, 9, 2, 2, 5, 1, 1], index=range(14, 21)), 8).values.tolist()
    [['up to 15', 14, 15, 12], ['16+', 16, 20, 11]]
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    if counts.empty:
        return pd.DataFrame({"band": pd.Series(dtype="string"), "age_from": pd.Series(dtype="int64"),
                             "age_to": pd.Series(dtype="int64"), "count": pd.Series(dtype="int64")})
    idx = counts.index.astype(int)
    full = pd.Series(counts.to_numpy(dtype="int64"), index=idx).reindex(range(idx.min(), idx.max() + 1),
                                                                         fill_value=0)
    bands: list[list[int]] = []
    start, total = None, 0
    for age, n in full.items():
        start = age if start is None else start
        total += int(n)
        if total >= min_count:
            bands.append([start, int(age), total])
            start, total = None, 0
    if start is not None:
        if bands:
            bands[-1][1] = int(full.index.max())
            bands[-1][2] += total
        else:
            bands.append([start, int(full.index.max()), total])
    rows = []
    for i, (a, b, n) in enumerate(bands):
        # open-ended end bands: their labels never reveal the youngest or oldest person's age
        if i == len(bands) - 1 and len(bands) > 1 and b > a:
            label = f"{a}+"
        elif i == 0 and len(bands) > 1 and b > a:
            label = f"up to {b}"
        else:
            label = str(a) if a == b else f"{a}–{b}"
        rows.append((label, a, b, n))
    out = pd.DataFrame(rows, columns=["band", "age_from", "age_to", "count"])
    out["band"] = out["band"].astype("string")
    return out.astype({"age_from": "int64", "age_to": "int64", "count": "int64"})


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
