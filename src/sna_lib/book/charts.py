"""Chart and table helpers for book notebooks: colour-blind-safe style, alt text, CSV downloads.

Every figure and table a notebook shows goes through :func:`figure_markdown` or
:func:`table_markdown`. Both write their data as CSV (and the figure as PNG) into the run's
``downloads`` folder and return MyST Markdown that the book renders as a numbered figure/table
with a caption, alt text and a ``{download}`` link. Paths in that Markdown start with
:data:`DOWNLOAD_TOKEN`; the book pipeline rewrites the token to the page's own download folder
when it assembles the book, so the same executed notebook can become several pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

__all__ = [
    "DOWNLOAD_TOKEN",
    "OKABE_ITO",
    "apply_style",
    "figure_markdown",
    "table_markdown",
    "safe_name",
    "markdown_escape",
]

#: Placeholder prefix for files a notebook writes; replaced by ``downloads/<page>/`` in the book.
DOWNLOAD_TOKEN = "sna-downloads/"

#: Okabe & Ito (2008) qualitative palette: distinguishable with all common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|$~])")


def apply_style() -> None:
    """Set the seaborn/matplotlib style used by every chart (deterministic, colour-blind safe).

    Examples
    --------
    >>> apply_style()
    >>> import matplotlib as mpl
    >>> mpl.colors.to_hex(mpl.rcParams["axes.prop_cycle"].by_key()["color"][0])
    '#0072b2'
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=list(OKABE_ITO))
    mpl.rcParams.update({
        "figure.figsize": (8, 4.5),
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "savefig.bbox": "tight",
        "svg.hashsalt": "sna-book",
        "axes.titleweight": "bold",
        "font.family": "DejaVu Sans",
        # names from data ("$" in a place name) are plot text, never mathtext to be parsed
        "text.parse_math": False,
        "text.usetex": False,
    })


def safe_name(name: str) -> str:
    """A file-name-safe slug of ``name``.

    Examples
    --------
    >>> safe_name("SV offences by CSP, 2023")
    'sv-offences-by-csp-2023'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot make a file name from {name!r}")
    return slug


def markdown_escape(text: object) -> str:
    """Escape text so MyST shows it literally (inside tables, captions, alt text).

    Examples
    --------
    >>> markdown_escape("[c] | 5*2")
    '\\\\[c\\\\] \\\\| 5\\\\*2'
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _write_csv(data: pd.DataFrame, path: Path) -> None:
    from sna_lib.data.tableio import write_csv

    write_csv(data, path)


def figure_markdown(fig, name: str, *, caption: str, alt: str, data: pd.DataFrame,
                    out_dir: Path | str) -> str:
    """Save ``fig`` as PNG and ``data`` as CSV; return MyST Markdown for a captioned figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart. It is closed afterwards so it is not displayed a second time.
    name : str
        Short unique name within the notebook; becomes the file names and the figure label.
    caption : str
        Visible caption (plain text).
    alt : str
        Alternative text for screen readers: what the chart shows, in a sentence or two.
    data : pandas.DataFrame
        The numbers plotted, already disclosure-safe (aggregates; small counts suppressed).
    out_dir : path
        The run's download folder (see :attr:`sna_lib.book.nbhelpers.BookContext.downloads_dir`).

    Returns
    -------
    str
        MyST Markdown: a ``{figure}`` directive with ``:alt:`` and a CSV ``{download}`` link.

    Examples
    --------
    >>> import tempfile, matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); _ = ax.bar(["A", "B"], [3, 5])
    >>> md = figure_markdown(fig, "demo", caption="Two bars", alt="Bar chart: A 3, B 5",
    ...                      data=pd.DataFrame({"x": ["A", "B"], "y": [3, 5]}), out_dir=tempfile.mkdtemp())
    >>> md.splitlines()[0], md.splitlines()[1]
    ('```{figure} sna-downloads/demo.png', ':alt: Bar chart: A 3, B 5')
    """
    import matplotlib.pyplot as plt

    if not alt or not alt.strip():
        raise ValueError("every chart needs alt text describing what it shows")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = safe_name(name)
    fig.savefig(out_dir / f"{stem}.png", format="png", metadata={"Software": None})
    plt.close(fig)
    _write_csv(data, out_dir / f"{stem}.csv")
    alt_text = " ".join(str(alt).split()).replace("\n", " ")
    return (
        f"```{{figure}} {DOWNLOAD_TOKEN}{stem}.png\n"
        f":alt: {alt_text}\n"
        f":name: fig-{stem}\n"
        f":width: 100%\n\n"
        f"{markdown_escape(caption)} "
        f"{{download}}`Download the data (CSV) <{DOWNLOAD_TOKEN}{stem}.csv>`\n"
        f"```\n"
    )


def table_markdown(table: pd.DataFrame, name: str, *, caption: str, out_dir: Path | str,
                   note: str | None = None, max_rows: int = 60) -> str:
    """Write ``table`` as CSV and return MyST Markdown for a captioned table with a download link.

    Parameters
    ----------
    table : pandas.DataFrame
        Publication-ready cells (suppression already applied); the index is not shown, so
        move labels into columns first (``reset_index()``).
    name : str
        Short unique name within the notebook (file name and table label).
    caption : str
        Table caption (plain text).
    out_dir : path
        The run's download folder.
    note : str, optional
        Footnote shown under the table (e.g. the suppression note).
    max_rows : int
        Rows shown on the page; the CSV always holds every row.

    Returns
    -------
    str
        MyST Markdown.

    Examples
    --------
    >>> import tempfile
    >>> md = table_markdown(pd.DataFrame({"CSP": ["North"], "Offences": ["[c]"]}), "t1",
    ...                     caption="Offences", out_dir=tempfile.mkdtemp())
    >>> print(md.splitlines()[0]); print(md.splitlines()[5])
    ```{table} Offences
    | North | \\[c\\] |
    """
    out_dir = Path(out_dir)
    stem = safe_name(name)
    _write_csv(table, out_dir / f"{stem}.csv")
    shown = table.head(max_rows)
    header = "| " + " | ".join(markdown_escape(c) for c in shown.columns) + " |"
    align = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(shown[c]) else ":---"
                           for c in shown.columns) + "|"
    rows = [
        "| " + " | ".join(_cell(v) for v in row) + " |"
        for row in shown.itertuples(index=False, name=None)
    ]
    lines = [f"```{{table}} {markdown_escape(caption)}", f":name: tbl-{stem}", "", header, align, *rows, "```", ""]
    if len(table) > max_rows:
        lines.append(f"First {max_rows:,} of {len(table):,} rows shown; the CSV has them all.")
        lines.append("")
    if note:
        lines.append(markdown_escape(note))
        lines.append("")
    lines.append(f"{{download}}`Download this table (CSV) <{DOWNLOAD_TOKEN}{stem}.csv>`")
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return "–"
    if isinstance(value, float):
        return markdown_escape(f"{value:,.1f}")
    if isinstance(value, int) and not isinstance(value, bool):
        return markdown_escape(f"{value:,}")
    return markdown_escape(value)


def palette(n: int) -> Sequence[str]:
    """The first ``n`` Okabe-Ito colours (cycled when ``n`` > 8).

    Examples
    --------
    >>> palette(2)
    ['#0072B2', '#E69F00']
    """
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]
