"""Build the SNA books: validate once, execute notebooks (cached, parallel), assemble, publish.

Steps of :func:`build_book`:

1. **Validate once.** The data folder is validated with :func:`sna_lib.data.dataset.load_dataset`
   (the same checks as ``sna validate``); a broken contract raises
   :class:`~sna_lib.errors.DataValidationError` and nothing is executed or published. The
   validated tables are written as Parquet (plus ``data_quality.json`` and ``provenance.json``)
   into ``<build_dir>/.cache/data/<hash>/``; notebooks load that copy without re-validating.
2. **Execute** every notebook named in ``_toc.yml`` with papermill, parameterised by ``area``,
   ``data_dir``, ``reporting_year`` and ``build_dir``. The county book also gets one area profile
   per CSP (``notebooks/area_profile`` run with each CSP). Runs are cached under
   ``<build_dir>/.cache/runs/<key>/`` where the key hashes the *contents* of the data files, the
   notebook and the ``sna_lib`` source, and the parameters, so unchanged runs are never repeated;
   every cache entry carries a content manifest and a damaged entry is rebuilt. Runs are jobs on
   a :mod:`concurrent.futures` executor (:mod:`sna_lib.book.execute`: local threads keeping warm
   kernels by default, or a Dask cluster), with a per-cell timeout and one retry when a kernel
   fails to start or dies; a failing notebook fails only its own area's book.
3. **Assemble** a staging Jupyter Book per area (``<build_dir>/.staging/<slug>/``): narrative pages
   from ``book/``, executed notebooks with their CSV/PNG downloads, and ``_toc.yml``/``_config.yml``
   derived from the top-level ones with the area's title, provenance footer and synthetic-data
   banner. ``jupyter-book build -n -W --keep-going`` (warnings are errors) runs only when the
   staged sources changed or the site is missing.
4. **Publish** atomically (:func:`sna_lib.book.publish.publish_atomically`): the county book to
   ``<build_dir>/html``, CSP books to ``<build_dir>/areas/<slug>/html``. A failed build leaves the
   previous good site in place.
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sna_lib.book.charts import DOWNLOAD_TOKEN
from sna_lib.book.execute import KERNEL_NAME  # noqa: F401 - re-exported
from sna_lib.book.nbhelpers import PROVENANCE_FILE, QUALITY_FILE, git_commit
from sna_lib.data.validated_copy import VALIDATED_MARKER
from sna_lib.errors import SnaError, require_data_folder

__all__ = [
    "BookError",
    "Failure",
    "RunRecord",
    "RunResult",
    "BuildResult",
    "run_notebooks",
    "build_book",
    "area_slug",
    "prepare_data",
    "project_dir",
]

#: Notebooks named ``area_profile`` (optionally numbered, ``10_area_profile``) are area profiles:
#: the county book gets one copy per CSP (Annex 1), a CSP book gets its own.
_PROFILE = re.compile(r"^notebooks/(\d+_)?area_profile$")


def is_profile_notebook(name: str) -> bool:
    """True for the area-profile notebook (``notebooks/area_profile``, ``notebooks/10_area_profile``).

    Examples
    --------
    >>> is_profile_notebook("notebooks/10_area_profile.ipynb"), is_profile_notebook("notebooks/05_trends")
    (True, False)
    """
    return bool(_PROFILE.match(_strip_suffix(name)))
PIPELINE_VERSION = "2"  # 2: the validated copy holds the published store
DEFAULT_CELL_TIMEOUT = 900
_SRC = Path(__file__).resolve().parents[1]
_REPO = _SRC.parents[1]

class BookError(SnaError):
    """The book could not be built (bad area name, missing table of contents, …)."""


@dataclass(frozen=True)
class Failure:
    """One failed notebook run or book build."""

    area: str
    notebook: str
    error: str

    def __str__(self) -> str:
        return f"{self.area}: {self.notebook}: {self.error}"


@dataclass
class RunRecord:
    """One notebook execution (or cache hit) for one area."""

    area: str
    notebook: str
    key: str
    run_dir: Path
    executed: bool
    seconds: float = 0.0


@dataclass
class RunResult:
    """Outcome of :func:`run_notebooks`.

    ``executed`` counts notebooks actually run this time (0 on a fully cached re-run).
    """

    records: list[RunRecord] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    data_copy: Path | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def executed(self) -> int:
        return sum(1 for r in self.records if r.executed)

    @property
    def cached(self) -> int:
        return sum(1 for r in self.records if not r.executed)


@dataclass
class BuildResult:
    """Outcome of :func:`build_book`.

    Attributes
    ----------
    published : dict
        Area → published HTML folder, for every book now published (built or unchanged).
    built, skipped : list of str
        Areas whose jupyter-book step ran / was skipped because nothing changed.
    failures : list of Failure
        Notebook and book failures; the command exits non-zero when not empty.
    run : RunResult
    """

    run: RunResult
    published: dict[str, Path] = field(default_factory=dict)
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    book_failures: list[Failure] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[Failure]:
        return [*self.run.failures, *self.book_failures]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def executed(self) -> int:
        return self.run.executed


# --------------------------------------------------------------------------- small helpers


def area_slug(area: str) -> str:
    """Folder name for an area's book (the rule of :func:`sna_lib.data.names.area_slug`, which
    ``sna validate`` applies to every CSP name, so a validated name always has one).

    Examples
    --------
    >>> area_slug("Castle Point"), area_slug("Southend-on-Sea"), area_slug("county"), area_slug("Ynys Môn")
    ('castle-point', 'southend-on-sea', 'county', 'ynys-mon')
    """
    from sna_lib.data.names import area_slug as slug_of

    slug = slug_of(area)
    if not slug:
        raise BookError(f"cannot make a folder name for area {area!r}")
    return slug


def project_dir() -> Path:
    """Folder holding ``_config.yml``, ``_toc.yml``, ``book/`` and ``notebooks/``.

    ``$SNA_PROJECT_DIR`` if set, else the repository this package was loaded from, else the
    current directory.
    """
    env = os.environ.get("SNA_PROJECT_DIR")
    if env:
        return Path(env)
    if (_REPO / "_toc.yml").is_file():
        return _REPO
    return Path.cwd()


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_key(obj: Any) -> str:
    return _sha256_bytes(json.dumps(obj, sort_keys=True, default=str).encode())


class _ContentHashes:
    """sha256 of file contents, memoised for the life of one build only.

    The cache is keyed on what files *contain*: a file is read and hashed once per build, never
    trusted on its size and modification time (an edit that keeps both would otherwise reuse a
    stale validated copy or executed notebook). Measured cost at scale 1: see
    ``benchmarks/build_benchmark.py`` (warm no-change).
    """

    def __init__(self) -> None:
        self.memo: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        key = str(path.resolve())
        if key not in self.memo:
            self.memo[key] = _sha256_file(path)
        return self.memo[key]


#: Content manifest of a cache entry (validated data copy, executed run): {relative path: sha256}.
MANIFEST_FILE = ".sna-manifest.json"


def _entry_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_FILE)


def write_manifest(folder: Path) -> None:
    """Record the content hash of every file in cache entry ``folder`` (before it is renamed into place)."""
    manifest = {p.relative_to(folder).as_posix(): _sha256_file(p) for p in _entry_files(folder)}
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, sort_keys=True, indent=0), encoding="utf-8")


def cache_entry_ok(folder: Path) -> bool:
    """True when cache entry ``folder`` holds exactly the files its manifest lists, with the same
    contents. A missing, truncated, edited or extra file (or no manifest) makes it a miss, so a
    damaged entry is rebuilt rather than served."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        files = _entry_files(folder)
        if not isinstance(manifest, dict) or sorted(manifest) != [p.relative_to(folder).as_posix() for p in files]:
            return False
        return all(_sha256_file(folder / rel) == digest for rel, digest in manifest.items())
    except (OSError, ValueError):
        return False


def _tree_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and not p.name.startswith(".") and p.suffix != ".pyc")


_CODE_HASH: list[str] = []


def _code_hash(hasher: _ContentHashes) -> str:
    """Hash of the whole ``sna_lib`` source (code, YAML definitions, reference CSVs, vendor JS).

    Computed once per process: one build (or test session) uses one fingerprint of the code,
    even if files are edited while it runs.
    """
    if not _CODE_HASH:
        _CODE_HASH.append(_json_key([[p.relative_to(_SRC).as_posix(), hasher(p)] for p in _tree_files(_SRC)]))
    return _CODE_HASH[0]


def _contract_files(data_dir: Path) -> list[Path]:
    """The data folder's contract files (config, tables, definition YAMLs it names): the only
    files hashed, copied into the cache and named in the provenance box."""
    from sna_lib.data.config import contract_entries, load_config
    from sna_lib.data.schemas import TABLES
    from sna_lib.data.tableio import contract_files

    config = load_config(data_dir)  # raises DataValidationError for a broken config
    return contract_files(data_dir, {n: s.geo for n, s in TABLES.items()}, contract_entries(config))


def _data_hashes(data_dir: Path, hasher: _ContentHashes) -> dict[str, str]:
    return {p.relative_to(data_dir).as_posix(): hasher(p) for p in _contract_files(data_dir)}


# --------------------------------------------------------------------------- step 1: data


def _table_names() -> list[str]:
    from sna_lib.data.dataset import Dataset

    return [f.name for f in dataclasses.fields(Dataset) if f.name not in {"config", "quality"}]


def prepare_data(data_dir: Path | str, cache_dir: Path | str, *, hasher: _ContentHashes | None = None,
                 code_hash: str | None = None, stage: bool = True) -> Path:
    """Validate ``data_dir`` once and write a validated Parquet copy; return its folder.

    Reuses an existing copy when the data files and the library code are unchanged. With
    ``stage`` (default) the publication stage of the data's own period is run into the copy
    (``<copy>/published``); a run that only needs other periods passes ``stage=False`` and makes
    its stores beside the copy (:func:`sna_lib.publication.stage.ensure_store`).

    Raises
    ------
    DataValidationError
        When the data break the contract (nothing is written).
    """
    from sna_lib.data.dataset import load_dataset

    data_dir = Path(data_dir)
    cache_dir = Path(cache_dir)
    hasher = hasher or _ContentHashes()
    require_data_folder(data_dir)
    inputs = _data_hashes(data_dir, hasher)
    code_hash = code_hash or _code_hash(hasher)
    key = _json_key({"inputs": inputs, "code": code_hash, "v": PIPELINE_VERSION})[:20]
    target = cache_dir / "data" / key
    if _valid_data_copy(target, key):
        return target

    dataset = load_dataset(data_dir, validate=True)  # raises DataValidationError
    tmp = cache_dir / "data" / f".{key}.tmp{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tables = set(_table_names())
    # Contract files that are not tables (config.yaml, definition YAML files) are copied as they
    # are; nothing else in the data folder is read, copied or named.
    for path in _contract_files(data_dir):
        rel = path.relative_to(data_dir)
        if len(rel.parts) == 1 and path.stem in tables:
            continue
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, tmp / rel)
    for name in sorted(tables):
        frame = getattr(dataset, name)
        frame.to_parquet(tmp / f"{name}.parquet", index=False)
    quality = dataset.quality.to_frame()
    (tmp / QUALITY_FILE).write_text(quality.to_json(orient="records", indent=1), encoding="utf-8")
    from sna_lib import __version__

    from sna_lib.data.periods import data_period

    period = data_period(dataset)  # the real span of the records, not the configured window
    git = git_commit()
    provenance = {
        "data_as_at": period["last_date"] or str(dataset.config.rolling_end),
        **period,
        "inputs": inputs,
        "version": __version__,
        "code": code_hash[:12],
        "git": git,
    }
    from sna_lib.publication.stage import STORE_DIR, publishes, write_stage_store

    # the publication stage, once per content key: every published number of the county and all
    # CSPs, disclosure-controlled once, cached with this copy (PublicationError: nothing is kept)
    if stage and publishes(dataset.config):
        try:
            write_stage_store(dataset, tmp / STORE_DIR, key=key, inputs=inputs, code=code_hash[:12], git=git)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    (tmp / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=1, sort_keys=True), encoding="utf-8")
    (tmp / VALIDATED_MARKER).write_text(key + "\n", encoding="utf-8")
    write_manifest(tmp)
    if target.exists():  # a damaged copy (see _valid_data_copy) is replaced
        shutil.rmtree(target, ignore_errors=True)
    try:
        os.replace(tmp, target)
    except OSError:  # another process won the race: use its copy
        shutil.rmtree(tmp, ignore_errors=True)
    from sna_lib.publication.stage import remember

    if (target / STORE_DIR).is_dir():
        remember(key, target / STORE_DIR)
    return target


def _valid_data_copy(target: Path, key: str) -> bool:
    """A validated copy can be reused: marker names this key and every file matches its manifest."""
    marker = target / VALIDATED_MARKER
    try:
        if marker.read_text(encoding="utf-8").strip() != key:
            return False
    except OSError:
        return False
    return cache_entry_ok(target)


# --------------------------------------------------------------------------- table of contents


def _load_yaml(path: Path) -> dict:
    if not path.is_file():
        raise BookError(f"{path} is missing")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _toc_entries(toc: Any) -> Iterable[dict]:
    """Every mapping with a ``file`` key, depth first."""
    if isinstance(toc, dict):
        if "file" in toc:
            yield toc
        for value in toc.values():
            yield from _toc_entries(value)
    elif isinstance(toc, list):
        for item in toc:
            yield from _toc_entries(item)


def _strip_suffix(name: str) -> str:
    return re.sub(r"\.(ipynb|md)$", "", str(name))


def _is_text_notebook(path: Path) -> bool:
    """True for a Markdown file with a jupytext header (a MyST notebook, not a narrative page)."""
    if not path.is_file():
        return False
    with path.open(encoding="utf-8") as handle:
        head = handle.read(4096)
    return head.startswith("---") and "\njupytext:" in head.split("\n---", 1)[0]


def notebook_file(project: Path, name: str, data_level: str = "full") -> Path | None:
    r"""The source file of notebook page ``name``: MyST Markdown (jupytext) or ``.ipynb``.

    For ``data_level="open"`` (police.uk open data) a page ``notebooks/X`` is read from
    ``notebooks/open/X`` when that file exists: the open-data version of the section (same
    page, same place in the book), so full-level notebooks need no open-data branches.

    Examples
    --------
    >>> import tempfile; d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.md").write_text("---\njupytext:\n  formats: md:myst\n---\n# A\n")
    >>> _ = (d / "b.md").write_text("# Narrative page\n")
    >>> notebook_file(d, "a").name, notebook_file(d, "b")
    ('a.md', None)
    """
    if data_level != "full":
        head, _, stem = name.rpartition("/")
        variant = notebook_file(project, f"{head}/{data_level}/{stem}" if head else f"{data_level}/{stem}")
        if variant is not None:
            return variant
    text = project / f"{name}.md"
    if _is_text_notebook(text):
        return text
    ipynb = project / f"{name}.ipynb"
    return ipynb if ipynb.is_file() else None


def read_notebook(path: Path) -> dict:
    """Notebook JSON of ``path`` (``.md`` read by jupytext), with deterministic cell ids."""
    if path.suffix == ".md":
        import jupytext
        import nbformat

        nb = json.loads(nbformat.writes(jupytext.read(path)))
    else:
        nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"cell-{i:02d}"
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return nb


def toc_notebooks(project: Path) -> list[str]:
    """Notebook pages (``notebooks/...`` without suffix) named in ``_toc.yml``, in order."""
    toc = _load_yaml(project / "_toc.yml")
    out = []
    for entry in [{"file": toc.get("root")}, *_toc_entries(toc)]:
        name = _strip_suffix(entry.get("file") or "")
        if name and notebook_file(project, name) is not None and name not in out:
            out.append(name)
    return out


def _expand_profiles(toc: Any, pages: list[str]) -> Any:
    """Replace the area-profile entry with one entry per page in ``pages``."""
    if isinstance(toc, dict):
        return {k: _expand_profiles(v, pages) for k, v in toc.items()}
    if isinstance(toc, list):
        out = []
        for item in toc:
            if isinstance(item, dict) and is_profile_notebook(item.get("file", "")):
                out.extend({**{k: v for k, v in item.items() if k != "file"}, "file": page} for page in pages)
            else:
                out.append(_expand_profiles(item, pages))
        return out
    return toc


# --------------------------------------------------------------------------- step 2: execute


@dataclass(frozen=True)
class _Job:
    area: str
    notebook: str  # toc path, e.g. notebooks/03_what_is_sv
    reporting_year: int | None
    key: str
    as_of: str | None = None
    source: Path | None = None  # the notebook file this job runs (data-level variant resolved)


@dataclass(frozen=True)
class _Page:
    book: str  # area of the book the page belongs to
    page: str  # staged path without suffix
    job: _Job


def _plan(project: Path, areas: list[str], csps: list[str], data_hash: str, code_hash: str,
          hasher: _ContentHashes, overrides: Mapping[str, Mapping[str, Any]],
          data_level: str = "full") -> tuple[list[_Job], list[_Page]]:
    notebooks = toc_notebooks(project)
    sources = {nb: notebook_file(project, nb, data_level) for nb in notebooks}
    nb_hash = {nb: hasher(sources[nb]) for nb in notebooks}
    jobs: dict[str, _Job] = {}
    pages: list[_Page] = []

    def job(area: str, nb: str) -> _Job:
        year = (overrides.get(area) or {}).get("reporting_year")
        as_of = (overrides.get(area) or {}).get("as_of")
        params = {"v": PIPELINE_VERSION, "notebook": nb, "notebook_sha": nb_hash[nb], "area": area,
                  "reporting_year": year, "data": data_hash, "code": code_hash}
        if as_of is not None:
            params["as_of"] = as_of
        key = _json_key(params)[:24]
        return jobs.setdefault(key, _Job(area, nb, year, key, as_of, sources[nb]))

    for area in areas:
        for nb in notebooks:
            if not is_profile_notebook(nb):
                pages.append(_Page(area, nb, job(area, nb)))
            elif area == "county":
                for csp in csps:
                    pages.append(_Page(area, f"notebooks/profiles/{area_slug(csp)}", job(csp, nb)))
            else:
                pages.append(_Page(area, nb, job(area, nb)))
    return list(jobs.values()), pages


def _split_cached(jobs: list[_Job], runs_dir: Path) -> tuple[list[RunRecord], list[_Job]]:
    """Runs already in the cache (as records) and the jobs still to execute."""
    cached, todo = [], []
    for job in jobs:
        run_dir = runs_dir / job.key
        if _cached_run_ok(run_dir):
            cached.append(RunRecord(job.area, job.notebook, job.key, run_dir, executed=False))
        else:
            if run_dir.exists():
                shutil.rmtree(run_dir, ignore_errors=True)
            todo.append(job)
    return cached, todo


def _cached_run_ok(run_dir: Path) -> bool:
    """An executed run can be reused: its folder is complete and its files match its manifest."""
    return (run_dir / "notebook.ipynb").is_file() and cache_entry_ok(run_dir)


def _order(todo: list[_Job], runs_dir: Path, book_order: Mapping[str, int]) -> list[_Job]:
    """Execution order: jobs of earlier books first (so their books can be built while later
    ones run), longest first within a book (last known duration of the notebook)."""
    try:
        durations = json.loads((runs_dir / "durations.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        durations = {}
    return sorted(todo, key=lambda j: (book_order.get(j.key, 0), -float(durations.get(j.notebook, 0.0))))


def _save_durations(records: list[RunRecord], runs_dir: Path) -> None:
    path = runs_dir / "durations.json"
    try:
        durations = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        durations = {}
    for r in records:
        if r.executed:
            durations[r.notebook] = round(r.seconds, 2)
    path.write_text(json.dumps(durations, sort_keys=True, indent=1), encoding="utf-8")


def _execute_jobs(todo: list[_Job], *, project: Path, data_copy: Path, runs_dir: Path, workers: int,
                  progress: bool, cell_timeout: int, on_done=None, scheduler: str | None = None,
                  warm: bool = True, kernel_env=None) -> tuple[list[RunRecord], list[Failure], list[str]]:
    """Execute ``todo`` as jobs on the executor for ``scheduler`` (see
    :func:`sna_lib.book.execute.executor_for`), in order; ``on_done(job, record_or_None)`` is
    called as each finishes (None = failed). ``kernel_env``: a function giving extra kernel
    environment (called only when there is something to run)."""
    from tqdm.auto import tqdm

    from sna_lib.book.execute import KERNEL_ENV, RunSpec, describe_error, execute_run, executor_for

    records: list[RunRecord] = []
    failures: list[Failure] = []
    warnings: list[str] = []
    if not todo:
        return records, failures, warnings
    # SNA_* settings of this process reach kernels on any worker (threads, processes, Dask).
    env = {**{k: v for k, v in os.environ.items() if k.startswith("SNA_")}, **KERNEL_ENV,
           **(kernel_env() if kernel_env is not None else {})}
    bar = tqdm(total=len(todo), desc="notebooks", unit="nb", disable=not progress)
    with executor_for(scheduler, min(workers, len(todo))) as pool:
        futures: dict[cf.Future, _Job] = {}
        for job in todo:
            spec = RunSpec(key=job.key, area=job.area, notebook=job.notebook,
                           source=str(job.source or notebook_file(project, job.notebook)),
                           parameters={"area": job.area, "data_dir": str(data_copy),
                                       "reporting_year": job.reporting_year, "as_of": job.as_of},
                           runs_dir=str(runs_dir), cwd=str(project), cell_timeout=cell_timeout,
                           env=env, warm=warm)
            futures[pool.submit(execute_run, spec)] = job
        for future in cf.as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
                error, seconds, n_err = outcome.error, outcome.seconds, outcome.stderr_outputs
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its run, not the build
                error, seconds, n_err = f"worker failed: {describe_error(exc)}", 0.0, 0
            record = None
            if error is None:
                record = RunRecord(job.area, job.notebook, job.key, runs_dir / job.key, True, seconds)
                records.append(record)
                if n_err:
                    warnings.append(f"{job.area}: {job.notebook}: {n_err} stderr output(s) (hidden in the book)")
            else:
                failures.append(Failure(job.area, job.notebook, error))
            if on_done is not None:
                on_done(job, record)
            bar.update(1)
    bar.close()
    _save_durations(records, runs_dir)
    return records, failures, warnings


def _resolve_areas(area: str, csps: list[str]) -> list[str]:
    if area == "all":
        return ["county", *csps]
    if area == "county" or area in csps:
        return [area]
    raise BookError(f"area must be 'county', 'all' or one of {csps}, got {area!r}")


@dataclass
class _Context:
    project: Path
    build_dir: Path
    cache: Path
    data_copy: Path
    csps: list[str]
    county_label: str
    synthetic: bool
    areas: list[str]
    jobs: list[_Job]
    pages: list[_Page]
    hasher: _ContentHashes
    rolling_end: str | None = None  # end of the rolling 12 months of this run (--as-of)
    reporting_year: int | None = None
    snapshots: dict[str, Any] = field(default_factory=dict)  # area -> this month's published figures
    partnership: dict[str, str] = field(default_factory=dict)  # book/<name> -> partnership's own page
    vega_bundle: cf.Future | None = None  # the shared Vega bundle's folder (_share_vega_bundle)


def _prepare(data_dir: Path | str, area: str, build_dir: Path | str,
             overrides: Mapping[str, Mapping[str, Any]] | None, progress: bool = False,
             period: Mapping[str, Any] | None = None) -> _Context:
    from sna_lib.data.config import load_config
    from sna_lib.period import apply_period
    from sna_lib.publication.stage import publishes

    project = project_dir().resolve()
    # Absolute paths: kernels run each notebook in its own run folder.
    build_dir = Path(build_dir).resolve()
    data_dir = Path(data_dir).resolve()
    cache = build_dir / ".cache"
    require_data_folder(data_dir)
    bundle = _share_vega_bundle(cache)  # in a thread, on the core validation leaves idle
    # an unknown area or a bad --reporting-year / --as-of fails before any validation or stage
    config = load_config(data_dir)  # a broken config.yaml is a DataValidationError
    csps = list(config.csps)
    areas = _resolve_areas(area, csps)
    overrides = dict(overrides or {})
    period_config = apply_period(config, **(period or {}))
    if period:
        for name in ("county", *csps):
            overrides[name] = {**period, **(overrides.get(name) or {})}
    periods = {name: apply_period(config, **_period_keys(overrides.get(name))) for name in ("county", *csps)}
    own_period = any(p is config for p in periods.values())
    hasher = _ContentHashes()
    code_hash = _code_hash(hasher)
    if progress:
        print(f"checking data in {data_dir} …", file=sys.stderr, flush=True)
    data_copy = prepare_data(data_dir, cache, hasher=hasher, code_hash=code_hash, stage=own_period)
    data_hash = _json_key(_data_hashes(Path(data_dir), hasher))
    if publishes(config):
        _ensure_period_stores(data_copy, overrides, ["county", *csps], own_period=own_period)
    jobs, pages = _plan(project, areas, csps, data_hash, code_hash, hasher, overrides or {},
                        data_level=str(getattr(config, "data_level", "full") or "full"))
    from sna_lib.book.nbhelpers import _county_label

    label = _county_label(config)
    from sna_lib.book.partnership_content import partnership_pages

    partnership = partnership_pages(data_copy, project / "book")  # bad YAML fails here, before any run
    return _Context(project, build_dir, cache, data_copy, csps, label, bool(config.synthetic), areas,
                    jobs, pages, hasher, str(period_config.rolling_end), int(period_config.reporting_year),
                    partnership=partnership, vega_bundle=bundle)


def _period_keys(override: Mapping[str, Any] | None) -> dict[str, Any]:
    """The period part (``reporting_year``, ``as_of``) of an area's overrides."""
    return {k: v for k, v in (override or {}).items() if k in ("reporting_year", "as_of")}


def _share_vega_bundle(cache: Path) -> cf.Future:
    """Start making the build's shared Vega bundle (:func:`sna_lib.book.trend.shared_vega_bundle`)
    in a thread; the future gives its folder, which the kernels read instead of each starting
    vl-convert (:func:`_kernel_env`)."""
    from sna_lib.book.trend import shared_vega_bundle

    pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sna-vega")
    try:
        return pool.submit(shared_vega_bundle, cache)
    finally:
        pool.shutdown(wait=False)


def _kernel_env(bundle: cf.Future | None) -> dict[str, str]:
    """Extra environment of the kernels: the shared Vega bundle's folder when it was made (a
    kernel without it makes its own bundle, as a notebook opened by hand does)."""
    from sna_lib.book.trend import VEGA_BUNDLE_ENV

    if bundle is None:
        return {}
    try:
        return {VEGA_BUNDLE_ENV: str(bundle.result())}
    except Exception:  # noqa: BLE001 - an optimisation only: the kernels make their own
        return {}


def _ensure_period_stores(data_copy: Path, overrides: Mapping[str, Mapping[str, Any]], areas: list[str], *,
                          own_period: bool = True) -> None:
    """The published store of every period a run asks for (``--reporting-year`` / ``--as-of`` or
    per-area overrides), made once each beside the validated copy; with ``own_period``, also the
    data's own period when the copy was made without it (by a run of other periods)."""
    from sna_lib.publication.stage import ensure_store

    periods = {((overrides.get(a) or {}).get("reporting_year"), (overrides.get(a) or {}).get("as_of")) for a in areas}
    if not own_period:
        periods.discard((None, None))
    for year, as_of in sorted(periods, key=str):
        ensure_store(data_copy, reporting_year=year, as_of=as_of)


def _period(reporting_year: int | None, as_of: str | None) -> dict[str, Any]:
    period: dict[str, Any] = {}
    if reporting_year is not None:
        period["reporting_year"] = int(reporting_year)
    if as_of is not None:
        from sna_lib.period import as_of_label, parse_as_of

        period["as_of"] = as_of_label(parse_as_of(as_of))
    return period


def _book_order(ctx: _Context) -> dict[str, int]:
    order: dict[str, int] = {}
    for page in ctx.pages:
        order.setdefault(page.job.key, ctx.areas.index(page.book))
    return order


def _run(ctx: _Context, workers: int, progress: bool, cell_timeout: int, on_done=None,
         on_cached=None, scheduler: str | None = None, warm_kernels: bool = True) -> RunResult:
    started = time.perf_counter()
    runs_dir = ctx.cache / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    cached, todo = _split_cached(ctx.jobs, runs_dir)
    if on_cached is not None:
        on_cached(cached)
    records, failures, warnings = _execute_jobs(
        _order(todo, runs_dir, _book_order(ctx)), project=ctx.project, data_copy=ctx.data_copy,
        runs_dir=runs_dir, workers=workers, progress=progress, cell_timeout=cell_timeout, on_done=on_done,
        scheduler=scheduler, warm=warm_kernels, kernel_env=lambda: _kernel_env(ctx.vega_bundle))
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return RunResult(records=[*cached, *records], failures=failures, data_copy=ctx.data_copy,
                     warnings=warnings, seconds=time.perf_counter() - started)


def run_notebooks(data_dir: Path | str, *, area: str = "county", build_dir: Path | str = "book/_build",
                  workers: int = 2, progress: bool = False,
                  overrides: Mapping[str, Mapping[str, Any]] | None = None,
                  cell_timeout: int = DEFAULT_CELL_TIMEOUT, reporting_year: int | None = None,
                  as_of: str | None = None, scheduler: str | None = None,
                  warm_kernels: bool = True) -> RunResult:
    """Validate the data once and execute every notebook for ``area`` (cached, in parallel).

    Parameters
    ----------
    data_dir : path
        Partnership data folder (see ``data/README.md``).
    area : str
        ``"county"`` (section notebooks for the county + one area profile per CSP), a CSP name,
        or ``"all"`` (county and every CSP).
    build_dir : path
        Output root; runs are cached in ``<build_dir>/.cache``.
    workers : int
        Parallel kernels (local executors; a Dask cluster runs as many as it has worker threads).
    progress : bool
        Show a progress bar.
    overrides : mapping, optional
        Per-area parameter overrides, e.g. ``{"Basildon": {"reporting_year": 2022}}``; only
        the runs whose parameters change are re-executed.
    reporting_year, as_of : optional
        The run's period for every area (``as_of`` = ``"YYYY-MM"``, the last month of the
        rolling 12 months); see :func:`sna_lib.period.apply_period`. Passed to the notebooks as
        papermill parameters.
    cell_timeout : int
        Seconds one cell may run before the notebook fails.
    scheduler : str, optional
        Where the runs execute: ``None``/``"local"`` (threads on this machine, each keeping a warm
        kernel), ``"processes"``, or the address of a Dask distributed scheduler
        (``"tcp://host:8786"``; needs the ``dask`` extra and a shared file system).
    warm_kernels : bool
        Each worker keeps its kernel between runs (default); False starts a fresh kernel per run
        (plain papermill; compared in ``benchmarks/build_benchmark.py``).

    Returns
    -------
    RunResult
        ``.ok``, ``.failures`` (area, notebook, error), ``.executed`` (runs done now),
        ``.cached`` (reused).

    Raises
    ------
    DataValidationError
        The data break the input contract (nothing is executed).

    Examples
    --------
    >>> result = run_notebooks("demo-data", area="county", build_dir="book/_build")  # doctest: +SKIP
    >>> result.ok, result.executed                                                     # doctest: +SKIP
    (True, 23)
    """
    ctx = _prepare(data_dir, area, build_dir, overrides, progress, _period(reporting_year, as_of))
    result = _run(ctx, workers, progress, cell_timeout, scheduler=scheduler, warm_kernels=warm_kernels)
    if progress:
        print(f"notebooks executed: {result.executed}, reused from cache: {result.cached}; "
              f"{result.seconds:.1f} s", file=sys.stderr)
        for failure in result.failures:
            print(f"FAILED {failure}", file=sys.stderr)
    return result


# --------------------------------------------------------------------------- step 3: assemble


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _book_config(project: Path, ctx: _Context, area: str) -> dict:
    config = copy.deepcopy(_load_yaml(project / "_config.yml"))
    base_title = config.get("title", "Serious Violence Strategic Needs Assessment")
    label = ctx.county_label if area == "county" else f"{area} ({ctx.county_label})"
    config["title"] = f"{base_title}: {label}"
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    # MyST's substitution extension renders {{ … }} with an unsandboxed Jinja2: text from the data
    # (an area name, a marker) must never reach it, so no book enables it.
    parse = config.setdefault("parse", {})
    parse["myst_enable_extensions"] = [e for e in parse.get("myst_enable_extensions") or []
                                       if e != "substitution"]
    parse.pop("myst_substitutions", None)
    config["only_build_toc_files"] = True
    sphinx = config.setdefault("sphinx", {})
    extensions = list(sphinx.get("extra_extensions") or [])
    if "sna_lib.book.sphinx_offline" not in extensions:
        extensions.append("sna_lib.book.sphinx_offline")
    sphinx["extra_extensions"] = extensions
    html = config.setdefault("html", {})
    info = json.loads((ctx.data_copy / PROVENANCE_FILE).read_text(encoding="utf-8"))
    footer = (f"Data as at {ctx.rolling_end or info.get('data_as_at')} · sna-book {info.get('version')} · "
              f"sna_lib {info.get('code')}" + (f" · git {info['git']}" if info.get("git") else ""))
    html["extra_footer"] = f'<p class="sna-provenance">{footer}</p>'
    if ctx.synthetic:
        html["announcement"] = ("Synthetic demonstration data: every number, place and person in this book "
                                "is generated and does not describe any real area.")
    return config


def _stage_notebook(src_dir: Path, staging: Path, page: str, expected: set[Path]) -> None:
    page_path = staging / f"{page}.ipynb"
    stem = page_path.stem
    rel_downloads = f"downloads/{stem}/"
    text = (src_dir / "notebook.ipynb").read_text(encoding="utf-8").replace(DOWNLOAD_TOKEN, rel_downloads)
    _write_if_changed(page_path, text.encode("utf-8"))
    expected.add(page_path)
    downloads = src_dir / "downloads"
    if downloads.is_dir():
        for f in sorted(downloads.rglob("*")):
            if f.is_file():
                dest = page_path.parent / "downloads" / stem / f.relative_to(downloads)
                _write_if_changed(dest, f.read_bytes())
                expected.add(dest)


def _assemble(ctx: _Context, area: str, records: dict[str, RunRecord]) -> tuple[Path, str]:
    """Write the staging book for ``area``; return (staging folder, key of its sources)."""
    project = ctx.project
    staging = ctx.build_dir / ".staging" / area_slug(area)
    staging.mkdir(parents=True, exist_ok=True)
    expected: set[Path] = set()

    # narrative pages and their assets
    narrative = project / "book"
    for f in _tree_files(narrative):
        rel = f.relative_to(project)
        if "_build" in rel.parts:
            continue
        _write_if_changed(staging / rel, f.read_bytes())
        expected.add(staging / rel)

    for name, text in ctx.partnership.items():  # the partnership's own words replace the defaults
        _write_if_changed(staging / "book" / name, text.encode("utf-8"))
        expected.add(staging / "book" / name)

    pages = [p for p in ctx.pages if p.book == area]
    for p in pages:
        _stage_notebook(records[p.job.key].run_dir, staging, p.page, expected)
    if (narrative / "what_changed.md").is_file():  # monthly refresh (sna_lib.book.changes)
        _write_if_changed(staging / "book" / "what_changed.md", _what_changed(ctx, area, pages, records).encode("utf-8"))

    toc = _load_yaml(project / "_toc.yml")
    profile_pages = [p.page for p in pages if is_profile_notebook(p.job.notebook)]
    toc = _expand_profiles(toc, profile_pages)
    for name, content in (("_toc.yml", toc), ("_config.yml", _book_config(project, ctx, area))):
        data = yaml.safe_dump(content, sort_keys=False, allow_unicode=True).encode("utf-8")
        _write_if_changed(staging / name, data)
        expected.add(staging / name)

    # remove stale sources (pages dropped from the toc, old downloads)
    for f in sorted(staging.rglob("*"), reverse=True):
        rel = f.relative_to(staging)
        if rel.parts[0] == "_build":
            continue
        if f.is_file() and f not in expected:
            f.unlink()
        elif f.is_dir() and not any(f.iterdir()):
            f.rmdir()

    digest = hashlib.sha256()
    for f in sorted(expected):
        digest.update(f.relative_to(staging).as_posix().encode() + b"\0")
        digest.update(_sha256_file(f).encode())
    return staging, digest.hexdigest()


_CHANGES_LOCK = threading.Lock()


def _what_changed(ctx: _Context, area: str, pages: list[_Page], records: dict[str, RunRecord]) -> str:
    """This month's "What changed" page; the snapshot to keep is remembered in ``ctx.snapshots``."""
    from sna_lib.book.changes import HISTORY_FILES, monthly_page

    downloads = {}
    for name, notebook in HISTORY_FILES.items():
        page = next((p for p in pages if p.job.area == area and p.job.notebook.endswith(notebook)), None)
        downloads[name] = records[page.job.key].run_dir / "downloads" / name if page else None
    label = ctx.county_label if area == "county" else area
    from sna_lib.data.config import load_config

    if load_config(ctx.data_copy).data_level == "open":  # the compared figure set needs offence codes
        from sna_lib.book.open_sections import what_changed_page

        return what_changed_page(label)
    with _CHANGES_LOCK:  # the period's published store is opened once for all areas
        text, snap = monthly_page(ctx.build_dir, ctx.data_copy, area, label, reporting_year=ctx.reporting_year,
                                  rolling_end=ctx.rolling_end, downloads=downloads)
    ctx.snapshots[area] = snap
    return text


def _keep_snapshot(ctx: _Context, area: str) -> None:
    from sna_lib.book.changes import snapshot

    snap = ctx.snapshots.get(area)
    if snap:
        snapshot(snap["folder"], snap["figures"], snap["downloads"])


def _jupyter_book() -> list[str]:
    """jupyter-book's command line, run by this interpreter without the slow optional import
    (:data:`sna_lib.book.execute.SKIP_SLOW_IMPORTS`)."""
    from sna_lib.book.execute import SKIP_SLOW_IMPORTS

    return [sys.executable, "-c", SKIP_SLOW_IMPORTS + "; import sys; from jupyter_book.cli.main import main; "
            "sys.argv[0] = 'jupyter-book'; sys.exit(main())"]


def _warning_lines(text: str) -> str:
    lines = [ln for ln in text.splitlines() if re.search(r"WARNING|ERROR|Exception|Error:", ln)]
    return "\n".join(lines[:20]) or text[-2000:]


def _build_one(ctx: _Context, area: str, staging: Path, key: str, target: Path) -> tuple[bool, str | None]:
    """Run jupyter-book and publish; returns (built, error)."""
    from sna_lib.book.publish import publish_atomically

    stamp_file = ctx.cache / "books" / f"{area_slug(area)}.json"
    try:
        stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    if stamp.get("key") == key and stamp.get("target") == str(target) and (target / "index.html").is_file():
        return False, None

    cmd = [*_jupyter_book(), "build", str(staging), "--builder", "html", "-n", "-W", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    html_dir = staging / "_build" / "html"
    if proc.returncode != 0 or not (html_dir / "index.html").is_file():
        # Fresh build next time: incremental builds would not repeat the warnings of unchanged pages.
        shutil.rmtree(staging / "_build", ignore_errors=True)
        return True, "jupyter-book build failed (warnings are errors):\n" + _warning_lines(proc.stdout + proc.stderr)
    try:
        publish_atomically(html_dir, target, check=_leak_check(ctx.data_copy))
    except Exception as exc:  # noqa: BLE001 - report, keep the previous site
        return True, f"publish failed: {exc}"
    stamp_file.parent.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(json.dumps({"key": key, "target": str(target)}), encoding="utf-8")
    return True, None


_LEAK_RULES: dict[str, Any] = {}
_LEAK_RULES_LOCK = threading.Lock()


def _publish_extras(ctx: _Context, area: str, key: str, *, pdf: bool, workbooks: bool,
                    timings: dict[str, float]) -> list[str]:
    """PDF and Excel workbook of the published book (:mod:`sna_lib.book.publications`)."""
    from sna_lib.book.publications import write_publications
    from sna_lib.data.config import load_config
    from sna_lib.publication.disclosure import suppression_note

    config = _book_config(ctx.project, ctx, area)
    banner = config.get("html", {}).get("announcement")
    return write_publications(published_dir(ctx.build_dir, area), ctx.build_dir, area_slug(area), key=key,
                              title=config["title"], banner=banner,
                              suppression_note=suppression_note(load_config(ctx.data_copy)),
                              pdf=pdf, workbook=workbooks, timings=timings)


def inlined_library_code() -> tuple[str, ...]:
    """Library code that pages inline whole, trusted by the leak scan
    (:attr:`~sna_lib.publication.leakscan.LeakRules.trusted_text`): the vendored Leaflet, d3 and
    Leaflet CSS of every map (:func:`sna_lib.book.maps.inlined_vendor_code`) and the Vega bundle
    of every interactive chart (:func:`sna_lib.book.trend.vega_bundle`)."""
    from sna_lib.book.maps import inlined_vendor_code
    from sna_lib.book.trend import vega_bundle

    return (*inlined_vendor_code(), vega_bundle())


def leak_rules(data_copy: Path):
    """The leak scan's rules for a validated data copy, learnt once per copy (books are built in
    threads; :func:`build_book` starts learning them while the notebooks run)."""
    from sna_lib.publication.leakscan import package_static_digests, precompute, rules_from_data_dir

    with _LEAK_RULES_LOCK:
        key = str(data_copy)
        if key not in _LEAK_RULES:
            _LEAK_RULES.clear()
            _LEAK_RULES[key] = precompute(dataclasses.replace(
                rules_from_data_dir(data_copy), trusted=package_static_digests(), trusted_text=inlined_library_code()))
        return _LEAK_RULES[key]


def _learn_leak_rules_in_background(data_copy: Path) -> None:
    def learn() -> None:
        try:
            leak_rules(data_copy)
        except Exception:  # noqa: BLE001 - the book's own call learns them again and reports
            pass

    threading.Thread(target=learn, name="sna-leak-rules", daemon=True).start()


def _leak_check(data_copy: Path):
    """Publication safety net: a site holding record ids, incident coordinates or record-level
    tables from the data (see :mod:`sna_lib.publication.leakscan`) is refused and the previous site kept.
    The theme's and extensions' own static files, byte-identical to the installed packages', are
    not read (:func:`~sna_lib.publication.leakscan.package_static_digests`), nor are exact copies
    of the library code pages inline (:func:`inlined_library_code`)."""
    from sna_lib.publication.leakscan import assert_clean

    rules = leak_rules(data_copy)
    return lambda site: assert_clean(site, rules)


def published_dir(build_dir: Path | str, area: str) -> Path:
    """Where the book for ``area`` is published.

    Examples
    --------
    >>> published_dir("book/_build", "county").as_posix()
    'book/_build/html'
    >>> published_dir("book/_build", "Castle Point").as_posix()
    'book/_build/areas/castle-point/html'
    """
    build_dir = Path(build_dir)
    return build_dir / "html" if area == "county" else build_dir / "areas" / area_slug(area) / "html"


def build_book(data_dir: Path | str, *, area: str = "county", build_dir: Path | str = "book/_build",
               workers: int = 2, progress: bool = False,
               overrides: Mapping[str, Mapping[str, Any]] | None = None,
               cell_timeout: int = DEFAULT_CELL_TIMEOUT, reporting_year: int | None = None,
               as_of: str | None = None, pdf: bool = False, workbooks: bool = True,
               scheduler: str | None = None, warm_kernels: bool = True) -> BuildResult:
    """Execute the notebooks and build + publish the HTML book(s) for ``area``.

    Parameters
    ----------
    data_dir, area, build_dir, workers, progress, overrides, cell_timeout, reporting_year, as_of, scheduler, warm_kernels
        As for :func:`run_notebooks`. ``area="all"`` builds the county book and one book per CSP.
    pdf : bool
        Also print each published book to ``<html>/../pdf/<slug>.pdf`` (:mod:`sna_lib.book.pdf`).
    workbooks : bool
        Also write each book's Excel workbook of its published tables (:mod:`sna_lib.book.workbook`).

    Returns
    -------
    BuildResult
        ``.ok``; ``.failures`` (area, notebook or ``"jupyter-book"``, error); ``.published``
        (area → HTML folder); ``.built``/``.skipped`` areas; ``.executed`` notebooks.

    Raises
    ------
    DataValidationError
        The data break the input contract: nothing is executed or published.

    Examples
    --------
    >>> result = build_book("demo-data")               # doctest: +SKIP
    >>> result.published["county"]                     # doctest: +SKIP
    PosixPath('book/_build/html')
    """
    from tqdm.auto import tqdm

    started = time.perf_counter()
    ctx = _prepare(data_dir, area, build_dir, overrides, progress, _period(reporting_year, as_of))
    prepared = time.perf_counter()
    _learn_leak_rules_in_background(ctx.data_copy)

    # Books are built as soon as all their notebooks are done, while later areas still execute.
    book_keys = {a: {p.job.key for p in ctx.pages if p.book == a} for a in ctx.areas}
    remaining = {a: set(keys) for a, keys in book_keys.items()}
    failed_keys: set[str] = set()
    done: dict[str, RunRecord] = {}
    lock = threading.Lock()
    pool = cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sna-book")
    futures: dict[str, cf.Future] = {}
    extra_timings: dict[str, float] = {}
    bar = tqdm(total=len(ctx.areas), desc="books", unit="book", disable=not progress, position=1)

    def build(book_area: str, records: dict[str, RunRecord]) -> tuple[bool, str | None]:
        try:
            staging, key = _assemble(ctx, book_area, records)
            built, error = _build_one(ctx, book_area, staging, key, published_dir(ctx.build_dir, book_area))
            if error is None:
                _keep_snapshot(ctx, book_area)  # this month's published figures, for next month's page
            if error is None and (pdf or workbooks):
                errors = _publish_extras(ctx, book_area, key, pdf=pdf, workbooks=workbooks,
                                         timings=extra_timings)
                error = "; ".join(errors) or None
            return built, error
        except Exception as exc:  # noqa: BLE001 - one book's failure must not stop the others
            return True, f"{type(exc).__name__}: {exc}"
        finally:
            bar.update(1)

    def submit_ready() -> None:  # caller holds the lock
        for book_area in ctx.areas:
            if book_area in futures or remaining[book_area] or book_keys[book_area] & failed_keys:
                continue
            snapshot = {k: done[k] for k in book_keys[book_area]}
            futures[book_area] = pool.submit(build, book_area, snapshot)

    def on_cached(records: list[RunRecord]) -> None:
        with lock:
            for r in records:
                done[r.key] = r
                for keys in remaining.values():
                    keys.discard(r.key)
            submit_ready()

    def on_done(job: _Job, record: RunRecord | None) -> None:
        with lock:
            if record is None:
                failed_keys.add(job.key)
            else:
                done[job.key] = record
            for keys in remaining.values():
                keys.discard(job.key)
            submit_ready()

    try:
        run = _run(ctx, workers, progress, cell_timeout, on_done=on_done, on_cached=on_cached,
                   scheduler=scheduler, warm_kernels=warm_kernels)
        executed_at = time.perf_counter()
        result = BuildResult(run=run)
        for book_area in ctx.areas:
            bad = sorted({p.job.notebook + ("" if p.job.area == book_area else f" ({p.job.area})")
                          for p in ctx.pages if p.book == book_area and p.job.key in failed_keys})
            if bad:
                bar.update(1)
                result.book_failures.append(Failure(book_area, "jupyter-book",
                                                    "not built: notebook(s) failed: " + ", ".join(bad)))
        for book_area in ctx.areas:
            if book_area not in futures:
                continue
            built, error = futures[book_area].result()
            if error:
                result.book_failures.append(Failure(book_area, "jupyter-book", error))
                continue
            (result.built if built else result.skipped).append(book_area)
            result.published[book_area] = published_dir(ctx.build_dir, book_area)
    finally:
        pool.shutdown(wait=True)
        bar.close()
    result.timings["prepare"] = prepared - started
    result.timings["execute"] = run.seconds
    result.timings["books_after_execute"] = time.perf_counter() - executed_at
    result.timings["total"] = time.perf_counter() - started
    result.timings.update(extra_timings)
    if progress:
        _report(result)
    return result


def _report(result: BuildResult) -> None:
    out = sys.stderr
    print(f"notebooks executed: {result.run.executed}, reused from cache: {result.run.cached}; "
          f"books built: {len(result.built)}, unchanged: {len(result.skipped)}; "
          f"{result.timings.get('total', 0):.1f} s", file=out)
    for area_name, path in result.published.items():
        print(f"  {area_name}: {path / 'index.html'}", file=out)
    for kind in ("pdf", "workbook"):
        spent = [v for k, v in result.timings.items() if k.startswith(kind + ":")]
        if spent:
            print(f"{kind}s written: {len(spent)} in {sum(spent):.1f} s (see publications/)", file=out)
    for failure in result.failures:
        print(f"FAILED {failure}", file=out)
