"""Label Studio: tasks JSON (``data`` + ``predictions``) and the labeling config XML;
its JSON export back. Label Studio counts offsets in UTF-16 code units (JavaScript
strings) and repeats each span's text, so the unit is checked against the quotes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ..catalogue import problem
from ..errors import Problem, rel
from ..io import json_text
from . import UTF16, TaskDoc, ToolDoc, ToolSpan
from .offsets import utf16_offset

FROM_NAME, TO_NAME = "label", "text"


def label_config(labels: Sequence[str]) -> str:
    """The labeling interface: one ``Labels`` control over the ``text`` field."""
    rows = "".join(f"    <Label value={quoteattr(label)}/>\n" for label in labels)
    return (f'<View>\n  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{rows}  </Labels>\n'
            f'  <Text name="{TO_NAME}" value="$text"/>\n</View>\n')


def task(doc: TaskDoc, corpus: str, layer: str) -> dict[str, Any]:
    result = [{"id": f"e{i}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
               "value": {"start": utf16_offset(doc.text, e.start), "end": utf16_offset(doc.text, e.end),
                         "text": e.text, "labels": [e.label]}}
              for i, e in enumerate(doc.entities)]
    return {"data": {"text": doc.text, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256, "corpus": corpus},
            "predictions": [{"model_version": f"corpus-builder {layer}", "result": result}]}


def write_tasks(docs: Sequence[TaskDoc], labels: Sequence[str], out: Path, corpus: str, layer: str) -> list[Path]:
    tasks, config = out / "tasks.json", out / "label_config.xml"
    tasks.write_text(json_text([task(d, corpus, layer) for d in docs]), encoding="utf-8")
    config.write_text(label_config(labels), encoding="utf-8")
    return [tasks, config]


def _latest(annotations: list[dict[str, Any]]) -> dict[str, Any] | None:
    kept = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    return max(kept, key=lambda a: (str(a.get("updated_at") or ""), a.get("id") or 0), default=None)


def read_export(path: Path) -> tuple[list[ToolDoc], list[Problem]]:
    """A Label Studio JSON export (a list of tasks); each task's latest submitted annotation."""
    name = rel(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [], [problem("E470", file=name, error=str(exc)[:80], shape="a Label Studio JSON export")]
    if not isinstance(tasks, list):
        return [], [problem("E470", file=name, error="not a list of tasks", shape="a Label Studio JSON export")]
    docs, problems = [], []
    for i, t in enumerate(tasks):
        where = f"task {i + 1}"
        data = t.get("data") if isinstance(t, dict) else None
        if not isinstance(data, dict):
            problems.append(problem("E470", file=name, position=where, error="task without data",
                                    shape="a Label Studio JSON export"))
            continue
        ann = _latest(t.get("annotations") or [])
        doc = ToolDoc(name, where, data.get("doc_id"), data.get("text"), data.get("text_sha256"), data.get("corpus"),
                      default_unit=UTF16, annotated=ann is not None)
        for j, r in enumerate((ann or {}).get("result") or []):
            v = r.get("value") if isinstance(r, dict) else None
            if not isinstance(v, dict) or r.get("type") != "labels":
                continue  # relations, choices...: not entities
            try:
                labels = v["labels"]
                doc.spans.append(ToolSpan(int(v["start"]), int(v["end"]), str(labels[0]),
                                          f"{where}, result {j + 1}", v.get("text")))
            except (KeyError, IndexError, TypeError, ValueError):
                problems.append(problem("E470", file=name, position=f"{where}, result {j + 1}",
                                        error="a labels result needs start, end and labels",
                                        shape="a Label Studio JSON export"))
        docs.append(doc)
    return docs, problems
