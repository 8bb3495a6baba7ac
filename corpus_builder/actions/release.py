"""``corpus-builder release --bump major|minor|patch``: cut the next immutable version.

Refuses uncommitted changes to the inputs; builds the new version into a staging
folder, diffs it against the current release, checks the bump matches what changed
(semantic versioning of data), then moves it into ``dist/``, updates
``corpus.toml`` and writes the entry of ``CHANGELOG.md`` (the diff, summarized)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from ..config import BuildConfig, load_config
from ..catalogue import error, problem
from ..errors import rel
from ..release.answers import unanswered
from ..release.diff import diff_releases, summarize
from ..release.folder import output_lock, sync_top_level
from ..release.versions import at_least, bump
from .build import build

INPUTS = ("seeds", "annotations", "schema", "card", "corpus.toml", "LICENSE.md", "corpus_builder")
CHANGELOG = "CHANGELOG.md"
HEADER = "# Changelog\n\nEvery release of the dataset, newest first; each entry is `corpus-builder diff` of the previous release and this one.\n"


def uncommitted_inputs(root: Path) -> list[str]:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", *INPUTS], cwd=root, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise error("E603", file=rel(root), error=exc) from None
    return [line[3:] for line in out.splitlines()]


def set_version(text: str, version: str, date: str) -> str:
    text = re.sub(r'(?m)^version = "[^"]*"', f'version = "{version}"', text, count=1)
    return re.sub(r'(?m)^date_released = "[^"]*"', f'date_released = "{date}"', text, count=1)


def changelog_entry(version: str, date: str, body: str) -> str:
    return f"## {version} ({date})\n\n{body}\n"


def prepend_changelog(path: Path, entry: str) -> None:
    old = path.read_text("utf-8") if path.exists() else HEADER
    head, sep, rest = old.partition("\n## ")
    path.write_text(f"{head.rstrip()}\n\n{entry}" + (f"\n## {rest}" if sep else ""), encoding="utf-8")


def release(config: BuildConfig, level: str, date: str | None = None) -> tuple[str, str]:
    """Cut the next version; returns (version, changelog entry)."""
    missing = unanswered(config.card)
    if missing:  # only the authors can answer these: publishing without them would be a false datasheet
        raise error([problem("E009", file=rel(config.card / f"{q.key}.md"), key=q.key) for q in missing])
    dirty = uncommitted_inputs(config.root)
    if dirty:
        raise error("E602", file=rel(config.root), files=", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else ""))
    previous = config.release_dir
    if not previous.is_dir():
        raise error("E604", file=rel(previous))
    version = bump(config.dataset.version, level)
    date = date or dt.datetime.now(dt.timezone.utc).date().isoformat()
    toml = config.root / "corpus.toml"
    original = toml.read_text("utf-8")
    toml.write_text(set_version(original, version, date), encoding="utf-8")
    try:
        new_config = load_config(config.root)
        new_config = replace(new_config, seeds=config.seeds, annotations=config.annotations, out=config.out,
                             cache=config.cache)
        config.out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=config.out, prefix=".tmp-release-") as tmp:
            report = build(new_config.with_overrides(out=Path(tmp)))
            d = diff_releases(previous, report.release)
            required = d.required_bump()
            if not at_least(level, required):
                raise error("E605", file=rel(toml), position="[dataset].version", level=level, required=required)
            with output_lock(config.out):
                target = config.out / version
                if target.exists():
                    raise error("E501", file=rel(target))
                os.replace(report.release, target)
    except BaseException:
        toml.write_text(original, encoding="utf-8")  # nothing half-done: the old version stays current
        raise
    sync_top_level(target, config.root)
    entry = changelog_entry(version, date, summarize(d))
    prepend_changelog(config.root / CHANGELOG, entry)
    return version, entry
