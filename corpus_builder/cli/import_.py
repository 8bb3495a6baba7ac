"""``corpus-builder import``: an annotation tool's export as overlay files."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..actions.import_ import MODES, import_export
from ..config import load_config
from ..tools import TOOLS
from ._app import app

Tool = Enum("Tool", {name: name for name in TOOLS}, type=str)  # type: ignore[misc]
Mode = Enum("Mode", {name: name for name in MODES}, type=str)  # type: ignore[misc]


@app.command("import")
def import_cli(
    path: Annotated[Path, typer.Argument(help="the tool's export: a file, or a folder (brat, INCEpTION)")],
    tool: Annotated[Tool, typer.Option("--tool", help="labelstudio, doccano, prodigy, brat or inception")],
    annotator: Annotated[str, typer.Option(help="who annotated (an id of annotations/annotators.json)")],
    mode: Annotated[Mode, typer.Option(help="independent: a review the `agreement` compares; "
                                       "revise: corrections to the current layer (no disputes)")] = Mode.independent,
    reason: Annotated[str | None, typer.Option(help="why the revision was made (--mode revise)")] = None,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Diff the returned spans against the layer they started from and write the ops."""
    report = import_export(load_config(project), tool.value, path, annotator, mode.value, reason)
    for warning in report.warnings:
        print(f"warning: {warning.format()}", file=sys.stderr)
    for line in report.lines():
        print(line)
