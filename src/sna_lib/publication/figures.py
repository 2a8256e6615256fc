"""``sna figures``: every published number of one area, read from the publication store only.

:func:`store_figures` turns the cells of one area of a
:class:`~sna_lib.publication.store.PublishedStore` into a flat ``{key: value}`` mapping;
:func:`render_figures` writes :func:`figure_rows` as deterministic JSON or CSV text (``sna
figures`` gets the store of a data folder the way a build does and renders it with these:
:func:`sna_lib.book.stores.export_figures`). Nothing here reads records, data folders or applies
disclosure control: a number is exported exactly when the store publishes it, and a withheld
cell is exported as the suppression marker.

Keys
----
* every cell: ``<table>.<row>.<column>`` (e.g. ``sv.headline.reporting_year.sv_pct``), except
  the headline figures of the reference SNA sections 3, 5, 8 and 11, which keep their earlier
  dotted names (``section3.volumes.all_crime.volume``, ``section8.table_A.knife_sv.after``…):
  :data:`SECTION_KEYS` maps each to its cell, one table for all of them;
* the labels published with the numbers (periods, windows, methods) from the store's
  provenance: ``text.<table>.<path>``, or a section name from :data:`SECTION_KEYS`;
* ``meta.*``: area, county, period, data span and disclosure rules of the store.

Values: published numbers as numbers (counts as ints), withheld cells as the marker (``[c]``),
no data as ``null`` (JSON) or an empty field (CSV); labels as text. The CSV has the columns
``figure, value, table, row, column`` (the last three name the store cell; empty for labels and
meta), every text field neutralised for spreadsheets.

Examples
--------
A store whose county SV count (1,539) is North (4, withheld) + South (1,500) + East (35):

>>> import tempfile, pathlib
>>> from sna_lib.publication import cells, control, store
>>> b = cells.CellBuilder()
>>> for area, n in {"North": 4, "South": 1500, "East": 35, "county": 1539}.items():
...     _ = b.count(table="sv.headline", area=area, row="reporting_year", column="sv", value=n)
>>> _ = b.sum_over_areas("sv.headline")
>>> frame, links = b.frame()
>>> where = pathlib.Path(tempfile.mkdtemp()) / "store"
>>> store.write_store(where, control.control(frame, links), links, {"county": "Demo"})
>>> south, north = (store_figures(store.PublishedStore(where), a) for a in ("South", "North"))
>>> south["sv.headline.reporting_year.sv"], north["sv.headline.reporting_year.sv"], north["meta.area"]
(1500, '[c]', 'North')
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any


__all__ = ["SECTION_KEYS", "figure_rows", "render_figures", "store_figures"]

_ROLES = (("suspect", "suspects"), ("victim", "victims"))
_KEY_MEASURES = ("A:knife_sv", "A:non_domestic_homicide", "A:u25_hospital", "B:knife_sv",
                 "C:non_domestic_homicide", "D:u25_hospital", "E:knife_homicide")


def _section_keys() -> dict[str, tuple[str, ...]]:
    """The one table of earlier section names: key → ``("cell", table, row, column)`` or
    ``("text", table, *path)`` (a label in the store's provenance, by area where it varies)."""
    keys: dict[str, tuple[str, ...]] = {}
    volumes = {"All crime": "volumes.all_crime", "All violence": "volumes.all_violence",
               "All serious violence": "volumes.all_serious_violence",
               "Serious violence (partnership)": "volumes.serious_violence_partnership",
               "Domestic Abuse": "shares.domestic_abuse", "Sexual Offences": "shares.sexual_offences",
               "Violence Against Women and Girls": "shares.violence_against_women_and_girls"}
    for row, name in volumes.items():
        for column in ("volume", "volume_rounded", "pct_of_crime"):
            keys[f"section3.{name}.{column}"] = ("cell", "context.crime", row, column)
    people = {"records": "records", "people": "unique", "repeat_records": "repeat_records",
              "repeat_records_pct": "repeat_within_year_pct", "repeat_people": "repeat_people",
              "previous_five_years": "previous_five_years", "previous_five_years_pct": "previous_five_years_pct"}
    ages = {"unknown_age": "age_unknown", "known_age": "known_age", "under_25": "under_25",
            "aged_25_plus": "aged_25_plus", "under_25_pct": "under_25_pct", "aged_25_plus_pct": "aged_25_plus_pct"}
    features = {"incline_start": "incline_start", "peak": "peaks", "dip": "dips", "plateau_start": "plateau_start",
                "rises_again": "rises_again"}
    for role, plural in _ROLES:
        for column, name in people.items():
            keys[f"section3.people.{plural}.{name}"] = ("cell", "people.summary", role, column)
        for column, name in ages.items():
            keys[f"section11.{plural}.{name}"] = ("cell", "people.age_summary", role, column)
        for column, name in features.items():
            keys[f"section11.{plural}.age_features.{name}"] = ("cell", "people.age_features", role, column)
    harm = {"offences": ("sv.harm_impact", "offences", "number"),
            "offences_equivalent": ("sv.harm_impact", "offences", "equivalent"),
            "offences_equivalent_exact": ("sv.harm_impact", "offences", "equivalent_exact"),
            "unique_suspects": ("sv.harm_impact", "suspects", "number"),
            "suspects_equivalent": ("sv.harm_impact", "suspects", "equivalent"),
            "suspects_equivalent_exact": ("sv.harm_impact", "suspects", "equivalent_exact"),
            "unique_victims": ("sv.harm_impact", "victims", "number"),
            "victims_equivalent": ("sv.harm_impact", "victims", "equivalent"),
            "victims_equivalent_exact": ("sv.harm_impact", "victims", "equivalent_exact"),
            "harm_ratio": ("sv.headline", "reporting_year", "harm_ratio"),
            "mean_harm_all": ("sv.harm", "all_crime", "mean_harm"),
            "mean_harm_subset": ("sv.harm", "serious_violence", "mean_harm")}
    for name, cell in harm.items():
        keys[f"section5.harm.{name}"] = ("cell", *cell)
    keys["section5.harm.weights"] = ("text", "sv.harm", "weights")
    keys["section5.sv_pct_of_crime"] = ("cell", "sv.headline", "reporting_year", "sv_pct")
    keys["section8.significance_method"] = ("text", "measures.key", "_method")
    for row in _KEY_MEASURES:
        base = "section8.table_{}.{}".format(*row.split(":"))
        for column in ("before", "after", "pct_change", "p_value", "significant", "p_value_holm",
                       "significant_holm"):
            keys[f"{base}.{column}"] = ("cell", "measures.key", row, column)
        for label in ("before_period", "after_period", "note"):
            keys[f"{base}.{label}"] = ("text", "measures.key", row, label)
    origins = {"in_county": "place:in county", "outside_county": "place:outside county", "unknown": "place:unknown"}
    for name, row in origins.items():
        keys[f"section11.suspects.origin.{name}"] = ("cell", "people.origins", row, "suspects")
    keys["section11.suspects.origin.outside_county_pct"] = ("cell", "people.origins", "place:outside county",
                                                            "pct_of_known")
    keys["section11.overlap.victims_also_suspects"] = ("cell", "people.windows", "overlap", "count")
    keys["section11.overlap.pct_of_victims"] = ("cell", "people.windows", "overlap", "pct")
    keys["section11.overlap.window"] = ("text", "people.windows", "overlap_window")
    keys["section11.suspects.domestic_abuse_link"] = ("cell", "people.windows", "domestic_abuse", "count")
    keys["section11.suspects.domestic_abuse_link_pct"] = ("cell", "people.windows", "domestic_abuse", "pct")
    keys["section11.suspects.domestic_abuse_link_window"] = ("text", "people.windows", "da_window")
    return keys


#: Earlier ``sna figures`` names of the reference SNA's headline figures → where the store
#: publishes them (``("cell", table, row, column)`` or ``("text", table, *path)``).
SECTION_KEYS: dict[str, tuple[str, ...]] = _section_keys()
_BY_SOURCE = {source: key for key, source in SECTION_KEYS.items()}
if len(_BY_SOURCE) != len(SECTION_KEYS):  # pragma: no cover - a programming error
    raise RuntimeError("SECTION_KEYS maps two names to one store cell")


def _number(value: Any, marker: str) -> Any:
    from sna_lib.publication.disclosure import is_suppressed

    if is_suppressed(value):
        return marker
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _text_leaves(value: Any, areas: set[str], area: str, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Labels under one provenance entry; a mapping keyed by area names gives ``area``'s entry."""
    if isinstance(value, Mapping):
        if value and set(map(str, value)) <= areas:
            if area in value:
                yield from _text_leaves(value[area], areas, area, path)
            return
        for k in sorted(value, key=str):
            yield from _text_leaves(value[k], areas, area, (*path, str(k)))
    elif isinstance(value, (list, tuple)):
        yield path, ";".join(str(v) for v in value)
    elif value is not None and value != "":
        yield path, str(value)


def figure_rows(store: Any, area: str) -> list[tuple[str, Any, tuple[str, str, str] | None]]:
    """``(key, value, (table, row, column) or None)`` for every published cell, label and meta
    entry of ``area`` in ``store``, sorted by key.

    Raises
    ------
    KeyError
        When the store has no cell for ``area``.
    ValueError
        When two entries would get the same key (a store row named like another key).
    """
    if area not in store.areas:
        raise KeyError(f"the published store has no area {area!r}")
    marker = store.marker
    rows: list[tuple[str, Any, tuple[str, str, str] | None]] = []
    cells = store.cells[store.cells["area"].astype(str) == area]
    for table, declared in cells.groupby("table", sort=True):
        frame = store.table(table, area)
        for row, column in zip(declared["row"].astype(str), declared["column"].astype(str)):
            source = ("cell", str(table), row, column)
            key = _BY_SOURCE.get(source, f"{table}.{row}.{column}")
            rows.append((key, _number(frame.at[row, column], marker), source[1:]))
    prov = store.provenance
    areas = set(store.areas)
    for table, entry in sorted((prov.get("text") or {}).items()):
        for path, text in _text_leaves(entry, areas, area, ()):
            source = ("text", str(table), *path)
            rows.append((_BY_SOURCE.get(source, ".".join(("text", *source[1:]))), text, None))
    disclosure = prov.get("disclosure") or {}
    meta = {"area": area, "county": prov.get("county"), "reporting_year": prov.get("reporting_year"),
            "rolling_end": prov.get("rolling_end"), "data_as_at": prov.get("data_as_at"),
            "first_date": prov.get("first_date"), "last_date": prov.get("last_date"),
            "synthetic": prov.get("synthetic"),
            "sv_definition": ((prov.get("text") or {}).get("sv.annual") or {}).get("primary"),
            "disclosure": (f"counts {disclosure.get('suppress_min')}-{disclosure.get('suppress_max')} below county "
                           f"level, and any cell that would let them be worked out, shown as {marker}"
                           if disclosure else None),
            "source": "the disclosure-controlled publication store (every number here is published in the book)"}
    rows += [(f"meta.{k}", v, None) for k, v in meta.items() if v is not None]
    rows.sort(key=lambda r: r[0])
    seen = [r[0] for r in rows]
    if len(set(seen)) != len(seen):
        dup = sorted({k for k in seen if seen.count(k) > 1})
        raise ValueError(f"figure keys are not unique for {area!r}: {dup[:5]}")
    return rows


def store_figures(store: Any, area: str) -> dict[str, Any]:
    """Every published figure of ``area`` as ``{key: value}`` (see the module notes), keys sorted."""
    return {key: value for key, value, _ in figure_rows(store, area)}


def _csv_text(value: Any) -> str:
    from sna_lib.data.tableio import neutralise_text

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(neutralise_text(str(value)))


def render_figures(rows: list[tuple[str, Any, tuple[str, str, str] | None]], fmt: str = "json") -> str:
    """:func:`figure_rows` as JSON (``{"figures": {...}}``, sorted keys) or CSV (``figure, value,
    table, row, column``; every text field neutralised for spreadsheets)."""
    if fmt == "json":
        return json.dumps({"figures": {k: v for k, v, _ in rows}}, sort_keys=True, indent=1, ensure_ascii=False,
                          allow_nan=False) + "\n"
    if fmt != "csv":
        raise ValueError("fmt must be 'json' or 'csv'")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["figure", "value", "table", "row", "column"])
    for key, value, cell in rows:
        writer.writerow([_csv_text(key), _csv_text(value), *(_csv_text(v) for v in (cell or ("", "", "")))])
    return out.getvalue()
