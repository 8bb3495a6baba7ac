"""``corpus-builder publish dist/<version> --repo-id OWNER/NAME``: upload one release
to the Hugging Face Hub and tag it ``v<version>``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import rel
from ..release.hub import publish
from ._app import app


@app.command("publish")
def publish_cli(
    release: Annotated[Path, typer.Argument(help="a release folder, e.g. dist/1.0.0")],
    repo_id: Annotated[str, typer.Option(help="Hub dataset repo, OWNER/NAME")],
    dry_run: Annotated[bool, typer.Option(help="print the files and the tag; no network access")] = False,
) -> None:
    """Upload a verified release to the Hugging Face Hub and tag it v<version>."""
    p = publish(release, repo_id, dry_run)
    verb = "would upload" if dry_run else "uploaded"
    print(f"{verb} {len(p['files'])} files of {rel(release)} to datasets/{p['repo_id']} "
          f"and tag {'the commit' if dry_run else p['commit']} {p['tag']}:")
    for f in p["files"]:
        print(f"  {f['sha256']}  {f['bytes']:>9}  {f['path']}")
    print(f"load it with: datasets.load_dataset({p['repo_id']!r}, revision={p['tag']!r})")
