"""``corpus-builder release --bump major|minor|patch``: cut the next immutable version.

Refuses uncommitted changes to the inputs; builds the new version into a staging
folder, diffs it against the current release, checks the bump matches what changed
(semantic versioning of data), then moves it into ``dist/``, updates
``corpus.toml`` and writes the entry of ``CHANGELOG.md`` (the diff, summarized)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..config import BuildConfig, load_config
from ..catalogue import error, problem
from ..errors import rel
from ..io import atomic_write, fsync_path
from ..release.answers import unanswered
from ..release.diff import diff_releases, summarize
from ..release.folder import journal_path, output_lock, read_journal, sync_top_level, write_journal
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
    text = f"{head.rstrip()}\n\n{entry}" + (f"\n## {rest}" if sep else "")
    atomic_write(path, text.encode("utf-8"))


STAGING_PREFIX = ".tmp-release-"


def recover(config: BuildConfig) -> str | None:
    """Finish or undo a release that was interrupted (its journal is still there). A
    promoted release is finished (corpus.toml, top-level copies, CHANGELOG entry): returns
    its version. Anything earlier is rolled back: corpus.toml as it was, no staging folder."""
    journal = read_journal(config)
    if journal is None:
        return None
    toml = config.root / "corpus.toml"
    target = config.out / journal["version"]
    staging = config.out / f"{STAGING_PREFIX}{journal['version']}"
    if journal.get("step") == "built" and target.is_dir() and journal.get("entry"):
        atomic_write(toml, journal["bumped"].encode("utf-8"))
        sync_top_level(target, config.root)
        changelog = config.root / CHANGELOG
        if not has_entry(changelog, journal["version"]):
            prepend_changelog(changelog, journal["entry"])
        shutil.rmtree(staging, ignore_errors=True)
        journal_path(config).unlink()
        fsync_path(config.out)
        return journal["version"]
    if target.is_dir():  # promoted by someone else after the journal was written: never touched here
        raise error("E501", file=rel(target))
    atomic_write(toml, journal["original"].encode("utf-8"))
    shutil.rmtree(staging, ignore_errors=True)
    journal_path(config).unlink()
    fsync_path(config.out)
    return None


def remove_stale_release_staging(out: Path) -> None:
    """Staging folders of releases that died before they journaled (safe under the lock)."""
    for p in out.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(p, ignore_errors=True)


def has_entry(changelog: Path, version: str) -> bool:
    return changelog.is_file() and f"\n## {version} (" in changelog.read_text("utf-8")


def release(config: BuildConfig, level: str, date: str | None = None) -> tuple[str, str]:
    """Cut the next version; returns (version, changelog entry).

    Journaled in ``<out>/.release-journal.json`` (written atomically, under the output
    folder's lock, which also covers the read-modify-write of corpus.toml): an
    interrupted release is finished by the next ``release`` if its folder was promoted,
    else rolled back (corpus.toml restored, staging removed) and cut again."""
    missing = unanswered(config.card)
    if missing:  # only the authors can answer these: publishing without them would be a false datasheet
        raise error([problem("E009", file=rel(config.card / f"{q.key}.md"), key=q.key) for q in missing])
    config.out.mkdir(parents=True, exist_ok=True)
    with output_lock(config.out):
        done = recover(config)
        remove_stale_release_staging(config.out)
        if done is not None:  # the interrupted release is complete now: not a second one
            return done, _entry_of(config, done)
        config = load_config(config.root).with_overrides(seeds=config.seeds, annotations=config.annotations,
                                                          out=config.out, cache=config.cache)
        return _release(config, level, date)


def _entry_of(config: BuildConfig, version: str) -> str:
    text = (config.root / CHANGELOG).read_text("utf-8")
    start = text.index(f"## {version} (")
    end = text.find("\n## ", start)
    return text[start:end + 1 if end != -1 else len(text)]


def _release(config: BuildConfig, level: str, date: str | None) -> tuple[str, str]:
    dirty = uncommitted_inputs(config.root)
    if dirty:
        raise error("E602", file=rel(config.root), files=", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else ""))
    previous = config.release_dir
    if not previous.is_dir():
        raise error("E604", file=rel(previous))
    version = bump(config.dataset.version, level)
    target = config.out / version
    if target.exists():
        raise error("E501", file=rel(target))
    date = date or dt.datetime.now(dt.timezone.utc).date().isoformat()
    toml = config.root / "corpus.toml"
    original = toml.read_text("utf-8")
    bumped = set_version(original, version, date)
    staging = config.out / f"{STAGING_PREFIX}{version}"
    journal = {"version": version, "level": level, "date": date, "previous": config.dataset.version,
               "staging": staging.name, "original": original, "bumped": bumped, "step": "started"}
    write_journal(config, journal)  # from here on, an interruption is undone (or finished) by the next run
    try:
        atomic_write(toml, bumped.encode("utf-8"))
        new_config = load_config(config.root).with_overrides(seeds=config.seeds, annotations=config.annotations,
                                                              out=staging, cache=config.cache)
        shutil.rmtree(staging, ignore_errors=True)
        report = build(new_config)
        d = diff_releases(previous, report.release)
        required = d.required_bump()
        if not at_least(level, required):
            raise error("E605", file=rel(toml), position="[dataset].version", level=level, required=required)
        entry = changelog_entry(version, date, summarize(d))
        write_journal(config, {**journal, "step": "built", "entry": entry})
    except BaseException:
        recover(config)  # nothing half-done: the old version stays current
        raise
    os.replace(report.release, target)  # the release exists from this rename on; the journal finishes the rest
    fsync_path(config.out)
    recover(config)
    return version, entry
