"""The analyst guide's recipes, run as a new user would (book/analyst_guide.md)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
GUIDE = (REPO / "book" / "analyst_guide.md").read_text(encoding="utf-8")


def sna(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sna_lib.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ))


def _block(after: str, lang: str) -> str:
    """The first ```lang block after the heading ``after`` in the guide."""
    section = GUIDE.split(after, 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def test_guide_is_in_the_annex_and_linked_from_the_readme():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    annex = next(p for p in toc["parts"] if p["caption"] == "Annexes")
    assert {"file": "book/analyst_guide"} in annex["chapters"]
    assert "book/analyst_guide.md" in (REPO / "README.md").read_text(encoding="utf-8")
    for recipe in ("JupyterLab", "table or a chart", "local serious-violence definition", "disclosure thresholds",
                   "Build one CSP", "monthly refresh", "official harm workbook", "sna import police-uk"):
        assert recipe in GUIDE
    assert "cron" in GUIDE.lower() and "workflow" in GUIDE.lower()


def test_local_definition_recipe_works_on_the_demo(few_csp_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(few_csp_dir, data)
    definition = yaml.safe_load(_block("## Add a local serious-violence definition", "yaml"))
    (data / "defs").mkdir()
    (data / "defs" / "local_robbery.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    config = yaml.safe_load((data / "config.yaml").read_text(encoding="utf-8"))
    config["definitions"] = yaml.safe_load(_block("and list it in `config.yaml`", "yaml"))["definitions"]
    (data / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    proc = sna("validate", "--data", str(data))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    proc = sna("figures", "--data", str(data), "--area", "Brackenford", "--cache-dir", str(tmp_path / "cache"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout)["figures"]
    assert figures["text.sv.annual.columns.local_robbery"] == definition["name"]
    # independent count: robbery codes, Brackenford LSOAs, the reporting year
    crimes = pd.read_parquet(data / "crimes.parquet")
    geo = pd.read_parquet(data / "geography.parquet")
    lsoas = set(geo.loc[geo["area"] == "Brackenford", "lsoa_code"])
    n = int((crimes["offence_code"].isin(["34A", "34B"]) & crimes["lsoa_code"].isin(lsoas)
             & (pd.to_datetime(crimes["date"]).dt.year == config["reporting_year"])).sum())
    assert figures["meta.sv_definition"] == "local_robbery"  # listed first: the book's primary definition
    value = figures["section3.volumes.serious_violence_partnership.volume"]
    assert value == "[c]" if 1 <= n <= 7 else value in (n, "[c]")  # secondary suppression may withhold more


def test_disclosure_recipe_keys_are_accepted(demo_dir, tmp_path):
    from sna_lib.data.config import load_config

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    config = yaml.safe_load((data / "config.yaml").read_text(encoding="utf-8"))
    recipe = yaml.safe_load(_block("## Change disclosure thresholds and index weights", "yaml"))
    recipe["risk_index"].pop("weights")  # factor names depend on the data's layers
    config.update(recipe)
    (data / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    cfg = load_config(data)
    assert cfg.disclosure["suppress_max"] == 10 and cfg.disclosure["rounding"] == 5


@pytest.mark.parametrize("line", [ln for ln in GUIDE.splitlines() if ln.startswith("sna build ")])
def test_build_commands_in_the_guide_parse(line):
    from sna_lib.cli import build_parser

    args = build_parser().parse_args(line.split("#")[0].split()[1:])
    assert args.command == "build"
