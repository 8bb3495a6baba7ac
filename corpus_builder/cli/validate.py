"""``corpus-builder validate``: check every overlay and print every problem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..actions.validate import validate
from ..config import load_config
from ..errors import CorpusError
from ._app import app


@app.command("validate")
def validate_cli(
    seeds: Annotated[Path | None, typer.Option(help="folder of raw .txt articles [default: seeds/]")] = None,
    annotations: Annotated[Path | None, typer.Option(help="folder of overlay .json files [default: annotations/]")] = None,
    model: Annotated[str | None, typer.Option(help="spaCy pipeline name or path [default: corpus.toml]")] = None,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Validate overlays (schema, anchors, quotes, labels, model expectations, overlaps)."""
    config = load_config(project)
    override = model is not None and model != config.model
    config = config.with_overrides(seeds=seeds, annotations=annotations, model=model, model_override=override)
    result = validate(config)
    print(result.stats.overlays.coverage.line(), file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning.format()}", file=sys.stderr)
    if result.problems:
        raise CorpusError(result.problems)
    print(f"ok: overlays in {config.annotations} are valid", file=sys.stderr)
