"""Reading a release folder back: its manifest, card header and document rows.
A damaged or missing file is a coded error naming it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from ..catalogue import error
from ..config import SPLITS
from ..errors import rel


@dataclass
class Release:
    folder: Path
    manifest: dict[str, Any]
    card: dict[str, Any]
    documents: dict[str, dict[str, Any]]  # doc_id -> row (+ "split")
    labels: list[str]


def read_rows(path: Path) -> list[dict[str, Any]]:
    """All rows of one Parquet file; a damaged file is an error naming it."""
    try:
        return pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises OSError, ArrowInvalid, ... for damaged files
        raise error("E714", file=rel(path), error_type=type(exc).__name__, error=str(exc)[:120]) from None


def read_release(folder: Path) -> Release:
    folder = Path(folder)
    manifest = read_manifest(folder)
    card = read_card(folder)
    try:
        docs: dict[str, dict[str, Any]] = {}
        for split in SPLITS:
            for path in sorted((folder / "data" / "documents").glob(f"{split}-*.parquet")):
                for row in read_rows(path):
                    docs[row["doc_id"]] = {**row, "split": split}
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise error("E701", file=rel(folder), error_type=type(exc).__name__, error=exc) from None
    labels = manifest.get("labels") or (manifest.get("model", {}).get("labels")
                                        if isinstance(manifest.get("model"), dict) else None)
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise error("E765", file=rel(folder / "manifest.json"), position="/model/labels",
                    error="no list of label names")
    return Release(folder, manifest, card, docs, labels)


def read_manifest(folder: Path) -> dict[str, Any]:
    """manifest.json as an object; damaged or missing: a coded error naming it."""
    path = Path(folder) / "manifest.json"
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise error("E701", file=rel(folder), error_type=type(exc).__name__, error=exc) from None
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON
        raise error("E765", file=rel(path), error=str(exc)[:120]) from None
    if not isinstance(manifest, dict):
        raise error("E765", file=rel(path), error=f"a JSON {type(manifest).__name__}, not an object")
    return manifest


def read_card(folder: Path) -> dict[str, Any]:
    """The dataset card's YAML header as a mapping; broken YAML: a coded error naming the card."""
    path = Path(folder) / "README.md"
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise error("E701", file=rel(folder), error_type=type(exc).__name__, error=exc) from None
    except ValueError as exc:
        raise error("E766", file=rel(path), error=str(exc)[:120]) from None
    parts = text.split("---\n")
    if not text.startswith("---\n") or len(parts) < 3:
        raise error("E766", file=rel(path), error="no YAML header between '---' lines")
    try:
        card = yaml.safe_load(parts[1])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error("E766", file=rel(path), position=f"line {mark.line + 2}" if mark else None,
                    error=str(getattr(exc, "problem", None) or exc).splitlines()[0][:120]) from None
    if not isinstance(card, dict):
        raise error("E766", file=rel(path), error=f"the header is a {type(card).__name__}, not a mapping")
    return card
