"""Page text of the open-data (police.uk) edition of the book.

At ``data_level: open`` crimes carry a police.uk category and a month only. The publication
stage computes every number the open-data notebooks (``notebooks/open/*.md``) show, for the
county and every CSP at once (:mod:`sna_lib.publication.open_compute`,
``publication/tables/open_*.py``, over :mod:`sna_lib.measures.open_proxy`, the quarterly Gi*
persistence of :mod:`sna_lib.index.persistence`, the proxy risk layers and out-of-time check of
:mod:`sna_lib.index`), and the pages read the disclosure-controlled store
(:mod:`sna_lib.book.open_pages`). What is left here is text only the pages use: the labels of
the risk layers, the "not computed" note and the "What changed" page.

Examples
--------
>>> RISK_LAYERS["weapons"].split(" (")[0]
'Possession of weapons offences by location'
"""

from __future__ import annotations

#: risk layers open data offer, each with the label the book shows (all proxies)
RISK_LAYERS = {
    "deprivation": "Households deprived in 2+ dimensions, share (Census 2021 TS011)",
    "imd": "Index of Multiple Deprivation 2019 (rank, most deprived = highest)",
    "asb": "Anti-social behaviour incidents (police.uk): disorganisation proxy",
    "drugs": "Drugs offences by location (police.uk): proxy for drug markets",
    "weapons": "Possession of weapons offences by location (police.uk): proxy for weapon carrying",
}


def missing_note(sentences: dict, *parts: str) -> str:
    """Plain text (for :func:`~sna_lib.book.nbhelpers.show_note`, which escapes it): one sentence for
    each of ``parts`` found in ``sentences`` (:func:`sna_lib.data.data_level.missing_sentences`, or
    the published store's copy of it); ``""`` when all can be computed.

    Examples
    --------
    >>> missing_note({"people": "People need person records."}, "people", "harm")
    'Not computed: People need person records.'
    """
    return "\n\n".join(f"Not computed: {sentences[p]}" for p in parts if p in sentences)


def what_changed_page(area_label: str) -> str:
    """The "What changed" page of an open-data book: one sentence on what it would need.

    Examples
    --------
    >>> what_changed_page("Essex").splitlines()[0]
    '# What changed this month: Essex'
    """
    from sna_lib.book.charts import markdown_escape

    return (f"# What changed this month: {markdown_escape(area_label)}\n\n"
            "*Not computed:* the month-on-month comparison of published figures needs the full figure set, which "
            "needs Home Office offence codes with weapon and domestic-abuse flags on each crime (a police "
            "recorded-crime extract); in this open-data edition the monthly series are on the Trends page.\n")


__all__ = ["RISK_LAYERS", "missing_note", "what_changed_page"]
