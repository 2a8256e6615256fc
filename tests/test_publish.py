"""Atomic publishing: the previous good site survives every kind of failed build or copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sna_lib.book import publish
from sna_lib.book.publish import PublishError, publish_atomically


def make_site(root: Path, name: str, pages: dict[str, str]) -> Path:
    site = root / name
    for rel, text in pages.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    return site


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


OLD = {"index.html": "old home", "a/page.html": "old page", "gone.html": "only in old"}
NEW = {"index.html": "new home", "a/page.html": "new page", "b/c/deep.json": "{}"}


@pytest.fixture
def published(tmp_path):
    target = tmp_path / "out" / "html"
    publish_atomically(make_site(tmp_path, "old_build", OLD), target)
    assert tree(target) == OLD
    return target


def siblings(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name and not p.name.endswith(".lock"))


def test_first_publish_and_replacement(tmp_path, published):
    publish_atomically(make_site(tmp_path, "new_build", NEW), published)
    assert tree(published) == NEW          # old-only files are gone, nothing mixed
    assert siblings(published) == []       # no temporary folders left behind
    assert tree(tmp_path / "new_build") == NEW  # staging copied, not consumed


def test_failure_mid_copy_keeps_the_previous_site(tmp_path, published, monkeypatch):
    staging = make_site(tmp_path, "new_build", {**NEW, **{f"p{i}.html": str(i) for i in range(20)}})
    copied = []

    def flaky_copy(src, dst):
        if len(copied) == 7:
            raise OSError(28, "No space left on device")
        copied.append(src)
        return publish.shutil.copy2(src, dst)

    monkeypatch.setattr(publish, "_copy_file", flaky_copy)
    with pytest.raises(PublishError, match="previous site kept"):
        publish_atomically(staging, published)
    assert len(copied) == 7
    assert tree(published) == OLD
    assert siblings(published) == []


def test_failed_check_keeps_the_previous_site(tmp_path, published):
    seen = []

    def leak_scan(site: Path):
        seen.append(tree(site))
        raise RuntimeError("canary found")

    with pytest.raises(PublishError, match="canary found"):
        publish_atomically(make_site(tmp_path, "new_build", NEW), published, check=leak_scan)
    assert seen == [NEW]  # the check saw the complete staged copy
    assert tree(published) == OLD and siblings(published) == []


def test_incomplete_or_missing_build_is_refused(tmp_path, published):
    with pytest.raises(PublishError, match="index.html"):
        publish_atomically(make_site(tmp_path, "half", {"a/page.html": "x"}), published)
    with pytest.raises(PublishError, match="not a folder"):
        publish_atomically(tmp_path / "does-not-exist", published)
    with pytest.raises(PublishError):
        publish_atomically(published, published)
    assert tree(published) == OLD


def test_link_to_outside_the_site_is_refused(tmp_path, published):
    secret = tmp_path / "secret.csv"
    secret.write_text("crime_id,person_id\n")
    staging = make_site(tmp_path, "new_build", NEW)
    os.symlink(secret, staging / "data.csv")
    with pytest.raises(PublishError, match="outside"):
        publish_atomically(staging, published)
    assert tree(published) == OLD


def test_fallback_swap_rolls_back_when_the_second_rename_fails(tmp_path, published, monkeypatch):
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)  # e.g. not Linux
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:
            raise OSError(5, "I/O error")
        return real_rename(src, dst)

    monkeypatch.setattr(publish.os, "rename", rename)
    with pytest.raises(OSError):
        publish_atomically(make_site(tmp_path, "new_build", NEW), published)
    monkeypatch.setattr(publish.os, "rename", real_rename)
    assert tree(published) == OLD and siblings(published) == []
    # and with renames working, the fallback path publishes the new site
    publish_atomically(make_site(tmp_path, "new_build2", NEW), published)
    assert tree(published) == NEW and siblings(published) == []


def test_stale_temporaries_from_a_killed_publish_are_cleared(tmp_path, published):
    stale = published.parent / f".{published.name}.new-1-dead"
    make_site(published.parent, stale.name, {"index.html": "half"})
    publish_atomically(make_site(tmp_path, "new_build", NEW), published)
    assert tree(published) == NEW and siblings(published) == []
