"""Partnership-authored pages from the data folder: sanitised, attributed, validated."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from sna_lib.book.partnership_content import READINESS_ELEMENTS, partnership_pages, safe_markdown
from sna_lib.errors import DataValidationError

HOSTILE = """# Our aims
We work **together**.
<script>alert('x')</script>
<img src=x onerror=alert(1)>
```{eval-rst}
.. raw:: html
```
:::{admonition} injected
:::
{{ secret }} and {sub-ref}`today` and $x$ [link](javascript:alert(1))
- item *one*
"""


def _html(md: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(md)


def test_safe_markdown_shows_html_directives_and_substitutions_literally():
    out = safe_markdown(HOSTILE)
    html = _html(out)
    assert "<script" not in html and "<img" not in html  # raw HTML is text, not tags
    assert "&lt;script&gt;" in html
    assert "```{" not in out and ":::{" not in out  # no directive fences survive
    assert "{{" not in out and "{sub-ref}`" not in out  # no substitution, no role
    assert "<a " not in html  # no link
    assert "<strong>together</strong>" in html and "<em>one</em>" in html  # the safe subset still works
    assert out.startswith("## Our aims")  # the page title stays ours


def _folder(tmp_path, **files):
    d = tmp_path / "data" / "partnership"
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return tmp_path / "data"


def test_pages_are_attributed_and_tables_rendered(tmp_path):
    from conftest import REPO

    data = _folder(tmp_path, about__yaml="author: Demoshire <b>VRP</b>\n", evaluation__md=HOSTILE,
                   recommendations__yaml=(
                       "- theme: Knife crime\n  prevention_stage: Secondary\n  recommendation: Fund A&E navigators\n"
                       "  impact: Fewer repeat victims\n  evidence: [hotspots, young_people]\n"),
                   readiness__yaml="Data sharing: 4\nEvaluation: 2\n",
                   programme_outputs__yaml="- programme: Mentoring\n  output: young people supported\n  value: 120\n")
    pages = partnership_pages(data, REPO / "book")
    assert set(pages) == {"evaluation.md", "partnership.md"}
    for text in pages.values():
        assert "supplied by **Demoshire \\<b\\>VRP\\</b\\>**" in text
    part = pages["partnership.md"]
    assert "| Knife crime | secondary | Fund A&E navigators | Fewer repeat victims |" in part
    assert "{doc}`hotspots </notebooks/07_place>`" in part and "{doc}`young people </notebooks/06_people>`" in part
    assert "| Data sharing | 4 |" in part and "| Strategy | not assessed |" in part
    assert sum(1 for e in READINESS_ELEMENTS if f"| {e} |" in part) == 8
    assert "| Mentoring | young people supported | 120 |" in part
    assert part.startswith("# Our partnership")  # generic page kept, tables appended


def test_no_partnership_folder_keeps_the_generic_pages(tmp_path):
    assert partnership_pages(tmp_path, tmp_path) == {}


@pytest.mark.parametrize("name, text, where", [
    ("recommendations.yaml", "- theme: T\n  prevention_stage: quaternary\n  recommendation: R\n  impact: I\n",
     "column 'prevention_stage', row 1"),
    ("recommendations.yaml", "- theme: T\n  prevention_stage: primary\n  recommendation: R\n  impact: I\n"
                             "  evidence: [astrology]\n", "column 'evidence', row 1"),
    ("readiness.yaml", "Data sharing: 7\n", "column 'Data sharing'"),
    ("readiness.yaml", "Vibes: 3\n", "column 'Vibes'"),
    ("programme_outputs.yaml", "- programme: P\n  value: -4\n", "column 'value', row 1"),
    ("recommendations.yaml", "- [unclosed\n", "not valid YAML"),
])
def test_bad_partnership_files_name_file_key_and_row(tmp_path, name, text, where):
    data = _folder(tmp_path, **{name.replace(".", "__"): text})
    with pytest.raises(DataValidationError) as err:
        partnership_pages(data, tmp_path)
    assert name in str(err.value) and where in str(err.value)
