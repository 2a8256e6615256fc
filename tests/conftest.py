"""Shared fixtures.

``demo_dir`` is the synthetic demo county at a small scale, generated once per test worker.
``open_data_dir`` points at real open data beside the repository, when present.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sna_lib.book.execute import skip_slow_imports

skip_slow_imports()  # as in every build process: before anything imports jsonschema

REPO = Path(__file__).resolve().parents[1]
DEMO_SEED = 7
DEMO_SCALE = 0.05


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A small synthetic county (scale 0.05), written as Parquet."""
    from sna_lib.synthetic import generate_demo

    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, seed=DEMO_SEED, scale=DEMO_SCALE, fmt="parquet", progress=False)
    return out


#: The CSPs of ``few_csp_dir``: the demo's 14 merged into these three, in turn.
FEW_CSPS = ("Ashcombe Vale", "Brackenford", "Caldermouth")


@pytest.fixture(scope="session")
def few_csp_dir(demo_dir, tmp_path_factory) -> Path:
    """``demo_dir`` with its 14 CSPs merged into the three of :data:`FEW_CSPS` (the i-th CSP of
    the config into ``FEW_CSPS[i % 3]``, in the geography, the community survey, people's origins
    and ``config.yaml``). For the pipeline tests on ``tiny_project``: a county book of 4 areas
    runs 4 notebooks instead of 15 and its publication stage covers 4 areas, not 15."""
    import shutil

    import geopandas as gpd
    import pandas as pd
    import yaml

    out = tmp_path_factory.mktemp("few-csps")
    shutil.copytree(demo_dir, out, dirs_exist_ok=True)
    config = yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))
    merged = {name: FEW_CSPS[i % len(FEW_CSPS)] for i, name in enumerate(config["csps"])}
    geo = gpd.read_parquet(out / "geography.parquet")
    geo["area"] = geo["area"].map(merged)
    geo.to_parquet(out / "geography.parquet", index=False)
    survey = pd.read_parquet(out / "community_survey.parquet")
    survey["area"] = survey["area"].map(merged)
    survey.groupby(["year", "area", "theme"], as_index=False, sort=True)["responses"].sum() \
        .to_parquet(out / "community_survey.parquet", index=False)
    persons = pd.read_parquet(out / "persons.parquet")
    persons["origin_area"] = persons["origin_area"].map(lambda v: merged.get(v, v))
    persons.to_parquet(out / "persons.parquet", index=False)
    config["csps"] = list(FEW_CSPS)
    (out / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def demo_copy(demo_dir, tmp_path_factory) -> Path:
    """The validated copy of ``demo_dir`` the book pipeline makes, with its published store
    (``<copy>/published``: the publication stage, disclosure control included, runs once per
    session; book builds of the same data in this process copy it instead of recomputing)."""
    from sna_lib.book.pipeline import prepare_data

    return prepare_data(demo_dir, tmp_path_factory.mktemp("demo-copy"))


@pytest.fixture(scope="session")
def store_only_dir(demo_copy, tmp_path_factory) -> Path:
    """A data folder holding the published store and no records: ``config.yaml``, the boundaries
    (``geography.parquet``) and ``published/``. Anything that reaches records fails to load here."""
    import shutil

    from sna_lib.publication.stage import STORE_DIR

    out = tmp_path_factory.mktemp("store-only")
    for name in ("config.yaml", "geography.parquet"):
        shutil.copy2(demo_copy / name, out / name)
    shutil.copytree(demo_copy / STORE_DIR, out / STORE_DIR)
    return out


@pytest.fixture(scope="session")
def demo_publication(demo_dir):
    """``(dataset, cells, relations, provenance)``: the publication stage's cells of the demo county
    before disclosure control, computed once per worker (provenance with ``inputs={"x": "y"}``,
    ``code="abc"``). Modules that change a frame take a copy."""
    from sna_lib.data.dataset import load_dataset
    from sna_lib.publication.compute import publication_cells

    ds = load_dataset(demo_dir)
    cells, relations, provenance = publication_cells(ds, inputs={"x": "y"}, code="abc")
    return ds, cells, relations, provenance


@pytest.fixture(scope="session")
def demo_controlled(demo_publication):
    """``(controlled cells, relations, rules)``: ``demo_publication`` after disclosure control."""
    from sna_lib.publication.control import control
    from sna_lib.publication.disclosure import disclosure_rules

    ds, cells, relations, _ = demo_publication
    rules = disclosure_rules(ds.config)
    return control(cells, relations, rules), relations, rules


def execute_section(name: str, area: str, data_dir: Path, out_dir: Path):
    """Execute section notebook ``notebooks/<name>.md`` for ``area`` on the build's own runner
    (:func:`sna_lib.book.execute.execute_run`: papermill on this thread's warm kernel, so the runs
    of one test share a kernel as a build's runs do); returns the executed notebook. Its CSV
    downloads are copied to ``<out_dir>/build/downloads``. A failed run raises with its error."""
    import shutil

    import nbformat

    from sna_lib.book.execute import KERNEL_ENV, RunSpec, execute_run

    key = f"{name.replace('/', '--')}--{area}"
    runs = out_dir / "runs"
    outcome = execute_run(RunSpec(key=key, area=area, notebook=f"notebooks/{name}",
                                  source=str(REPO / "notebooks" / f"{name}.md"),
                                  parameters={"area": area, "data_dir": str(data_dir)}, runs_dir=str(runs),
                                  cwd=str(REPO), cell_timeout=600, env=KERNEL_ENV))
    assert outcome.error is None, f"{name} for {area}: {outcome.error}"
    downloads = out_dir / "build" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    for csv in (runs / key / "downloads").glob("*.csv"):
        shutil.copy2(csv, downloads / csv.name)
    return nbformat.read(runs / key / "notebook.ipynb", as_version=4)


@pytest.fixture(scope="session", autouse=True)
def _warm_kernels_shut_down():
    """Warm kernels this worker started (:func:`execute_section`) are shut down at its end."""
    yield
    from sna_lib.book.execute import shutdown_warm_kernels

    shutdown_warm_kernels()


#: The section notebooks (``notebooks/<name>.md``).
SECTIONS = ("01_key_findings", "02_wider_perspective", "03_what_is_sv", "04_key_measures", "05_trends", "06_people",
            "07_place", "08_risk_factors", "09_community_voices", "10_area_profile", "11_data_quality")
STORE_RUN_CSP = "Brackenford"


@pytest.fixture(scope="session")
def store_runs(store_only_dir, tmp_path_factory) -> dict:
    """Every section notebook executed once per worker with papermill for :data:`STORE_RUN_CSP`
    in ``store_only_dir`` (the published store, no records): ``{(name, area): notebook}``, plus
    ``("downloads", area)``, the CSV downloads those runs wrote. Tests using it are grouped
    ``xdist_group("store_runs")``; the county's executed pages come from ``county_runs``."""
    out = tmp_path_factory.mktemp("store-runs")
    runs: dict = {}
    for name in SECTIONS:
        runs[(name, STORE_RUN_CSP)] = execute_section(name, STORE_RUN_CSP, store_only_dir, out)
    runs[("downloads", STORE_RUN_CSP)] = out / "build" / "downloads"
    return runs


@pytest.fixture(scope="session")
def county_runs(built_book, tmp_path_factory) -> dict:
    """The county's section notebooks as the session's county book executed them (``built_book``),
    keyed like ``store_runs``: ``{(name, "county"): notebook}`` and ``("downloads", "county")``, a
    folder with every county run's CSV downloads. Tests using it are grouped ``xdist_group("book")``."""
    import shutil

    import nbformat

    downloads = tmp_path_factory.mktemp("county-downloads")
    runs: dict = {}
    for record in built_book.result.run.records:
        name = Path(record.notebook).name
        if record.area != "county" or name not in SECTIONS:
            continue
        runs[(name, "county")] = nbformat.read(record.run_dir / "notebook.ipynb", as_version=4)
        for csv in (record.run_dir / "downloads").glob("*.csv"):
            shutil.copy2(csv, downloads / csv.name)
    runs[("downloads", "county")] = downloads
    return runs


def shared_dir() -> Path:
    """The shared data folder: ``$SNA_SHARED_DIR``, default ``<repo>/../shared``."""
    import os

    return Path(os.environ.get("SNA_SHARED_DIR") or REPO.parent / "shared")


@pytest.fixture(scope="session")
def open_data_dir() -> Path:
    """Real open data (police.uk, ONS, census) from ``$SNA_SHARED_DIR/data/open``
    (default ../shared/data/open); skips when absent."""
    path = shared_dir() / "data" / "open"
    if not path.is_dir():
        pytest.skip(f"real open data not present at {path} (set SNA_SHARED_DIR)")
    return path


# ------------------------------------------------------------------------------ book fixtures
# Owned by BOOK-INFRA. Tests using them are marked @pytest.mark.xdist_group("book") so that
# `pytest -n 2 --dist loadgroup` builds the county book once, on one worker.


@dataclass
class BuiltBook:
    """The county book built once per session from ``demo_dir``."""

    result: object  # sna_lib.book.pipeline.BuildResult
    build_dir: Path
    data_dir: Path

    @property
    def published(self) -> dict:
        return self.result.published

    @property
    def site(self) -> Path:
        """The published county site (``<build_dir>/html``)."""
        return Path(self.result.published["county"])


@pytest.fixture(scope="session")
def built_book(demo_dir, tmp_path_factory) -> BuiltBook:
    """Build the county book (with area profiles) ONCE from the small demo county."""
    from sna_lib.book.pipeline import build_book

    build_dir = tmp_path_factory.mktemp("book_build")
    result = build_book(demo_dir, area="county", build_dir=build_dir, workers=2)
    assert result.ok, "county book failed:\n" + "\n".join(map(str, result.failures))
    return BuiltBook(result=result, build_dir=build_dir, data_dir=demo_dir)


TINY_NOTEBOOK_CELLS = [
    ("markdown", "# Tiny page {glue:text}`tiny_label`", []),
    ("code", 'area = "county"\ndata_dir = None\nbuild_dir = None\nreporting_year = None',
     ["parameters", "remove-cell"]),
    ("code", "from sna_lib.book import nbhelpers as nb\n"
             "ctx = nb.setup(area, data_dir, build_dir, reporting_year)\n"
             "if area in FAIL_AREAS:\n"
             "    FAILURE\n"
             "_ = nb.glue_text('tiny_label', ctx.area_label)", ["remove-input"]),
]

#: What a tiny notebook does in a failing area.
FAILURES = {
    "raise": "raise RuntimeError(f'deliberate failure for {area}')",
    "sleep": "import time; time.sleep(120)",
    "die": "import os; os._exit(3)",
}


def write_tiny_notebook(path: Path, fail_areas=(), how: str = "raise") -> Path:
    """A minimal parameterised notebook; fails for the areas in ``fail_areas`` (see ``FAILURES``)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    for i, (kind, source, tags) in enumerate(TINY_NOTEBOOK_CELLS):
        source = source.replace("FAIL_AREAS", repr(tuple(fail_areas))).replace("FAILURE", FAILURES[how])
        cell = (nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                else nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
        cell["id"] = f"tiny-{i}"
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def tiny_project(tmp_path, monkeypatch) -> Path:
    """A minimal book project (index page, one section notebook, an area profile) used instead of
    the repository's book via ``$SNA_PROJECT_DIR``: exercises the pipeline in seconds."""
    project = tmp_path / "project"
    (project / "book").mkdir(parents=True)
    (project / "book" / "index.md").write_text(
        "# Tiny book\n\nSee {doc}`/notebooks/01_tiny`. "
        "Area (glued across pages): {glue:text}`/notebooks/01_tiny.ipynb::tiny_label:s`.\n", encoding="utf-8")
    (project / "_config.yml").write_text((REPO / "_config.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n"
        "  - file: notebooks/01_tiny\n  - file: notebooks/area_profile\n", encoding="utf-8")
    write_tiny_notebook(project / "notebooks" / "01_tiny.ipynb")
    write_tiny_notebook(project / "notebooks" / "area_profile.ipynb")
    monkeypatch.setenv("SNA_PROJECT_DIR", str(project))
    return project


def myst_notebook(title: str, body: str) -> str:
    """A MyST Markdown (jupytext) section notebook: front matter, ``# title``, the standard
    parameters cell (area, data_dir, build_dir, reporting_year, as_of), then ``body``."""
    return ("---\njupytext:\n  formats: md:myst\nkernelspec:\n  display_name: Python 3\n  language: python\n"
            "  name: python3\n---\n\n" + f"# {title}\n\n" + "```{code-cell}\n:tags: [parameters, remove-cell]\n\n"
            'area = "county"\ndata_dir = None\nbuild_dir = None\nreporting_year = None\nas_of = None\n```\n\n' + body)
