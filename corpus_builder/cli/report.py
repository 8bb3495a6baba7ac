"""``corpus-builder report``: the model's quality against the gold layer (precision,
recall, F1 per label, confusion, every error), and what each overlay op means for
the model in use: still needed, now redundant, or stale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..actions.quality import report
from ..config import load_config
from ._app import app


@app.command("report")
def report_cli(
    model: Annotated[str | None, typer.Option(help="spaCy pipeline name or path [default: corpus.toml]")] = None,
    ops: Annotated[bool, typer.Option("--ops", help="list every op's status, not only redundant and stale ones")] = False,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Score the model against the gold layer; say which overlay ops another model makes redundant or stale."""
    config = load_config(project)
    override = model is not None and model != config.model
    print(report(config.with_overrides(model=model, model_override=override), ops=ops))
