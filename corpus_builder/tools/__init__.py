"""Annotation tools annotators already use (Label Studio, doccano, Prodigy, brat,
INCEpTION): one module per tool, each with ``write_tasks`` (our texts and
pre-annotations in the tool's import format, plus its label configuration) and
``read_export`` (the tool's export back as :class:`ToolDoc` records with
:class:`ToolSpan` spans in the tool's own offset unit). What the spans mean for our
overlays is decided once, in :mod:`.offsets` (the unit) and :mod:`.diff` (the ops)."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..catalogue import problem
from ..errors import Problem, rel

if TYPE_CHECKING:
    from ..records import Entity

TOOLS = ("labelstudio", "doccano", "prodigy", "brat", "inception")

UTF16, CODEPOINT = "utf16", "codepoint"


@dataclass(frozen=True)
class TaskDoc:
    """What a task carries: our text and the entity layer shown as pre-annotation."""

    doc_id: str
    text: str
    text_sha256: str
    entities: tuple[Entity, ...]
    tokens: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ToolSpan:
    """One span as the tool returned it (offsets in the tool's unit, see ``ToolDoc.unit``)."""

    start: int
    end: int
    label: str
    position: str  # where in the file: "task 3, result 2", "line 5", "T4"
    quote: str | None = None  # the text the tool says the span covers, when it says
    kb_id: str | None = None


@dataclass
class ToolDoc:
    """One returned document: which of ours it is, its text, and the spans."""

    file: str
    position: str
    doc_id: str | None
    text: str | None
    text_sha256: str | None
    corpus: str | None
    spans: list[ToolSpan] = field(default_factory=list)
    unit: str | None = None  # the unit the file claims (None: the tool's convention, checked by the quotes)
    default_unit: str = CODEPOINT  # the tool's convention when the file claims nothing
    annotated: bool = True  # False: the task came back without an annotation (skipped)


def tool_module(name: str) -> ModuleType:
    """The module of one tool (``--tool NAME``)."""
    if name not in TOOLS:
        raise KeyError(name)
    return importlib.import_module(f"{__name__}.{name}")


def jsonl_objects(path: Path, shape: str) -> tuple[list[tuple[str, dict[str, Any]]], list[Problem]]:
    """The objects of a JSON Lines export, each with its position ("line N"); an unreadable
    file or a line that is no JSON object is E470 (``shape``: what the tool exports)."""
    name = rel(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [problem("E470", file=name, error=str(exc)[:80], shape=shape)]
    objects, problems = [], []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            problems.append(problem("E470", file=name, position=f"line {n}", error=str(exc)[:80], shape=shape))
            continue
        objects.append((f"line {n}", obj))
    return objects, problems
