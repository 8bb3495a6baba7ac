"""doccano (sequence labeling): JSONL tasks (``text``, ``label: [[start, end, LABEL]]``
and our metadata columns, which doccano keeps) and the label definitions JSON; its
JSONL export back (``label`` lists, or ``entities`` objects in newer versions).
doccano's offsets are counted by its JavaScript front end: UTF-16 code units. The
export repeats no span text, so the unit is checked by token boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..catalogue import problem
from ..errors import Problem, rel
from ..io import json_text, jsonl_text
from . import UTF16, TaskDoc, ToolDoc, ToolSpan, jsonl_objects
from .offsets import utf16_offset

SHAPE = "a doccano JSONL export (one object a line with text and label)"
COLORS = ("#7c20e0", "#0d6efd", "#198754", "#dc3545", "#fd7e14", "#20c997", "#6f42c1", "#d63384", "#0dcaf0")


def row(doc: TaskDoc, corpus: str, layer: str) -> dict[str, Any]:
    spans = [[utf16_offset(doc.text, e.start), utf16_offset(doc.text, e.end), e.label] for e in doc.entities]
    return {"text": doc.text, "label": spans, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256,
            "corpus": corpus, "layer": layer}


def write_tasks(docs: Sequence[TaskDoc], labels: Sequence[str], out: Path, corpus: str, layer: str) -> list[Path]:
    tasks, config = out / "tasks.jsonl", out / "labels.json"
    tasks.write_text(jsonl_text(row(d, corpus, layer) for d in docs), encoding="utf-8")
    config.write_text(json_text([{"text": label, "suffix_key": None, "background_color": COLORS[i % len(COLORS)],
                                  "text_color": "#ffffff"} for i, label in enumerate(labels)]), encoding="utf-8")
    return [tasks, config]


def _spans(obj: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    if isinstance(obj.get("entities"), list):
        return [(e.get("start_offset"), e.get("end_offset"), e.get("label")) for e in obj["entities"]]
    return [tuple(s) if isinstance(s, list) and len(s) == 3 else (None, None, None) for s in obj.get("label") or []]


def read_export(path: Path) -> tuple[list[ToolDoc], list[Problem]]:
    name = rel(path)
    objects, problems = jsonl_objects(path, SHAPE)
    docs = []
    for where, obj in objects:
        doc = ToolDoc(name, where, obj.get("doc_id"), obj.get("text"), obj.get("text_sha256"), obj.get("corpus"),
                      default_unit=UTF16)
        for j, (start, end, label) in enumerate(_spans(obj)):
            if not isinstance(start, int) or not isinstance(end, int) or not isinstance(label, str):
                problems.append(problem("E470", file=name, position=f"{where}, span {j + 1}",
                                        error="a span is [start, end, label]", shape=SHAPE))
                continue
            doc.spans.append(ToolSpan(start, end, label, f"{where}, span {j + 1}"))
        docs.append(doc)
    return docs, problems
