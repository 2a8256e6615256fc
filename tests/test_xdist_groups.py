"""The suite's time budget rests on ``pytest -n 2 --dist loadgroup`` keeping each
``xdist_group`` on one worker, so that an expensive session fixture (the built county book, the
store-only notebook runs) is made once, not once per worker.

pytest 9.2 silently broke that grouping (pytest-xdist#1386: the group suffix never reaches the
node id; every marked test is then scheduled on its own and the suite doubled its time). This
test fails when that happens again.
"""

from __future__ import annotations

import pytest


@pytest.mark.xdist_group("book")
def test_loadgroup_keeps_a_marked_test_in_its_group(request):
    config = request.config
    if not hasattr(config, "workerinput") or not config.getvalue("loadgroup"):
        pytest.skip("runs only under pytest-xdist --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@book"), (
        f"{request.node.nodeid}: --dist loadgroup does not group tests with this pytest/pytest-xdist "
        "(pytest-xdist#1386); pin pytest below the breaking release")
