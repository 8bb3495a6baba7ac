"""``corpus-builder evaluate dist/<version>``: score a spaCy pipeline, or a JSONL of
predicted spans, against a release's gold entities, with bootstrap intervals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..actions.evaluate import run_evaluation
from ..errors import rel
from ..io import json_text
from ._app import app


@app.command("evaluate")
def evaluate_cli(
    release: Annotated[Path, typer.Argument(help="a release folder, e.g. dist/2.0.0")],
    model: Annotated[str | None, typer.Option(help="spaCy pipeline name or path to run over the split")] = None,
    predictions: Annotated[Path | None, typer.Option(help="JSONL of predicted spans (docs/data-format.md)")] = None,
    split: Annotated[str, typer.Option(help="train, validation or test")] = "test",
    write_predictions: Annotated[Path | None, typer.Option(help="with --model: write its predictions as JSONL")] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="resamples of documents for the 95% intervals")] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the resampling")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print every figure as JSON")] = False,
) -> None:
    """Exact and partial-match P/R/F1 per label, micro and macro, recall by entity source."""
    result = run_evaluation(release, model=model, predictions=predictions, split=split, write=write_predictions,
                            bootstrap=bootstrap, seed=seed)
    if write_predictions is not None:
        print(f"predictions written to {rel(write_predictions)}", file=sys.stderr)
    print(json_text(result.to_json()) if as_json else result.text(), end="" if as_json else "\n")
