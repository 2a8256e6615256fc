"""The publication stage of an open-data book (``data_level: open``): every number its pages print.

police.uk open data carry a broad crime category and a month per crime, no offence code, flag or
person. :func:`open_publication_cells` reads such a validated dataset once — every crime and ASB
incident gets its CSP (from ``geography``) and month — and declares, for the county and every
CSP, the open pages' numbers on one :class:`~sna_lib.publication.cells.CellBuilder`:

* volumes by police.uk category, month, calendar quarter and year, rolling 12-month windows
  (missing months kept missing, periods over a gap labelled), rates per 1,000 residents with
  and without non-residential LSOAs (:mod:`~sna_lib.publication.tables.open_volumes`);
* category-mean harm (:mod:`~sna_lib.publication.tables.open_harm`);
* Gi* hot spots per complete quarter and their persistence, the non-residential flag, the risk
  index and its out-of-time check against the naive baseline
  (:mod:`~sna_lib.publication.tables.open_index`);
* records read / used / rejected by file and reason (:mod:`~sna_lib.publication.tables.open_quality`).

Disclosure control then runs once over all of it, exactly as for the full contract
(:func:`sna_lib.publication.compute.run_publication`). Every number comes from the functions the
open pages used when they computed for themselves (now in :mod:`sna_lib.measures.open_proxy`,
:mod:`sna_lib.data.periods` and :mod:`sna_lib.index`); text that goes with the numbers is in ``provenance["text"]``.

Examples
--------
>>> from sna_lib.data.dataset import load_dataset                         # doctest: +SKIP
>>> cells, relations, prov = open_publication_cells(load_dataset("essex-open"))  # doctest: +SKIP
>>> sorted(cells["table"].unique())[:2]                                   # doctest: +SKIP
['data.quality', 'data.quality_reasons']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sna_lib.publication.cells import CellBuilder, cell_id

__all__ = ["COUNTY", "OpenPrepared", "prepare_open", "open_publication_cells", "relate_across", "split_by_area"]

COUNTY = "county"


@dataclass
class OpenPrepared:
    """Open-data records with their CSP, computed once for every area.

    Attributes
    ----------
    crimes, asb : DataFrame
        The dataset's tables with an ``area`` column (CSP name).
    areas : list of str
        ``["county", *csps]``.
    csps : list of str
    coverage : sna_lib.data.periods.Coverage
        The months the data hold.
    lsoa_area : Series
        LSOA code → CSP.
    """

    crimes: pd.DataFrame
    asb: pd.DataFrame
    areas: list[str]
    csps: list[str]
    coverage: Any
    lsoa_area: pd.Series


def prepare_open(dataset) -> OpenPrepared:
    """Give every crime and ASB record its CSP (one map over the LSOA codes).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> geo = pd.DataFrame({"lsoa_code": ["E1", "E2"], "area": ["A", "B"]})
    >>> crimes = pd.DataFrame({"lsoa_code": ["E2", "E1"], "category": ["robbery"] * 2,
    ...                        "date": pd.to_datetime(["2018-01-01", "2018-02-01"])})
    >>> cov = NS(first_month="2018-01", last_month="2018-02", missing_months=())
    >>> ds = NS(geography=geo, crimes=crimes, asb=crimes.iloc[0:0], config=NS(csps=["A", "B"], coverage=cov))
    >>> prepare_open(ds).crimes["area"].tolist()
    ['B', 'A']
    """
    from sna_lib.data.periods import Coverage

    geo = dataset.geography
    lsoa_area = pd.Series(geo["area"].astype(str).to_numpy(), index=pd.Index(geo["lsoa_code"].astype(str)))

    def with_area(table: pd.DataFrame) -> pd.DataFrame:
        return table.assign(area=table["lsoa_code"].astype(str).map(lsoa_area).to_numpy())

    csps = list(dataset.config.csps)
    return OpenPrepared(with_area(dataset.crimes), with_area(dataset.asb), [COUNTY, *csps], csps,
                        Coverage.from_dataset(dataset), lsoa_area)


def split_by_area(table: pd.DataFrame, areas: Sequence[str]) -> dict[str, pd.DataFrame]:
    """``{area: rows}`` for the county (all rows) and every CSP, from one ``groupby`` (empty frames kept).

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["A", "B", "A"], "n": [1, 2, 3]})
    >>> {a: len(f) for a, f in split_by_area(t, ["county", "A", "B", "C"]).items()}
    {'county': 3, 'A': 2, 'B': 1, 'C': 0}
    """
    groups = {str(a): g for a, g in table.groupby("area", sort=False, observed=True)} if len(table) else {}
    return {a: table if a == COUNTY else groups.get(a, table.iloc[0:0]) for a in areas}


def relate_across(b: CellBuilder, table: str, rows: Iterable[Any], columns: Iterable[str], prep: OpenPrepared) -> None:
    """County = Σ CSPs (``>=`` when the county holds records outside every CSP) for each
    ``row``/``column`` count of ``table`` declared in every area with a known value."""
    from sna_lib.publication.tables.place import _relate_if_holds

    for row in rows:
        for column in columns:
            total = cell_id(table, COUNTY, row, column)
            parts = [cell_id(table, a, row, column) for a in prep.csps]
            if total in b._cells and all(p in b._cells for p in parts):
                _relate_if_holds(b, total, parts, ">=" if _value(b, total) > sum(_value(b, p) for p in parts) else "=")


def _value(b: CellBuilder, cid: str) -> float:
    return float(b._cells[cid]["value"]) if cid in b._cells else math.nan


def open_publication_cells(dataset, *, inputs: Mapping[str, str] | None = None, code: str | None = None,
                           git: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Every published number of an open-data book, county and every CSP: ``(cells, relations, provenance)``.

    Same contract as :func:`sna_lib.publication.compute.publication_cells` (which dispatches
    here for ``data_level: open``); ``provenance["text"]["open"]`` holds the page text (period
    labels, the sentences naming the data a part would need, methods and verdict).
    """
    from sna_lib import __version__
    from sna_lib.data.periods import data_period
    from sna_lib.publication.tables import open_harm, open_index, open_quality, open_volumes

    prep = prepare_open(dataset)
    b = CellBuilder()
    text: dict[str, Any] = {}
    open_volumes.add_open_volume_cells(b, prep, dataset, text)
    open_harm.add_open_harm_cells(b, prep, dataset, text)
    open_index.add_open_index_cells(b, prep, dataset, text)
    open_quality.add_open_quality_cells(b, prep, dataset, text)
    cells, relations = b.frame()
    config = dataset.config
    period = data_period(dataset)
    facts = {"reporting_year": int(config.reporting_year), "first_year": int(config.first_year),
             "rolling_end": str(config.rolling_end), "county": str(config.county), "synthetic": bool(config.synthetic),
             "data_level": "open"}
    provenance = {"inputs": dict(sorted((inputs or {}).items())), "code": code, "git": git, "version": __version__,
                  **period, "data_as_at": period["last_date"], **facts, "areas": list(prep.areas), "text": text}
    return cells, relations, provenance
