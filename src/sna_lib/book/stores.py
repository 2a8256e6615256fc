"""The published store of a data folder, the way a build gets it, for notebooks and ``sna figures``.

:func:`store_for` turns a data folder into ``(validated copy, store folder)`` for one period:
a plain folder is validated once into a content-keyed copy with its publication stage
(:func:`sna_lib.book.pipeline.prepare_data`), then the period's store is made once
(:func:`sna_lib.publication.stage.ensure_store`). :func:`export_figures` (``sna figures``) reads
that store and renders it with :mod:`sna_lib.publication.figures`, which reads store folders
only. The publication layer never reaches back here: it knows stores, not data folders.

Examples
--------
>>> import tempfile
>>> try:
...     store_for(tempfile.mkdtemp() + "/missing", tempfile.mkdtemp())
... except Exception as exc:
...     type(exc).__name__, exc.problems[0].reason
('DataValidationError', 'data folder does not exist')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sna_lib.errors import DataValidationError, Problem, SnaError, require_data_folder

__all__ = ["NoStoreError", "export_figures", "store_for"]


class NoStoreError(SnaError):
    """The data folder's level has no publication stage, so there is no store to export."""


def store_for(data_dir: str | os.PathLike, cache_dir: str | os.PathLike, *, reporting_year: int | None = None,
              as_of: str | None = None, config: Any = None) -> tuple[Path, Path | None]:
    """``(data folder, store folder)`` for a period of a data folder, the way a build gets them.

    A validated copy (or a folder that already holds the period's store) is used as it is; any
    other data folder is validated once into ``cache_dir`` first
    (:func:`sna_lib.book.pipeline.prepare_data`: content-keyed, the publication stage included),
    then the period's store is made once (:func:`~sna_lib.publication.stage.ensure_store`).
    Notebooks opened by hand and ``sna figures`` read the same store a build does. The store
    folder is ``None`` for a data level without a publication stage
    (:func:`~sna_lib.publication.stage.publishes`). ``config``: ``load_config(data_dir)`` when
    the caller has it already (it is not read again).

    Raises
    ------
    DataValidationError
        When the data break the contract (nothing is written).
    """
    import sys

    from sna_lib.data.config import load_config
    from sna_lib.data.validated_copy import VALIDATED_MARKER
    from sna_lib.period import apply_period
    from sna_lib.publication.stage import ensure_store, publishes, store_complete, store_dir

    data_path = Path(data_dir)
    require_data_folder(data_path)
    base = load_config(data_path) if config is None else config
    if not publishes(base):
        return data_path, None
    period = apply_period(base, reporting_year=reporting_year, as_of=as_of)
    folder = store_dir(data_path, base, period)
    if store_complete(folder):
        return data_path, folder
    if (data_path / VALIDATED_MARKER).is_file():
        return data_path, ensure_store(data_path, reporting_year=reporting_year, as_of=as_of, config=base)
    from sna_lib.book.pipeline import prepare_data

    print(f"Preparing {data_path} for the book (validation and the publication stage, once per data "
          f"content; cached in {cache_dir}) …", file=sys.stderr, flush=True)
    # the copy's own period is staged inside it only when that is the period asked for
    data_path = prepare_data(data_path, cache_dir, stage=period is base)
    return data_path, ensure_store(data_path, reporting_year=reporting_year, as_of=as_of)  # reads the copy's config


def export_figures(data_dir: Path | str, area: str = "county", fmt: str = "json", *,
                   reporting_year: int | None = None, as_of: str | None = None,
                   cache_dir: Path | str | None = None) -> str:
    """Every published figure of ``area`` as deterministic text, read from the publication store.

    The store comes from :func:`store_for`; the text from
    :func:`sna_lib.publication.figures.figure_rows` and
    :func:`~sna_lib.publication.figures.render_figures` (keys and values: see that module).

    Parameters
    ----------
    data_dir : Path or str
        A data folder (see ``data/README.md``; validated once into ``cache_dir``, with the
        publication stage) or a validated copy made by a build.
    area : str
        ``"county"`` or a CSP name from ``config.csps``.
    fmt : {"json", "csv"}
        JSON ``{"figures": {...}}`` with sorted keys, or CSV rows ``figure, value, table, row,
        column`` sorted by figure.
    reporting_year, as_of : optional
        The period (see :func:`sna_lib.period.apply_period`); default from ``config.yaml``.
    cache_dir : path, optional
        Where a plain data folder's validated copy and store are kept (default: the notebooks'
        cache, :func:`sna_lib.book.nbhelpers.cache_dir`).

    Raises
    ------
    NoStoreError
        For a data level without a publication stage (:func:`sna_lib.publication.stage.publishes`).
    DataValidationError
        Bad data, or an unknown area.
    """
    if fmt not in ("json", "csv"):
        raise ValueError("fmt must be 'json' or 'csv'")
    from sna_lib.data.config import load_config
    from sna_lib.publication.figures import figure_rows, render_figures
    from sna_lib.publication.store import PublishedStore

    data_dir = Path(data_dir)
    if cache_dir is None:
        from sna_lib.book.nbhelpers import cache_dir as default_cache

        cache_dir = default_cache()
    config = None
    if data_dir.is_dir() and (data_dir / "config.yaml").is_file():
        config = load_config(data_dir)
        csps = list(config.csps)
        if area != "county" and area not in csps:  # before any validation or publication work
            raise DataValidationError([Problem("config.yaml", "csps", None,
                                               f"unknown area {area!r}: use 'county' or one of {', '.join(csps)}")])
    _, folder = store_for(data_dir, cache_dir, reporting_year=reporting_year, as_of=as_of, config=config)
    if folder is None:
        raise NoStoreError(f"{data_dir}: sna figures reads the publication store, and this data level "
                           f"(data_level: {config.data_level}) has none")
    return render_figures(figure_rows(PublishedStore(folder), area), fmt)
