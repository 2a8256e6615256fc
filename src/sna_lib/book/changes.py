"""Monthly refresh: keep each month's published figures and say what changed since last month.

Each build for a month ``YYYY-MM`` (``--as-of``) stores, per book, what it *published* in
``<build_dir>/history/YYYY-MM/<slug>/``:

* ``figures.json`` — the published figures of the book's area, read from the publication store
  (:func:`published_figures`, the same as ``sna figures``);
* the published CSV downloads the comparison needs: ``sv-hotspots.csv`` (hot/cold spot flag
  per neighbourhood) and ``risk-top.csv`` (the highest risk-index neighbourhoods).

The "What changed since last month" page (:func:`changes_page`) compares two such snapshots
only, never the raw data: figures that moved (counts with the exact test of two Poisson counts,
:func:`sna_lib.significance.compare_counts`), neighbourhoods that became or stopped being
hotspots, and risk-index entries that entered, left or changed score. Withheld values stay
withheld (``[c]`` on either side: no change is computed).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from sna_lib.book.charts import markdown_escape

__all__ = ["HISTORY_FILES", "NEIGHBOURHOOD_TABLES", "history_dir", "published_figures", "snapshot", "load_snapshot",
           "figure_changes", "hotspot_changes", "risk_changes", "changes_page"]

#: Published downloads kept per month (file name → page notebook that writes it).
HISTORY_FILES = {"sv-hotspots.csv": "07_place", "risk-top.csv": "08_risk_factors"}


def history_dir(build_dir: Path | str, as_of: str) -> Path:
    """``<build_dir>/history/<YYYY-MM>``.

    Examples
    --------
    >>> history_dir("book/_build", "2023-07").as_posix()
    'book/_build/history/2023-07'
    """
    return Path(build_dir) / "history" / as_of


#: Store tables with one row per neighbourhood: compared in the page's hotspot and risk-index
#: sections (from their CSV downloads), not figure by figure.
NEIGHBOURHOOD_TABLES = ("place.hotspot_lsoas", "risk.index", "risk.layers")


def published_figures(store, area: str) -> dict[str, Any]:
    """The published figures of ``area`` in the publication ``store`` as ``sna figures`` exports
    them (:func:`sna_lib.publication.figures.figure_rows`), less the per-neighbourhood tables
    (:data:`NEIGHBOURHOOD_TABLES`)."""
    from sna_lib.publication.figures import figure_rows

    return {key: value for key, value, cell in figure_rows(store, area)
            if cell is None or cell[0] not in NEIGHBOURHOOD_TABLES}


def snapshot(folder: Path, figures: dict[str, Any], downloads: dict[str, Path]) -> None:
    """Write one month's snapshot of one book (figures + the published CSVs in ``downloads``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "figures.json").write_text(json.dumps({"figures": figures}, indent=1, sort_keys=True,
                                                    ensure_ascii=False) + "\n", encoding="utf-8")
    for name, path in downloads.items():
        if path is not None and Path(path).is_file():
            shutil.copyfile(path, folder / name)


def load_snapshot(folder: Path) -> dict[str, Any] | None:
    """``{"figures": {...}, "<csv name>": DataFrame, ...}`` or None when the month was not kept."""
    path = folder / "figures.json"
    if not path.is_file():
        return None
    out: dict[str, Any] = {"figures": json.loads(path.read_text(encoding="utf-8"))["figures"]}
    for name in HISTORY_FILES:
        if (folder / name).is_file():
            out[name] = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def figure_changes(before: dict[str, Any], after: dict[str, Any], *, marker: str = "[c]") -> pd.DataFrame:
    """Figures whose published value differs between two months.

    Counts (whole numbers in both months, names not ending in ``pct``/``rate``/``p_value``...) get
    the exact conditional test of two Poisson counts; other numbers are reported untested.

    Examples
    --------
    >>> t = figure_changes({"a.offences": 15, "a.pct": 2.0, "a.same": 3, "b.n": "[c]"},
    ...                    {"a.offences": 40, "a.pct": 2.5, "a.same": 3, "b.n": 9})
    >>> t[["figure", "before", "after", "change"]].values.tolist()
    [['a.offences', 15, 40, 25], ['a.pct', 2.0, 2.5, 0.5], ['b.n', '[c]', 9, 'withheld']]
    >>> t["significant"].tolist()
    [True, None, None]
    """
    from sna_lib.measures.significance import compare_counts

    rows = []
    for key in sorted(set(before) & set(after)):
        if key.startswith("meta."):
            continue
        b, a = before[key], after[key]
        if b == a or not ((_is_number(b) or b == marker) and (_is_number(a) or a == marker)):
            continue
        row = {"figure": key, "before": b, "after": a, "change": "withheld", "p_value": None, "significant": None}
        if _is_number(a) and _is_number(b):
            row["change"] = round(a - b, 4)
            count_like = (float(a).is_integer() and float(b).is_integer() and a >= 0 and b >= 0
                          and not any(t in key for t in ("pct", "rate", "p_value", "share", "ratio", "rank",
                                                          "year", "change", "per_1000", "mean", "median")))
            if count_like:
                test = compare_counts(int(b), int(a))
                row["p_value"], row["significant"] = round(float(test.p_value), 4), bool(test.significant)
        rows.append(row)
    return pd.DataFrame(rows, columns=["figure", "before", "after", "change", "p_value", "significant"], dtype=object)


def hotspot_changes(before: pd.DataFrame | None, after: pd.DataFrame | None) -> pd.DataFrame:
    """Neighbourhoods that became (``new``) or stopped being (``dropped``) serious violence hotspots.

    Examples
    --------
    >>> b = pd.DataFrame({"lsoa_code": ["A", "B"], "lsoa_name": ["a", "b"], "value": ["hot", "not significant"]})
    >>> a = pd.DataFrame({"lsoa_code": ["A", "B"], "lsoa_name": ["a", "b"], "value": ["not significant", "hot"]})
    >>> hotspot_changes(b, a).values.tolist()
    [['B', 'b', 'new'], ['A', 'a', 'dropped']]
    """
    if before is None or after is None:
        return pd.DataFrame(columns=["lsoa_code", "lsoa_name", "change"])
    hot_b = set(before.loc[before["value"] == "hot", "lsoa_code"])
    hot_a = set(after.loc[after["value"] == "hot", "lsoa_code"])
    names = dict(zip(pd.concat([before, after])["lsoa_code"], pd.concat([before, after])["lsoa_name"]))
    rows = [(c, names.get(c, ""), "new") for c in sorted(hot_a - hot_b)]
    rows += [(c, names.get(c, ""), "dropped") for c in sorted(hot_b - hot_a)]
    return pd.DataFrame(rows, columns=["lsoa_code", "lsoa_name", "change"])


def risk_changes(before: pd.DataFrame | None, after: pd.DataFrame | None) -> pd.DataFrame:
    """Risk-index top entries that entered, left or changed score between two months.

    Examples
    --------
    >>> b = pd.DataFrame({"LSOA code": ["A", "B"], "Neighbourhood": ["a", "b"], "Score": ["5", "4"]})
    >>> a = pd.DataFrame({"LSOA code": ["A", "C"], "Neighbourhood": ["a", "c"], "Score": ["6", "4"]})
    >>> risk_changes(b, a).values.tolist()
    [['C', 'c', '', '4', 'entered'], ['B', 'b', '4', '', 'left'], ['A', 'a', '5', '6', 'score changed']]
    """
    cols = ["lsoa_code", "neighbourhood", "score_before", "score_after", "change"]
    if before is None or after is None or "LSOA code" not in before or "LSOA code" not in after:
        return pd.DataFrame(columns=cols)
    b = dict(zip(before["LSOA code"], zip(before["Neighbourhood"], before["Score"])))
    a = dict(zip(after["LSOA code"], zip(after["Neighbourhood"], after["Score"])))
    rows = [(c, a[c][0], "", a[c][1], "entered") for c in sorted(set(a) - set(b))]
    rows += [(c, b[c][0], b[c][1], "", "left") for c in sorted(set(b) - set(a))]
    rows += [(c, a[c][0], b[c][1], a[c][1], "score changed") for c in sorted(set(a) & set(b)) if a[c][1] != b[c][1]]
    return pd.DataFrame(rows, columns=cols)


def _md_table(frame: pd.DataFrame, header: list[str]) -> list[str]:
    lines = ["| " + " | ".join(markdown_escape(h) for h in header) + " |", "|" + "|".join(":---" for _ in header) + "|"]
    for row in frame.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(markdown_escape("–" if v is None or v == "" else v) for v in row) + " |")
    return lines + [""]


def changes_page(area_label: str, as_of: str, previous_month: str, current: dict[str, Any],
                 previous: dict[str, Any] | None, *, marker: str = "[c]") -> str:
    """MyST Markdown of the "What changed since last month" page (all data text escaped)."""
    esc = markdown_escape
    lines = [f"# What changed since last month: {esc(area_label)}", "",
             f"This page compares the figures this book published for the twelve months to **{esc(as_of)}** "
             f"with those published for the twelve months to **{esc(previous_month)}**. It is computed from "
             "the two months' published figures only (after disclosure control), so a withheld value stays "
             "withheld and no change is worked out from it.", ""]
    if previous is None:
        lines += [f"No figures were kept for {esc(previous_month)} in this build folder, so there is nothing to "
                  "compare yet. The next monthly run will compare with this month.", ""]
        return "\n".join(lines) + "\n"
    moved = figure_changes(previous["figures"], current["figures"], marker=marker)
    lines += ["## Figures that moved", ""]
    if moved.empty:
        lines += ["No published figure changed.", ""]
    else:
        sig = moved["significant"].map({True: "yes", False: "no"}).fillna("not tested (not a count)")
        shown = moved.assign(significant=sig, p_value=moved["p_value"].map(lambda p: "–" if p is None or p != p else f"{p:.3f}"))
        lines += [f"{len(moved)} published figures changed. Counts are compared with the exact test of two "
                  "Poisson counts (significant at the 5% level); rates and shares are shown without a test.", ""]
        lines += _md_table(shown, ["Figure", esc(previous_month), esc(as_of), "Change", "p-value", "Significant?"])
    hot = hotspot_changes(previous.get("sv-hotspots.csv"), current.get("sv-hotspots.csv"))
    lines += ["## Hotspots: new and dropped", ""]
    lines += (["No neighbourhood became or stopped being a serious violence hotspot.", ""] if hot.empty
              else _md_table(hot, ["LSOA code", "Neighbourhood", "Change"]))
    risk = risk_changes(previous.get("risk-top.csv"), current.get("risk-top.csv"))
    lines += ["## Risk index", ""]
    lines += (["No change among the highest-scoring neighbourhoods.", ""] if risk.empty
              else _md_table(risk, ["LSOA code", "Neighbourhood", f"Score {esc(previous_month)}",
                                    f"Score {esc(as_of)}", "Change"]))
    return "\n".join(lines) + "\n"


def monthly_page(build_dir: Path, data_copy: Path, area: str, area_label: str, *, reporting_year: int | None,
                 rolling_end: str, downloads: dict[str, Path]) -> tuple[str, dict[str, Any]]:
    """The "What changed" page of one book and its current snapshot (to keep once published).

    ``downloads`` maps each :data:`HISTORY_FILES` name to this run's published CSV.
    """
    from sna_lib.book.nbhelpers import open_store
    from sna_lib.period import previous_month
    from sna_lib.publication.stage import ensure_store

    as_of = rolling_end[:7]
    store = open_store(ensure_store(data_copy, reporting_year=reporting_year, as_of=as_of))
    prev = previous_month(as_of)
    figures = published_figures(store, area)
    current: dict[str, Any] = {"figures": figures}
    for name, path in downloads.items():
        if path is not None and Path(path).is_file():
            current[name] = pd.read_csv(path, dtype=str, keep_default_na=False)
    from sna_lib.book.pipeline import area_slug

    previous = load_snapshot(history_dir(build_dir, prev) / area_slug(area))
    page = changes_page(area_label, as_of, prev, current, previous, marker=store.marker)
    return page, {"folder": history_dir(build_dir, as_of) / area_slug(area), "figures": figures,
                  "downloads": downloads}
