"""People measures whose windows come from ``config.people`` (county-wide look-ups).

Table ``people.windows``, for the county and every CSP, rows × columns ``count``, ``of``, ``pct``:

``overlap``
    victims of serious violence in the area in the ``overlap_years`` calendar years ending with
    the reporting year (``of``), and how many of them were suspects of serious violence
    *anywhere in the county* in the same years (``count``);
``domestic_abuse``
    suspects of the reporting year's serious violence in the area (``of``, the same count as
    ``people.summary``), and how many were named in any role on a domestic-abuse crime anywhere
    in the county in the ``da_link_years`` years before the reporting year (or ending with it,
    with ``da_link_include_reporting_year``).

The window labels go with the table's text (``overlap_window``, ``da_window``).

Examples
--------
>>> from sna_lib.measures.people import YearWindow
>>> YearWindow.ending(2023, 1).label, YearWindow.before(2023, 5).label
('2023', '2018–2022')
"""

from __future__ import annotations

from typing import Any

from sna_lib.publication.cells import CellBuilder, cell_id

__all__ = ["add_people_window_cells"]


def add_people_window_cells(b: CellBuilder, prep: Any, dataset: Any, text: dict) -> None:
    """Declare ``people.windows`` for every area (see the module docstring)."""
    from sna_lib.measures.people import YearWindow
    from sna_lib.publication.compute import _ratio, _Table, area_counts, member

    cfg = dataset.config.people
    year, links, crimes, areas = prep.year, prep.links, prep.crimes, prep.areas
    sv = links["sv"].to_numpy(dtype=bool)
    overlap = YearWindow.ending(year, int(cfg.overlap_years))
    in_window = sv & (links["year"] >= overlap.first).to_numpy() & (links["year"] <= overlap.last).to_numpy()
    window_links = links[in_window]
    victims = window_links[(window_links["role"] == "victim").to_numpy()]
    suspects = window_links.loc[(window_links["role"] == "suspect").to_numpy(), "person"].to_numpy()
    victims_also = victims[member(victims["person"].to_numpy(), suspects)]

    da = (YearWindow.ending(year, int(cfg.da_link_years)) if cfg.da_link_include_reporting_year
          else YearWindow.before(year, int(cfg.da_link_years)))
    da_crimes = (crimes["domestic_abuse"] & (crimes["year"] >= da.first) & (crimes["year"] <= da.last)).to_numpy(dtype=bool)
    da_people = links["person"].to_numpy()[da_crimes[links["crime"].to_numpy()]]   # any role, county-wide
    now = links[sv & (links["year"] == year).to_numpy()]
    sus_now = now[(now["role"] == "suspect").to_numpy()]
    sus_da = sus_now[member(sus_now["person"].to_numpy(), da_people)]

    counts = {
        "overlap": (area_counts(victims_also, [], areas, unique="person_id"),
                    area_counts(victims, [], areas, unique="person_id"), "victim"),
        "domestic_abuse": (area_counts(sus_da, [], areas, unique="person_id"),
                           area_counts(sus_now, [], areas, unique="person_id"), "suspect"),
    }
    t = _Table(b, "people.windows", prep)
    for area in areas:
        for row, (part, whole, role) in counts.items():
            c = t.count(area, row, "count", int(part[area]))
            o = t.count(area, row, "of", int(whole[area]))
            b.at_most(total=c, parts=[o])
            if row == "domestic_abuse" or int(cfg.overlap_years) == 1:  # the same people as people.summary
                b.same(o, cell_id("people.summary", area, role, "people"))
            t.derived(area, row, "pct", _ratio(int(part[area]), int(whole[area])), [c, o], op="ratio", scale=100)
    t.across(list(counts), ["count", "of"], "<=")  # one person may be counted in several CSPs
    text["people.windows"] = {"overlap_window": overlap.label, "da_window": da.label}
