"""``corpus-builder export``: a release's splits in the formats other tools read.

Reads only the release folder (``manifest.json``, ``SHA256SUMS`` and the Parquet
files), each file checked against ``SHA256SUMS`` first, so an export always comes
from the bytes that were released. Writes one file per split (brat: one folder) and
``export.json``: which release (version and every digest read), which format and
config, and the sha256 of every file written. Same release, same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

from ..catalogue import error
from ..config import SPLITS
from ..errors import rel
from ..io import sha256_file, write_json
from .exporters import Split, brat, conll, docbin, jsonl
from .folder import SUMS, read_checksums
from .read import read_rows

FORMATS: dict[str, ModuleType] = {"spacy": docbin, "conll": conll, "jsonl": jsonl, "brat": brat}
RECORD = "export.json"


def configs(fmt: str) -> list[str]:
    """The configs a format exports, its default first."""
    return list(FORMATS[fmt].CONFIGS)


class CheckedRelease:
    """A release folder whose files are read only after their sha256 matches ``SHA256SUMS``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        sums = self.folder / SUMS
        if not sums.is_file():
            raise error("E702", file=rel(sums))
        self.sums_sha256 = sha256_file(sums)
        self.listed = read_checksums(sums)  # file -> sha256
        self.read: dict[str, str] = {}
        try:
            self.manifest: dict[str, Any] = json.loads(self.path("manifest.json").read_text("utf-8"))
            self.labels: list[str] = list(self.manifest.get("labels") or self.manifest["model"]["labels"])
            self.name, self.version = str(self.manifest["name"]), str(self.manifest["version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise error("E701", file=rel(self.folder / "manifest.json"), error_type=type(exc).__name__,
                        error=exc) from None

    def path(self, name: str) -> Path:
        """``name``'s path, once its bytes are the released ones."""
        path = self.folder / name
        if name not in self.listed:
            raise error("E701", file=rel(path), error_type="FileNotFoundError", error="not listed in SHA256SUMS")
        if not path.is_file():
            raise error("E703", file=rel(path))
        digest = sha256_file(path)
        if digest != self.listed[name]:
            raise error("E721", file=rel(path), found=digest, expected=self.listed[name])
        self.read[name] = digest
        return path

    def shards(self, config: str, split: str) -> list[str]:
        """A split's Parquet files as SHA256SUMS lists them (a deleted shard is missed, not skipped)."""
        prefix = f"data/{config}/{split}-"
        return sorted(n for n in self.listed if n.startswith(prefix) and n.endswith(".parquet"))

    def rows(self, config: str, split: str) -> list[dict[str, Any]]:
        return [row for name in self.shards(config, split) for row in read_rows(self.path(name))]


def export(release: Path, fmt: str, out: Path, config: str | None = None,
           split: str | None = None) -> dict[str, Any]:
    """Write ``release``'s splits (all, or ``split``) as ``fmt`` into ``out``; returns
    what ``export.json`` records."""
    module = FORMATS[fmt]
    config = config or configs(fmt)[0]
    if config not in module.CONFIGS:
        raise error("E720", format=fmt, config=config, configs=" or ".join(configs(fmt)))
    checked = CheckedRelease(release)
    out = Path(out)
    if out.resolve().is_relative_to(checked.folder.resolve()):
        raise error("E724", file=rel(out), release=rel(checked.folder))
    reads = module.CONFIGS[config]
    present = [s for s in SPLITS if checked.shards(reads[0], s)]
    if split is not None and split not in present:
        raise error("E723", file=rel(checked.folder), split=split, splits=", ".join(present) or "none")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in [split] if split else present:
        rows = {c: checked.rows(c, name) for c in reads}
        part = Split(checked.name, checked.version, name, checked.labels,
                     documents=rows.get("documents", []), ner=rows.get("ner", []))
        written += module.write(part, config, out)
    record = {
        "release": {"name": checked.name, "version": checked.version, "sha256sums": checked.sums_sha256},
        "format": fmt,
        "config": config,
        "splits": [split] if split else present,
        "read": dict(sorted(checked.read.items())),
        "files": {p.relative_to(out).as_posix(): sha256_file(p) for p in sorted(set(written))},
    }
    write_json(out / RECORD, record)
    return record
