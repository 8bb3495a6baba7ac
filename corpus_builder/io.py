"""File helpers every layer shares: digests, JSON, and writes that a crash cannot
leave half done. One copy of each, so a release, a cache entry and a rewritten
overlay are hashed and written the same way."""

from __future__ import annotations

import hashlib
import json
import os
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


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk and rename
    it into place: readers see the old file or the whole new one, never half.
    ``durable=False`` skips the flush, for data that is checked when read and cheaper
    to recompute than to flush (a killed process cannot tear it; only power loss can)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
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
