"""Hot-spot persistence: in how many of the last *window* years was an LSOA a hot spot?

Reference 12 of the SNA maps "how persistent each area was as a hotspot" over 2018–2022 and
reports LSOAs that were *new* hot spots in 2022 ("not having been a hotspot in the previous
four years"). Each year is hot-spotted on its own (the same method and settings every
year), so persistence counts independent annual detections.

At ``data_level: open`` (police.uk months, :mod:`sna_lib.measures.open_proxy`) the periods are
the complete calendar quarters instead: :func:`quarter_hotspots` hot-spots the proxy crimes of
each and :func:`persistence_table` counts LSOAs by the quarters they were hot in.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna_lib.data.periods import complete_quarters, in_months
from sna_lib.index.hotspots import SpatialWeights, hotspots, index_settings
from sna_lib.measures.open_proxy import PROXY, proxy_crimes


def window_years(year: int, window: int, first_year: int | None = None) -> list[int]:
    """The years a persistence window actually analyses: ``window`` years ending at ``year``,
    none before ``first_year`` (the first year of the records).

    Every page, table and label of a persistence window (serious violence, domestic abuse,
    the place tables' "five years") uses this one rule, so a short record (data from 2021, a
    five-year window ending 2023) is labelled 2021–2023, of 3 years, never 2019–2023.

    Examples
    --------
    >>> window_years(2023, 5)
    [2019, 2020, 2021, 2022, 2023]
    >>> window_years(2023, 5, first_year=2021)
    [2021, 2022, 2023]
    >>> window_years(2023, 5, first_year=2014)
    [2019, 2020, 2021, 2022, 2023]
    """
    year, window = int(year), int(window)
    if window < 1:
        raise ValueError(f"persistence window must be at least 1 year, got {window}")
    first = year - window + 1 if first_year is None else max(year - window + 1, int(first_year))
    if first > year:
        raise ValueError(f"the records start in {first_year}, after the analysis year {year}")
    return list(range(first, year + 1))


def window_label(years) -> str:
    """``"2021–2023"`` (en dash) for a list of consecutive years; one year alone: ``"2023"``.

    Examples
    --------
    >>> window_label([2021, 2022, 2023]), window_label([2023])
    ('2021–2023', '2023')
    """
    years = [int(y) for y in years]
    return f"{years[0]}–{years[-1]}" if years[0] != years[-1] else str(years[0])


def hotspots_by_year(counts: pd.DataFrame, *, weights: SpatialWeights | None = None,
                     base: pd.Series | pd.DataFrame | None = None, method: str | None = None,
                     settings: dict[str, Any] | None = None) -> dict[int, pd.DataFrame]:
    """Run the configured hot-spot statistic on each year's column of ``counts``.

    Parameters
    ----------
    counts : pandas.DataFrame
        index ``lsoa_code``, one column per year (int), values counts.
    weights : SpatialWeights, optional
        for Gi*; built once by the caller and reused for every year.
    base : Series or DataFrame, optional
        population base for Poisson; a DataFrame gives one column per year.
    method, settings
        see :func:`sna_lib.index.hotspots.hotspots`.

    Returns
    -------
    dict
        ``{year: hot-spot frame}``.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({2021: [9, 1, 2], 2022: [1, 1, 9]}, index=["a", "b", "c"])
    >>> res = hotspots_by_year(counts, base=pd.Series(1000.0, index=counts.index), method="poisson")
    >>> [res[y].index[res[y]["hot"]].tolist() for y in (2021, 2022)]
    [['a'], ['c']]
    """
    settings = settings or index_settings()
    out = {}
    for year in counts.columns:
        year_base = base[year] if isinstance(base, pd.DataFrame) else base
        out[int(year)] = hotspots(counts[year], weights=weights, base=year_base, method=method,
                                  settings=settings)
    return out


def wide(results: dict[int, pd.DataFrame], column: str = "hot") -> pd.DataFrame:
    """One column per year of a field of :func:`hotspots_by_year` results.

    Examples
    --------
    >>> import pandas as pd
    >>> r = {2021: pd.DataFrame({"hot": [True, False]}, index=["a", "b"]),
    ...      2022: pd.DataFrame({"hot": [True, True]}, index=["a", "b"])}
    >>> wide(r).sum().tolist()
    [1, 2]
    """
    return pd.DataFrame({year: frame[column] for year, frame in sorted(results.items())})


def persistence(hot: pd.DataFrame, *, end_year: int | None = None, window: int = 5) -> pd.DataFrame:
    """Years hot out of the last ``window`` and "new" hot spots.

    Parameters
    ----------
    hot : pandas.DataFrame
        boolean, index ``lsoa_code``, one column per year; every year of the window must
        be present (a missing year raises ``ValueError`` rather than counting as "not hot").
    end_year : int, optional
        last year of the window (default: latest column).
    window : int
        number of years (5: 2018–2022 for 2022).

    Returns
    -------
    pandas.DataFrame
        ``years_hot`` (0…window), ``hot_now`` (hot in ``end_year``), ``new`` (hot in
        ``end_year`` and in none of the previous ``window − 1`` years).

    Examples
    --------
    >>> import pandas as pd
    >>> hot = pd.DataFrame({2020: [True, False], 2021: [True, False], 2022: [True, True]},
    ...                    index=["a", "b"])
    >>> persistence(hot, window=3)[["years_hot", "new"]].values.tolist()
    [[3, False], [1, True]]
    """
    columns = pd.Index([int(c) for c in hot.columns])
    hot = hot.set_axis(columns, axis=1)
    end_year = int(end_year if end_year is not None else columns.max())
    years = list(range(end_year - window + 1, end_year + 1))
    missing = [y for y in years if y not in columns]
    if missing:
        raise ValueError(f"persistence window {years[0]}-{end_year} lacks year(s) {missing}")
    block = hot[years]
    # a gap is "not hot" (not fillna(False): pandas 3 deprecates a bool fill of a float 0/1 table)
    block = block.where(block.notna(), False).astype(bool)
    before = block[years[:-1]].any(axis=1)
    out = pd.DataFrame({
        "years_hot": block.sum(axis=1).astype("int64"),
        "hot_now": block[end_year],
    }, index=hot.index)
    out["new"] = out["hot_now"] & ~before
    out.attrs["window"] = (years[0], end_year)
    return out


def quarter_hotspots(dataset, definition: str = PROXY, settings: dict | None = None) -> tuple[pd.DataFrame, list]:
    """Gi* hot spots (configured settings) of proxy crimes in every complete quarter, county-wide.

    ``settings`` defaults to the configured ones, exactly as at the full level
    (:func:`~sna_lib.index.hotspots.index_settings` of ``dataset.config``: esda's conditional
    permutation, seeded; Essex, 3 quarters x 1,077 LSOAs x 999 permutations: 1.4 s).

    Returns ``(frame, quarters)``: ``frame`` is indexed by ``lsoa_code`` with one bool column per
    quarter label and ``quarters_hot`` (how many complete quarters the LSOA was a hot spot in).
    """
    from sna_lib.data.dataset import area_lsoas
    from sna_lib.index.factors import lsoa_counts
    from sna_lib.index.hotspots import weights_for

    key = (id(dataset), definition)
    cached = _HOT_CACHE.get(key)
    if settings is None and cached is not None and cached[0]() is dataset:
        return cached[1], cached[2]
    settings = settings or index_settings(dataset.config)
    geo = dataset.geography
    weights = weights_for(geo, settings)
    codes = area_lsoas(dataset, "county")
    proxy = proxy_crimes(dataset.crimes, definition)
    quarters = complete_quarters(dataset)
    frame = pd.DataFrame(index=codes)
    for q in quarters:
        counts = lsoa_counts(in_months(proxy, q.start, q.end), codes)
        frame[q.text] = hotspots(counts, weights=weights, method="gistar", settings=settings)["hot"] \
            .reindex(codes).fillna(False).astype(bool)
    frame["quarters_hot"] = frame[[q.text for q in quarters]].sum(axis=1).astype("int64")
    _HOT_CACHE.clear()
    _HOT_CACHE[key] = (_reference(dataset), frame, quarters)
    return frame, quarters


#: The last dataset's hot spots, keyed by ``id(dataset)``. CPython reuses the id of a freed
#: object, so an entry is used only while its reference still names the same dataset: without
#: that check a new dataset allocated where the last one was (another config, e.g. other
#: permutations or seed) silently got the old dataset's hot spots.
_HOT_CACHE: dict = {}


def _reference(obj):
    """A weak reference to ``obj``; a strong one for objects that take none (``SimpleNamespace``)."""
    import weakref

    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def persistence_table(frame: pd.DataFrame, quarters: list, codes: pd.Index) -> pd.DataFrame:
    """LSOAs of ``codes`` by the number of complete quarters they were a hot spot in."""
    n = len(quarters)
    counts = frame.loc[codes, "quarters_hot"].value_counts().reindex(range(n + 1), fill_value=0)
    return pd.DataFrame({"Hot spot in": [f"{k} of {n} complete quarters" for k in range(n + 1)],
                         "LSOAs": counts.to_numpy().astype("int64")})
