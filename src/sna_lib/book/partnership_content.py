"""Partnership-authored content from the data folder: their own words, shown safely and attributed.

A partnership may put a ``partnership/`` folder in its data folder::

    partnership/
      about.yaml               # author: "Demoshire Violence Reduction Partnership"
      partnership.md           # "Our partnership" page (replaces the generic template)
      evaluation.md            # evaluation annex
      lived_experience.md      # lived experience page
      community.md             # community page
      recommendations.yaml     # - theme, prevention_stage, recommendation, impact, evidence
      readiness.yaml           # Home Office readiness assessment: element -> score 1..5 (8 elements)
      programme_outputs.yaml   # - programme, output, value

Markdown is rendered as a **safe subset** (:func:`safe_markdown`): headings (level 2–4),
paragraphs, bullet and numbered lists, ``**bold**`` and ``*italic*``. Everything else is shown
literally: raw HTML and ``<script>`` appear as text, MyST directives (```` ```{…} ````, ``:::``),
roles (``{role}`…```), substitutions (``{{ … }}``), links, images and maths are not evaluated.
Every page says whose words they are. Without a file the generic page stays.

Recommendations link to the computed themes they rest on (``evidence``: one of
:data:`THEMES`), which become links to the book page that computes them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sna_lib.book.charts import markdown_escape
from sna_lib.errors import DataValidationError, Problem

__all__ = ["THEMES", "READINESS_ELEMENTS", "PREVENTION_STAGES", "safe_markdown", "partnership_pages"]

#: Computed themes a recommendation may rest on → the book page computing it.
THEMES = {
    "key_measures": "/notebooks/04_key_measures", "trends": "/notebooks/05_trends",
    "people": "/notebooks/06_people", "young_people": "/notebooks/06_people",
    "domestic_abuse": "/notebooks/06_people", "place": "/notebooks/07_place",
    "hotspots": "/notebooks/07_place", "risk_factors": "/notebooks/08_risk_factors",
    "risk_index": "/notebooks/08_risk_factors", "community": "/notebooks/09_community_voices",
    "harm": "/notebooks/03_what_is_sv", "data_quality": "/notebooks/11_data_quality",
}
PREVENTION_STAGES = ("primary", "secondary", "tertiary")
#: The eight elements of the Home Office Serious Violence Duty readiness self-assessment.
READINESS_ELEMENTS = (
    "Partnership structures", "Leadership and governance", "Data sharing", "Strategic needs assessment",
    "Strategy", "Community engagement", "Workforce and training", "Evaluation",
)
_PAGES = {"partnership.md": "partnership.md", "evaluation.md": "evaluation.md",
          "lived_experience.md": "lived_experience.md", "community.md": "community.md"}
_LINE = re.compile(r"^(?P<indent>\s*)(?P<mark>#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+)?(?P<text>.*)$")


def _inline(text: str) -> str:
    """Escape ``text`` for MyST, then allow ``**bold**`` and ``*italic*`` back (content stays escaped).

    Examples
    --------
    >>> _inline("**Knife** crime <b>x</b> {{ secret }}")
    '**Knife** crime \\\\<b\\\\>x\\\\</b\\\\> \\\\{\\\\{ secret \\\\}\\\\}'
    """
    out = markdown_escape(text)
    out = re.sub(r"\\\*\\\*(?=\S)(.+?)(?<=\S)\\\*\\\*", r"**\1**", out)
    out = re.sub(r"(?<![\\*])\\\*(?=\S)([^*]+?)(?<=\S)\\\*", r"*\1*", out)
    return out


def safe_markdown(text: str) -> str:
    """Partnership Markdown reduced to the safe subset (see module docstring).

    Examples
    --------
    >>> print(safe_markdown("# Title\\n## Aims\\n- one *two*\\n<script>alert(1)</script>\\n```{eval-rst}\\nx\\n```"), end="")
    ## Title
    <BLANKLINE>
    ## Aims
    <BLANKLINE>
    - one *two*
    \\<script\\>alert(1)\\</script\\>
    \\`\\`\\`\\{eval-rst\\}
    x
    \\`\\`\\`
    """
    lines = []
    for raw in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _LINE.match(raw)
        mark, body = (m.group("mark") or ""), m.group("text")
        if mark.startswith("#"):
            level = min(4, max(2, len(mark.strip())))  # the page title is ours
            lines += ["#" * level + " " + _inline(body.strip()), ""]
        elif mark:
            bullet = "-" if mark.strip()[0] in "-*+" else mark.strip()[:-1] + "."
            lines.append(("  " if m.group("indent") else "") + bullet + " " + _inline(body))
        else:
            lines.append(_inline(raw.strip()))
    return "\n".join(lines).strip() + "\n"


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataValidationError([Problem(str(path), None, None, f"not valid YAML: {exc}")]) from exc


def _attribution(author: str) -> str:
    return (f"```{{note}}\nThe text on this page is the partnership's own, supplied by "
            f"**{markdown_escape(author)}**. The figures elsewhere in the book are computed from the data.\n```\n")


def _recommendations(path: Path) -> str:
    items = _load_yaml(path) or []
    if not isinstance(items, list):
        raise DataValidationError([Problem(str(path), None, None, "must be a list of recommendations")])
    rows = []
    for i, item in enumerate(items, start=1):
        where = lambda col: Problem(str(path), col, i, "")  # noqa: E731
        if not isinstance(item, dict):
            raise DataValidationError([Problem(str(path), None, i, "each recommendation is a mapping")])
        missing = [k for k in ("theme", "prevention_stage", "recommendation", "impact") if not item.get(k)]
        if missing:
            raise DataValidationError([Problem(str(path), k, i, "missing") for k in missing])
        stage = str(item["prevention_stage"]).strip().lower()
        if stage not in PREVENTION_STAGES:
            raise DataValidationError([Problem(str(path), "prevention_stage", i,
                                               f"{stage!r} is not one of {', '.join(PREVENTION_STAGES)}")])
        evidence = item.get("evidence") or []
        evidence = [evidence] if isinstance(evidence, str) else list(evidence)
        unknown = [e for e in evidence if e not in THEMES]
        if unknown:
            p = where("evidence")
            raise DataValidationError([Problem(p.file, p.column, p.row,
                                               f"unknown computed theme(s) {unknown}: use {', '.join(sorted(THEMES))}")])
        links = ", ".join(f"{{doc}}`{markdown_escape(e.replace('_', ' '))} <{THEMES[e]}>`" for e in evidence) or "–"
        rows.append("| " + " | ".join([markdown_escape(item["theme"]), stage, markdown_escape(item["recommendation"]),
                                       markdown_escape(item["impact"]), links]) + " |")
    if not rows:
        return ""
    return ("| Theme | Prevention stage | Recommendation | Impact | Evidence in this book |\n"
            "|:---|:---|:---|:---|:---|\n" + "\n".join(rows) + "\n")


def _readiness(path: Path) -> str:
    data = _load_yaml(path) or {}
    if not isinstance(data, dict):
        raise DataValidationError([Problem(str(path), None, None, "must map each element to a score 1-5")])
    unknown = [k for k in data if k not in READINESS_ELEMENTS]
    problems = [Problem(str(path), str(k), None, f"not one of the 8 elements: {', '.join(READINESS_ELEMENTS)}")
                for k in unknown]
    for k, v in data.items():
        if k in READINESS_ELEMENTS and not (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5):
            problems.append(Problem(str(path), str(k), None, f"score must be a whole number 1-5, got {v!r}"))
    if problems:
        raise DataValidationError(problems)
    rows = [f"| {markdown_escape(e)} | {data[e] if e in data else 'not assessed'} |" for e in READINESS_ELEMENTS]
    return "| Element | Score (1–5) |\n|:---|---:|\n" + "\n".join(rows) + "\n"


def _outputs(path: Path) -> str:
    items = _load_yaml(path) or []
    if not isinstance(items, list):
        raise DataValidationError([Problem(str(path), None, None, "must be a list of programme outputs")])
    rows = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("programme") or item.get("value") is None:
            raise DataValidationError([Problem(str(path), "programme/value", i, "each output needs programme and value")])
        value = item["value"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise DataValidationError([Problem(str(path), "value", i, f"must be a non-negative number, got {value!r}")])
        rows.append(f"| {markdown_escape(item['programme'])} | {markdown_escape(item.get('output', ''))} | {value:,} |")
    return "| Programme | Output | Number |\n|:---|:---|---:|\n" + "\n".join(rows) + "\n" if rows else ""


def partnership_pages(data_dir: Path | str, defaults_dir: Path | str) -> dict[str, str]:
    """Pages (file name in ``book/`` → MyST text) built from ``<data_dir>/partnership/``.

    Only pages the partnership supplied are returned; ``defaults_dir`` (the project's ``book/``)
    provides the generic page a supplied table is appended to when its text is absent.

    Raises
    ------
    DataValidationError
        A YAML file is malformed (file, key and row named).
    """
    folder = Path(data_dir) / "partnership"
    if not folder.is_dir():
        return {}
    about = _load_yaml(folder / "about.yaml") if (folder / "about.yaml").is_file() else {}
    author = str((about or {}).get("author") or "the partnership")
    titles = {"partnership.md": "Our partnership", "evaluation.md": "Annex: evaluation framework",
              "lived_experience.md": "Lived experience", "community.md": "Our communities"}
    pages: dict[str, str] = {}
    for name in _PAGES:
        if (folder / name).is_file():
            pages[name] = (f"# {titles[name]}\n\n{_attribution(author)}\n"
                           f"{safe_markdown((folder / name).read_text(encoding='utf-8'))}")
    extras = []
    if (folder / "recommendations.yaml").is_file():
        table = _recommendations(folder / "recommendations.yaml")
        if table:
            extras.append("## Recommendations\n\nThemes, prevention stage, the partnership's recommendations and "
                          "their expected impact, with the part of this book each rests on.\n\n" + table)
    if (folder / "readiness.yaml").is_file():
        extras.append("## Readiness assessment\n\nThe partnership's self-assessment against the eight elements of "
                      "the Home Office Serious Violence Duty readiness framework (1 = not started, 5 = "
                      "embedded).\n\n" + _readiness(folder / "readiness.yaml"))
    if (folder / "programme_outputs.yaml").is_file():
        table = _outputs(folder / "programme_outputs.yaml")
        if table:
            extras.append("## Programme outputs\n\nAs reported by each programme (not computed from the "
                          "book's data).\n\n" + table)
    if extras:
        base = pages.get("partnership.md")
        if base is None:
            base = (Path(defaults_dir) / "partnership.md").read_text(encoding="utf-8")
            base = base.rstrip() + "\n\n" + _attribution(author)
        pages["partnership.md"] = base.rstrip() + "\n\n" + "\n".join(extras)
    return pages
