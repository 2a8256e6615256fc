"""Publish a built HTML book without ever leaving a broken or half-copied site in place.

:func:`publish_atomically` copies the freshly built site into a hidden sibling of the target
folder, checks the copy (same files, same sizes, optional leak scan), and only then swaps it
in by renaming sibling folders on the same filesystem. If anything fails before the swap the
previous good site is untouched and the partial copy is removed; on Linux the swap itself is a
single atomic ``renameat2(RENAME_EXCHANGE)``, elsewhere two renames with roll-back.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "staging").mkdir(); _ = (root / "staging" / "index.html").write_text("<p>new</p>")
>>> site = publish_atomically(root / "staging", root / "site")
>>> (site / "index.html").read_text()
'<p>new</p>'
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from sna_lib.errors import SnaError

__all__ = ["PublishError", "publish_atomically"]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class PublishError(SnaError):
    """The new site could not be published; the previous site (if any) is unchanged."""


def _copy_file(src: str, dst: str) -> str:
    """Copy one file (module attribute so tests can simulate a failure mid-copy)."""
    return shutil.copy2(src, dst)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _files(root: Path) -> dict[str, int]:
    """Relative path -> size of every regular file under ``root``."""
    out: dict[str, int] = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            out[path.relative_to(root).as_posix()] = path.stat().st_size
    return out


def _check_staging(staging: Path, required: tuple[str, ...]) -> None:
    if not staging.is_dir():
        raise PublishError(f"nothing to publish: {staging} is not a folder")
    missing = [name for name in required if not (staging / name).is_file()]
    if missing:
        raise PublishError(f"refusing to publish {staging}: missing {', '.join(missing)} (build incomplete?)")
    root = staging.resolve()
    for dirpath, dirs, names in os.walk(staging):
        for name in dirs + names:
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                raise PublishError(f"refusing to publish a link to outside the site: {path} -> {path.resolve()}")


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    lock_path = target.parent / f".{target.name}.publish.lock"
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def publish_atomically(staging_html_dir: str | os.PathLike, target_dir: str | os.PathLike, *,
                       required: tuple[str, ...] = ("index.html",),
                       check: Callable[[Path], None] | None = None) -> Path:
    """Replace ``target_dir`` with a copy of ``staging_html_dir``, all or nothing.

    Parameters
    ----------
    staging_html_dir : path
        The freshly built site (e.g. ``<build_dir>/_build/html``). It is copied, not moved,
        so it may live on another filesystem.
    target_dir : path
        Where the site is published. Its parent is created if needed; hidden siblings
        ``.<name>.new-*`` / ``.<name>.old-*`` / ``.<name>.publish.lock`` are used for the swap.
    required : tuple of str, default ``("index.html",)``
        Files that must exist in the staging site; a build without them is refused.
    check : callable, optional
        Called with the staged copy before the swap (e.g. a leak scan,
        ``lambda site: sna_lib.publication.leakscan.assert_clean(site)``); any exception it raises
        aborts the publish.

    Returns
    -------
    Path
        ``target_dir``.

    Raises
    ------
    PublishError
        Staging folder missing/incomplete, a link pointing outside it, the copy failing or not
        matching, or ``check`` failing. The previous site stays exactly as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "old").mkdir(); _ = (root / "old" / "index.html").write_text("old")
    >>> _ = publish_atomically(root / "old", root / "site")
    >>> (root / "bad").mkdir()                                 # a failed build: no index.html
    >>> publish_atomically(root / "bad", root / "site")
    Traceback (most recent call last):
    ...
    sna_lib.book.publish.PublishError: refusing to publish ...: missing index.html (build incomplete?)
    >>> (root / "site" / "index.html").read_text()             # previous good site still there
    'old'
    """
    staging = Path(staging_html_dir)
    target = Path(target_dir)
    _check_staging(staging, tuple(required))
    if target.resolve() == staging.resolve() or staging.resolve().is_relative_to(target.resolve()):
        raise PublishError(f"the staging folder {staging} must not be the target {target} or inside it")
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    new = target.parent / f".{target.name}.new-{os.getpid()}-{token}"
    old = target.parent / f".{target.name}.old-{os.getpid()}-{token}"
    with _lock(target):
        for stale in target.parent.glob(f".{target.name}.new-*"):  # left by a killed publish
            _remove(stale)
        for stale in target.parent.glob(f".{target.name}.old-*"):
            _remove(stale)
        try:
            shutil.copytree(staging, new, symlinks=False, copy_function=lambda s, d: _copy_file(s, d))
            expected, copied = _files(staging), _files(new)
            if copied != expected:
                differ = sorted(set(expected.items()) ^ set(copied.items()))[:5]
                raise PublishError(f"copy of {staging} does not match the build (e.g. {differ})")
            if check is not None:
                check(new)
        except BaseException as exc:
            _remove(new)
            if isinstance(exc, PublishError):
                raise
            if isinstance(exc, Exception):
                raise PublishError(f"publish of {staging} to {target} aborted; previous site kept: {exc}") from exc
            raise
        if not target.exists() and not target.is_symlink():
            os.rename(new, target)
            return target
        if _exchange(new, target):  # `new` now holds the previous site
            _remove(new)
            return target
        os.rename(target, old)
        try:
            os.rename(new, target)
        except BaseException:
            os.rename(old, target)  # roll back: previous site returns
            _remove(new)
            raise
        _remove(old)
    return target
