"""``corpus-builder rebase``: move overlays onto the text a changed normalization rule produces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..actions.rebase import rebase
from ..config import load_config
from ..errors import CorpusError
from ._app import app


@app.command("rebase")
def rebase_cli(
    seeds: Annotated[Path | None, typer.Option(help="folder of raw .txt articles [default: seeds/]")] = None,
    annotations: Annotated[Path | None, typer.Option(help="folder of overlay .json files [default: annotations/]")] = None,
    write: Annotated[bool, typer.Option("--write", help="rewrite the overlays whose ops all map (default: report only)")] = False,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml")] = Path("."),
) -> None:
    """Re-anchor overlays written against an older normalized text (kept, mapped, ambiguous, orphaned)."""
    config = load_config(project).with_overrides(seeds=seeds, annotations=annotations)
    report = rebase(config, write=write)
    for line in report.lines():
        print(line)
    if report.problems:
        raise CorpusError(report.problems)
