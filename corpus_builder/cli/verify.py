"""``corpus-builder verify``: is a release folder intact (and reproducible)?"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..actions.verify import verify
from ..config import load_config
from ..errors import CorpusError, rel
from ..executors import tune_allocators
from ._app import app


@app.command("verify")
def verify_cli(
    release: Annotated[Path, typer.Argument(help="a release folder, e.g. dist/1.0.0")],
    rebuild: Annotated[bool, typer.Option(help="also rebuild from the recorded inputs and compare bytes")] = False,
    project: Annotated[Path, typer.Option(help="project root holding corpus.toml (for --rebuild)")] = Path("."),
) -> None:
    """Check checksums, manifest, row counts, entity offsets and IOB2 tags; --rebuild compares bytes."""
    if rebuild:
        tune_allocators()
    problems = verify(release, load_config(project) if rebuild else None, rebuild=rebuild)
    if problems:
        raise CorpusError(problems)
    print(f"ok: {rel(release)} verified" + (" and rebuilt byte for byte" if rebuild else ""), file=sys.stderr)
