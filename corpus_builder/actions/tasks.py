"""``tasks``: documents with pre-annotations in an annotation tool's import format, plus
the tool's label configuration for the corpus's label set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..catalogue import error, problem
from ..config import BuildConfig, corpus_labels
from ..errors import CorpusError
from ..tools import TaskDoc, tool_module
from .build import run
from .layers import CURRENT, MODEL

if TYPE_CHECKING:
    from spacy.language import Language


@dataclass
class TasksReport:
    tool: str
    layer: str
    documents: list[str]
    entities: int
    files: list[Path]


def write_tasks(config: BuildConfig, tool: str, out: Path, docs: Sequence[str] | None = None,
                layer: str = CURRENT, nlp: Language | None = None) -> TasksReport:
    """Write the tasks of ``docs`` (default: every document) with the ``layer``
    (``model``: the model's raw entities; ``current``: the release's layer) to ``out``."""
    module = tool_module(tool)
    result = run(config, nlp)
    if result.problems:
        raise CorpusError(result.problems, warnings=result.warnings)
    by_id = {d.doc_id: d for d in result.documents}
    wanted = list(docs) if docs else list(by_id)
    unknown = [d for d in wanted if d not in by_id]
    if unknown:
        raise error([problem("E481", position="--docs", found=d, expected=" | ".join(by_id)) for d in unknown])
    tasks = []
    for doc_id in wanted:
        doc = by_id[doc_id]
        entities = doc.model_entities if layer == MODEL else doc.entities
        tasks.append(TaskDoc(doc.doc_id, doc.text, doc.text_sha256, tuple(entities), tuple(doc.tokens)))
    out.mkdir(parents=True, exist_ok=True)
    labels = corpus_labels(config, result.model.labels)
    files = module.write_tasks(tasks, labels, out, config.dataset.name, layer)
    return TasksReport(tool, layer, wanted, sum(len(t.entities) for t in tasks), files)
