"""The reporting period of a run: ``sna --version``, ``--reporting-year``, ``--as-of YYYY-MM``,
and the same options reaching the notebooks as papermill parameters."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
import pytest

from sna_lib.data.config import Config
from conftest import myst_notebook
from sna_lib.period import PeriodError, apply_period, parse_as_of, previous_month

REPO = Path(__file__).resolve().parents[1]


def sna(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sna_lib.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _cfg(**kw) -> Config:
    base = dict(county="Demo", csps=("A", "B"), reporting_year=2023, first_year=2014,
                rolling_end=dt.date(2023, 12, 31))
    return Config(**{**base, **kw})


def test_version_matches_pyproject():
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    proc = sna("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"sna-book {version}"


@pytest.mark.parametrize("text, end", [("2023-07", dt.date(2023, 7, 31)), ("2024-02", dt.date(2024, 2, 29)),
                                       ("2023-02", dt.date(2023, 2, 28)), ("2022-12", dt.date(2022, 12, 31))])
def test_as_of_is_the_last_day_of_the_month(text, end):
    assert parse_as_of(text) == end


@pytest.mark.parametrize("bad", ["2023-7", "2023-13", "2023-00", "July 2023", "2023-07-31", ""])
def test_malformed_as_of_is_refused(bad):
    with pytest.raises(PeriodError, match="YYYY-MM"):
        parse_as_of(bad)


def test_previous_month_crosses_the_year():
    assert previous_month("2024-01") == "2023-12"
    assert previous_month("2023-07") == "2023-06"


def test_apply_period_moves_the_rolling_end_and_keeps_the_rest():
    cfg = _cfg()
    new = apply_period(cfg, as_of="2023-06")
    assert new.rolling_end == dt.date(2023, 6, 30) and new.reporting_year == 2023
    assert (new.county, new.csps, new.first_year) == (cfg.county, cfg.csps, cfg.first_year)
    assert apply_period(cfg) is cfg
    assert apply_period(cfg, as_of="2023-12") is cfg
    # another reporting year without --as-of: its own calendar year
    assert apply_period(cfg, reporting_year=2021).rolling_end == dt.date(2021, 12, 31)


@pytest.mark.parametrize("kwargs, message", [
    ({"as_of": "2024-01"}, "after the last date of the data"),
    ({"reporting_year": 2030}, "outside the data"),
    ({"reporting_year": 2010}, "outside the data"),
    ({"reporting_year": 2021, "as_of": "2023-06"}, "reporting year 2021 or the year after"),
    ({"reporting_year": 2014, "as_of": "2014-06"}, "no earlier 12 months"),
])
def test_apply_period_refuses_periods_outside_the_data(kwargs, message):
    with pytest.raises(PeriodError, match=message):
        apply_period(_cfg(), **kwargs)


def _rolling_count(demo_dir: Path, definition: str, start: dt.date, end: dt.date) -> int:
    """Independent count: the definition's offence codes, in dates [start, end]."""
    from sna_lib.measures.classify import qualifying_mask

    crimes = pd.read_parquet(demo_dir / "crimes.parquet")
    dates = pd.to_datetime(crimes["date"]).dt.date
    in_window = ((dates >= start) & (dates <= end)).to_numpy()
    return int((np.asarray(qualifying_mask(crimes, definition), dtype=bool) & in_window).sum())


def test_figures_as_of_uses_the_rolling_12_months_ending_that_month(few_csp_dir, tmp_path):
    """The export reads the store made for that period (validated into the cache first)."""
    proc = sna("figures", "--data", str(few_csp_dir), "--as-of", "2023-06", "--cache-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout)["figures"]
    assert figures["meta.rolling_end"] == "2023-06-30"
    assert figures["section8.table_A.knife_sv.after_period"] == "Jul 2022 – Jun 2023"
    assert figures["section8.table_A.knife_sv.before_period"] == "Jul 2021 – Jun 2022"
    after = _rolling_count(few_csp_dir, "knife_enabled", dt.date(2022, 7, 1), dt.date(2023, 6, 30))
    before = _rolling_count(few_csp_dir, "knife_enabled", dt.date(2021, 7, 1), dt.date(2022, 6, 30))
    assert figures["section8.table_A.knife_sv.after"] == after
    assert figures["section8.table_A.knife_sv.before"] == before


def test_bad_as_of_is_a_clear_error_not_a_traceback(demo_dir, tmp_path):
    for args, text in ((["--as-of", "2031-01"], "after the last date"), (["--as-of", "23-1"], "YYYY-MM")):
        proc = sna("run", "--data", str(demo_dir), "--build-dir", str(tmp_path / "b"), *args)
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert text in proc.stderr and "Traceback" not in proc.stderr
        assert not (tmp_path / "b" / ".cache" / "runs").exists()
        assert not (tmp_path / "b" / ".cache" / "data").exists()  # rejected before validation and the stage


PERIOD_NOTEBOOK = myst_notebook('Period {glue:text}`period`', """```{code-cell}
from sna_lib.book import nbhelpers as nb
ctx = nb.setup(area, data_dir, build_dir, reporting_year, as_of)
print("PERIOD", ctx.reporting_year, ctx.config.rolling_end, ctx.dataset.config.rolling_end)
```
""")


def test_as_of_and_reporting_year_reach_the_notebooks_as_papermill_parameters(tiny_project, few_csp_dir, tmp_path):
    from sna_lib.book.pipeline import run_notebooks

    (tiny_project / "notebooks" / "01_tiny.ipynb").unlink()
    (tiny_project / "notebooks" / "01_tiny.md").write_text(PERIOD_NOTEBOOK, encoding="utf-8")
    csp = yaml.safe_load((few_csp_dir / "config.yaml").read_text(encoding="utf-8"))["csps"][0]
    result = run_notebooks(few_csp_dir, area=csp, build_dir=tmp_path / "b", workers=1,
                           reporting_year=2023, as_of="2023-05")
    assert result.ok, result.failures
    rec = next(r for r in result.records if r.notebook == "notebooks/01_tiny")
    text = (rec.run_dir / "notebook.ipynb").read_text(encoding="utf-8")
    assert re.search(r"PERIOD 2023 2023-05-31 2023-05-31", text), text[-1500:]
    assert json.loads((rec.run_dir / "run.json").read_text())["as_of"] == "2023-05"
    # only the period asked for is published: its store beside the copy, none for the data's own period
    assert not (result.data_copy / "published").exists()
    assert (result.data_copy.parent / f"{result.data_copy.name}.published-2023-2023-05" / "cells.parquet").is_file()
    # another month is another run (cache key), the same month is reused
    again = run_notebooks(few_csp_dir, area=csp, build_dir=tmp_path / "b", workers=1, as_of="2023-05",
                          reporting_year=2023)
    assert again.executed == 0


def test_a_period_copy_is_never_served_for_another_dataset(monkeypatch):
    """The kernel's period copy is keyed by the dataset's id; CPython reuses an id once its object
    is freed, so a new dataset at a freed one's address must not get the old dataset's copy."""
    from dataclasses import dataclass

    from sna_lib.book import nbhelpers
    from sna_lib.data.config import Config

    @dataclass
    class Records:
        config: Config
        name: str

    cfg = Config(county="Demo", csps=("A",), reporting_year=2023, first_year=2014, rolling_end=dt.date(2023, 12, 31))
    monkeypatch.setattr(nbhelpers, "_DATASETS", {})
    monkeypatch.setattr(nbhelpers, "id", lambda obj: 7, raising=False)  # every object at one address
    first = nbhelpers._with_period(Records(cfg, "first"), None, "2023-06")
    second = nbhelpers._with_period(Records(cfg, "second"), None, "2023-06")
    assert (first.name, second.name) == ("first", "second")
    assert second.config.rolling_end == dt.date(2023, 6, 30)
