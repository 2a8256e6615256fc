"""Serious violence per calendar month (the area-profile trend's monthly view), county + every CSP.

Table ``sv.monthly``: rows ``YYYY-MM`` for every month of the two calendar years ending with the
year of ``rolling_end``, columns ``offences`` (count), ``population`` (the area's residents in
the latest population year not after the month's, exempt) and ``rate_per_1000`` (derived).
Relations: the county's month = the sum of the CSPs' (at least, when crimes fall outside every
CSP) and each whole calendar year's months add up to that year's ``sv.annual`` count, so a
withheld month cannot be recovered from a year total or from the county line.

Examples
--------
>>> import datetime as dt
>>> from types import SimpleNamespace as NS
>>> [str(m) for m in months_shown(NS(rolling_end=dt.date(2023, 7, 31)))][::6]
['2022-01', '2022-07', '2023-01', '2023-07']
>>> len(months_shown(NS(rolling_end=dt.date(2023, 7, 31))))
24
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna_lib.publication.cells import CellBuilder, cell_id

__all__ = ["add_monthly_cells", "months_shown"]


def months_shown(config: Any) -> list[pd.Period]:
    """Every month of the two calendar years ending with the year of ``config.rolling_end``."""
    end = pd.Period(config.rolling_end, freq="M")
    return list(pd.period_range(f"{end.year - 1}-01", f"{end.year}-12", freq="M"))


def add_monthly_cells(b: CellBuilder, prep: Any, dataset: Any) -> None:
    """Declare ``sv.monthly`` for every area (see the module docstring)."""
    from sna_lib.publication.compute import COUNTY, _ratio, _Table, area_counts

    months = months_shown(dataset.config)
    crimes = prep.crimes
    sv = crimes[crimes["sv"].to_numpy(dtype=bool)]
    frame = pd.DataFrame({"area": sv["area"].to_numpy(), "month": pd.to_datetime(sv["date"]).dt.strftime("%Y-%m")})
    labels = [str(m) for m in months]
    counts = area_counts(frame[frame["month"].isin(labels)], ["month"], prep.areas, levels={"month": labels})
    pop = dataset.population.groupby(["lsoa_code", "year"], as_index=False)["population"].sum()
    geo = dataset.geography
    area_of = pd.Series(geo["area"].astype(str).to_numpy(), index=geo["lsoa_code"].astype(str).to_numpy())
    pop["area"] = pop["lsoa_code"].astype(str).map(area_of)
    by_area = pop.groupby(["area", "year"])["population"].sum()
    by_county = pop.groupby("year")["population"].sum()
    years = sorted(int(y) for y in by_county.index)

    def residents(area: str, year: int) -> float:
        ys = [y for y in years if y <= year] or years
        if not ys:
            return 0.0
        return float(by_county.get(ys[-1], 0.0) if area == COUNTY else by_area.get((area, ys[-1]), 0.0))

    t = _Table(b, "sv.monthly", prep)
    for area in prep.areas:
        ids: dict[int, list[str]] = {}
        for month, label in zip(months, labels):
            n = int(counts[(area, label)])
            c = t.count(area, label, "offences", n)
            ids.setdefault(month.year, []).append(c)
            people = residents(area, month.year)
            p = t.exempt(area, label, "population", round(people), reason="resident population (ONS estimate)",
                         decimals=0)
            t.derived(area, label, "rate_per_1000", _ratio(n, people, 1000) if people else float("nan"), [c, p],
                      op="ratio", scale=1000, decimals=3)
        for year, parts in ids.items():
            total = cell_id("sv.annual", area, year, prep.primary)
            if total in b._cells:
                b.additive(total=total, parts=parts)
    t.across(labels, ["offences"])
