"""Load a partnership data folder into one typed :class:`Dataset`.

Examples
--------
>>> from sna_lib.data.dataset import load_dataset          # doctest: +SKIP
>>> ds = load_dataset("demo-data")                    # doctest: +SKIP
>>> ds.crimes.dtypes["date"], ds.config.csps          # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sna_lib.data.config import Config
from sna_lib.errors import DataValidationError
from sna_lib.data.validate import DataQuality, run_validation


@dataclass
class Dataset:
    """Every contract table of one data folder, typed, plus its config and quality summary.

    Attribute names equal the table file stems. Codes and text are pandas strings (``str``), except
    the repeated codes and names of the large record tables (``crimes``: ``offence_code``,
    ``offence_description``, ``lsoa_code``, ``location_type``; ``persons``: ``role``, ``sex``,
    ``home_lsoa``, ``origin_area``; ``population``: ``lsoa_code``), which are ``category`` with
    sorted ``str`` categories (:attr:`~sna_lib.data.schemas.ColumnSpec.categorical`: one small
    integer per row; sorting and grouping give the strings' order), dates
    ``datetime64[ns]``, flags ``bool`` (geography ``urban``/``nte``: nullable ``boolean``,
    all missing when not supplied), counts ``int64`` (``persons.age``: nullable ``Int64``).
    Optional tables that were not supplied are empty frames with the contract columns.
    At ``data_level: open`` ``crimes`` and ``asb`` carry ``month`` (first day of the month) and
    a ``date`` column equal to it; ``crimes`` has ``category`` instead of offence codes and flags.
    """

    config: Config
    geography: pd.DataFrame  # geopandas.GeoDataFrame
    population: pd.DataFrame
    census_deprivation: pd.DataFrame
    census_employment: pd.DataFrame
    crimes: pd.DataFrame
    persons: pd.DataFrame
    asb: pd.DataFrame
    fire: pd.DataFrame
    ambulance: pd.DataFrame
    hospital_admissions: pd.DataFrame
    school_exclusions: pd.DataFrame
    community_survey: pd.DataFrame
    comparators: pd.DataFrame
    imd: pd.DataFrame
    import_log: pd.DataFrame
    quality: DataQuality

    @property
    def data_level(self) -> str:
        """``full`` (partnership records) or ``open`` (police.uk categories and months)."""
        return self.config.data_level

    def lsoa_area(self) -> pd.Series:
        """CSP name per LSOA code (``geography`` as a lookup Series)."""
        return pd.Series(self.geography["area"].to_numpy(), index=pd.Index(self.geography["lsoa_code"]),
                         name="area")


def load_dataset(data_dir: Path | str, *, validate: bool = True) -> Dataset:
    """Read and type every table in ``data_dir``.

    Parameters
    ----------
    data_dir : Path or str
        Folder laid out as in ``data/README.md``.
    validate : bool, default True
        Run every contract check. Problems are fatal unless ``config.yaml`` says
        ``validation: {on_error: reject}``, in which case bad rows are dropped and counted in
        ``quality``. ``False`` is the fast path for data that already validated clean: files
        are only read and type-converted (unconvertible cells and missing files/columns
        still raise).

    Returns
    -------
    Dataset

    Raises
    ------
    DataValidationError
        Carrying every problem found.

    Examples
    --------
    >>> import tempfile
    >>> try:
    ...     load_dataset(tempfile.mkdtemp(), validate=False)
    ... except DataValidationError as exc:
    ...     exc.problems[0].file
    'config.yaml'
    """
    run = run_validation(data_dir, checks=validate)
    report = run.report
    if validate:
        report.raise_if_failed()
    elif report.structural or report.row_problems:
        raise DataValidationError(report.problems)
    tables = run.tables
    if run.config.data_level == "open":
        # month-level records: ``date`` is the first day of ``month`` (never a day of occurrence),
        # so code that windows by date works unchanged at month resolution
        for name in ("crimes", "asb"):
            frame = tables[name]
            if "month" in frame.columns and "date" not in frame.columns:
                tables[name] = frame.assign(date=frame["month"])
    return Dataset(config=run.config, quality=report.quality, **tables)  # type: ignore[arg-type]


def area_lsoas(dataset, area: str) -> pd.Index:
    """LSOA codes of ``area`` (all of them for ``"county"``)."""
    geo = dataset.geography
    codes = geo["lsoa_code"] if area == "county" else geo.loc[geo["area"] == area, "lsoa_code"]
    return pd.Index(codes.astype(str), name="lsoa_code")
