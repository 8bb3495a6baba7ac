"""``corpus-builder init DIR --name NAME``: start a new corpus project."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..actions.init import init
from ..errors import rel
from ._app import app


@app.command("init")
def init_cli(
    folder: Annotated[Path, typer.Argument(help="the new project's folder (new or empty)")],
    name: Annotated[str, typer.Option(help="dataset name: lower-case letters, digits and '-'")],
    pretty_name: Annotated[str | None, typer.Option(help="human-readable name (default: from --name)")] = None,
) -> None:
    """Create a corpus project (config, seeds/, annotators, card answers, licence) that builds at once."""
    init(folder, name, pretty_name)
    print(f"ok: created {rel(folder)}; see {rel(folder / 'README.md')} for what to do next", file=sys.stderr)
