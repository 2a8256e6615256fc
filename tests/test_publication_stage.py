"""The publication stage inside the build: one store per data content key, beside the validated copy."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from sna_lib.publication.stage import STORE_DIR


def test_the_validated_copy_holds_the_store_sealed_in_its_manifest(demo_copy, demo_dir):
    from sna_lib.book.pipeline import MANIFEST_FILE, cache_entry_ok
    from sna_lib.publication.store import PublishedStore

    store = PublishedStore(demo_copy / STORE_DIR)
    manifest = json.loads((demo_copy / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert {f"{STORE_DIR}/cells.parquet", f"{STORE_DIR}/relations.parquet", f"{STORE_DIR}/provenance.json"} <= set(manifest)
    assert cache_entry_ok(demo_copy)
    copy_info = json.loads((demo_copy / "provenance.json").read_text(encoding="utf-8"))
    assert store.provenance["inputs"] == copy_info["inputs"] and store.provenance["code"] == copy_info["code"]
    # the real span of the records (independent: the raw crimes file), not the configured window
    dates = pd.to_datetime(pd.read_parquet(demo_dir / "crimes.parquet", columns=["date"])["date"])
    assert store.provenance["last_date"] == dates.max().date().isoformat()
    assert store.provenance["first_date"] == dates.min().date().isoformat()
    assert store.areas[0] == "county" and len(store.areas) == 1 + len(store.provenance["areas"]) - 1


def test_another_build_folder_with_the_same_data_does_not_recompute(demo_copy, demo_dir, tmp_path, monkeypatch):
    """Same content key in the same process: the store is copied, control is not run again."""
    from sna_lib.book.pipeline import prepare_data
    from sna_lib.publication import control

    def refuse(*a, **k):
        raise AssertionError("control ran again for an unchanged content key")

    monkeypatch.setattr(control, "control", refuse)
    other = prepare_data(demo_dir, tmp_path / "cache")
    assert other.name == demo_copy.name
    for name in ("cells.parquet", "relations.parquet", "provenance.json"):
        assert (other / STORE_DIR / name).read_bytes() == (demo_copy / STORE_DIR / name).read_bytes()


def test_a_failing_control_fails_the_build_cleanly_and_keeps_the_previous_site(tiny_project, few_csp_dir,
                                                                               tmp_path, monkeypatch, capsys):
    """New data whose disclosure control fails: exit 2, one message, no traceback, nothing cached,
    the site published before untouched."""
    from sna_lib import cli
    from sna_lib.publication import control

    data = tmp_path / "data"
    shutil.copytree(few_csp_dir, data)
    build = tmp_path / "build"
    assert cli.main(["build", "--data", str(data), "--build-dir", str(build), "--no-workbooks"]) == 0
    site = build / "html"
    before = sorted((p.relative_to(site).as_posix(), p.read_bytes()) for p in site.rglob("*") if p.is_file())
    assert before
    capsys.readouterr()

    def settle_never(*a, **k):
        raise RuntimeError("secondary suppression did not settle within 50 rounds")

    monkeypatch.setattr(control, "control", settle_never)
    with (data / "config.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited: a new content key\n")
    code = cli.main(["build", "--data", str(data), "--build-dir", str(build), "--no-workbooks"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "publication stage failed" in err and "did not settle" in err and "Traceback" not in err
    after = sorted((p.relative_to(site).as_posix(), p.read_bytes()) for p in site.rglob("*") if p.is_file())
    assert after == before
    copies = [p.name for p in (build / ".cache" / "data").iterdir()]
    assert len(copies) == 1, copies  # the first build's copy only: no partial copy, no temp folder


@pytest.mark.slow
def test_another_period_gets_its_own_store_beside_the_copy(demo_copy):
    """--reporting-year 2022: its headline equals the 2022 row of the data's own store."""
    from sna_lib.publication.stage import ensure_store
    from sna_lib.publication.store import PublishedStore

    folder = ensure_store(demo_copy, reporting_year=2022)
    assert folder.parent == demo_copy.parent and folder != demo_copy / STORE_DIR
    own, other = PublishedStore(demo_copy / STORE_DIR), PublishedStore(folder)
    assert other.provenance["reporting_year"] == 2022
    primary = own.provenance["text"]["sv.annual"]["primary"]
    assert other.value("sv.headline", "county", "reporting_year", "sv") == own.value("sv.annual", "county", 2022,
                                                                                   primary)
    assert ensure_store(demo_copy, reporting_year=2022) == folder  # made once
