"""Prodigy (``ner.manual``/``ner.correct``): JSONL tasks with ``text``, ``tokens``,
``spans`` and our ids in ``meta``, plus the label list for ``--label``; its
``db-out`` JSONL back (accepted answers only). Prodigy is Python: offsets are code
points, and a file that holds UTF-16 offsets contradicts that claim."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..catalogue import problem
from ..errors import Problem, rel
from ..io import jsonl_text
from . import CODEPOINT, TaskDoc, ToolDoc, ToolSpan, jsonl_objects

SHAPE = "Prodigy JSONL (db-out): one task a line with text, spans and meta"


def task(doc: TaskDoc, corpus: str, layer: str) -> dict[str, Any]:
    toks = list(doc.tokens)
    index = {s: i for i, (s, _) in enumerate(toks)}
    ends = {e: i for i, (_, e) in enumerate(toks)}
    tokens = [{"text": doc.text[s:e], "start": s, "end": e, "id": i,
               "ws": i + 1 < len(toks) and toks[i + 1][0] > e}
              for i, (s, e) in enumerate(toks)]
    spans = [{"start": e.start, "end": e.end, "text": e.text, "label": e.label,
              **({"token_start": index[e.start], "token_end": ends[e.end]} if e.start in index and e.end in ends else {})}
             for e in doc.entities]
    return {"text": doc.text, "tokens": tokens, "spans": spans,
            "meta": {"doc_id": doc.doc_id, "text_sha256": doc.text_sha256, "corpus": corpus, "layer": layer}}


def write_tasks(docs: Sequence[TaskDoc], labels: Sequence[str], out: Path, corpus: str, layer: str) -> list[Path]:
    tasks, config = out / "tasks.jsonl", out / "labels.txt"
    tasks.write_text(jsonl_text(task(d, corpus, layer) for d in docs), encoding="utf-8")
    config.write_text("".join(f"{label}\n" for label in labels), encoding="utf-8")
    return [tasks, config]


def read_export(path: Path) -> tuple[list[ToolDoc], list[Problem]]:
    name = rel(path)
    objects, problems = jsonl_objects(path, SHAPE)
    docs = []
    for where, obj in objects:
        meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
        doc = ToolDoc(name, where, meta.get("doc_id"), obj.get("text"), meta.get("text_sha256"), meta.get("corpus"),
                      unit=CODEPOINT, annotated=obj.get("answer", "accept") == "accept")
        for j, s in enumerate(obj.get("spans") or []):
            try:
                doc.spans.append(ToolSpan(int(s["start"]), int(s["end"]), str(s["label"]),
                                          f"{where}, span {j + 1}", s.get("text")))
            except (KeyError, TypeError, ValueError):
                problems.append(problem("E470", file=name, position=f"{where}, span {j + 1}",
                                        error="a span needs start, end and label", shape=SHAPE))
        docs.append(doc)
    return docs, problems
