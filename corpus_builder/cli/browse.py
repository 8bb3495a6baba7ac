"""``corpus-builder browse dist/<version>``: the release as a static website."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ..actions.browse import browse
from ..errors import rel
from ._app import app


@app.command("browse")
def browse_cli(
    release: Annotated[Path, typer.Argument(help="a release folder, e.g. dist/3.0.0")],
    out: Annotated[Path, typer.Option(help="folder for the site (new, empty, or an earlier site: replaced)")],
    compare: Annotated[Path | None, typer.Option(help="an older release: show what changed since")] = None,
    model: Annotated[str | None, typer.Option(help="spaCy pipeline for the model view (default: the release's)")] = None,
    predictions: Annotated[Path | None, typer.Option(help="JSONL of the model's spans instead of running one")] = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="leave out the model-vs-gold view")] = False,
    page_size: Annotated[int | None, typer.Option(min=1, help="documents per index page (default 100)")] = None,
) -> None:
    """Index with filters and totals, a page per document (entities, provenance, sentences,
    model vs gold, changes); works from file:// without network."""
    started = time.perf_counter()
    site = browse(release, out, compare=compare, model=model, predictions=predictions, no_model=no_model,
                  page_size=page_size)
    seconds = time.perf_counter() - started
    print(f"{rel(site.out / 'index.html')}\t{site.pages:,} pages ({site.documents:,} documents), "
          f"{site.bytes:,} bytes, {seconds:.1f} s")
    print(f"ok: open file://{site.out.resolve() / 'index.html'}", file=sys.stderr)
