"""Analysts edit the MyST notebooks directly: no parameters needed to run one, no generator step.

* A notebook opened in JupyterLab runs with its parameters cell as committed (``data_dir=None``):
  it then reads ``$SNA_DATA_DIR`` (``make lab`` sets it) or the demo county in ``build/demo-data``.
* The edit of issue 10's "Done when" — a Markdown sentence and a pandas-built table added to the
  people notebook — goes straight from the ``.md`` file into the built book.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _text(page: Path) -> str:
    raw = page.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _outputs(nb: dict) -> str:
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            parts.extend(v if isinstance(v, str) else json.dumps(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_notebook_without_injected_parameters_runs_on_SNA_DATA_DIR(demo_dir, demo_copy, tmp_path, monkeypatch):
    import papermill as pm

    from sna_lib.book.pipeline import read_notebook

    monkeypatch.setenv("SNA_DATA_DIR", str(demo_dir))
    # the cache holding the session's validated copy of demo_dir: the kernel finds it by content key
    monkeypatch.setenv("SNA_CACHE_DIR", str(demo_copy.parents[1]))
    source = tmp_path / "input.ipynb"
    source.write_text(json.dumps(read_notebook(REPO / "notebooks" / "11_data_quality.md")), encoding="utf-8")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(source), str(out), parameters={}, kernel_name="python3", progress_bar=False,
                        cwd=str(tmp_path))
    nb = json.loads(out.read_text(encoding="utf-8"))
    assert not any("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])
    text = _outputs(nb)
    assert "Demoshire (synthetic)" in text  # the county of the data SNA_DATA_DIR points at
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))


def test_default_data_dir_prefers_SNA_DATA_DIR_and_names_a_missing_one(tmp_path, monkeypatch):
    from sna_lib.book.nbhelpers import default_data_dir

    monkeypatch.setenv("SNA_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.setenv("SNA_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        default_data_dir()


def test_default_data_dir_generates_the_demo_once_with_a_message(tmp_path, monkeypatch, capsys):
    from sna_lib.book import nbhelpers
    from sna_lib.data.config import load_config

    monkeypatch.delenv("SNA_DATA_DIR", raising=False)
    monkeypatch.setenv("SNA_PROJECT_DIR", str(tmp_path))
    monkeypatch.setattr(nbhelpers, "DEMO_SCALE", 0.05)  # the real generator, test-sized
    with pytest.raises(FileNotFoundError, match="make demo-data"):
        nbhelpers.default_data_dir(generate=False)
    demo = nbhelpers.default_data_dir()
    assert demo == tmp_path / "build" / "demo-data"
    assert "generating the synthetic demo county" in capsys.readouterr().err
    assert load_config(demo).synthetic
    stamp = (demo / "crimes.parquet").stat().st_mtime_ns
    assert nbhelpers.default_data_dir() == demo
    assert (demo / "crimes.parquet").stat().st_mtime_ns == stamp  # not generated twice
    assert capsys.readouterr().err == ""


SENTENCE = "Analysts added this sentence in JupyterLab to explain the age chart."
TABLE_CELL = '''```{code-cell}
:tags: [remove-input]

import pandas as pd

roles = pd.DataFrame({"Role": ["Suspects", "Victims"],
                      "Who they are": ["people linked to an investigation", "people harmed by the offence"]})
nb.show_table(roles, "analyst-roles", "Who the people on this page are")
```
'''


def _analyst_edit(source: str) -> str:
    """What an analyst does in JupyterLab: a sentence under a heading and a new table cell."""
    assert "\n## Age\n" in source
    return source.replace("\n## Age\n", f"\n## Age\n\n{SENTENCE}\n\n{TABLE_CELL}\n", 1)


def test_analyst_edit_of_the_people_notebook_reaches_the_built_book(demo_dir, tmp_path, monkeypatch):
    import yaml

    from sna_lib.book.pipeline import build_book, published_dir, read_notebook

    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "book").mkdir()
    (project / "book" / "index.md").write_text("# Book\n\nSee {doc}`/notebooks/06_people`.\n", encoding="utf-8")
    shutil.copy(REPO / "_config.yml", project / "_config.yml")
    (project / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters:\n  - file: notebooks/06_people\n",
                                      encoding="utf-8")
    edited = project / "notebooks" / "06_people.md"
    edited.write_text(_analyst_edit((REPO / "notebooks" / "06_people.md").read_text(encoding="utf-8")),
                      encoding="utf-8")
    monkeypatch.setenv("SNA_PROJECT_DIR", str(project))
    # the edited file is still a valid notebook (jupytext reads it; the new cell is code)
    cells = read_notebook(edited)["cells"]
    assert any(c["cell_type"] == "code" and "pd.DataFrame" in c["source"] for c in cells)

    csp = yaml.safe_load((demo_dir / "config.yaml").read_text(encoding="utf-8"))["csps"][0]
    result = build_book(demo_dir, area=csp, build_dir=tmp_path / "build")
    assert result.ok, "\n".join(map(str, result.failures))
    page = published_dir(tmp_path / "build", csp) / "notebooks" / "06_people.html"
    text = _text(page)
    assert SENTENCE in text
    html = page.read_text(encoding="utf-8")
    table = next(t for t in re.findall(r"<table\b.*?</table>", html, flags=re.S)
                 if "people linked to an investigation" in t)
    assert "people harmed by the offence" in table and "Who they are" in table
    assert "Who the people on this page are" in text
    # the sentence and the table sit in the Age section, where the analyst put them
    age, after = html.index('<section id="age">'), html.index('<section id="suspects-and-victims">')
    assert age < html.index(SENTENCE) < after
    assert age < html.index("people linked to an investigation") < after
