"""``corpus-builder show``: a document with the entities of one layer."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..actions.show import FORMATS, show
from ..config import load_config
from ._app import app

Format = Enum("Format", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]


@app.command("show")
def show_cli(
    doc: Annotated[str, typer.Argument(help="a doc_id")],
    layer: Annotated[str, typer.Option(help="model (raw output), gold (the release's), or an annotator id")] = "gold",
    format: Annotated[Format, typer.Option("--format", help="text, tsv or json")] = Format.text,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Print the document's text and the layer's entities: offsets, label, source, ops."""
    print(show(load_config(project), doc, layer, format.value))
