"""A release folder on disk: written atomically, never overwritten by a different one.

Everything is written into a temporary sibling folder (``.tmp-<version>-<pid>``),
flushed to disk and renamed into place only when complete; a lock keeps two builds
from writing the same output folder at once, and the build holding it first
removes staging folders that killed builds left behind. ``SHA256SUMS`` lists every
other file in ``sha256sum -c`` format.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..catalogue import error
from ..errors import rel
from ..io import fsync_path, fsync_tree, sha256_file

SUMS = "SHA256SUMS"
TOP_LEVEL_COPIES = ("DATASHEET.md", "CITATION.cff")  # the project's own copies of its current release's files


def write_checksums(folder: Path) -> str:
    lines = [f"{sha256_file(p)}  {p.relative_to(folder).as_posix()}"
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != SUMS]
    text = "\n".join(lines) + "\n"
    (folder / SUMS).write_text(text, encoding="utf-8")
    return text


def read_checksums(path: Path) -> dict[str, str]:
    """What a ``SHA256SUMS`` lists: file (relative to the release) -> sha256, as
    :func:`write_checksums` writes it and ``sha256sum -c`` reads it."""
    listed: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    return listed


def sync_top_level(release: Path, root: Path) -> None:
    for name in TOP_LEVEL_COPIES:
        shutil.copyfile(release / name, root / name)


def same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise error("E502", file=rel(out)) from None
        try:
            remove_stale_staging(out)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_stale_staging(out: Path) -> None:
    """Delete ``.tmp-<version>-<pid>`` folders of builds that died (safe only while holding the lock)."""
    for p in out.glob(".tmp-*"):
        if p.is_dir() and p.name.rsplit("-", 1)[-1].isdigit():
            shutil.rmtree(p, ignore_errors=True)


@contextmanager
def staging(out: Path, version: str) -> Iterator[Path]:
    """A temporary folder next to the release; removed unless promoted."""
    tmp = out / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    tmp.mkdir()  # one level only: nothing but this folder is left to remove
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def promote(tmp: Path, target: Path) -> str:
    """Rename ``tmp`` to ``target``; returns "written" or "unchanged".

    An existing release is immutable: identical bytes are fine, different bytes are an error."""
    if target.exists():
        if same_tree(tmp, target):
            return "unchanged"
        raise error("E501", file=rel(target))
    fsync_tree(tmp)  # the bytes are on disk before the name points at them
    os.replace(tmp, target)
    fsync_path(target.parent)  # and the rename itself survives a crash
    return "written"


# --- the release ------------------------------------------------------------------
