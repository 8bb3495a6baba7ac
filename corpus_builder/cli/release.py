"""``corpus-builder release --bump major|minor|patch``: cut the next immutable version."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..actions.release import release
from ..config import load_config
from ..executors import tune_allocators
from ._app import app


@app.command("release")
def release_cli(
    bump_level: Annotated[str, typer.Option("--bump", help="major (schema/labels) | minor (documents/annotations) | patch (metadata/docs)")],
    date: Annotated[str | None, typer.Option(help="release date YYYY-MM-DD [default: today, UTC]")] = None,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Build the next version into dist/, write CHANGELOG.md; refuses uncommitted input changes."""
    tune_allocators()
    version, entry = release(load_config(project), bump_level, date)
    print(entry)
    print(f"released {version}: commit corpus.toml, CHANGELOG.md, DATASHEET.md, CITATION.cff and dist/{version}, "
          f"then tag it: git tag v{version}", file=sys.stderr)
