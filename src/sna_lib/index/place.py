"""Place statements of the reference SNA (sections 12–13), computed.

Each function returns plain numbers or a small frame (counts *and* shares, so the book can
apply :mod:`sna_lib.publication.disclosure` before publishing):

* share of SV suspects living in above-average / > 20% deprived LSOAs (Reference 16: "54%",
  "46%"), in persistent-DA LSOAs ("24%"), and of suspects and victims living in elevated
  disorganisation LSOAs ("a third") — :func:`people_in_areas`;
* share of SV in urban and night-time-economy LSOAs ("87%", "13%") — :func:`urban_nte_share`;
* offences, share and rate per 1,000 population by CSP with ranks and the change in share
  on the previous year (References 12–13) — :func:`csp_breakdown`;
* overlap of elevated SV with elevated ambulance serious trauma ("two thirds") —
  :func:`elevated_overlap`.

Denominators: people are distinct people with a known home LSOA in the county (people with
an unknown or out-of-county home are excluded and counted in ``excluded``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from sna_lib.index.factors import crimes_by_lsoa, isin, linked_tables, lsoa_population, person_homes, select_crimes

AMBULANCE_TRAUMA = ("assault_sexual_assault", "stab_gunshot_penetrating_trauma")


def people_in_areas(homes: pd.Series, flag: pd.Series, population: pd.Series | None = None) -> dict:
    """How many people (by home LSOA) live in flagged LSOAs, beside the residents who do.

    Parameters
    ----------
    homes : pandas.Series
        home LSOA per person (``<NA>`` = unknown), e.g. from
        :func:`sna_lib.index.factors.person_homes`.
    flag : pandas.Series of bool
        indexed by ``lsoa_code`` (all county LSOAs).
    population : pandas.Series, optional
        residents per LSOA (same index). When given, the share is set beside the residents'
        share (:func:`sna_lib.measures.significance.share_vs_baseline`: ratio and exact 95 % interval).

    Returns
    -------
    dict
        ``people`` (known home in county), ``in_flagged``, ``share`` (NaN if no people),
        ``excluded`` (unknown or out-of-county home); with ``population`` also ``residents``,
        ``residents_in_flagged``, ``residents_share``, ``ratio``, ``ratio_low``, ``ratio_high``,
        ``ratio_method``.

    Examples
    --------
    >>> import pandas as pd
    >>> homes = pd.Series(["a", "a", "b", None], index=["p1", "p2", "p3", "p4"], dtype="string")
    >>> people_in_areas(homes, pd.Series({"a": True, "b": False}))
    {'people': 3, 'in_flagged': 2, 'share': 0.6666666666666666, 'excluded': 1}
    """
    flag = flag.astype(bool)
    homes = pd.Series(homes, dtype="string")
    known = homes.notna().to_numpy(dtype=bool) & isin(homes, flag.index)  # Arrow hash set, not pandas' per-code loop
    inside = homes[known]
    in_flagged = int(flag.reindex(inside.to_numpy()).to_numpy().sum()) if len(inside) else 0
    people = int(known.sum())
    out = {"people": people, "in_flagged": in_flagged, "share": in_flagged / people if people else float("nan"),
           "excluded": int((~known).sum())}
    if population is not None:
        from sna_lib.measures.significance import share_vs_baseline

        pop = pd.Series(population, dtype=float).reindex(flag.index, fill_value=0.0)
        base = share_vs_baseline(in_flagged, people, float(pop[flag.to_numpy()].sum()), float(pop.sum()))
        out.update({"residents": base.baseline_of, "residents_in_flagged": base.baseline_count,
                    "residents_share": base.baseline_share, "ratio": base.ratio, "ratio_low": base.ratio_low,
                    "ratio_high": base.ratio_high, "ratio_method": base.method})
    return out


def urban_nte_share(crimes: pd.DataFrame, crime_ids, geography: pd.DataFrame, *,
                    years: Iterable[int] | None = None) -> pd.DataFrame:
    """Share of (SV) crimes in urban and in night-time-economy LSOAs.

    Returns a frame with rows ``urban`` and ``nte`` and columns ``crimes`` (in the flagged
    LSOAs), ``total`` (crimes with a known flag) and ``share``; a flag missing from the
    geography gives NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> geo = pd.DataFrame({"lsoa_code": ["a", "b"], "urban": [True, False], "nte": [True, False]})
    >>> crimes = pd.DataFrame({"crime_id": ["1", "2", "3", "4"], "lsoa_code": ["a", "a", "a", "b"],
    ...                        "date": pd.to_datetime(["2022-01-01"] * 4)})
    >>> urban_nte_share(crimes, ["1", "2", "3", "4"], geo)["share"].tolist()
    [0.75, 0.75]
    """
    codes = pd.Index(geography["lsoa_code"].astype(str))
    rows = select_crimes(crimes, crime_ids)
    if years is not None:
        rows = rows[rows["date"].dt.year.isin(list(years))]
    counts = rows["lsoa_code"].astype(str).value_counts().reindex(codes, fill_value=0)
    out = {}
    for column in ("urban", "nte"):
        if column not in geography.columns:
            out[column] = {"crimes": np.nan, "total": np.nan, "share": np.nan}
            continue
        flag = pd.Series(geography[column].to_numpy(), index=codes).astype("boolean")
        known = flag.notna().to_numpy()
        total = int(counts[known].sum())
        hit = int(counts[known & flag.fillna(False).to_numpy(dtype=bool)].sum())
        out[column] = {"crimes": hit, "total": total, "share": hit / total if total else np.nan}
    return pd.DataFrame(out).T


def csp_breakdown(crimes: pd.DataFrame, crime_ids, geography: pd.DataFrame, population: pd.DataFrame, *,
                  years: Iterable[int]) -> pd.DataFrame:
    """Crimes, share of the county, rate per 1,000 and ranks by CSP over ``years``.

    The rate is crimes over the period per 1,000 residents, with residents the CSP
    population averaged over the period's years (so a five-year rate is five years of
    crimes per 1,000 residents). ``share_change = share − share_previous`` (a proportion:
    0.04 = 4 percentage points), against the same-length period one year earlier, e.g.
    2022 vs 2021 for a single year (NaN when the earlier period has no crimes).

    Returns
    -------
    pandas.DataFrame
        indexed by CSP: ``crimes``, ``share``, ``population``, ``rate_per_1000``,
        ``rank_share``, ``rank_rate`` (1 = highest, ties share the minimum rank),
        ``share_previous``, ``share_change``.

    Examples
    --------
    >>> import pandas as pd
    >>> geo = pd.DataFrame({"lsoa_code": ["a", "b"], "area": ["North", "South"]})
    >>> pop = pd.DataFrame({"lsoa_code": ["a", "b"] * 2, "year": [2021, 2021, 2022, 2022], "age": 0,
    ...                     "population": [1000, 3000, 1000, 3000]})
    >>> crimes = pd.DataFrame({"crime_id": list("123456"), "lsoa_code": list("aabbbb"),
    ...                        "date": pd.to_datetime(["2022-01-01"] * 3 + ["2021-01-01"] * 3)})
    >>> csp_breakdown(crimes, list("123456"), geo, pop, years=[2022])[["crimes", "rate_per_1000"]].values.tolist()
    [[2.0, 2.0], [1.0, 0.3333333333333333]]
    """
    years = sorted(int(y) for y in years)
    codes = geography["lsoa_code"].astype(str)
    area = pd.Series(geography["area"].astype(str).to_numpy(), index=pd.Index(codes))
    csps = pd.Index(sorted(area.unique()), name="area")

    def period_counts(period):
        c = pd.Series(0.0, index=pd.Index(codes))
        for y in period:
            c = c.add(crimes_by_lsoa(crimes, crime_ids, lsoa_codes=pd.Index(codes), year=y), fill_value=0)
        return c.groupby(area).sum().reindex(csps, fill_value=0.0)

    current = period_counts(years)
    previous = period_counts([y - 1 for y in years])
    pop = pd.concat([lsoa_population(population, y).reindex(codes, fill_value=0.0) for y in years], axis=1).mean(axis=1)
    pop_csp = pop.groupby(area.reindex(pop.index)).sum().reindex(csps, fill_value=0.0)
    out = pd.DataFrame({"crimes": current, "share": current / current.sum() if current.sum() else np.nan,
                        "population": pop_csp})
    out["rate_per_1000"] = (out["crimes"] / out["population"].where(out["population"] > 0)) * 1000
    out["rank_share"] = out["share"].rank(ascending=False, method="min").astype("Int64")
    out["rank_rate"] = out["rate_per_1000"].rank(ascending=False, method="min").astype("Int64")
    out["share_previous"] = previous / previous.sum() if previous.sum() else np.nan
    out["share_change"] = out["share"] - out["share_previous"]
    out.attrs["years"] = (years[0], years[-1])
    return out


def ambulance_counts(ambulance: pd.DataFrame, *, lsoa_codes: pd.Index, year: int,
                     categories: Iterable[str] = AMBULANCE_TRAUMA) -> pd.Series:
    """Ambulance serious-trauma calls per LSOA in ``year``.

    Examples
    --------
    >>> import pandas as pd
    >>> amb = pd.DataFrame({"call_id": ["1", "2"], "lsoa_code": ["a", "a"], "category": ["stab_gunshot_penetrating_trauma", "x"],
    ...                     "date": pd.to_datetime(["2022-01-01", "2022-01-01"])})
    >>> ambulance_counts(amb, lsoa_codes=pd.Index(["a", "b"]), year=2022).to_dict()
    {'a': 1, 'b': 0}
    """
    rows = ambulance[(ambulance["date"].dt.year == year) & ambulance["category"].isin(list(categories))]
    counts = rows["lsoa_code"].astype(str).value_counts().reindex(lsoa_codes, fill_value=0).astype("int64")
    counts.index.name = "lsoa_code"
    return counts


def elevated_overlap(elevated: pd.Series, other: pd.Series) -> dict:
    """Of the LSOAs elevated in one layer, how many are elevated in the other.

    Examples
    --------
    >>> import pandas as pd
    >>> sv = pd.Series({"a": True, "b": True, "c": True, "d": False})
    >>> amb = pd.Series({"a": True, "b": True, "c": False, "d": True})
    >>> elevated_overlap(sv, amb)
    {'elevated': 3, 'both': 2, 'share': 0.6666666666666666}
    """
    elevated = elevated.astype(bool)
    other = other.astype(bool).reindex(elevated.index, fill_value=False)
    n = int(elevated.sum())
    both = int((elevated & other).sum())
    return {"elevated": n, "both": both, "share": both / n if n else float("nan")}


def place_statements(dataset, layers: pd.DataFrame, *, sv_ids, year: int | None = None,
                     settings: dict | None = None, weights=None) -> dict:
    """Every reference statement of sections 12–13 for one year, from factor layers.

    Parameters
    ----------
    dataset : Dataset
    layers : pandas.DataFrame
        :func:`sna_lib.index.factors.build_factor_layers` output for ``year``.
    sv_ids : iterable of str
        serious-violence crime ids.

    Returns
    -------
    dict
        ``suspects_above_average_deprivation``, ``suspects_over_statement_deprivation``,
        ``suspects_persistent_da``, ``suspects_victims_disorganisation`` (each a
        :func:`people_in_areas` dict), ``urban_nte`` (frame, the persistence window:
        :func:`~sna_lib.index.persistence.window_years`),
        ``csp_year`` and ``csp_window`` (frames), ``sv_trauma_overlap`` (dict).

    Examples
    --------
    >>> statements = place_statements(ds, layers, sv_ids=ids, year=2022)   # doctest: +SKIP
    """
    from sna_lib.index.hotspots import hotspots, index_settings, weights_for
    from sna_lib.index.persistence import window_years

    settings = settings or index_settings(dataset.config)
    year = int(year if year is not None else layers.attrs.get("year", dataset.config.reporting_year))
    years = window_years(year, settings["persistence"]["window"], getattr(dataset.config, "first_year", None) or None)
    geography = dataset.geography
    crimes, persons = linked_tables(dataset.crimes, dataset.persons, sv_ids)
    sv_ids = np.ones(len(crimes), dtype=bool)            # every row of the slim table qualifies
    suspects = person_homes(crimes, persons, sv_ids, roles=("suspect",), year=year)
    both = person_homes(crimes, persons, sv_ids, roles=("suspect", "victim"), year=year)
    weights = weights or weights_for(geography, settings)
    trauma = ambulance_counts(dataset.ambulance, lsoa_codes=weights.ids, year=year)
    base = layers["population"] if "population" in layers else None
    trauma_hot = hotspots(trauma, weights=weights, base=base, settings=settings)["hot"]
    return {
        "year": year,
        "suspects_above_average_deprivation": people_in_areas(suspects, layers["deprivation_above_average"], base),
        "suspects_over_statement_deprivation": people_in_areas(suspects, layers["deprivation_over_statement_share"],
                                                               base),
        "suspects_persistent_da": people_in_areas(suspects, layers["da_victim_homes_persistent"], base),
        "suspects_victims_disorganisation": people_in_areas(both, layers["disorganisation_hot"], base),
        "urban_nte": urban_nte_share(crimes, sv_ids, geography, years=years),
        "csp_year": csp_breakdown(crimes, sv_ids, geography, dataset.population, years=[year]),
        "csp_window": csp_breakdown(crimes, sv_ids, geography, dataset.population, years=years),
        "sv_trauma_overlap": elevated_overlap(layers["sv_offences_hot"], trauma_hot),
    }


def sv_hotspot_history(dataset, *, sv_ids, year: int | None = None, settings: dict | None = None,
                       weights=None, source=None) -> pd.DataFrame:
    """SV offence hot spots over the persistence window: persistence, new, emerging category.

    Reference 12 ("persistence of serious violence hotspots … 2018–2022") and Reference 13
    ("twenty LSOAs which were new hotspots in 2022 … half of these were in Basildon").

    ``source`` (a :class:`~sna_lib.index.factors.FactorSource` on the same SV ids, settings and
    weights) lends its selected SV crimes and populations instead of selecting them again.

    Returns
    -------
    pandas.DataFrame
        indexed by ``lsoa_code``: ``area``, one ``hot_<year>`` column per year,
        ``years_hot``, ``hot_now``, ``new`` and ``category`` (emerging hot-spot category).
        ``attrs["window"]`` is the (first, last) year; years before ``config.first_year``
        are left out of the window.

    Examples
    --------
    >>> h = sv_hotspot_history(ds, sv_ids=ids, year=2022)      # doctest: +SKIP
    >>> h[h["new"]].groupby("area").size()                      # doctest: +SKIP
    """
    from sna_lib.index.emerging import emerging_hotspots
    from sna_lib.index.hotspots import index_settings, weights_for
    from sna_lib.index.persistence import hotspots_by_year, persistence, wide, window_years

    config = dataset.config
    settings = settings or index_settings(config)
    year = int(year if year is not None else config.reporting_year)
    years = window_years(year, settings["persistence"]["window"], getattr(config, "first_year", None) or None)
    if source is not None:
        weights, crimes = source.weights, source.sv_crimes
        base = pd.DataFrame({y: source.population(y) for y in years})
    else:
        weights = weights or weights_for(dataset.geography, settings)
        crimes = select_crimes(dataset.crimes[["crime_id", "date", "lsoa_code"]], sv_ids)
        base = pd.DataFrame({y: lsoa_population(dataset.population, y).reindex(weights.ids, fill_value=0.0)
                             for y in years})
    everything = np.ones(len(crimes), dtype=bool)
    counts = pd.DataFrame({y: crimes_by_lsoa(crimes, everything, lsoa_codes=weights.ids, year=y) for y in years})
    results = hotspots_by_year(counts, weights=weights, base=base, settings=settings)
    hot = wide(results, "hot")
    out = pd.DataFrame({"area": pd.Series(dataset.geography["area"].astype(str).to_numpy(),
                                          index=dataset.geography["lsoa_code"].astype(str)).reindex(weights.ids)})
    for y in years:
        out[f"hot_{y}"] = hot[y].to_numpy()
    out = out.join(persistence(hot, end_year=year, window=len(years)))
    if "gi_z" in results[year]:
        levels = sorted(settings["hotspots"].get("levels", (0.90, 0.95, 0.99)))
        level_bin = 1 + min(range(len(levels)), key=lambda i: abs(levels[i] - settings["hotspots"]["confidence"]))
        em = settings["emerging"]
        trend_alpha = em.get("trend_alpha") or (1 - settings["hotspots"]["confidence"])
        emerging = emerging_hotspots(wide(results, "gi_z"), wide(results, "bin"), confidence_bin=level_bin,
                                     trend_alpha=trend_alpha, share=em.get("hot_share", 0.9),
                                     rounding=em.get("share_rounding", "floor"))
        out["category"] = emerging["category"]
    out.index.name = "lsoa_code"
    out.attrs["window"] = (years[0], year)
    return out
