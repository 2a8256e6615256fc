"""The look-back window of the people summary, as text beside the numbers (``provenance["text"]``).

``people.lookback`` → ``previous_window``: the years of ``people.summary`` column
``previous_five_years`` (people seen in the same role in serious violence anywhere in the county
in the ``config.people.previous_years`` years strictly before the reporting year), e.g.
``"2018–2022"``. (The overlap and domestic-abuse windows go with ``people.windows``.)

Examples
--------
>>> from types import SimpleNamespace as NS
>>> text = {}
>>> add_window_text(NS(year=2023), NS(config=NS(people=NS(previous_years=5))), text)
>>> text["people.lookback"]
{'previous_window': '2018–2022'}
"""

from __future__ import annotations

__all__ = ["TEXT", "add_window_text"]

TEXT = "people.lookback"


def add_window_text(prep, dataset, text: dict) -> None:
    """Record the look-back window of ``people.summary`` in ``text`` (no cells: a label only)."""
    from sna_lib.measures.people import YearWindow

    years = int(getattr(dataset.config.people, "previous_years", 5))
    text[TEXT] = {"previous_window": YearWindow.before(prep.year, years).label}
