"""Published tables of the place section (notebook ``07_place``), county + every CSP in one pass.

Tables (``table`` → rows × columns; *area* ``county`` and every CSP unless said):

``place.urban_nte``
    ``urban`` / ``nte`` × ``offences`` (serious violence in the persistence window in urban /
    night-time-economy LSOAs of the area), ``total`` (in LSOAs whose flag is known) — counts —
    and ``share_pct`` (derived). Relations: each CSP's ``offences`` is the sum of its flagged
    LSOAs' window counts in ``place.lsoa_rate`` (the attacker knows which LSOAs are urban from
    the public geography); ``total`` is the same count as the window total of
    ``place.profile``; the county is the sum of the CSPs.
``place.csp``
    CSPs only, one row ``csp``: ``share_pct`` (of the county's SV in the reporting year),
    ``share_change_pts`` (on the year before, percentage points), ``window_rate_per_1000``,
    ``window_rank`` — derived from the counts of ``place.profile`` they are computed from (so
    they are withheld with those counts) — and ``window_population`` (exempt: mean resident
    population of the window years, an ONS estimate).
``place.hotspot_lsoas``
    county only, one row per LSOA: ``bin`` (Gi* confidence bin −3…3 of the reporting year),
    ``years_hot``, ``hot_now``, ``new`` (1/0). **Exempt**: a hotspot flag or bin is the
    significance of an LSOA's count *together with its neighbours'* against permutations of
    all the other LSOAs' counts — a statistic of the spatial pattern that cannot be inverted to
    the LSOA's count (many different counts give the same bin), the neighbourhood-level output
    the reference SNA maps.
``place.hotspots``
    one row ``lsoas``: ``hot_now``, ``new`` — numbers of *neighbourhoods* (exempt: counts of
    areas flagged by the statistic above, sums of the published flags; no record or person is
    counted).
``place.trauma``
    county only, one row ``overlap``: ``elevated`` (LSOAs with elevated SV), ``both`` (of which
    also elevated ambulance serious-trauma calls), ``share_pct`` — exempt, numbers and shares of
    neighbourhoods flagged by hotspot statistics (as above).

Text (period labels, the hotspot method) goes to ``provenance["text"]["place"]``: ``window`` /
``persistence_years`` (the years analysed, :func:`~sna_lib.index.persistence.window_years`: never
before the records start), ``persistence_window`` (their number), ``previous_years``.

Examples
--------
>>> from sna_lib.publication.compute import publication_cells         # doctest: +SKIP
>>> cells, relations, prov = publication_cells(ds)                    # doctest: +SKIP
>>> cells.query("table == 'place.urban_nte' and area == 'county'")    # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sna_lib.publication.cells import CellBuilder, cell_id
from sna_lib.publication.compute import series_dict
from sna_lib.publication.tables.index_inputs import index_inputs

__all__ = ["add_place_cells", "HOTSPOT_REASON", "AREA_COUNT_REASON"]

COUNTY = "county"
#: Why LSOA hotspot flags and bins are published as they are.
HOTSPOT_REASON = ("hotspot statistic (Gi* bin/flag of an LSOA with its neighbours against permutations of the "
                  "other LSOAs): not invertible to a count")
#: Why numbers of flagged neighbourhoods are published as they are.
AREA_COUNT_REASON = "number or share of neighbourhoods flagged by a hotspot statistic (areas, not records or people)"


def _value(b: CellBuilder, cid: str) -> float:
    cell = b._cells.get(cid)
    return math.nan if cell is None else float(cell["value"])


def _pct(a: float, b: float) -> float:
    return 100.0 * a / b if b else math.nan


def _relate_if_holds(b: CellBuilder, total: str, parts: list[str], sense: str = "=") -> None:
    """Declare ``total (=|>=|<=) sum(parts)`` when every cell exists and the relation holds."""
    values = [_value(b, c) for c in [total, *parts]]
    if not parts or any(math.isnan(v) for v in values):
        return
    t, s = values[0], sum(values[1:])
    if sense == "=" and t != s:
        sense = ">=" if t > s else "<="
    if sense == "=":
        b.additive(total=total, parts=parts)
    elif sense == ">=" and t >= s:
        b.at_least(total=total, parts=parts)
    elif sense == "<=" and t <= s:
        b.at_most(total=total, parts=parts)


def _lsoa_area(dataset) -> pd.Series:
    geo = dataset.geography
    return pd.Series(geo["area"].astype(str).to_numpy(), index=pd.Index(geo["lsoa_code"].astype(str)))


def _urban_nte(b: CellBuilder, prep, dataset, window_years: list[int]) -> None:
    from sna_lib.index.place import urban_nte_share

    geo = dataset.geography
    area_of = _lsoa_area(dataset)
    crimes = dataset.crimes
    sv = prep.crimes["sv"].to_numpy(dtype=bool)
    in_window = sv & np.isin(prep.crimes["year"].to_numpy(), window_years)
    counts = (crimes.loc[in_window, "lsoa_code"].astype(str).value_counts()
              .reindex(area_of.index, fill_value=0).astype("int64"))
    label = f"window:{window_years[0]}-{window_years[-1]}"
    ids: dict[tuple[str, str, str], str] = {}
    for column in ("urban", "nte"):
        if column not in geo.columns:
            continue
        flag = pd.Series(geo[column].to_numpy(), index=area_of.index).astype("boolean")
        known = flag.notna().to_numpy()
        hit = known & flag.fillna(False).to_numpy(dtype=bool)
        for area in prep.areas:
            inside = np.ones(len(area_of), dtype=bool) if area == COUNTY else (area_of.to_numpy() == area)
            n_hit, n_total = int(counts[inside & hit].sum()), int(counts[inside & known].sum())
            c = b.count(table="place.urban_nte", area=area, row=column, column="offences", value=n_hit)
            t = b.count(table="place.urban_nte", area=area, row=column, column="total", value=n_total)
            ids[(area, column, "offences")], ids[(area, column, "total")] = c, t
            b.derived(table="place.urban_nte", area=area, row=column, column="share_pct",
                      value=_pct(n_hit, n_total), of=[c, t], op="ratio", scale=100, decimals=1)
            if area != COUNTY:
                codes = area_of.index[inside & hit]
                _relate_if_holds(b, c, [cell_id("place.lsoa_rate", area, code, "offences") for code in codes
                                        if cell_id("place.lsoa_rate", area, code, "offences") in b._cells])
            _relate_if_holds(b, t, [cell_id("place.profile", area, label, "offences")])
        for measure in ("offences", "total"):
            _relate_if_holds(b, ids[(COUNTY, column, measure)], [ids[(a, column, measure)] for a in prep.csps])
    # the same numbers the page showed when it computed them itself (county, same window)
    check = urban_nte_share(crimes, prep.crimes.loc[sv, "crime_id"], geo, years=window_years)
    for column in ("urban", "nte"):
        if (COUNTY, column, "offences") in ids and not (check.loc[column, "crimes"] ==
                                                        _value(b, ids[(COUNTY, column, "offences")])):
            raise AssertionError(f"place.urban_nte {column}: {check.loc[column, 'crimes']} != published count")


def _csp_comparison(b: CellBuilder, prep, dataset, window_years: list[int]) -> None:
    from sna_lib.index.factors import lsoa_population

    year = prep.year
    label = f"window:{window_years[0]}-{window_years[-1]}"
    area_of = _lsoa_area(dataset)
    pops = [lsoa_population(dataset.population, y).reindex(area_of.index, fill_value=0.0) for y in window_years
            if y in set(int(v) for v in dataset.population["year"].unique())]
    mean_pop = (pd.concat(pops, axis=1).mean(axis=1).groupby(area_of).sum() if pops else pd.Series(dtype=float))
    rates, ids = {}, {}
    for area in prep.csps:
        win = cell_id("place.profile", area, label, "offences")
        pop = b.exempt(table="place.csp", area=area, row="csp", column="window_population",
                       value=round(float(mean_pop.get(area, math.nan)), 1) if len(mean_pop) else math.nan,
                       reason="mean resident population of the window years (ONS estimate)", decimals=0)
        if win in b._cells:
            rates[area] = 1000 * _value(b, win) / float(mean_pop[area]) if mean_pop.get(area, 0) else math.nan
            ids[area] = (win, pop)
        now, county_now = (cell_id("place.profile", a, year, "offences") for a in (area, COUNTY))
        before, county_before = (cell_id("place.profile", a, year - 1, "offences") for a in (area, COUNTY))
        if now in b._cells and county_now in b._cells:
            share = _pct(_value(b, now), _value(b, county_now))
            b.derived(table="place.csp", area=area, row="csp", column="share_pct", value=share,
                      of=[now, county_now], op="ratio", scale=100, decimals=1)
            if before in b._cells and county_before in b._cells:
                change = share - _pct(_value(b, before), _value(b, county_before))
                b.derived(table="place.csp", area=area, row="csp", column="share_change_pts", value=change,
                          of=[now, county_now, before, county_before], decimals=1)
    ranks = pd.Series(rates, dtype=float).rank(ascending=False, method="min")
    for area, (win, pop) in ids.items():
        b.derived(table="place.csp", area=area, row="csp", column="window_rate_per_1000", value=rates[area],
                  of=[win, pop], op="ratio", scale=1000, decimals=2)
        b.derived(table="place.csp", area=area, row="csp", column="window_rank",
                  value=float(ranks[area]) if np.isfinite(ranks[area]) else math.nan, of=[win], decimals=0)


def _hotspots(b: CellBuilder, prep, dataset, inputs) -> None:
    from sna_lib.index.place import sv_hotspot_history

    persistent = sv_hotspot_history(dataset, sv_ids=inputs.sv_ids, year=prep.year, settings=inputs.settings,
                                    weights=inputs.weights, source=inputs.source)
    bins = inputs.layers["sv_offences_bin"]
    area_of = _lsoa_area(dataset)
    looked_up = {"bin": series_dict(bins), **{c: series_dict(persistent[c]) for c in ("years_hot", "hot_now", "new")}}
    for code in area_of.index:
        for column, value in ((c, looked_up[c].get(code, math.nan if c == "bin" else None))
                              for c in ("bin", "years_hot", "hot_now", "new")):
            v = math.nan if value is None or pd.isna(value) else float(value)
            b.exempt(table="place.hotspot_lsoas", area=COUNTY, row=code, column=column, value=v, reason=HOTSPOT_REASON)
    frame = pd.DataFrame({"area": area_of.reindex(persistent.index.astype(str)).to_numpy(),
                          "hot_now": persistent["hot_now"].astype(bool).to_numpy(),
                          "new": persistent["new"].astype(bool).to_numpy()})
    by_csp = frame.groupby("area")[["hot_now", "new"]].sum()
    for area in prep.areas:
        for column in ("hot_now", "new"):
            n = int(frame[column].sum()) if area == COUNTY else int(by_csp[column].get(area, 0))
            b.exempt(table="place.hotspots", area=area, row="lsoas", column=column, value=n, reason=AREA_COUNT_REASON,
                     decimals=0)


def _trauma(b: CellBuilder, dataset, inputs) -> None:
    from sna_lib.index.hotspots import hotspots
    from sna_lib.index.place import ambulance_counts, elevated_overlap

    layers = inputs.layers
    trauma = ambulance_counts(dataset.ambulance, lsoa_codes=inputs.weights.ids, year=inputs.year)
    base = layers["population"] if "population" in layers else None
    trauma_hot = hotspots(trauma, weights=inputs.weights, base=base, settings=inputs.settings)["hot"]
    overlap = elevated_overlap(layers["sv_offences_hot"], trauma_hot)
    for column, value in (("elevated", overlap["elevated"]), ("both", overlap["both"]),
                          ("share_pct", round(100 * overlap["share"], 1) if overlap["elevated"] else math.nan)):
        b.exempt(table="place.trauma", area=COUNTY, row="overlap", column=column, value=value,
                 reason=AREA_COUNT_REASON, decimals=1 if column == "share_pct" else 0)


def add_place_cells(b: CellBuilder, prep, dataset, text: dict | None = None) -> None:
    """Declare the place tables (module docstring) for the county and every CSP.

    Needs ``place.profile`` and ``place.lsoa_rate`` declared first (it relates to their counts).

    Parameters
    ----------
    b : CellBuilder
    prep : Prepared
        :func:`sna_lib.publication.compute.prepare` of ``dataset``.
    dataset : Dataset
    text : dict, optional
        The provenance text mapping; ``text["place"]`` gets the window and hotspot method.
    """
    from sna_lib.index.hotspots.settings import hotspot_method

    from sna_lib.index.persistence import window_label, window_years

    inputs = index_inputs(prep, dataset)
    # the window analysed: the configured years ending at the reporting year, none before the records start
    years = window_years(prep.year, inputs.settings["persistence"]["window"],
                         getattr(dataset.config, "first_year", None) or None)
    _urban_nte(b, prep, dataset, years)
    _csp_comparison(b, prep, dataset, years)
    _hotspots(b, prep, dataset, inputs)
    _trauma(b, dataset, inputs)
    if text is not None:
        text["place"] = {"window": window_label(years), "window_row": f"window:{years[0]}-{years[-1]}",
                         "method": hotspot_method(inputs.settings), "persistence_window": len(years),
                         "persistence_years": window_label(years),
                         "previous_years": window_label(years[:-1]) if len(years) > 1 else ""}
