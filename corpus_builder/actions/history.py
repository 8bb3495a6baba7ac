"""Find, in the project's git history, the commit a release was built from, and
rebuild it there: ``verify --rebuild`` of a release older than the current inputs.

The manifest records the sha256 of every input (seeds, overlays, corpus.toml, the
overlay schema, the annotator registry); the commit whose files have exactly those
digests is the release's source. It is checked out in a temporary ``git worktree``
and built with that commit's own code (``python -m corpus_builder build`` with
``PYTHONPATH`` set to the worktree) by the current interpreter."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..catalogue import error, problem
from ..config import BuildConfig
from ..errors import Problem, rel

MAX_TRIES = 3  # commits with the recorded inputs rebuilt before giving up


def _git(cwd: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        return subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise error("E768", file=rel(cwd), commit="-", error=(detail.decode("utf-8", "replace").strip()
                                                                  or str(exc))[:160]) from None


def recorded_inputs(manifest: dict[str, Any], config: BuildConfig, top: Path) -> dict[str, str]:
    """Repository path -> sha256 of every input the manifest records."""
    def path(p: Path) -> str:
        return Path(os.path.relpath(os.path.abspath(p), top)).as_posix()
    inputs = manifest["inputs"]
    files = {path(config.seeds / s["file"]): s["sha256"] for s in inputs["seeds"]}
    files.update({path(config.annotations / a["file"]): a["sha256"] for a in inputs["annotations"]})
    files[path(config.root / inputs["config"]["file"])] = inputs["config"]["sha256"]
    if inputs.get("overlay_schema"):
        files[path(config.root / inputs["overlay_schema"]["file"])] = inputs["overlay_schema"]["sha256"]
    if inputs.get("annotators"):
        files[path(config.annotations / inputs["annotators"]["file"])] = inputs["annotators"]["sha256"]
    return files


class _Blobs:
    """sha256 of git blobs, each read once (``git cat-file --batch``)."""

    def __init__(self, top: Path):
        self.top = top
        self.known: dict[str, str] = {}

    def sha256(self, blobs: list[str]) -> dict[str, str]:
        todo = [b for b in dict.fromkeys(blobs) if b not in self.known]
        if todo:
            out = _git(self.top, "cat-file", "--batch", data="".join(f"{b}\n" for b in todo).encode())
            at = 0
            for blob in todo:
                header_end = out.index(b"\n", at)
                size = int(out[at:header_end].split()[2])
                body = out[header_end + 1:header_end + 1 + size]
                self.known[blob] = hashlib.sha256(body).hexdigest()
                at = header_end + 1 + size + 1
        return {b: self.known[b] for b in blobs}


def matching_commits(manifest: dict[str, Any], config: BuildConfig) -> tuple[Path, list[str]]:
    """The repository's top folder and the commits (newest first) whose inputs are exactly
    the recorded ones: same digests, and no other seed or overlay file."""
    top = Path(_git(config.root, "rev-parse", "--show-toplevel").decode().strip())
    wanted = recorded_inputs(manifest, config, top)
    seeds = Path(os.path.relpath(os.path.abspath(config.seeds), top)).as_posix()
    annotations = Path(os.path.relpath(os.path.abspath(config.annotations), top)).as_posix()
    blobs, found = _Blobs(top), []
    for commit in _git(top, "rev-list", "HEAD").decode().split():
        listing = _git(top, "ls-tree", "-r", commit, "--", seeds, annotations, *wanted).decode("utf-8", "replace")
        tree = {}
        for line in listing.splitlines():
            meta, _, name = line.partition("\t")
            tree[name] = meta.split()[2]
        inputs = {n for n in tree if n in wanted or (n.startswith(f"{seeds}/") and n.endswith(".txt"))
                  or (n.startswith(f"{annotations}/") and n.count("/") == annotations.count("/") + 1
                      and n.endswith(".json"))}
        if inputs != set(wanted):
            continue
        digests = blobs.sha256([tree[n] for n in wanted])
        if all(digests[tree[n]] == sha for n, sha in wanted.items()):
            found.append(commit)
    return top, found


def release_commit(top: Path, folder: Path) -> str | None:
    """The last commit that wrote the release folder (a release re-cut before it was
    published is written more than once): its code made these bytes."""
    path = Path(os.path.relpath(os.path.abspath(folder), top)).as_posix()
    if path == ".." or path.startswith("../"):  # a copy outside the repository: no commit wrote it
        return None
    out = _git(top, "log", "-1", "--format=%H", "--", path).decode().split()
    return out[0] if out else None


def candidates(top: Path, folder: Path, commits: list[str]) -> Iterator[str]:
    first = release_commit(top, folder)
    if first in commits:
        yield first
    yield from (c for c in commits if c != first)


def rebuild_at(top: Path, commit: str, config: BuildConfig, folder: Path, version: str) -> list[Problem]:
    """Build ``commit`` in a temporary worktree with its own code; compare with ``folder``."""
    prefix = Path(os.path.relpath(os.path.abspath(config.root), top))
    with tempfile.TemporaryDirectory(prefix="corpus-builder-rebuild-") as tmp:
        tree, out = Path(tmp) / "tree", Path(tmp) / "out"
        _git(top, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
            run = subprocess.run([sys.executable, "-m", "corpus_builder", "build", "--out", str(out)],
                                 cwd=tree / prefix, env=env, capture_output=True, text=True)
            if run.returncode != 0:
                last = (run.stderr.strip().splitlines() or [f"exit {run.returncode}"])[-1]
                return [problem("E768", file=rel(folder), commit=commit[:12], error=last[:160])]
            rebuilt = out / version
            return compare(rebuilt, folder, commit)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=top, capture_output=True)
            subprocess.run(["git", "worktree", "prune"], cwd=top, capture_output=True)


def compare(rebuilt: Path, folder: Path, commit: str | None = None) -> list[Problem]:
    names = sorted({p.relative_to(rebuilt).as_posix() for p in rebuilt.rglob("*") if p.is_file()}
                   | {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()})
    problems = []
    for name in names:
        mine, theirs = folder / name, rebuilt / name
        if not mine.is_file() or not theirs.is_file() or mine.read_bytes() != theirs.read_bytes():
            problems.append(problem("E712:commit", file=rel(mine), commit=commit[:12]) if commit
                            else problem("E712", file=rel(mine)))
    return problems


def rebuild_from_history(folder: Path, manifest: dict[str, Any], config: BuildConfig,
                         differing: list[Problem] = ()) -> list[Problem]:  # type: ignore[assignment]
    """Rebuild ``folder`` at the commits holding its recorded inputs (up to MAX_TRIES):
    none if one reproduces it byte for byte, else the last attempt's problems. When no
    commit holds them, ``differing`` (the inputs that differ now) are the ones to restore."""
    top, commits = matching_commits(manifest, config)
    if not commits:
        return [problem("E767", file=rel(folder / "manifest.json"), version=manifest["version"]), *differing]
    problems: list[Problem] = []
    for n, commit in enumerate(candidates(top, folder, commits)):
        if n == MAX_TRIES:
            break
        problems = rebuild_at(top, commit, config, folder, manifest["version"])
        if not problems:
            return []
    return problems
