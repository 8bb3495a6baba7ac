"""``verify``: is a release folder intact, and (``rebuild``) does this code rebuild it
byte for byte from the inputs its manifest records?"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..catalogue import problem
from ..config import BuildConfig
from ..errors import CorpusError, Problem, rel
from ..release.verify import check_inputs, verify as check_release
from ..release.read import read_manifest
from .build import build
from .history import rebuild_from_history


def verify(folder: Path, config: BuildConfig | None = None, rebuild: bool = False) -> list[Problem]:
    folder = Path(folder)
    problems = check_release(folder)
    if not (rebuild and config is not None):
        return problems
    if problems:  # a damaged release: no rebuild can make it right
        return problems
    inputs = check_inputs(folder, config)
    if inputs:  # an older release: rebuild it at the commit that holds its inputs, with that code
        return rebuild_from_history(folder, read_manifest(folder), config, differing=inputs)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            report = build(config.with_overrides(out=Path(tmp)))
        except CorpusError as exc:
            return problems + exc.problems
        for path in sorted(p for p in report.release.rglob("*") if p.is_file()):
            name = path.relative_to(report.release)
            mine = folder / name
            if not mine.is_file() or mine.read_bytes() != path.read_bytes():
                problems.append(problem("E712", file=rel(mine)))
    return problems
