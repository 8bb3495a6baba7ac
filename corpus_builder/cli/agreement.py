"""``corpus-builder agreement``: inter-annotator agreement on the documents two
annotators reviewed independently (the same table the card and datasheet quote)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..actions.quality import agreement
from ..config import load_config
from ._app import app


@app.command("agreement")
def agreement_cli(
    disputes: Annotated[bool, typer.Option("--disputes", help="also list every disputed entity and its ops")] = False,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Print exact/relaxed F1 and Cohen's kappa between annotators, per label and overall."""
    print(agreement(load_config(project), disputes=disputes))
