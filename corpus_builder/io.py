"""File helpers every layer shares: digests, JSON, and writes that a crash cannot
leave half done. One copy of each, so a release, a cache entry and a rewritten
overlay are hashed and written the same way."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """The digest of a text's UTF-8 bytes (what ``text_sha256`` fields hold)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    """Streamed in 1 MiB blocks: release files can be larger than memory should hold."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_sha256(module_file: str | Path) -> str:
    """The digest of a module's source: part of cache keys, so a code change misses."""
    return sha256_bytes(Path(module_file).read_bytes())


def lone_surrogate(obj: Any, at: str = "") -> str | None:
    """The JSON pointer of the first string (key or value) holding a lone surrogate, else
    None. ``"\\ud800"`` is valid JSON but no Unicode text: it cannot be written as UTF-8,
    so it must be refused where it enters, not when the release is written."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return at or "/"
        return None
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        here = f"{at}/{str(key).replace('~', '~0').replace('/', '~1')}"
        found = (lone_surrogate(key, here) if isinstance(key, str) else None) or lone_surrogate(value, here)
        if found:
            return found
    return None


class NotRegular(OSError):
    """A path that is a symlink (when not followed), FIFO, device, socket or folder."""

    def __init__(self, kind: str):
        super().__init__(f"not a regular file: {kind}")
        self.kind = kind


class TooLarge(OSError):
    def __init__(self, size: int, limit: int):
        super().__init__(f"{size} bytes > {limit}")
        self.size, self.limit = size, limit


def file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISLNK, "a symlink"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return kind
    return "not a regular file"


def read_regular(path: Path, limit: int, follow_symlinks: bool = False) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. The type is checked on
    the opened descriptor (opened non-blocking, so a FIFO cannot hang the reader, and
    without following a final symlink unless asked), before anything is read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise NotRegular("a symlink") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(file_kind(st.st_mode))
        if st.st_size > limit:
            raise TooLarge(st.st_size, limit)
        data = fh.read(limit + 1)
    if len(data) > limit:  # grew while read
        raise TooLarge(len(data), limit)
    return data


class DuplicateKey(ValueError):
    """A JSON object names one key twice (``json`` would keep the last silently)."""

    def __init__(self, key: str):
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKey(key)
        obj[key] = value
    return obj


def loads_strict(text: str | bytes) -> Any:
    """``json.loads`` that refuses an object naming a key twice (:class:`DuplicateKey`)."""
    return json.loads(text, object_pairs_hook=_no_duplicates)


def json_text(obj: Any) -> str:
    """The project's one JSON layout: 2-space indent, UTF-8 as is, final newline."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def jsonl_text(rows: Iterable[Any]) -> str:
    """JSON Lines: one compact object per line, UTF-8 as is, each line ended."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_json(path: Path, obj: Any, atomic: bool = False) -> None:
    data = json_text(obj).encode("utf-8")
    if atomic:
        atomic_write(Path(path), data)
    else:
        Path(path).write_bytes(data)


def _mode_for(path: Path) -> int:
    """The mode the file has, or a new file's (0666 less the umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk and rename
    it into place: readers see the old file or the whole new one, never half.
    ``durable=False`` skips the flush, for data that is checked when read and cheaper
    to recompute than to flush (a killed process cannot tear it; only power loss can)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))  # mkstemp's 0600 would make a rewritten overlay private
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_path(path: Path | str) -> None:
    """Flush one file's or directory's data and metadata to disk."""
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder``, then every directory, ``folder`` last."""
    for dirpath, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            fsync_path(os.path.join(dirpath, name))
        fsync_path(dirpath)
