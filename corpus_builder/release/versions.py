"""Semantic versions of the data: major = schema or label-set change, minor =
documents or annotations added or changed, patch = metadata or documentation fixes."""

from __future__ import annotations

import re

from ..errors import CorpusError, ExitCode, Problem

LEVELS = ("patch", "minor", "major")
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def bump(version: str, level: str) -> str:
    m = _SEMVER.match(version)
    if not m or level not in LEVELS:
        raise CorpusError(Problem("E601", f"cannot bump {version!r} by {level!r}", file="corpus.toml",
                                  position="[dataset].version", hint="use MAJOR.MINOR.PATCH and one of major|minor|patch"),
                          ExitCode.USAGE)
    major, minor, patch = map(int, m.groups())
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[level]


def at_least(level: str, required: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(required)
