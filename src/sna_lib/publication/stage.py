"""The publication stage of a build: one disclosure-controlled store per data content and period.

The book pipeline validates a data folder once into a content-keyed copy
(:func:`sna_lib.book.pipeline.prepare_data`); :func:`write_stage_store` then runs
:func:`sna_lib.publication.compute.run_publication` (compute every published number for the
county and all CSPs → disclosure control once → :func:`~sna_lib.publication.store.write_store`)
into ``<copy>/published`` for the data's own period, so the store is cached with the copy and
keyed on the same contents. A run for another period (``--reporting-year`` / ``--as-of``) gets
its own store beside the copy (:func:`store_dir`), made once with :func:`ensure_store`.

Every store is written to a temporary folder and renamed into place, so a reader never sees a
half-written store; a failing disclosure control is a :class:`PublicationError` (a one-line
message, no traceback, nothing written, the previous site kept).

Examples
--------
>>> from types import SimpleNamespace as NS
>>> import datetime as dt
>>> cfg = NS(reporting_year=2023, rolling_end=dt.date(2023, 12, 31))
>>> store_dir("/cache/data/ab12", cfg, cfg).as_posix()  # a copy made without its own store
'/cache/data/ab12.published-2023-2023-12'
>>> other = NS(reporting_year=2022, rolling_end=dt.date(2022, 12, 31))
>>> store_dir("/cache/data/ab12", cfg, other).as_posix()
'/cache/data/ab12.published-2022-2022-12'
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from sna_lib.errors import SnaError
from sna_lib.publication.compute import STORE_DIR

__all__ = ["PublicationError", "STORE_DIR", "publishes", "store_dir", "write_stage_store", "ensure_store",
           "remember", "store_complete"]


class PublicationError(SnaError):
    """The publication stage could not produce a safe store (e.g. disclosure control did not settle)."""


def publishes(config: Any) -> bool:
    """Whether the publication stage runs for this data: ``data_level: full`` (the full contract's
    records) and ``data_level: open`` (police.uk open data, :mod:`sna_lib.publication.open_compute`).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> publishes(NS(data_level="full")), publishes(NS(data_level="open")), publishes(NS())
    (True, True, True)
    """
    return str(getattr(config, "data_level", "full") or "full") in ("full", "open")


def _period_label(config: Any) -> str:
    end = config.rolling_end
    return f"{int(config.reporting_year)}-{end.year:04d}-{end.month:02d}"


def store_dir(data_dir: str | os.PathLike, base_config: Any, period_config: Any) -> Path:
    """Where the store of ``data_dir`` for the period of ``period_config`` lives.

    The data's own period (``base_config``'s reporting year and rolling end) is
    ``<data_dir>/published`` when the folder holds it (made with the validated copy); any other
    period, and the own period of a copy made without it, is
    ``<data_dir>.published-<year>-<YYYY-MM>`` beside it (the validated copy is a sealed cache
    entry: nothing is added inside it later).
    """
    folder = Path(data_dir)
    if (int(period_config.reporting_year) == int(base_config.reporting_year)
            and period_config.rolling_end == base_config.rolling_end and (folder / STORE_DIR).is_dir()):
        return folder / STORE_DIR
    return folder.with_name(f"{folder.name}.{STORE_DIR}-{_period_label(period_config)}")


#: Stores written by this process, by content key (another build folder with the same data and
#: code copies the store instead of computing it again).
_WRITTEN: dict[str, Path] = {}


def store_complete(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a whole store (cells, relations and provenance)."""
    folder = Path(folder)
    return all((folder / name).is_file() for name in ("cells.parquet", "relations.parquet", "provenance.json"))


def write_stage_store(dataset: Any, out_dir: str | os.PathLike, *, key: str | None = None, **kwargs: Any) -> Path:
    """Run the publication stage on ``dataset`` into ``out_dir`` (must not exist yet, or is replaced).

    Written to a temporary sibling and renamed into place. ``key`` (the content key of data,
    code and period) lets a second build folder in the same process copy the store this process
    already computed for that key. Keyword arguments (``inputs``, ``code``, ``git``) go to
    :func:`sna_lib.publication.compute.publication_cells`.

    Raises
    ------
    PublicationError
        When disclosure control fails (its ``RuntimeError``) or a declared relation does not hold
        (``ValueError`` from the cell builder): nothing is written.
    """
    from sna_lib.publication.compute import run_publication

    target = Path(out_dir)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    done = _WRITTEN.get(key) if key else None
    try:
        if done is not None and store_complete(done):
            shutil.copytree(done, tmp)
        else:
            run_publication(dataset, tmp, **kwargs)
    except (RuntimeError, ValueError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise PublicationError(f"publication stage failed, nothing published: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    try:
        os.replace(tmp, target)
    except OSError:  # another process wrote it meanwhile: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def remember(key: str, folder: str | os.PathLike) -> None:
    """Record that the store for content ``key`` is at ``folder`` (after it was renamed into place)."""
    _WRITTEN[key] = Path(folder)


def ensure_store(data_dir: str | os.PathLike, *, reporting_year: int | None = None, as_of: str | None = None,
                 dataset: Any = None, config: Any = None, **kwargs: Any) -> Path:
    """The store of validated copy ``data_dir`` for a period, made once if it is not there yet.

    ``dataset`` (optional) saves loading the copy again, ``config`` (optional: the copy's
    ``load_config``, before the period is applied) loading its settings again. Without keyword
    arguments the copy's ``provenance.json`` (input hashes, code, git) is recorded in the store.
    Returns the store folder.
    """
    from sna_lib.data.config import load_config
    from sna_lib.period import apply_period

    if dataset is not None:
        base = dataset.config
    else:
        base = load_config(data_dir) if config is None else config
    period = apply_period(base, reporting_year=reporting_year, as_of=as_of)
    target = store_dir(data_dir, base, period)
    if store_complete(target):
        return target
    if dataset is None:
        from sna_lib.data.dataset import load_dataset

        dataset = load_dataset(data_dir, validate=False)
    if period is not dataset.config:
        dataset = dataclasses.replace(dataset, config=period)
    if not kwargs:
        kwargs = _copy_provenance(Path(data_dir))
    key = f"{Path(data_dir).name}|{_period_label(period)}"  # the copy's folder name is its content key
    write_stage_store(dataset, target, key=key, **kwargs)
    remember(key, target)
    return target


def _copy_provenance(data_dir: Path) -> dict[str, Any]:
    import json

    try:
        info = json.loads((data_dir / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {"inputs": info.get("inputs") or {}, "code": info.get("code"), "git": info.get("git")}
