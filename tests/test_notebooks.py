"""Checks on the section notebooks in ``notebooks/``.

Static checks (fast, no execution) enforce the book's conventions: every notebook has a
``parameters`` cell with the agreed names, hides its code from readers, stores no outputs, names
the area in its first heading, and contains presentation only — no data manipulation, which
belongs in ``sna_lib``. Execution checks run a few notebooks with papermill on the small demo
county for one CSP and look at what they print.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.md"))
PARAMETER_NAMES = {"area", "data_dir", "build_dir", "reporting_year", "as_of"}
HIDDEN_TAGS = {"remove-input", "hide-input", "remove-cell", "remove-output"}

# Notebooks that read only the published store (pandas/seaborn for presentation are fine there).
# One name a line, so that branches migrating different notebooks merge cleanly.
STORE_ONLY = (
    "01_key_findings",
    "02_wider_perspective",
    "03_what_is_sv",
    "04_key_measures",
    "05_trends",
    "06_people",
    "07_place",
    "08_risk_factors",
    "09_community_voices",
    "10_area_profile",
    "11_data_quality",
)
# The open-data edition's pages (notebooks/open/, data_level: open) read only the store too.
OPEN_NOTEBOOKS = sorted((NOTEBOOK_DIR / "open").glob("*.md"))
OPEN_STORE_ONLY = tuple(p.stem for p in OPEN_NOTEBOOKS)  # every open page: none may compute
# What reaches records: the loaded dataset, its tables, loaders and record-level helpers.
RECORD_ATTRIBUTES = {"dataset", "crimes", "persons", "asb", "fire", "ambulance", "hospital_admissions",
                     "school_exclusions", "community_survey", "population", "census_deprivation",
                     "census_employment", "comparators", "_load", "_DATASETS"}
RECORD_CALLS = {"load_dataset", "run_validation", "validate_folder", "read_parquet", "read_csv", "read_excel",
                "read_file", "read_table", "area_crimes", "serious_violence_ids", "qualifying_mask", "prepare_data",
                "_load", "duckdb", "pyarrow", "open",
                # record-level helpers of the open-data edition (measures.open_proxy, data.periods, index)
                "area_records", "proxy_crimes", "category_counts", "category_by_csp", "quarter_hotspots",
                "risk_layers", "risk_score", "out_of_time_check", "harm_table", "publish_harm", "missing_parts",
                "missing_sentences", "lsoa_counts", "in_months", "hotspot_method_text", "hotspot_settings",
                "category_weights", "complete_quarters", "area_lsoas"}
RECORD_MODULES = {"sna_lib.data", "sna_lib.data.dataset", "sna_lib.data.validate", "sna_lib.data.tableio",
                  "duckdb", "pyarrow", "polars"}


def _record_access(source: str) -> set[str]:
    """Names in ``source`` that reach records: ``x.dataset``, ``ds.crimes``, ``load_dataset(...)``,
    ``pd.read_parquet``, ``import duckdb``, the record-level book modules …"""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in RECORD_ATTRIBUTES | RECORD_CALLS:
            found.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in RECORD_CALLS:
            found.add(node.id)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in RECORD_MODULES or
                         a.name.split(".")[0] in RECORD_MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module:
            mod = node.module
            if mod in RECORD_MODULES or mod.split(".")[0] in RECORD_MODULES:
                found.add(mod)
            for a in node.names:
                full = f"{mod}.{a.name}"
                if full in RECORD_MODULES or a.name in RECORD_CALLS:
                    found.add(full)
    return found


def _read(path: Path) -> nbformat.NotebookNode:
    """A notebook: MyST source (``.md``, read by jupytext) or executed ``.ipynb``."""
    from sna_lib.book.pipeline import read_notebook

    return nbformat.from_dict(read_notebook(path))


def _code_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_section_notebook_is_present():
    stems = {p.stem for p in NOTEBOOKS}
    expected = {
        "01_key_findings", "02_wider_perspective", "03_what_is_sv", "04_key_measures",
        "05_trends", "06_people", "07_place", "08_risk_factors", "09_community_voices",
        "10_area_profile", "11_data_quality",
    }
    assert expected <= stems, f"missing notebooks: {sorted(expected - stems)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_declares_the_agreed_names(path):
    nb = _read(path)
    tagged = [c for c in _code_cells(nb) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one code cell must be tagged 'parameters'"
    tree = ast.parse(tagged[0].source)
    assigned = {t.id for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert assigned == PARAMETER_NAMES
    defaults = {t.id: ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) for t in node.targets}
    assert defaults["area"] == "county"
    assert defaults["reporting_year"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_is_hidden_and_no_outputs_are_committed(path):
    nb = _read(path)
    for cell in _code_cells(nb):
        tags = set(cell.metadata.get("tags", []))
        assert tags & HIDDEN_TAGS, f"code cell shown to readers:\n{cell.source[:200]}"
        assert cell.outputs == [], "committed notebooks must not store outputs"
        assert cell.execution_count is None


def test_every_section_notebook_is_listed_as_store_only():
    assert set(STORE_ONLY) == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("name", STORE_ONLY)
def test_store_notebooks_never_reach_records(name):
    """A store-only notebook names no dataset, record table, loader or record-level helper."""
    nb = _read(NOTEBOOK_DIR / f"{name}.md")
    for cell in _code_cells(nb):
        reached = _record_access(cell.source)
        assert not reached, f"{name} reaches records through {sorted(reached)}:\n{cell.source}"


@pytest.mark.parametrize("name", OPEN_STORE_ONLY)
def test_open_pages_never_reach_records(name):
    """An open-data page names no dataset, record table, loader or record-level helper either."""
    nb = _read(NOTEBOOK_DIR / "open" / f"{name}.md")
    for cell in _code_cells(nb):
        reached = _record_access(cell.source)
        assert not reached, f"open/{name} reaches records through {sorted(reached)}:\n{cell.source}"


@pytest.mark.parametrize("path", OPEN_NOTEBOOKS, ids=lambda p: f"open-{p.stem}")
def test_open_pages_keep_the_notebook_conventions(path):
    test_parameters_cell_declares_the_agreed_names(path)
    test_code_is_hidden_and_no_outputs_are_committed(path)
    test_no_markdown_leaked_into_code_cells(path)
    test_first_heading_names_the_area(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_markdown_leaked_into_code_cells(path):
    for cell in _code_cells(_read(path)):
        last = [line for line in cell.source.splitlines() if line.strip()][-1]
        assert not last.lstrip().startswith("#"), f"{path.name}: Markdown leaked into a code cell:\n{cell.source}"


def test_record_access_check_catches_each_route():
    for src in ("ctx.dataset.crimes", "from sna_lib.data.dataset import load_dataset", "pd.read_parquet('x')",
                "sv.area_crimes(d, 'county')", "c = nb.context().dataset", "import duckdb",
                "osec.proxy_crimes(osec.area_records(x, y, 'county'))", "osec.out_of_time_check(d)",
                "open('/data/crimes.csv')",
                "import pyarrow.parquet as pq", "nb._load(p)"):
        assert _record_access(src), src
    assert not _record_access("t = ctx.table('people.summary')\nt.groupby('x').sum()\n"
                              "from sna_lib.book import nbhelpers as nb\nimport pandas as pd")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_heading_names_the_area(path):
    nb = _read(path)
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("# ")]
    assert headings, "notebook needs a level-1 heading (the page title)"
    assert re.search(r"\{glue:text\}`area_(label|name)`", headings[0]), headings[0]


# --------------------------------------------------------------------------- execution

EXECUTED = ("01_key_findings", "02_wider_perspective", "03_what_is_sv", "04_key_measures", "05_trends", "06_people",
            "07_place", "08_risk_factors", "09_community_voices", "10_area_profile", "11_data_quality")
ID_TOKEN = re.compile(r"\b[A-Za-z]+\d{4,}\b")


def _glued(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Glue key -> plain text for every myst-nb glue output in an executed notebook."""
    out = {}
    for cell in _code_cells(nb):
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = output.get("data", {})
                text = data.get("application/papermill.record/text/plain", "")
                out[name] = str(text).strip("'\"")
    return out


def _output_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in _code_cells(nb):
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            for value in output.get("data", {}).values():
                parts.append(value if isinstance(value, str) else str(value))
    return "\n".join(parts)


def test_records_are_unreachable_in_the_store_only_folder(store_only_dir):
    """The negative control for the store-only runs: the context reads the store there, and
    touching ``ctx.dataset`` fails (no records to load)."""
    from sna_lib.book import nbhelpers as nb
    from sna_lib.errors import DataValidationError

    ctx = nb.setup("county", store_only_dir)
    assert ctx.store_dir == store_only_dir / "published"
    assert ctx.table("people.summary").loc["suspect", "people"]
    with pytest.raises(DataValidationError):
        ctx.dataset  # noqa: B018


@pytest.fixture(scope="module")
def csp_runs(demo_dir, store_runs):
    """Every section notebook executed with papermill for one CSP of the demo county, in a folder
    with the store and no records (the session's ``store_runs``)."""
    import pandas as pd

    from conftest import STORE_RUN_CSP as csp

    runs = {name: store_runs[(name, csp)] for name in EXECUTED}
    runs["downloads"] = store_runs[("downloads", csp)]
    persons = pd.read_parquet(demo_dir / "persons.parquet", columns=["crime_id", "person_id"])
    ids = set(persons["crime_id"].astype(str)) | set(persons["person_id"].astype(str))
    return csp, runs, ids


@pytest.mark.xdist_group("book")
def test_county_pages_print_the_store_text(store_only_dir, county_runs):
    """The county's pages 03 and 06, as the county book ran them, print the store's text."""
    from sna_lib.publication.store import PublishedStore

    store = PublishedStore(store_only_dir / "published")
    for name, key, cell in (("03_what_is_sv", "sv_offences", ("sv.headline", "reporting_year", "sv")),
                            ("06_people", "pp_da_window", None)):
        glued = _glued(county_runs[(name, "county")])
        assert glued["area_label"].startswith("Demoshire"), name
        if cell:
            assert glued[key] == store.text(cell[0], "county", cell[1], cell[2])


@pytest.mark.xdist_group("store_runs")
def test_notebooks_execute_for_a_csp_and_name_it(csp_runs):
    csp, runs, _ = csp_runs
    for name in EXECUTED:
        nb = runs[name]
        glued = _glued(nb)
        assert glued.get("area_label") == csp, name
        title = next(line for c in nb.cells if c.cell_type == "markdown"
                     for line in c.source.splitlines() if line.startswith("# "))
        assert "area_label" in title or "area_name" in title


@pytest.mark.xdist_group("store_runs")
def test_executed_notebooks_show_no_record_identifiers(csp_runs):
    _, runs, ids = csp_runs
    for name in EXECUTED:
        nb = runs[name]
        tokens = set(ID_TOKEN.findall(_output_text(nb)))
        leaked = sorted(tokens & ids)
        assert not leaked, f"{name} shows record identifiers {leaked[:5]}"


@pytest.mark.xdist_group("store_runs")
def test_key_measures_prose_matches_the_published_table(csp_runs, demo_dir, store_only_dir):
    """The glued knife-crime figures equal an independent count from the raw crimes."""
    import pandas as pd

    from sna_lib.data.config import load_config

    csp, runs, _ = csp_runs
    glued = _glued(runs["04_key_measures"])
    config = load_config(demo_dir)
    crimes = pd.read_parquet(demo_dir / "crimes.parquet")
    geography = pd.read_parquet(demo_dir / "geography.parquet", columns=["lsoa_code", "area"])
    in_csp = crimes["lsoa_code"].isin(geography.loc[geography["area"] == csp, "lsoa_code"])
    crimes["date"] = pd.to_datetime(crimes["date"])
    end = pd.Timestamp(config.rolling_end)
    start = end - pd.DateOffset(years=1) + pd.Timedelta(days=1)  # 12 whole months ending rolling_end
    # independent of sna_lib: knife flag, not domestic abuse, in the CSP, in the window
    knife = crimes["knife"].astype(bool) & ~crimes["domestic_abuse"].astype(bool) & in_csp
    in_window = (crimes["date"] >= start) & (crimes["date"] <= end)
    definition = yaml.safe_load((REPO / "src/sna_lib/definitions/knife_enabled.yaml").read_text())
    in_scope = crimes["offence_code"].astype(str).isin([str(c) for c in definition["offence_codes"]])
    latest = int((knife & in_window & in_scope).sum())
    suppress_max = config.disclosure.suppress_max
    # the page prints the store's text: the independent count, or the marker — always the marker
    # when the count is small (secondary suppression may withhold a larger one too)
    from sna_lib.publication.store import PublishedStore

    store = PublishedStore(store_only_dir / "published")
    assert glued["km_knife_after"] == store.text("measures.key", csp, "A:knife_sv", "after")
    assert glued["km_knife_after"] in ("[c]", f"{latest:,}")
    if 1 <= latest <= suppress_max:
        assert glued["km_knife_after"] == "[c]"


@pytest.mark.xdist_group("store_runs")
def test_area_profile_chart_never_shows_a_withheld_rate(csp_runs):
    """Where the table withholds a CSP's count, the chart data (CSV behind the figure) has no rate."""
    import pandas as pd

    csp, runs, _ = csp_runs
    downloads = runs["downloads"]
    slug = re.sub(r"[^a-z0-9]+", "-", csp.lower()).strip("-")
    table = pd.read_csv(downloads / f"profile-table-{slug}.csv", dtype=str)
    chart = pd.read_csv(downloads / f"profile-trend-{slug}.csv")
    withheld = table["Offences"].eq("[c]").to_numpy()
    assert withheld.any(), "the small demo county should have withheld CSP-year counts to check"
    assert len(table) == len(chart)
    assert chart["rate_per_1000"].isna().to_numpy()[withheld].all()
    assert table["Rank among CSPs"].eq("[c]").to_numpy()[withheld].all()
    shown = ~withheld & table["Offences"].ne("0").to_numpy()
    assert chart["rate_per_1000"].notna().to_numpy()[shown].all()


# --------------------------------------------------------------------------- the built county book

SECTION_PAGES = ("01_key_findings", "02_wider_perspective", "03_what_is_sv", "04_key_measures", "05_trends",
                 "06_people", "07_place", "08_risk_factors", "09_community_voices", "11_data_quality")


@pytest.mark.xdist_group("book")
def test_built_book_has_every_section_titled_with_the_area(built_book):
    import html as html_lib

    from sna_lib.data.config import load_config

    config = load_config(built_book.data_dir)
    pages = built_book.site / "notebooks"
    for name in SECTION_PAGES:
        text = html_lib.unescape((pages / f"{name}.html").read_text(encoding="utf-8"))
        h1 = re.search(r"<h1>(.*?)</h1>", text, flags=re.S).group(1)
        assert str(config.county) in re.sub(r"<[^>]+>", "", h1), name
        assert "Traceback" not in text and "Error" not in re.sub(r"<[^>]+>", "", h1)
    profiles = list((pages / "profiles").glob("*.html"))
    assert len(profiles) == len(config.csps)
    titles = {re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", p.read_text(encoding="utf-8"), re.S).group(1))
              for p in profiles}
    for csp in config.csps:
        assert any(csp in t for t in titles), csp


@pytest.mark.xdist_group("book")
def test_place_and_risk_pages_draw_maps_not_points(built_book):
    import html as html_lib

    pages = built_book.site / "notebooks"
    for name, expected in (("07_place", 2), ("08_risk_factors", 4)):
        text = html_lib.unescape((pages / f"{name}.html").read_text(encoding="utf-8"))
        assert text.count('class="sna-map"') >= expected, name
        geometry_types = set(re.findall(r'"type":\s*"(\w+)"', text))
        assert {"Polygon", "MultiPolygon"} & geometry_types, name
        assert not {"Point", "MultiPoint"} & geometry_types, name
