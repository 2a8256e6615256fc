"""The publication stage: compute, disclosure control, store, leak scan, exports.

* :mod:`~sna_lib.publication.compute` — every published number for the county and every CSP in
  one grouped pass, declared as cells with their relations;
* :mod:`~sna_lib.publication.cells` — declare counts, derived values, exempt numbers and the
  relations between them (:class:`~sna_lib.publication.cells.CellBuilder`);
* :mod:`~sna_lib.publication.control` — default-deny disclosure control over all cells at once
  (primary, follows-derived, secondary suppression to a fixed point driven by the attacker);
* :mod:`~sna_lib.publication.attack` — the interval attacker (integer programming) that audits it;
* :mod:`~sna_lib.publication.store` — the published store the book, downloads and figures read;
* :mod:`~sna_lib.publication.disclosure`, :mod:`~sna_lib.publication.leakscan`,
  :mod:`~sna_lib.publication.figures` — rules, the leak scan and ``sna figures``.
"""
