"""``corpus-builder export``: a release's splits as spaCy DocBin, CoNLL, JSONL or brat."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..config import SPLITS
from ..errors import rel
from ..release.export import FORMATS, RECORD, configs, export
from ._app import app

Format = Enum("Format", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]
Config = Enum("Config", {name: name for name in ("ner", "documents")}, type=str)  # type: ignore[misc]
SplitName = Enum("SplitName", {name: name for name in SPLITS}, type=str)  # type: ignore[misc]
DEFAULTS = ", ".join(f"{f}: {configs(f)[0]}" for f in FORMATS)


@app.command("export")
def export_cli(
    release: Annotated[Path, typer.Argument(help="a release folder, e.g. dist/2.0.0")],
    format: Annotated[Format, typer.Option("--format", help="spacy (DocBin), conll (IOB2), jsonl or brat")],
    out: Annotated[Path, typer.Option(help="folder for the split files and export.json")],
    config: Annotated[Config | None, typer.Option(help=f"release config to export (default per format: {DEFAULTS})")] = None,
    split: Annotated[SplitName | None, typer.Option(help="only this split (default: every split)")] = None,
) -> None:
    """One file per split (brat: one folder), plus export.json: release version and digests, files written."""
    record = export(release, format.value, out, config.value if config else None, split.value if split else None)
    for name in record["files"]:
        print(f"{rel(out / name)}\t{(out / name).stat().st_size:,} bytes")
    print(f"ok: {record['release']['name']} {record['release']['version']} exported as {record['format']} "
          f"({record['config']}) to {rel(out)}; see {rel(out / RECORD)}", file=sys.stderr)
