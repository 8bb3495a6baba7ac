"""``corpus-builder validate``: check every overlay and print every problem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import BuildConfig, load_config
from ..errors import CorpusError, Problem
from ..pipeline import run
from ._app import app

if TYPE_CHECKING:
    from spacy.language import Language


def validate(config: BuildConfig, nlp: Language | None = None) -> list[Problem]:
    """Every problem of the inputs (seeds and overlays, checked against the normalized
    texts and the model's entities), errors first, then warnings."""
    corpus = run(config, nlp)
    return corpus.problems + corpus.warnings


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
    corpus = run(config)
    problems = corpus.problems + corpus.warnings
    print(corpus.stages["overlays"].coverage.line(), file=sys.stderr)
    for warning in (p for p in problems if p.severity == "warning"):
        print(f"warning: {warning.format()}", file=sys.stderr)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise CorpusError(errors)
    print(f"ok: overlays in {config.annotations} are valid", file=sys.stderr)
