"""Shared fixtures.

``demo_dir`` is the synthetic demo county at a small scale, generated once per test worker.
``open_data_dir`` points at real open data beside the repository, when present.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def open_data_dir() -> Path:
    """Real open data (police.uk, ONS, census) from ../shared/data/open; skips when absent."""
    path = REPO.parent / "shared" / "data" / "open"
    if not path.is_dir():
        pytest.skip("real open data not present at ../shared/data/open")
    return path
