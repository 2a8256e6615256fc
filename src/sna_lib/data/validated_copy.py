"""The validated copy of a data folder: the marker that says it passed the contract.

The book pipeline validates a data folder once and writes a typed Parquet copy of it
(:func:`sna_lib.book.pipeline.prepare_data`) holding :data:`VALIDATED_MARKER`, whose text is
the copy's content key. A folder with the marker is loaded without validating again
(``load_dataset(..., validate=False)``); any other folder is validated first.

Examples
--------
>>> VALIDATED_MARKER
'.sna-validated'
"""

from __future__ import annotations

__all__ = ["VALIDATED_MARKER"]

#: File the pipeline writes into its validated data copy; its presence allows ``validate=False``.
VALIDATED_MARKER = ".sna-validated"
