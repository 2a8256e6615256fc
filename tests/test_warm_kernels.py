"""Kernels started early (while the publication stage runs) are the ones the runs use."""

from __future__ import annotations

import concurrent.futures as cf

import nbformat

from sna_lib.book import execute as E


def test_a_variable_added_to_the_environment_does_not_replace_a_warm_kernel(monkeypatch):
    """Libraries set variables in os.environ while the stage runs (OpenMP's KMP_* ones): the warm
    kernel is identified by the run's own settings and folder, so it is kept; a change in those
    settings still gives a new kernel. (No kernel is started here: kernels start on demand.)"""
    def kernel_for(env):
        with E._kernel(env, "/tmp", True) as kernel:
            return kernel

    monkeypatch.delattr(E._LOCAL, "kernel", raising=False)
    first = kernel_for({"SNA_X": "1"})
    monkeypatch.setenv("KMP_DUPLICATE_LIB_OK", "True")
    assert kernel_for({"SNA_X": "1"}) is first
    assert kernel_for({"SNA_X": "2"}) is not first
    E._LOCAL.kernel = None


def test_a_warmed_up_kernel_runs_the_next_notebook_of_its_thread(tmp_path, monkeypatch):
    """warm_up_kernels starts the thread's kernel and runs the warm-up code in it; the run that
    follows on that thread uses the same kernel (one start, the warm-up's import still loaded)."""
    starts = []
    real_start = E._Kernel.start

    def counting_start(self):
        starts.append(self)
        real_start(self)

    monkeypatch.setattr(E._Kernel, "start", counting_start)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("area = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import sys\nprint('warm' if 'sna_warm_probe' in sys.modules else 'cold')"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    (tmp_path / "sna_warm_probe.py").write_text("LOADED = True\n")  # importable from the kernel's folder
    source = tmp_path / "probe.ipynb"
    nbformat.write(nb, source)
    env = dict(E.KERNEL_ENV)
    with E.local_executor(1) as pool:
        warmed = E.warm_up_kernels(pool, 1, env, str(tmp_path), "import sna_warm_probe\n")
        spec = E.RunSpec(key="probe", area="county", notebook="probe", source=str(source),
                         parameters={"area": "county"}, runs_dir=str(tmp_path / "runs"), cwd=str(tmp_path),
                         cell_timeout=60, env=env)
        outcome = pool.submit(E.execute_run, spec).result()
        cf.wait(warmed)
    assert outcome.error is None, outcome.error
    out = nbformat.read(tmp_path / "runs" / "probe" / "notebook.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in out.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert printed.strip() == "warm" and len(starts) == 1
