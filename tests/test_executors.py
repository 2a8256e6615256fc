"""Notebook runs are jobs on a standard executor: a Dask distributed cluster builds the same book.

Uses the tiny two-notebook project (``tiny_project`` in conftest) so a cluster build takes seconds.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest
import yaml

from sna_lib.book.pipeline import build_book, published_dir, run_notebooks

distributed = pytest.importorskip("distributed")


def _text(page) -> str:
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S | re.I)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


@pytest.fixture
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as local:
        yield local


def test_dask_local_cluster_builds_a_book_and_isolates_a_failing_run(tiny_project, few_csp_dir, tmp_path, cluster):
    from conftest import write_tiny_notebook

    csps = yaml.safe_load((few_csp_dir / "config.yaml").read_text(encoding="utf-8"))["csps"]
    build = tmp_path / "build"
    result = build_book(few_csp_dir, area=csps[0], build_dir=build, scheduler=cluster.scheduler_address)
    assert result.ok, result.failures
    assert result.executed == 2  # the section and the area profile
    assert "execute_run" in cluster.scheduler.task_prefixes  # the runs were tasks on the cluster
    site = published_dir(build, csps[0])
    assert f"Area (glued across pages): {csps[0]} ." in _text(site / "book" / "index.html")

    # the same cache serves a local build: nothing re-executes for the first CSP
    again = build_book(few_csp_dir, area=csps[0], build_dir=build)
    assert again.ok and again.executed == 0 and again.skipped == [csps[0]]

    # a failing run on a cluster worker fails alone; the other run of that area still lands
    write_tiny_notebook(tiny_project / "notebooks" / "01_tiny.ipynb", fail_areas=[csps[1]])
    failing = run_notebooks(few_csp_dir, area=csps[1], build_dir=build, scheduler=cluster.scheduler_address)
    assert [(f.area, f.notebook) for f in failing.failures] == [(csps[1], "notebooks/01_tiny")]
    assert "deliberate failure" in failing.failures[0].error
    assert [(r.area, r.notebook) for r in failing.records] == [(csps[1], "notebooks/area_profile")]


def test_unreachable_scheduler_is_one_clear_error(demo_dir, tmp_path, capsys):
    from sna_lib.cli import main

    code = main(["build", "--data", str(demo_dir), "--build-dir", str(tmp_path / "build"),
                 "--area", "county", "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code != 0
    assert "tcp://127.0.0.1:9" in err and "Traceback" not in err
    assert not (tmp_path / "build" / "html").exists()
