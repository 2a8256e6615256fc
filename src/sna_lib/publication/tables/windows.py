"""The time windows the people figures use, as text beside the numbers (``provenance["text"]``).

``people.windows`` → ``domestic_abuse``: the years of domestic-abuse involvement that count in
``people.links`` row ``domestic_abuse`` (:func:`sna_lib.measures.people.da_link_window`, from
``config.people``), e.g. ``"2018–2022"``; ``previous``: the look-back years of
``people.summary`` column ``previous_five_years`` (``config.people.previous_years`` strictly
before the reporting year).

Examples
--------
>>> from types import SimpleNamespace as NS
>>> text = {}
>>> add_window_text(NS(year=2023), NS(config=NS(people=None)), text)
>>> text["people.windows"]
{'domestic_abuse': '2018–2022', 'previous': '2018–2022'}
"""

from __future__ import annotations

__all__ = ["TABLE", "add_window_text"]

TABLE = "people.windows"


def add_window_text(prep, dataset, text: dict) -> None:
    """Record the windows of the people figures in ``text`` (no cells: labels only)."""
    from sna_lib.measures.people import YearWindow, da_link_window

    people = dataset.config.people
    text[TABLE] = {"domestic_abuse": da_link_window(prep.year, people).label,
                   "previous": YearWindow.before(prep.year, int(getattr(people, "previous_years", 5))).label}
