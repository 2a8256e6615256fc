"""The publication stage: every published number as a declared cell, disclosure-controlled once.

* :mod:`~sna_lib.publication.cells` — declare counts, derived values, exempt numbers and the
  relations between them (:class:`~sna_lib.publication.cells.CellBuilder`);
* :mod:`~sna_lib.publication.control` — default-deny disclosure control over all cells at once
  (primary, follows-derived, secondary suppression to a fixed point driven by the attacker);
* :mod:`~sna_lib.publication.attack` — the interval attacker (integer programming) that audits it;
* :mod:`~sna_lib.publication.store` — the published store the book, downloads and figures read.
"""
