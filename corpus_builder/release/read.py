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
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        card = yaml.safe_load((folder / "README.md").read_text("utf-8").split("---\n")[1])
        docs: dict[str, dict[str, Any]] = {}
        for split in SPLITS:
            for path in sorted((folder / "data" / "documents").glob(f"{split}-*.parquet")):
                for row in read_rows(path):
                    docs[row["doc_id"]] = {**row, "split": split}
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise error("E701", file=rel(folder), error_type=type(exc).__name__, error=exc) from None
    return Release(folder, manifest, card, docs, list(manifest.get("labels") or manifest["model"]["labels"]))
