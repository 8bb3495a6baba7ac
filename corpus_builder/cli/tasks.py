"""``corpus-builder tasks``: documents with pre-annotations in an annotation tool's format."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..actions.tasks import write_tasks
from ..config import load_config
from ..errors import rel
from ..tools import TOOLS
from ._app import app

Tool = Enum("Tool", {name: name for name in TOOLS}, type=str)  # type: ignore[misc]
Layer = Enum("Layer", {name: name for name in ("current", "model")}, type=str)  # type: ignore[misc]


@app.command("tasks")
def tasks_cli(
    tool: Annotated[Tool, typer.Option("--tool", help="labelstudio, doccano, prodigy, brat or inception")],
    out: Annotated[Path, typer.Option(help="folder for the tasks and the label configuration")],
    docs: Annotated[str | None, typer.Option(help="comma-separated doc_ids (default: every document)")] = None,
    layer: Annotated[Layer, typer.Option(help="pre-annotations: the current (release) layer or the model's")] = Layer.current,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Write tasks in the tool's import format, with its label configuration for the corpus's labels."""
    ids = [d.strip() for d in docs.split(",") if d.strip()] if docs else None
    report = write_tasks(load_config(project), tool.value, out, ids, layer.value)
    for path in report.files:
        print(rel(path))
    print(f"ok: {len(report.documents)} documents, {report.entities} pre-annotated entities ({report.layer} layer) "
          f"for {report.tool} in {rel(out)}", file=sys.stderr)
