"""A loaded machine delays a kernel's IOPub messages; a build must wait for them, not fail.

The national county book (``--scale 30``, beside other work) failed once with nbclient's
``CellTimeoutError: Timeout waiting for IOPub output ... after 4 seconds``: the cell had finished
and replied, but its closing IOPub status arrived more than nbclient's default 4 s later. The run
now waits for IOPub as long as a cell may run (``cell_timeout``).
"""

from __future__ import annotations

import json

import nbformat

from sna_lib.book.execute import KERNEL_ENV, RunSpec, execute_run

#: Delays the kernel's next "idle" status (sent after the cell's execute reply) by ``seconds``.
DELAY_IDLE = """\
import time
kernel = get_ipython().kernel
publish = kernel._publish_status
def late_idle(status, channel, parent=None, _left=[1]):
    if status == "idle" and _left:
        _left.pop()
        time.sleep({seconds})
    return publish(status, channel, parent)
kernel._publish_status = late_idle
"""


def _notebook(path, seconds: float) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("area = 'county'", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(DELAY_IDLE.format(seconds=seconds)),
                nbformat.v4.new_code_cell("print('after the late idle')")]
    nbformat.write(nb, path)


def test_late_iopub_status_within_the_cell_timeout_is_waited_for(tmp_path):
    source = tmp_path / "late.ipynb"
    _notebook(source, seconds=6)  # > nbclient's default iopub_timeout of 4 s, < cell_timeout
    runs = tmp_path / "runs"
    outcome = execute_run(RunSpec(key="late", area="county", notebook="late", source=str(source),
                                  parameters={"area": "county"}, runs_dir=str(runs), cwd=str(tmp_path),
                                  cell_timeout=60, env=KERNEL_ENV, warm=False))
    assert outcome.error is None, outcome.error
    executed = json.loads((runs / "late" / "notebook.ipynb").read_text(encoding="utf-8"))
    printed = ["".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", [])]
    assert printed == ["after the late idle\n"]
