"""What every book notebook imports: parameters → loaded data, glue, tables, figures, provenance.

A section notebook starts with a ``parameters`` cell (papermill)::

    area = "county"          # "county" or a CSP name from config.csps
    data_dir = None          # data folder (the pipeline passes its validated Parquet copy)
    reporting_year = None    # None → config.reporting_year
    build_dir = None         # where this run writes its CSV/PNG downloads
    as_of = None             # "YYYY-MM": last month of the rolling 12 months (None → config.rolling_end)

and then::

    from sna_lib.book import nbhelpers as nb
    ctx = nb.setup(area, data_dir, build_dir, reporting_year, as_of)
    summary = ctx.table("people.summary")         # published text: "1,234", "[c]", "–"
    nb.glue_value("sv_total", "sv.headline", "reporting_year", "sv")   # prose: {glue:text}`sv_total`
    nb.show_published(summary, "people", "Suspects and victims")     # caption, CSV, suppression note
    nb.show_figure(fig, "trend", caption=..., alt=..., data=df)
    nb.show_map(areas_gdf, "rate", title="SV offences per 1,000 residents")
    nb.provenance_stamp()

Numbers come from the published store (``ctx.table`` / ``ctx.value`` / ``ctx.text``:
disclosure control has already run over the county and every CSP at once), never typed by hand.
Notebooks not yet migrated still reach records through ``ctx.dataset`` and publish through
:func:`glue_number` / :func:`show_table` (:mod:`sna_lib.publication.disclosure`). Use ``{glue:text}`key``` on the same page and
``{glue:text}`/notebooks/03_what_is_sv.ipynb::sv_offences:s``` from any other page (path from the
book root with the suffix; the ``:s`` format is required there).
"""

from __future__ import annotations

import hashlib
import re
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sna_lib.book import charts
from sna_lib.data.validated_copy import VALIDATED_MARKER

__all__ = [
    "BookContext",
    "PROVENANCE_FILE",
    "QUALITY_FILE",
    "setup",
    "default_data_dir",
    "context",
    "glue_number",
    "glue_text",
    "show_table",
    "show_published",
    "glue_value",
    "percent_text",
    "open_store",
    "cache_dir",
    "show_figure",
    "show_map",
    "provenance_stamp",
    "provenance",
    "code_fingerprint",
]

#: Provenance (input hashes, code version) written beside the validated copy.
PROVENANCE_FILE = "provenance.json"
#: Data-quality table (read/used/rejected per file) from the one validation pass.
QUALITY_FILE = "data_quality.json"

_DATASETS: dict[tuple[str, str], Any] = {}
_ACTIVE: BookContext | None = None
_REPO_SRC = Path(__file__).resolve().parents[1]


@dataclass
class BookContext:
    """Everything a notebook needs after :func:`setup`.

    Numbers come from :attr:`store`, the disclosure-controlled published tables of the county
    and every CSP (:meth:`table`, :meth:`value`, :meth:`text`, :meth:`percent`,
    :meth:`numbers`, :meth:`labels`). The records are reachable only through the lazy
    :attr:`dataset`, which notebooks that read only the store never touch (a test runs them in
    a folder holding the store and no records).

    Attributes
    ----------
    area : str
        ``"county"`` or a CSP name.
    area_label : str
        Heading text: the county name (``"Demoshire (synthetic)"`` for demo data) or the CSP name.
    area_level : str
        ``"county"`` or ``"csp"`` — the level disclosure rules are applied at.
    config : sna_lib.data.config.Config
        The data folder's configuration with the run's period applied (no records).
    reporting_year : int
    data_dir : Path
    downloads_dir : Path
        Where CSV/PNG files for this run are written.
    store_dir : Path
        The published store of this data and period.
    """

    area: str
    area_label: str
    area_level: str
    config: Any
    reporting_year: int
    data_dir: Path
    downloads_dir: Path
    store_dir: Path | None = None
    as_of: str | None = None

    @property
    def store(self):
        """The :class:`~sna_lib.publication.store.PublishedStore` of this run (opened once per kernel)."""
        return open_store(self.store_dir)

    @property
    def dataset(self):
        """The loaded records, loaded on first use. Not for the section notebooks: they read only
        the published store (``STORE_ONLY`` in ``tests/test_notebooks.py`` checks each of them)."""
        return _with_period(_load(self.data_dir), self.reporting_year, self.as_of)

    @property
    def quality(self) -> pd.DataFrame:
        """Records read/used/rejected per input file (from the validation pass)."""
        quality_file = self.data_dir / QUALITY_FILE
        if quality_file.is_file():
            return pd.DataFrame(json.loads(quality_file.read_text(encoding="utf-8")))
        return _load(self.data_dir).quality.to_frame()

    @property
    def county_label(self) -> str:
        """County name, marked ``(synthetic)`` for generated demo data."""
        return _county_label(self.config)

    def area_name(self, area: str | None = None) -> str:
        """Display name of ``area`` (default this one): the county's label or the CSP name."""
        area = area or self.area
        return self.county_label if area == "county" else str(area)

    def table(self, name: str, area: str | None = None) -> pd.DataFrame:
        """Published table ``name`` of this area (or ``area``) as the text the book prints:
        rows × columns of ``"1,234"``, ``"12.5"``, the marker (``"[c]"``) or ``"–"`` (no data)."""
        return self.store.display_table(name, area or self.area)

    def value(self, name: str, row: Any, column: str, area: str | None = None) -> Any:
        """One published number (or the suppression marker) of this area (or ``area``)."""
        return self.store.value(name, area or self.area, str(row), column)

    def text(self, name: str, row: Any, column: str, area: str | None = None) -> str:
        """One published cell as the text the book prints (``"1,234"``, ``"12.5"``, ``"[c]"``, ``"–"``)."""
        return str(self.store.text(name, area or self.area, str(row), column))

    def numbers(self, name: str, area: str | None = None) -> pd.DataFrame:
        """:meth:`table` as numbers for charts: withheld and missing cells are ``NaN``."""
        table = self.store.table(name, area or self.area)
        return table.apply(lambda column: pd.to_numeric(column.map(_number_or_nan), errors="coerce"))

    def percent(self, name: str, row: Any, column: str, area: str | None = None) -> str:
        """:meth:`text` with a ``%`` sign, unless withheld or missing (:func:`percent_text`)."""
        return percent_text(self.text(name, row, column, area=area), self.store.marker)

    def withheld(self, value: Any) -> bool:
        """True for a withheld cell (the marker, as text or :class:`~sna_lib.publication.disclosure.Suppressed`)."""
        from sna_lib.publication.disclosure import is_suppressed

        return is_suppressed(value) or (isinstance(value, str) and value == self.store.marker)

    def labels(self, name: str, area: str | None = None) -> dict:
        """Text that goes with a table's numbers (period labels, notes), from the store's provenance:
        the entry of this area (or ``area``) when the table has per-area labels, else the table's."""
        entry = self.store.provenance.get("text", {}).get(name, {})
        if not isinstance(entry, dict):
            return {}
        area = area or self.area
        return entry[area] if area in entry and isinstance(entry[area], dict) else entry

    def lsoa_codes(self) -> pd.Index:
        """LSOA codes inside this area (all of them for the county)."""
        geo = self.geography()
        if self.area == "county":
            return pd.Index(geo["lsoa_code"])
        return pd.Index(geo.loc[geo["area"] == self.area, "lsoa_code"])

    def geography(self):
        """LSOA polygons with their CSP (``lsoa_code, lsoa_name, area, geometry``): boundaries, not records."""
        return _geography(self.data_dir)


def percent_text(text: str, marker: str = "[c]") -> str:
    """A published share as printed: ``"12.5"`` → ``"12.5%"``; the marker and ``"–"`` unchanged.

    Examples
    --------
    >>> percent_text("12.5"), percent_text("[c]"), percent_text("–")
    ('12.5%', '[c]', '–')
    """
    text = str(text)
    return text if text in ("–", "", marker) else text + "%"


def _number_or_nan(value: Any) -> float:
    if isinstance(value, str) or value is None:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


_GEOGRAPHY: dict[str, Any] = {}


def _geography(data_dir: Path):
    """The boundary file of a data folder, read once per kernel (no records)."""
    key = str(Path(data_dir).resolve())
    if key not in _GEOGRAPHY:
        import geopandas as gpd

        path = Path(data_dir) / "geography.parquet"
        if path.is_file():
            geo = gpd.read_parquet(path)
        else:  # a plain data folder: whatever format its contract allows
            geo = _load(Path(data_dir)).geography
        _GEOGRAPHY.clear()
        _GEOGRAPHY[key] = geo
    return _GEOGRAPHY[key]


def _county_label(config) -> str:
    name = str(config.county)
    if getattr(config, "synthetic", False) and "synthetic" not in name.lower():
        return f"{name} (synthetic)"
    return name


def _load(data_dir: Path):
    """Load the dataset; a validated copy is loaded once per kernel and then shared.

    The book pipeline runs many notebooks in turn on one kernel. Sharing the *same* Dataset
    object lets library caches keyed on the dataset (e.g. per-area figures) serve every notebook
    of the run. Notebooks are presentation only and must treat it as read-only.
    """
    from sna_lib.data.dataset import load_dataset

    marker = data_dir / VALIDATED_MARKER
    stamp = marker.read_text(encoding="utf-8").strip() if marker.is_file() else ""
    key = (str(data_dir.resolve()), stamp)
    if not stamp:
        return load_dataset(data_dir, validate=True)
    if key not in _DATASETS:
        _DATASETS.clear()
        _DATASETS[key] = load_dataset(data_dir, validate=False)
    return _DATASETS[key]


def _with_period(dataset, reporting_year, as_of):
    """``dataset`` whose config carries the run's period; one shared copy per period and kernel."""
    from sna_lib.period import apply_period

    config = apply_period(dataset.config, reporting_year=reporting_year, as_of=as_of)
    if config is dataset.config:
        return dataset
    key = ("period", id(dataset), config.reporting_year, str(config.rolling_end))
    cached = _DATASETS.get(key)
    if cached is None or cached[0] is not dataset:  # an id is reused once its object is freed
        import dataclasses

        for old in [k for k in _DATASETS if k[0] == "period"]:
            del _DATASETS[old]
        cached = _DATASETS[key] = (dataset, dataclasses.replace(dataset, config=config))
    return cached[1]


#: Demo county a notebook opened without parameters runs on (same as ``make demo-data``).
DEMO_SEED, DEMO_SCALE = 2024, 1.0


def default_data_dir(*, generate: bool = True) -> Path:
    """Data folder for a notebook run without a ``data_dir`` parameter.

    ``$SNA_DATA_DIR`` when set (``make lab`` sets it); otherwise the project's demo county,
    ``<project>/build/demo-data`` (seed 2024, scale 1, as ``make demo-data`` writes it), generated
    on first use with a message saying so.

    Raises
    ------
    FileNotFoundError
        ``$SNA_DATA_DIR`` names a folder that does not exist, or the demo is missing and
        ``generate`` is false.

    Examples
    --------
    >>> default_data_dir(generate=False)  # doctest: +SKIP
    PosixPath('/home/analyst/sna-book/build/demo-data')
    """
    env = os.environ.get("SNA_DATA_DIR")
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"SNA_DATA_DIR={env!r} is not a folder: point it at a data folder "
                                    "(see data/README.md) or unset it to use the demo county")
        return path
    from sna_lib.book.pipeline import project_dir

    demo = project_dir() / "build" / "demo-data"
    if (demo / "config.yaml").is_file():
        return demo
    if not generate:
        raise FileNotFoundError(f"no data_dir given, SNA_DATA_DIR not set and no demo county at {demo} "
                                "(run `make demo-data`)")
    from sna_lib.synthetic import generate_demo

    print(f"No data_dir parameter and SNA_DATA_DIR is not set: generating the synthetic demo county "
          f"(seed {DEMO_SEED}, scale {DEMO_SCALE:g}) in {demo} — this takes under a minute, once. "
          "Set SNA_DATA_DIR to use other data.", file=sys.stderr, flush=True)
    tmp = demo.with_name(f".demo-data.tmp{os.getpid()}")
    generate_demo(tmp, seed=DEMO_SEED, scale=DEMO_SCALE, fmt="parquet", progress=False)
    try:
        os.replace(tmp, demo)
    except OSError:  # generated meanwhile by another notebook
        shutil.rmtree(tmp, ignore_errors=True)
    return demo


def setup(area: str = "county", data_dir: str | os.PathLike | None = None,
          build_dir: str | os.PathLike | None = None, reporting_year: int | None = None,
          as_of: str | None = None) -> BookContext:
    """Load the data for one notebook run and make it the active context.

    Parameters
    ----------
    area : str
        ``"county"`` or a CSP name exactly as in ``config.csps``.
    data_dir : path, optional
        Data folder. The pipeline passes its validated Parquet copy (loaded without
        re-validating); any other folder is validated on load. ``None`` (a notebook opened in
        JupyterLab without parameters) → :func:`default_data_dir`: ``$SNA_DATA_DIR``, else the
        demo county in ``build/demo-data``.
    build_dir : path, optional
        Folder for this run's outputs; downloads go to ``<build_dir>/downloads``.
        Defaults to a temporary folder.
    reporting_year : int, optional
        Defaults to ``config.reporting_year``.
    as_of : str, optional
        ``YYYY-MM``: the rolling 12 months end that month (default ``config.rolling_end``).
        With ``reporting_year``, applied to the dataset's config (:func:`sna_lib.period.apply_period`)
        so every table of the run uses the same period.

    Returns
    -------
    BookContext

    Raises
    ------
    ValueError
        If ``area`` is not ``"county"`` or a configured CSP.

    Examples
    --------
    >>> ctx = setup("county", "demo-data")            # doctest: +SKIP
    >>> ctx.area_label                                # doctest: +SKIP
    'Demoshire (synthetic)'
    """
    global _ACTIVE
    from sna_lib.data.config import load_config
    from sna_lib.period import apply_period
    from sna_lib.publication.disclosure import area_level_of

    data_path = Path(data_dir) if data_dir is not None else default_data_dir()
    base = load_config(data_path)
    config = apply_period(base, reporting_year=reporting_year, as_of=as_of)
    if area != "county" and area not in config.csps:
        raise ValueError(f"area must be 'county' or one of {list(config.csps)}, got {area!r}")
    from sna_lib.book.stores import store_for

    data_path, folder = store_for(data_path, cache_dir(), reporting_year=reporting_year, as_of=as_of, config=base)
    year = int(config.reporting_year)
    out = Path(build_dir) if build_dir is not None else Path(tempfile.mkdtemp(prefix="sna-nb-"))
    downloads = out / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    charts.apply_style()
    _ACTIVE = BookContext(
        area=area,
        area_label=_county_label(config) if area == "county" else area,
        area_level=area_level_of(area),
        config=config,
        reporting_year=year,
        data_dir=data_path,
        downloads_dir=downloads,
        store_dir=folder,
        as_of=as_of,
    )
    return _ACTIVE


def cache_dir() -> Path:
    """Where a notebook run on a plain data folder keeps its validated copy and store:
    ``$SNA_CACHE_DIR``, else ``<project>/build/.cache`` (the book build's own cache layout)."""
    env = os.environ.get("SNA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from sna_lib.book.pipeline import project_dir

    return project_dir() / "build" / ".cache"


_STORES: dict[str, Any] = {}


def open_store(folder: str | os.PathLike | None) -> Any:
    """The :class:`~sna_lib.publication.store.PublishedStore` in ``folder``, opened once per kernel."""
    from sna_lib.publication.store import PublishedStore

    if folder is None:
        raise RuntimeError("no published store for this run: call sna_lib.book.nbhelpers.setup(...) first")
    path = Path(folder)
    stamp = ""
    try:
        stat = (path / "cells.parquet").stat()
        stamp = f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        pass
    key = f"{path.resolve()}|{stamp}"
    if key not in _STORES:
        _STORES.clear()
        _STORES[key] = PublishedStore(path)
    return _STORES[key]


def context() -> BookContext:
    """The context created by the last :func:`setup` call in this kernel."""
    if _ACTIVE is None:
        raise RuntimeError("call sna_lib.book.nbhelpers.setup(area, data_dir, build_dir, reporting_year) first")
    return _ACTIVE


# --------------------------------------------------------------------------- glue


def glue_text(key: str, text: str) -> str:
    """Glue already-publishable text under ``key`` (for ``{glue:text}`` in prose); returns it."""
    from myst_nb import glue

    text = str(text)  # plain str: Suppressed markers etc. become ordinary text
    glue(key, text, display=False)
    return text


def glue_number(key: str, value: Any, *, kind: str = "count", count: Any = None,
                decimals: int = 1, area_level: str | None = None) -> str:
    """Publish one number through :mod:`sna_lib.publication.disclosure` and glue it for the prose.

    Parameters
    ----------
    key : str
        Glue key, used in Markdown as ``{glue:text}`key```.
    value : number
        The count, rate or percentage.
    kind : {"count", "rate", "percent", "change"}
        ``count``: suppressed below county level when small. ``rate``/``percent``: suppressed
        when ``count`` (the numerator) is. ``change``: a signed percentage change (``+12.3%``),
        suppressed when ``count`` is.
    count : int, optional
        Numerator for rates/percentages/changes (required for those kinds below county level).
    decimals : int
    area_level : str, optional
        Defaults to the active context's level.

    Returns
    -------
    str
        The text that was glued (e.g. ``"1,234"`` or ``"[c]"``).

    Examples
    --------
    >>> glue_number("n", 1234, area_level="county")   # doctest: +SKIP
    '1,234'
    """
    from sna_lib.publication import disclosure

    ctx = _ACTIVE
    level = area_level or (ctx.area_level if ctx else "county")
    config = ctx.config if ctx else None
    if kind == "count":
        text = disclosure.publish_number(value, area_level=level, config=config)
    elif kind in {"rate", "percent", "change"}:
        if count is None and disclosure.disclosure_rules(config).applies(level):
            raise ValueError(f"glue_number(kind={kind!r}) below county level needs count= (the numerator)")
        suffix = "%" if kind in {"percent", "change"} else ""
        magnitude = abs(value) if (kind == "change" and value is not None) else value
        text = disclosure.publish_rate(magnitude, count=count, area_level=level, config=config,
                                       decimals=decimals, suffix=suffix)
        if kind == "change" and not disclosure.is_suppressed(text) and value is not None:
            text = ("+" if value > 0 else "−" if value < 0 else "") + text
    else:
        raise ValueError(f"kind must be count, rate, percent or change, not {kind!r}")
    return glue_text(key, text)


# --------------------------------------------------------------------------- tables, figures, maps


def _display_markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_note(text: str, *, emphasis: bool = False) -> None:
    """Show a plain-text note (e.g. a suppression footnote) on the page; nothing when empty.

    The text is shown literally: names from the data or config in it (an area, the suppression
    marker) are escaped, so they are never read as Markdown, MyST roles, HTML or templates.
    ``emphasis=True`` sets it in italics. An empty ``Markdown("")`` has no Markdown
    representation (the book would print ``<IPython.core.display.Markdown object>``), so empty
    text shows nothing.

    Paragraphs (separated by a blank line, as :func:`sna_lib.book.open_sections.missing_note`
    separates its "Not computed" sentences) stay paragraphs; other line breaks become spaces.

    Examples
    --------
    >>> show_note("")   # nothing displayed
    >>> text = "Not computed: a." + chr(10) * 2 + "Not computed: *b*."
    >>> print(note_markdown(text, emphasis=True))
    *Not computed: a.*
    <BLANKLINE>
    *Not computed: \\*b\\*.*
    """
    if text and str(text).strip():
        _display_markdown(note_markdown(text, emphasis=emphasis))


def note_markdown(text: str, *, emphasis: bool = False) -> str:
    """The Markdown :func:`show_note` displays: each paragraph of ``text`` escaped, blank lines kept."""
    paragraphs = [charts.markdown_escape(p.strip()) for p in re.split(r"\n\s*\n", str(text).strip()) if p.strip()]
    return "\n\n".join(f"*{p}*" if emphasis else p for p in paragraphs)


def show_table(df: pd.DataFrame, name: str, caption: str, *, count_columns=None, total_row=None,
               area_level: str | None = None, max_rows: int = 60) -> pd.DataFrame:
    """Suppress small counts, show the table with a caption and a CSV download link.

    Parameters
    ----------
    df : pandas.DataFrame
        Aggregate table. Labels should be columns (the index is dropped unless named).
    name : str
        Unique name within the notebook (file name of the CSV).
    caption : str
    count_columns : list, optional
        Count columns to pass through :func:`sna_lib.publication.disclosure.suppress_counts` (primary and
        secondary suppression at ``area_level``). Columns not listed are shown as they are, so
        list every count column.
    total_row : hashable, optional
        Index label of a total row (e.g. the county), so secondary suppression protects it.
    area_level : str, optional
        Defaults to the active context's level.

    Returns
    -------
    pandas.DataFrame
        The published (suppressed, text) table.
    """
    from sna_lib.publication import disclosure

    ctx = context()
    level = area_level or ctx.area_level
    table = df
    note = None
    if count_columns:
        table = disclosure.suppress_counts(df, list(count_columns), area_level=level, config=ctx.config,
                                           total_row=total_row)
        if any(disclosure.is_suppressed(v) for c in count_columns for v in table[c].tolist()):
            note = disclosure.suppression_note(ctx.config)
    if table.index.name is not None or isinstance(table.index, pd.MultiIndex):
        table = table.reset_index()
    else:
        table = table.reset_index(drop=True)
    _display_markdown(charts.table_markdown(table, name, caption=caption, out_dir=ctx.downloads_dir,
                                            note=note, max_rows=max_rows))
    return table


def glue_value(key: str, table: str, row: Any, column: str, *, area: str | None = None,
               percent: bool = False) -> str:
    """Glue one published cell's text under ``key`` (``{glue:text}`key``` in prose); returns it.

    ``percent=True`` adds ``%`` unless the cell is withheld or missing.
    """
    ctx = context()
    text = ctx.percent(table, row, column, area=area) if percent else ctx.text(table, row, column, area=area)
    return glue_text(key, text)


def show_published(table: pd.DataFrame, name: str, caption: str, *, max_rows: int = 60,
                   note: str | None = None) -> pd.DataFrame:
    """Show a table built from published cells (``ctx.table(...)``, reshaped with pandas as wished)
    with its caption, CSV download and — when any cell is withheld — the suppression note.

    Nothing is suppressed here: the store holds only publishable values, and the CSV download is
    exactly the table shown (withheld cells carry the marker there too). Returns the table as shown.
    """
    from sna_lib.publication import disclosure

    ctx = context()
    shown = table.reset_index() if (table.index.name is not None or isinstance(table.index, pd.MultiIndex)) \
        else table.reset_index(drop=True)
    hidden = any(ctx.withheld(v) for c in shown.columns for v in shown[c].tolist())
    notes = [n for n in (note, disclosure.suppression_note(ctx.config) if hidden else None) if n]
    _display_markdown(charts.table_markdown(shown, name, caption=caption, out_dir=ctx.downloads_dir,
                                            note=" ".join(notes) or None, max_rows=max_rows))
    return shown


def show_figure(fig, name: str, *, caption: str, alt: str, data: pd.DataFrame) -> None:
    """Show a matplotlib/seaborn figure as a numbered figure with alt text and CSV download."""
    ctx = context()
    _display_markdown(charts.figure_markdown(fig, name, caption=caption, alt=alt, data=data,
                                             out_dir=ctx.downloads_dir))


def show_map(areas, value_column: str, *, title: str, name: str | None = None, caption: str | None = None,
             kind: str = "rate", boundaries="csp", data_columns=None, **kwargs):
    """Display an offline choropleth (see :func:`sna_lib.book.maps.choropleth_map`) + CSV download.

    ``boundaries="csp"`` draws CSP outlines over LSOA polygons (in CSP books: that CSP's outline).
    The CSV holds the mapped values per polygon (code, name, value) — no geometry.
    """
    from IPython.display import display

    from sna_lib.book.maps import choropleth_map

    ctx = context()
    if isinstance(boundaries, str) and boundaries == "csp":
        geo = ctx.geography()
        if ctx.area != "county":
            geo = geo[geo["area"] == ctx.area]
        boundaries = geo[["area", "geometry"]].dissolve(by="area").reset_index()
    offline = choropleth_map(areas, value_column, title=title, kind=kind, boundaries=boundaries, **kwargs)
    display(offline)
    code_col = kwargs.get("code_column", "lsoa_code")
    name_col = kwargs.get("name_column", "lsoa_name")
    columns = list(data_columns) if data_columns else [code_col, name_col, value_column]
    stem = charts.safe_name(name or title)
    data = pd.DataFrame(areas[columns])
    from sna_lib.data.tableio import write_csv

    write_csv(data, ctx.downloads_dir / f"{stem}.csv")
    text = charts.markdown_escape(caption or title)
    _display_markdown(f"{text} {{download}}`Download the mapped values (CSV) <{charts.DOWNLOAD_TOKEN}{stem}.csv>`\n")
    return offline


# --------------------------------------------------------------------------- provenance


def code_fingerprint() -> str:
    """sha256 of every source/data file of the installed ``sna_lib`` package (short, 12 hex).

    Examples
    --------
    >>> len(code_fingerprint())
    12
    """
    digest = hashlib.sha256()
    for path in sorted(_REPO_SRC.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc"}:
            digest.update(path.relative_to(_REPO_SRC).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def git_commit() -> str | None:
    """Short git commit of the source tree, with ``+dirty`` when ``src/sna_lib`` has local edits."""
    root = _REPO_SRC.parents[1]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src/sna_lib"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "") if commit else None


def provenance(data_dir: str | os.PathLike | None = None) -> dict:
    """Provenance of the active run: data as at, input file hashes, code version.

    In a notebook run (after :func:`setup`, no ``data_dir``) it is the published store's own
    provenance: the real period of the records (first and last date), the input hashes, code and
    git commit the store was computed from. Otherwise read from the pipeline's
    ``provenance.json`` beside the validated copy; computed when absent.
    """
    ctx = _ACTIVE
    if data_dir is None and ctx is not None and ctx.store_dir is not None:
        info = ctx.store.provenance
        return {k: info.get(k) for k in ("data_as_at", "first_date", "last_date", "inputs", "version", "code",
                                         "git", "reporting_year", "rolling_end")}
    path = Path(data_dir) if data_dir is not None else (ctx.data_dir if ctx else None)
    if path is not None and (path / PROVENANCE_FILE).is_file():
        return json.loads((path / PROVENANCE_FILE).read_text(encoding="utf-8"))
    from sna_lib import __version__

    files = {}
    if path is not None:
        from sna_lib.data.schemas import TABLES
        from sna_lib.data.tableio import contract_files

        definitions = ctx.config.definitions if ctx else ()
        for f in contract_files(path, {n: s.geo for n, s in TABLES.items()}, definitions):
            files[f.relative_to(path).as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    config = ctx.config if ctx else None
    return {
        "data_as_at": str(config.rolling_end) if config is not None else None,
        "inputs": files,
        "version": __version__,
        "code": code_fingerprint(),
        "git": git_commit(),
    }


def provenance_text(info: dict) -> str:
    """Provenance statement (MyST) from :func:`provenance` output: summary line + input hashes.

    Examples
    --------
    >>> print(provenance_text({"data_as_at": "2023-12-31", "inputs": {"crimes.csv": "ab" * 32},
    ...                        "version": "0.1.0", "code": "0123456789ab", "git": "5dba6da"}))
    Data as at 2023-12-31 · sna-book 0.1.0 · sna\\_lib 0123456789ab · git 5dba6da
    <BLANKLINE>
    Input files (sha256): crimes.csv abababababab.
    """
    code = f"sna-book {info.get('version')} · sna_lib {info.get('code')}"
    if info.get("git"):
        code += f" · git {info['git']}"
    span = (f" (records {info['first_date']} to {info['last_date']})"
            if info.get("first_date") and info.get("last_date") else "")
    summary = charts.markdown_escape(f"Data as at {info.get('data_as_at')}{span} · {code}")
    inputs = ", ".join(f"{name} {digest[:12]}" for name, digest in sorted(info.get("inputs", {}).items()))
    return summary + "\n\n" + charts.markdown_escape(f"Input files (sha256): {inputs or 'none recorded'}.")


def provenance_stamp() -> str:
    """Display (and return) the provenance note for the bottom of a page (a collapsed box)."""
    text = provenance_text(provenance())
    _display_markdown(f"````{{admonition}} Provenance\n:class: dropdown note sna-provenance\n{text}\n````\n")
    return text
