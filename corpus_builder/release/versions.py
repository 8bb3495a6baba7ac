"""Semantic versions of the data: major = schema or label-set change, minor =
documents or annotations added or changed, patch = metadata or documentation fixes."""

from __future__ import annotations

import re

from ..catalogue import error

LEVELS = ("patch", "minor", "major")
_SEMVER = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")  # fullmatch: "1.0.0\n" is no version


def bump(version: str, level: str) -> str:
    m = _SEMVER.fullmatch(version)
    if not m or level not in LEVELS:
        raise error("E601", file="corpus.toml", position="[dataset].version", version=version, level=level)
    major, minor, patch = map(int, m.groups())
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[level]


def at_least(level: str, required: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(required)
