"""A release folder on disk: written atomically, never overwritten by a different one.

Everything is written into a temporary sibling folder (``.tmp-<version>-<pid>``),
flushed to disk and renamed into place only when complete; a lock keeps two builds
from writing the same output folder at once, and the build holding it first
removes staging folders that killed builds left behind. ``SHA256SUMS`` lists every
other file in ``sha256sum -c`` format.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import BuildConfig

from ..catalogue import error
from ..errors import rel
from ..io import atomic_write, fsync_path, fsync_tree, json_text, sha256_file

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


# lock files this process holds: a forked child (spaCy's workers) closes its copies at
# once, so a worker that outlives a killed build cannot keep the output folder locked
_HELD_LOCKS: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD_LOCKS):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``<out>/.lock``: released by the kernel when its owner
    dies (however), never inherited by a worker (the descriptor is close-on-exec and
    closed in forked children)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / ".lock", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise error("E504", file=rel(out), reason=exc.strerror or str(exc)) from None
    _HELD_LOCKS.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise error("E502", file=rel(out)) from None
        remove_stale_staging(out)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)  # closing the last descriptor releases the lock


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


# --- the journal of `release` (actions/release.py) ------------------------------------

JOURNAL = ".release-journal.json"


def journal_path(config: BuildConfig) -> Path:
    return config.out / JOURNAL


def read_journal(config: BuildConfig) -> dict | None:
    path = journal_path(config)
    if not path.is_file():
        return None
    try:
        obj = json.loads(path.read_text("utf-8"))
        if not isinstance(obj, dict) or not {"version", "original", "bumped", "level"} <= obj.keys():
            raise ValueError("not a release journal")
        return obj
    except (OSError, ValueError) as exc:
        raise error("E606:journal", file=rel(path), error=str(exc)[:120]) from None


def write_journal(config: BuildConfig, journal: dict) -> None:
    atomic_write(journal_path(config), json_text(journal).encode("utf-8"))


def pending_release(config: BuildConfig) -> None:
    """For ``build``: refuse to build while a release is half done (it would release the
    bumped version without its CHANGELOG entry); the one command to run is named."""
    journal = read_journal(config)
    if journal is not None:
        raise error("E606", file=rel(journal_path(config)), version=journal["version"], level=journal["level"])



# --- the release ------------------------------------------------------------------
