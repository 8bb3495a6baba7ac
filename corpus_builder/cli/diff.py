"""``corpus-builder diff A B``: what changed between two releases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..io import json_text
from ..release.diff import diff_releases, summarize
from ._app import app


@app.command("diff")
def diff_cli(
    old: Annotated[Path, typer.Argument(help="the earlier release folder")],
    new: Annotated[Path, typer.Argument(help="the later release folder")],
    as_json: Annotated[bool, typer.Option("--json", help="print the full diff as JSON")] = False,
) -> None:
    """Documents, entities (added/removed/relabelled/resized), metadata, split moves and features."""
    d = diff_releases(old, new)
    if as_json:
        print(json_text(d.to_json()), end="")
    else:
        print(f"{d.old} -> {d.new} (needs at least a {d.required_bump()} version bump)")
        print(summarize(d))
