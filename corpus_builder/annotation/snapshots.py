"""Snapshots of the texts overlays were written against, so that ``rebase`` can map
them after a normalization rule changed the text.

The build saves the text of every annotated document under
``<cache>/texts/<sha256>.txt`` (:func:`save_snapshot`); an old text is looked up
there first, else in any release's ``documents`` rows (:func:`find_old_text`).
"""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_write, sha256_text


def snapshot_path(cache_dir: Path, sha: str) -> Path:
    return Path(cache_dir) / "texts" / f"{sha}.txt"


def save_snapshot(cache_dir: Path, text: str) -> None:
    """Keep ``text`` under its sha256 so overlays written against it can be rebased
    after a rule change. Written to a temporary file and renamed: a reader sees no
    snapshot or the whole of it, never half."""
    path = snapshot_path(cache_dir, sha256_text(text))
    if path.is_file():
        return  # content-addressed: an existing snapshot is this very text
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode("utf-8"))  # bytes: no newline translation


def find_old_text(sha: str, cache: Path | None, out: Path) -> str | None:
    """The text whose sha256 is ``sha``: a snapshot first, else any release's
    ``documents`` rows. Every candidate is checked against ``sha`` (a corrupt
    snapshot is ignored rather than trusted)."""
    if cache is not None:
        try:
            text = snapshot_path(cache, sha).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
        if text is not None and sha256_text(text) == sha:
            return text
    for path in sorted(Path(out).glob("*/data/documents/*.parquet"), reverse=True):
        text = _text_in_release(path, sha)
        if text is not None:
            return text
    return None


def _text_in_release(path: Path, sha: str) -> str | None:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=["text", "text_sha256"], filters=[("text_sha256", "==", sha)])
    except Exception:  # not a readable release file (pyarrow raises several types): look elsewhere
        return None
    for text in table.column("text").to_pylist():
        if isinstance(text, str) and sha256_text(text) == sha:
            return text
    return None
