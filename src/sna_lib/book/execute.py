"""Execute notebook runs as jobs on a standard executor (threads, processes or a Dask cluster).

One *run* is one notebook executed by papermill for one area. :func:`execute_run` does exactly
one run, start to finish, and never raises: it writes the executed notebook and its downloads
into a private temporary folder, cleans it (deterministic, no local paths) and renames the folder
into place (``<runs_dir>/<key>``) only when the run succeeded, so a cache entry is complete or
absent. A failed run is kept under ``<runs_dir>/failed/<key>`` for inspection. Failures are
isolated (one run's failure is its outcome, not an exception), every cell has a timeout, and a run
whose kernel died under it is retried once on a fresh kernel.

Because a run is a plain function of a picklable :class:`RunSpec`, the same jobs can be submitted
to any :class:`concurrent.futures.Executor` — :func:`local_executor` (threads, the default;
processes on request) or a Dask distributed cluster through :func:`dask_executor`
(``sna build --scheduler ADDRESS``; workers must see the same file system paths).

Kernels: with ``warm=True`` (the default) each executor thread keeps one Jupyter kernel and reuses
it for its next run, so imports and the loaded dataset are paid once per worker, not once per run;
a hidden first cell clears the namespace between runs. Kept because it pays: in
``benchmarks/build_benchmark.py`` (county book, 24 runs, scale 0.25, 2 workers, same run) plain
fresh-kernel papermill jobs on a ``ThreadPoolExecutor`` took 780.7 s (721 s executing) against
390.8 s (238 s) with warm kernels, and the naive sequential papermill baseline 1590.3 s
(``benchmarks/results/``). ``warm_kernels=False`` gives plain papermill jobs.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "RunSpec",
    "RunOutcome",
    "execute_run",
    "local_executor",
    "dask_executor",
    "executor_for",
    "shutdown_warm_kernels",
    "KERNEL_NAME",
]

KERNEL_NAME = "python3"

#: Environment every kernel runs with (on top of the worker's own environment).
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
              "SNA_BOOK_BUILD": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1", "TQDM_DISABLE": "1"}

#: Kernel command-line options: no IPython input history (the kernel would write every cell to
#: the user's shared ``history.sqlite``; a build never reads it back).
KERNEL_ARGS = ("--HistoryManager.enabled=False",)

#: Python that keeps ``jsonschema`` from importing ``rfc3987_syntax``. JupyterLab's
#: ``jupyter-events`` installs ``jsonschema[format-nongpl]``, and that package compiles 38 lark
#: grammars when imported: about 3 s of CPU in every process that imports ``nbformat`` (each
#: kernel through myst-nb's ``glue``, the build process, every ``jupyter-book`` run; measured
#: 2.9–3.3 s against 0.3 s without it). It only adds the ``iri`` / ``iri-reference`` format
#: checks, which nothing in a build asks for; jsonschema skips a checker it cannot import.
SKIP_SLOW_IMPORTS = "import sys as _sys; _sys.modules.setdefault('rfc3987_syntax', None); del _sys"


def skip_slow_imports() -> None:
    """Apply :data:`SKIP_SLOW_IMPORTS` in this process (before anything imports ``jsonschema``).

    Examples
    --------
    >>> import sys
    >>> skip_slow_imports()
    >>> "rfc3987_syntax" in sys.modules
    True
    """
    exec(SKIP_SLOW_IMPORTS, {})


# Hidden first cell of every run: a warm kernel runs many notebooks in turn.
# ``%reset -f`` runs two full garbage collections; the last line moves what survives them (the
# imported modules, the kernel's caches) to the collector's permanent generation, so the next
# run's collections only walk the objects that run made (its garbage, figures included, is still
# collected).
_RESET_CODE = """
%reset -f
""" + SKIP_SLOW_IMPORTS + """
import gc as _gc, os as _os, warnings as _warnings, matplotlib.pyplot as _plt
_plt.close("all")
_os.chdir({cwd!r})
_warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm.auto without ipywidgets
del _os, _warnings, _plt
_gc.freeze(); del _gc
"""


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs for one run (picklable, paths as strings).

    Attributes
    ----------
    key : str
        Cache key; the run is published to ``<runs_dir>/<key>``.
    area, notebook : str
        Area the notebook runs for and its table-of-contents name (``notebooks/05_trends``).
    source : str
        The notebook's source file (MyST ``.md`` or ``.ipynb``).
    parameters : dict
        Papermill parameters (``build_dir`` is set to the run folder by :func:`execute_run`).
    runs_dir : str
        Cache folder of executed runs.
    cwd : str
        Folder the kernel starts in (the project).
    cell_timeout : int
        Seconds one cell may run.
    env : dict
        Extra environment for the kernel (merged over the worker's environment).
    warm : bool
        Reuse this worker thread's kernel (see the module docstring).
    """

    key: str
    area: str
    notebook: str
    source: str
    parameters: Mapping
    runs_dir: str
    cwd: str
    cell_timeout: int
    env: Mapping = field(default_factory=dict)
    warm: bool = True


@dataclass(frozen=True)
class RunOutcome:
    """What :func:`execute_run` reports: ``error`` is None on success."""

    key: str
    seconds: float
    error: str | None = None
    stderr_outputs: int = 0


# --------------------------------------------------------------------------- kernels


class _Kernel:
    """One Jupyter kernel (async manager, private IPC folder), started on demand."""

    def __init__(self, env: dict[str, str], cwd: str):
        self.env = env
        self.cwd = cwd
        self.km = None
        self.ipc_dir: Path | None = None
        self.context = _thread_context()

    def start(self) -> None:
        # nbclient needs an *async* manager: with a blocking client its output polling blocks the
        # event loop, so cell timeouts and dead kernels would never be noticed.
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        last: Exception | None = None
        for _attempt in range(2):  # retry once on kernel-start failures
            # IPC sockets under an absolute private folder (kernel and client may have different cwds).
            self.ipc_dir = Path(tempfile.mkdtemp(prefix="sna-kernel-"))
            km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(self.ipc_dir / "k"))
            self.km = km
            try:
                run_sync(km.start_kernel)(cwd=self.cwd, env=self.env, extra_arguments=list(KERNEL_ARGS))
                if not self.alive():
                    raise RuntimeError("kernel exited during start-up")
                return
            except Exception as exc:  # noqa: BLE001 - kernel start failures are retried once
                last = exc
                self.shutdown()
        raise RuntimeError(f"kernel failed to start twice: {last}")

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def ensure(self) -> None:
        if not self.alive():
            self.shutdown()
            self.start()

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - best effort on a dead kernel
                pass
            self.km = None
        if self.ipc_dir is not None:
            shutil.rmtree(self.ipc_dir, ignore_errors=True)
            self.ipc_dir = None


_LOCAL = threading.local()
_WARM: list[_Kernel] = []
_WARM_LOCK = threading.Lock()


@contextlib.contextmanager
def _kernel(env: dict[str, str], cwd: str, warm: bool) -> Iterator[_Kernel]:
    """This thread's warm kernel (started or replaced when needed), or a fresh one-run kernel."""
    if not warm:
        kernel = _Kernel(env, cwd)
        try:
            yield kernel
        finally:
            kernel.shutdown()
        return
    kernel = getattr(_LOCAL, "kernel", None)
    if kernel is None or kernel.env != env or kernel.cwd != cwd:
        if kernel is not None:
            kernel.shutdown()
        kernel = _Kernel(env, cwd)
        _LOCAL.kernel = kernel
        with _WARM_LOCK:
            _WARM.append(kernel)
    yield kernel


def shutdown_warm_kernels() -> int:
    """Shut down every warm kernel this process started; returns how many were running.

    Each kernel is shut down in the context (and so on the event loop) it was started in.
    """
    with _WARM_LOCK:
        kernels = list(_WARM)
        _WARM.clear()
    running = sum(1 for k in kernels if k.km is not None)
    for k in kernels:
        k.context.run(k.shutdown)
    return running


def _thread_context() -> contextvars.Context:
    """This thread's own context for kernel work.

    ``jupyter_core.utils.run_sync`` (used by jupyter_client, nbclient and papermill) keeps its event
    loop in a context variable; executors that copy the submitter's context into worker threads
    (Dask does) would hand every thread the same loop ("This event loop is already running").
    Each worker thread runs its jobs in one private context instead: one loop per thread, kept for
    its warm kernel.
    """
    context = getattr(_LOCAL, "context", None)
    if context is None:
        context = _LOCAL.context = contextvars.Context()
    return context


# --------------------------------------------------------------------------- notebooks


def _input_notebook(source: Path, run_dir: Path) -> Path:
    """Copy of ``source`` with the hidden reset cell first (namespace cleared, cwd = run dir)."""
    from sna_lib.book.pipeline import read_notebook

    nb = read_notebook(source)
    reset = {"cell_type": "code", "execution_count": None, "id": "sna-reset",
             "metadata": {"tags": ["sna-reset", "remove-cell"]}, "outputs": [],
             "source": _RESET_CODE.format(cwd=str(run_dir)).strip()}
    nb["cells"] = [reset, *nb.get("cells", [])]
    path = run_dir / ".input.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def clean_notebook(path: Path) -> None:
    """Make an executed notebook deterministic and free of local paths.

    Drops the ``parameters``/``injected-parameters`` cells, papermill timing metadata and
    renumbers execution counts from 1.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    count = 0
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters", "sna-reset"}:
            continue
        meta = cell.get("metadata", {})
        meta.pop("papermill", None)
        meta.pop("execution", None)
        if cell.get("cell_type") == "code":
            count += 1
            cell["execution_count"] = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count
        cells.append(cell)
    nb["cells"] = cells
    nb.get("metadata", {}).pop("papermill", None)
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _stderr_outputs(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(1 for c in nb.get("cells", []) for o in c.get("outputs", [])
               if o.get("output_type") == "stream" and o.get("name") == "stderr")


def describe_error(exc: BaseException) -> str:
    """One line for a failed run: the notebook's exception and cell, or the executor's error."""
    ename = getattr(exc, "ename", None)
    if ename:
        return f"{ename}: {getattr(exc, 'evalue', '')} (cell {getattr(exc, 'exec_count', '?')})"
    return f"{type(exc).__name__}: {exc}"


def _papermill(spec: RunSpec, kernel: _Kernel, tmp: Path) -> None:
    import papermill as pm

    source = _input_notebook(Path(spec.source), tmp)
    pm.execute_notebook(
        str(source), str(tmp / "notebook.ipynb"),
        parameters={**spec.parameters, "build_dir": str(tmp)},
        kernel_name=KERNEL_NAME, km=kernel.km, progress_bar=False,
        request_save_on_cell_execute=False, execution_timeout=spec.cell_timeout, log_output=False,
        # A loaded machine can deliver a finished cell's last IOPub messages seconds after its reply
        # (nbclient waits 4 s by default, then fails the run): wait as long as a cell may run.
        iopub_timeout=spec.cell_timeout,
    )


def execute_run(spec: RunSpec) -> RunOutcome:
    """Execute one notebook run and publish it atomically into ``<runs_dir>/<key>``.

    Never raises for a notebook failure: the error is the outcome (``RunOutcome.error``). A run
    whose kernel died (or failed to start) is retried once on a fresh kernel; a notebook that
    raised or timed out is not retried.
    """
    return _thread_context().run(_execute_run, spec)


def _execute_run(spec: RunSpec) -> RunOutcome:
    started = time.perf_counter()
    runs_dir = Path(spec.runs_dir)
    run_dir = runs_dir / spec.key
    tmp = runs_dir / f".{spec.key}.tmp{os.getpid()}-{threading.get_ident()}"
    env = {**os.environ, **spec.env}
    error: str | None = None
    with _kernel(env, spec.cwd, spec.warm) as kernel:
        for attempt in range(2):
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                kernel.ensure()
                _papermill(spec, kernel, tmp)
                error = None
                break
            except Exception as exc:  # noqa: BLE001 - isolate every notebook failure
                error = describe_error(exc)
                if getattr(exc, "ename", None):  # the notebook itself raised: kernel is fine
                    break
                died = type(exc).__name__ == "DeadKernelError" or not kernel.alive()
                kernel.shutdown()  # timeouts, dead or unstartable kernels: a fresh one next
                if not died or attempt == 1:
                    break  # retry once only when the kernel died under the notebook
    seconds = time.perf_counter() - started
    (tmp / ".input.ipynb").unlink(missing_ok=True)
    if error is not None:
        failed = runs_dir / "failed" / spec.key
        shutil.rmtree(failed, ignore_errors=True)
        failed.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            os.replace(tmp, failed)
        return RunOutcome(spec.key, seconds, error)
    try:
        clean_notebook(tmp / "notebook.ipynb")
        n_err = _stderr_outputs(tmp / "notebook.ipynb")
        (tmp / "run.json").write_text(json.dumps(
            {"area": spec.area, "notebook": spec.notebook, "reporting_year": spec.parameters.get("reporting_year"),
             "as_of": spec.parameters.get("as_of"), "seconds": round(seconds, 2)}, sort_keys=True), encoding="utf-8")
        from sna_lib.book.pipeline import write_manifest

        write_manifest(tmp)
        shutil.rmtree(run_dir, ignore_errors=True)
        os.replace(tmp, run_dir)
    except Exception as exc:  # noqa: BLE001 - e.g. a full disk: this run fails, not the build
        shutil.rmtree(tmp, ignore_errors=True)
        return RunOutcome(spec.key, seconds, f"could not store the executed notebook: {describe_error(exc)}")
    return RunOutcome(spec.key, seconds, None, n_err)


# --------------------------------------------------------------------------- executors


def _process_initializer() -> None:
    """Worker-process start-up: shut the process's warm kernels down when it exits."""
    from multiprocessing import util

    util.Finalize(None, shutdown_warm_kernels, exitpriority=10)


@contextlib.contextmanager
def local_executor(workers: int, kind: str = "thread") -> Iterator[cf.Executor]:
    """A local executor of ``workers`` threads (default) or processes; warm kernels shut on exit.

    Threads are enough: the work runs in the kernel subprocesses, a worker thread only waits
    for its kernel. ``kind="process"`` exists for comparison (see ``benchmarks/``).
    """
    workers = max(1, int(workers))
    if kind == "thread":
        pool: cf.Executor = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sna-nb")
    elif kind == "process":
        import multiprocessing

        pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_process_initializer)
    else:
        raise ValueError(f"executor kind must be 'thread' or 'process', got {kind!r}")
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if kind == "thread":
            shutdown_warm_kernels()


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[cf.Executor]:
    """A :class:`concurrent.futures.Executor` over a Dask distributed scheduler at ``address``.

    Needs the optional ``dask`` extra (``pip install 'sna-book[dask]'``). Workers must see the
    build and data folders at the same paths (a shared file system) and have ``sna_lib``
    installed. Warm kernels on the workers are shut down when the build ends.
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from sna_lib.book.pipeline import BookError

        raise BookError("--scheduler needs Dask distributed: install the 'dask' extra "
                        "(pip install 'sna-book[dask]')") from exc
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        from sna_lib.book.pipeline import BookError

        raise BookError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        # pure=False: every submission runs (the cache, not Dask, decides what is reused)
        yield client.get_executor(pure=False)
    finally:
        with contextlib.suppress(Exception):
            client.run(shutdown_warm_kernels)
        client.close()


def executor_for(scheduler: str | None, workers: int) -> contextlib.AbstractContextManager[cf.Executor]:
    """The executor for ``sna build --scheduler``: ``None``/``"local"`` → local threads,
    ``"processes"`` → local processes, anything else → the Dask scheduler at that address."""
    if scheduler in (None, "", "local", "threads"):
        return local_executor(workers, "thread")
    if scheduler == "processes":
        return local_executor(workers, "process")
    return dask_executor(scheduler)
